use super::*;

fn kb() -> &'static KnowledgeBase {
    KnowledgeBase::builtin()
}

fn yaml(text: &str) -> Result<ParsedModel, IntakeError> {
    parse_model(text, Format::Yaml, "test", kb())
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match yaml(text) {
        Ok(parsed) => panic!("expected errors, got a model: {:?}", parsed.model),
        Err(e) => e.diagnostics().to_vec(),
    }
}

const GOOD: &str = "\
name: Shop
elements:
  - name: Customer
    kind: external_entity
    boundary: internet
  - name: Web App
    kind: process
    technologies: [Flask, flask_login]
  - id: db
    name: Orders DB
    kind: data_store
    technologies: [mysql]
flows:
  - from: customer
    to: web-app
    protocol: HTTPS
    data: [orders]
  - from: web-app
    to: db
    protocol: mysql
boundaries:
  - name: Internet
    kind: internet
data_assets:
  - name: Orders
    classification: confidential
";

#[test]
fn derives_ids_and_resolves_catalog_names() {
    let parsed = yaml(GOOD).expect("valid model");
    let model = &parsed.model;
    let ids: Vec<&str> = model.elements.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["customer", "web-app", "db"]);
    assert_eq!(model.elements[1].technologies, ["flask", "flask-login"]);
    assert_eq!(model.flows[0].id, "customer-to-web-app");
    assert_eq!(model.flows[0].protocol.as_deref(), Some("https"));
    assert_eq!(model.flows[1].protocol.as_deref(), Some("mysql-protocol"));
    assert_eq!(model.boundaries[0].id, "internet");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.locations["web-app"], (6, 11));
}

#[test]
fn json_models_are_read_with_positions() {
    let json =
        r#"{"elements": [{"name": "A", "kind": "process"}, {"name": "B", "kind": "proces"}]}"#;
    let error = parse_model(json, Format::Json, "t", kb()).expect_err("bad kind");
    let d = &error.diagnostics()[0];
    assert_eq!(
        (d.line, d.column),
        (1, 71),
        "the opening quote of the value"
    );
    assert!(d.message.contains("unknown element kind `proces`"), "{d}");
    assert_eq!(d.hint.as_deref(), Some("did you mean `process`?"));
}

#[test]
fn json_syntax_errors_have_positions() {
    let error =
        parse_model("{\n  \"elements\": [,]\n}", Format::Json, "t", kb()).expect_err("bad json");
    let d = &error.diagnostics()[0];
    assert_eq!(d.line, 2);
    assert!(d.message.starts_with("invalid JSON"), "{d}");
}

#[test]
fn yaml_syntax_and_shape_errors_have_positions() {
    let d = &errors("elements:\n  - name: A\n    kind: process\n   bad indent: [\n")[0];
    assert!(d.line >= 3, "{d}");
    let d = &errors("elements:\n  - name: A\n    kind: process\n    technologys: [flask]\n")[0];
    assert_eq!(d.line, 4, "{d}");
    assert!(d.message.contains("technologys"), "{d}");
}

#[test]
fn reports_every_reference_problem_with_its_position() {
    let text = "\
elements:
  - { id: app, name: App, kind: process, boundary: clod }
  - { id: app, name: Again, kind: process }
  - { id: db, name: DB, kind: datastore }
flows:
  - { from: app, to: dbb, data: [secrets] }
  - { from: app, to: app }
boundaries:
  - { id: cloud, name: Cloud, kind: cloud, parent: vpc }
  - { id: vpc, name: VPC, kind: network, parent: cloud }
";
    let found: Vec<String> = errors(text).iter().map(ToString::to_string).collect();
    let expect = [
        "2:52: element `app` is in unknown boundary `clod` (did you mean `cloud`?)",
        "3:11: duplicate element id `app` (give each element its own `id`)",
        "4:31: unknown element kind `datastore` (did you mean `data_store`?)",
        "6:22: flow refers to unknown element `dbb` (did you mean `db`?)",
        "6:34: flow `app-to-dbb` carries unknown data asset `secrets` (declare it under `data_assets:`)",
        "7:13: flow from `app` to itself",
        "boundaries form a cycle: cloud -> vpc -> cloud",
    ];
    for wanted in expect {
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(wanted) || f.contains(wanted)),
            "missing `{wanted}` in {found:#?}"
        );
    }
}

#[test]
fn unknown_technology_is_a_warning_with_a_suggestion() {
    let text = "elements:\n  - { name: DB, kind: data_store, technologies: [mysq, cobol-db] }\n  - { name: App, kind: process }\nflows:\n  - { from: app, to: db }\n";
    let parsed = yaml(text).expect("warnings only");
    let messages: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert!(
        messages[0].contains("unknown technology `mysq`")
            && messages[0].contains("did you mean `mysql`?"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("unknown technology `cobol-db`"),
        "{messages:?}"
    );
    assert_eq!(parsed.model.elements[0].technologies, ["mysq", "cobol-db"]);
}

#[test]
fn empty_model_and_control_characters_are_errors() {
    assert!(errors("name: x\n")[0].message.contains("no elements"));
    let d = &errors("elements:\n  - { name: \"A\\u0007B\", kind: process }\n")[0];
    assert!(d.message.contains("control characters"), "{d}");
}

#[test]
fn derived_flow_ids_stay_unique() {
    let text = "elements:\n  - { name: A, kind: process }\n  - { name: B, kind: process }\nflows:\n  - { from: a, to: b }\n  - { from: a, to: b }\n";
    let model = yaml(text).expect("valid").model;
    assert_eq!(model.flows[0].id, "a-to-b");
    assert_eq!(model.flows[1].id, "a-to-b-2");
}

#[test]
fn unknown_or_misplaced_properties_and_values_are_warnings() {
    let text = "\
elements:
  - { id: app, name: App, kind: process, properties: { imdsv2: requird, csrf_protecton: flask-wtf, encrypted: true } }
  - { id: db, name: DB, kind: data_store }
flows:
  - { from: app, to: db, properties: { encrypted: maybe } }
";
    let parsed = yaml(text).expect("warnings only");
    let messages: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    let expect = [
        "property `csrf_protecton` of `app` is not one the rules use (did you mean `csrf_protection`?)",
        "property `encrypted` of `app` has no effect on a process (it belongs on: flow)",
        "value \"requird\" of property `imdsv2` on `app` is not one the rules understand (use one of: required, optional)",
        "value \"maybe\" of property `encrypted` on `app-to-db` is not one the rules understand (use one of: true, false)",
    ];
    for wanted in expect {
        assert!(
            messages.iter().any(|m| m.ends_with(wanted)),
            "missing `{wanted}` in {messages:#?}"
        );
    }
}
