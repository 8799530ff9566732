use super::*;

fn read(text: &str) -> Model {
    parse_description(text, "test", KnowledgeBase::builtin())
        .expect("a model")
        .model
}

fn element<'a>(model: &'a Model, name: &str) -> &'a Element {
    model
        .elements
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no element `{name}` in {:#?}",
                model.elements.iter().map(|e| &e.name).collect::<Vec<_>>()
            )
        })
}

fn has_flow(model: &Model, from: &str, to: &str) -> bool {
    let id = |name: &str| element(model, name).id.clone();
    let (from, to) = (id(from), id(to));
    model.flows.iter().any(|f| f.from == from && f.to == to)
}

const BLOG: &str = include_str!("../../../../examples/blog/description.txt");

#[test]
fn the_blog_description_becomes_the_blog_model() {
    let model = read(BLOG);
    let app = element(&model, "Web application");
    assert_eq!(app.kind, ElementKind::Process);
    for technology in [
        "python",
        "flask",
        "jinja2",
        "wtforms",
        "flask-login",
        "flask-wtf",
        "flask-bootstrap",
        "flask-admin",
        "flask-restful",
        "aws-ec2",
    ] {
        assert!(
            app.technologies.iter().any(|t| t == technology),
            "web app lacks {technology}: {:?}",
            app.technologies
        );
    }
    let db = element(&model, "MySQL database");
    assert_eq!(db.kind, ElementKind::DataStore);
    assert_eq!(db.technologies, ["mysql"]);
    for actor in ["Users", "Administrator", "API clients"] {
        assert_eq!(element(&model, actor).kind, ElementKind::ExternalEntity);
        assert!(has_flow(&model, actor, "Web application"), "{actor} -> app");
    }
    assert!(has_flow(&model, "Web application", "MySQL database"));
    assert_eq!(model.elements.len(), 5, "{:#?}", model.elements);
    let data: Vec<&str> = model.data_assets.iter().map(|d| d.id.as_str()).collect();
    for wanted in ["posts", "comments", "credentials"] {
        assert!(data.contains(&wanted), "{data:?}");
    }
    let to_db = model
        .flows
        .iter()
        .find(|f| f.to == db.id)
        .expect("flow to the database");
    assert!(to_db.data.iter().any(|d| d == "posts") && to_db.data.iter().any(|d| d == "comments"));
    assert_eq!(to_db.protocol.as_deref(), Some("mysql-protocol"));
    let host = model
        .boundary(app.boundary.as_deref().expect("the app is placed"))
        .expect("boundary");
    assert_eq!(host.kind, BoundaryKind::Host);
    assert_eq!(
        model
            .boundary(host.parent.as_deref().expect("inside AWS"))
            .expect("aws")
            .name,
        "AWS"
    );
    assert_eq!(model.name, "Blog application");
    assert!(
        model
            .assumptions
            .iter()
            .any(|a| a.contains("Administrator") && a.contains("Flask-Admin")),
        "{:#?}",
        model.assumptions
    );
    let repeated = format!("{BLOG} {BLOG}");
    assert_eq!(
        read(&repeated).elements.len(),
        5,
        "a repeated description adds nothing"
    );
    assert!(
        read(&repeated)
            .assumptions
            .iter()
            .any(|a| a.contains("repeated sentence"))
    );
}

#[test]
fn poor_input_is_refused_with_guidance() {
    let kb = KnowledgeBase::builtin();
    for text in [
        "",
        "   \n",
        "We had a lovely meeting about the roadmap and agreed to talk again on Friday.",
    ] {
        let error = parse_description(text, "t", kb).expect_err(text);
        assert!(
            error.diagnostics()[0]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("describe the parts")),
            "{error:?}"
        );
    }
}

#[test]
fn unknown_products_still_yield_elements_and_questions() {
    let model = read("A Django web app stores invoices in a Frobnicator database.");
    let db = element(&model, "Frobnicator database");
    assert_eq!(db.kind, ElementKind::DataStore);
    assert!(has_flow(&model, "Web application", "Frobnicator database"));
    assert!(
        model.questions.iter().any(|q| q.contains("Frobnicator")),
        "{:#?}",
        model.questions
    );
}

#[test]
fn typos_and_abbreviations_are_read_and_said() {
    let model = read("The backend is written in Djnago and keeps orders in PG.");
    let backend = element(&model, "Backend service");
    assert!(
        backend.technologies.iter().any(|t| t == "django"),
        "{:?}",
        backend.technologies
    );
    assert!(
        model.assumptions.iter().any(|a| a.contains("\"Djnago\"")),
        "{:#?}",
        model.assumptions
    );
}
