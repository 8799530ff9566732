//! The web app's API against a running server: create from the blog description, fetch every
//! format, record a decision, add a version and compare, restart on the same database and find
//! everything again; and the app's own security: the token, CSRF, cross-site and Host checks,
//! body limits, escaping of hostile names.

#[path = "support/server.rs"]
mod server;
// The web app's LLM test uses part of the fake provider.
#[allow(dead_code)]
mod support;

use serde_json::{Value, json};
use server::Server;

const TOKEN: &str = "test-token-0123456789";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = response.expect("the server answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn get(url: &str, token: Option<&str>) -> Answer {
    let mut request = agent().get(url);
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    answer(request.call())
}

fn send(method: &str, url: &str, token: Option<&str>, body: &Value) -> Answer {
    let agent = agent();
    let mut request = match method {
        "POST" => agent.post(url),
        _ => agent.put(url),
    };
    request = request.header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    answer(request.send(&body.to_string()))
}

/// The session cookie a page set (`name=value`) and the anti-CSRF token in its form.
fn session_of(page: &Answer) -> (String, String) {
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap();
    (cookie, csrf.split('"').next().unwrap().to_owned())
}

fn blog() -> String {
    include_str!("../../../examples/blog/description.txt").to_owned()
}

#[test]
#[allow(clippy::too_many_lines)] // one reviewer's session, step by step
fn models_reports_and_decisions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    let server = Server::start(&db, &["--token", TOKEN]);
    let t = Some(TOKEN);

    // Without the token: 401, as JSON.
    let refused = get(&server.at("/api/models"), None);
    assert_eq!(refused.status, 401);
    assert!(refused.json()["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(get(&server.at("/api/models"), Some("wrong")).status, 401);

    let created = send(
        "POST",
        &server.at("/api/models"),
        t,
        &json!({"name": "Blog", "input": blog()}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json(), json!({"id": 1, "version": 1}));

    let list = get(&server.at("/api/models"), t).json();
    assert_eq!(list["models"][0]["name"], "Blog");

    // Every format, with its content type and its content.
    for (format, content_type, marker) in [
        ("json", "application/json", "\"schema_version\": 1"),
        ("md", "text/markdown", "# Threat model: Blog application"),
        ("html", "text/html", "<h2>Data flow diagram</h2>"),
        ("sarif", "application/sarif+json", "\"version\": \"2.1.0\""),
        ("csv", "text/csv", "WEB001@web-application"),
    ] {
        let report = get(
            &server.at(&format!("/api/models/1/versions/1/report?format={format}")),
            t,
        );
        assert_eq!(report.status, 200, "{format}: {}", report.body);
        assert!(
            report.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{format}"
        );
        assert!(report.body.contains(marker), "{format} lacks {marker}");
    }
    let td = get(
        &server.at("/api/models/1/versions/1/export?to=threat-dragon"),
        t,
    );
    assert_eq!(td.status, 200);
    assert!(td.json()["detail"]["diagrams"].is_array());
    assert_eq!(
        get(&server.at("/api/models/1/versions/1/report?format=pdf"), t).status,
        400
    );
    assert_eq!(
        get(&server.at("/api/models/1/versions/9/report"), t).status,
        404
    );
    assert_eq!(get(&server.at("/api/models/9"), t).status, 404);

    // A decision, with the checks a reviewer would expect.
    let url = server.at("/api/models/1/tracking/WEB001@web-application");
    let unjustified = send("PUT", &url, t, &json!({"status": "accepted"}));
    assert_eq!(unjustified.status, 400);
    assert!(
        unjustified.json()["error"]
            .as_str()
            .unwrap()
            .contains("justification is required")
    );
    assert_eq!(
        send("PUT", &url, t, &json!({"status": "maybe"})).status,
        400
    );
    let recorded = send(
        "PUT",
        &url,
        t,
        &json!({"status": "accepted", "justification": "Every query goes through SQLAlchemy"}),
    );
    assert_eq!(recorded.status, 200, "{}", recorded.body);
    let report = get(&server.at("/api/models/1/versions/1/report"), t).json();
    let web001 = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "WEB001@web-application")
        .unwrap()
        .clone();
    assert_eq!(web001["status"], "accepted");
    assert_eq!(
        web001["tracking"]["entry"]["justification"],
        "Every query goes through SQLAlchemy"
    );

    // The same name adds a version; the decision carries over; the diff says what changed.
    let second = format!(
        "{} The web application stores uploaded images in an Amazon S3 bucket.",
        blog()
    );
    let v2 = send(
        "POST",
        &server.at("/api/models"),
        t,
        &json!({"name": "Blog", "input": second}),
    );
    assert_eq!(v2.json(), json!({"id": 1, "version": 2}));
    let diff = get(&server.at("/api/models/1/diff?from=1&to=2"), t);
    assert_eq!(diff.status, 200, "{}", diff.body);
    let diff = diff.json();
    assert!(
        !diff["elements"]["added"].as_array().unwrap().is_empty(),
        "{diff}"
    );
    assert!(!diff["new_threats"].as_array().unwrap().is_empty());
    assert_eq!(get(&server.at("/api/models/1/diff?from=1"), t).status, 400);

    // The OpenAPI document describes these paths.
    let doc = get(&server.at("/api/openapi.json"), t).json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/models",
        "/api/models/{id}/versions/{version}/report",
        "/api/models/{id}/tracking/{threat_id}",
        "/api/models/{id}/diff",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }

    // Restart on the same database: everything is still there.
    drop(server);
    let server = Server::start(&db, &["--token", TOKEN]);
    let list = get(&server.at("/api/models"), t).json();
    assert_eq!(list["models"][0]["versions"], 2);
    let report = get(&server.at("/api/models/1/versions/2/report"), t).json();
    let web001 = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "WEB001@web-application")
        .unwrap()
        .clone();
    assert_eq!(
        web001["status"], "accepted",
        "the decision survived the restart"
    );
}

#[test]
fn bad_requests_get_json_errors_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("app.sqlite"), &["--max-body-mib", "1"]);
    let models = server.at("/api/models");
    let empty = send("POST", &models, None, &json!({"name": "x", "input": "  "}));
    assert_eq!(empty.status, 400);
    assert!(
        empty.json()["error"]
            .as_str()
            .unwrap()
            .contains("`input` is empty")
    );
    let broken = send(
        "POST",
        &models,
        None,
        &json!({"name": "x", "input": "elements:\n  - id: a\n    kind: gizmo\n"}),
    );
    assert_eq!(broken.status, 400);
    let message = broken.json()["error"].as_str().unwrap().to_owned();
    assert!(message.contains(":3:"), "the position is given: {message}");
    let unknown = send("POST", &models, None, &json!({"name": "x", "text": "y"}));
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `text`")
    );
    // A body over the limit is refused from its Content-Length, before it is sent.
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut stream,
        format!("POST /api/models HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", 2 * 1024 * 1024).as_bytes(),
    )
    .unwrap();
    let mut reply = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("larger than"), "{reply}");
    let nowhere = get(&server.at("/api/nothing"), None);
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.json()["error"].is_string());
}

#[test]
fn hostile_names_are_escaped_and_pages_need_their_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("app.sqlite"), &[]);
    let hostile = "<script>alert('name')</script>";
    let created = send(
        "POST",
        &server.at("/api/models"),
        None,
        &json!({"name": hostile, "input": blog()}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    for page in ["/", "/models/1", "/models/1/versions/1"] {
        let html = get(&server.at(page), None);
        assert_eq!(html.status, 200, "{page}");
        assert!(
            !html.body.contains("<script>alert"),
            "{page} has the raw name"
        );
        assert!(
            html.body
                .contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"),
            "{page} lacks the escaped name"
        );
        let csp = html.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert!(!html.body.contains("<script>"), "{page}: no inline script");
    }

    // A page's session: its form and API calls need the session's anti-CSRF token.
    let start = get(&server.at("/"), None);
    let (cookie, csrf) = session_of(&start);
    let agent = agent();
    let put = |token: Option<&str>| {
        let mut request = agent
            .put(&server.at("/api/models/1/tracking/WEB001@web-application"))
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        answer(request.send(r#"{"status":"in-progress"}"#))
    };
    assert_eq!(put(None).status, 403);
    assert_eq!(put(Some("forged")).status, 403);
    assert_eq!(put(Some(&csrf)).status, 200);
    let form = |token: &str| {
        answer(
            agent
                .post(&server.at("/models"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .send(&format!(
                    "csrf={token}&name=Blog2&input=A+Flask+app+with+a+MySQL+database."
                )),
        )
    };
    assert_eq!(form("forged").status, 403);
    let ok = form(&csrf);
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.headers["location"], "/models/2/versions/1");

    // Another site cannot post, and a foreign Host (DNS rebinding) is refused.
    let cross = answer(
        agent
            .post(&server.at("/api/models"))
            .header("origin", "https://evil.example")
            .header("content-type", "application/json")
            .send(r#"{"name":"x","input":"y"}"#),
    );
    assert_eq!(cross.status, 403);
    let rebound = answer(
        agent
            .get(&server.at("/api/models"))
            .header("host", "evil.example:80")
            .call(),
    );
    assert_eq!(rebound.status, 400);
}

#[test]
fn beyond_loopback_a_token_is_generated_and_the_login_page_sets_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("app.sqlite"), &["--addr", "0.0.0.0:0"]);
    let token = server
        .printed
        .strip_prefix("token: ")
        .expect("the generated token is printed")
        .trim()
        .to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(get(&server.at("/api/models"), None).status, 401);
    assert_eq!(get(&server.at("/api/models"), Some(&token)).status, 200);

    let home = get(&server.at("/"), None);
    assert_eq!(home.status, 303);
    assert_eq!(home.headers["location"], "/login");
    let login = get(&server.at("/login"), None);
    let (cookie, csrf) = session_of(&login);
    let agent = agent();
    let post = |body: String| {
        answer(
            agent
                .post(&server.at("/login"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .send(&body),
        )
    };
    assert_eq!(post(format!("csrf={csrf}&token=wrong")).status, 401);
    let ok = post(format!("csrf={csrf}&token={token}"));
    assert_eq!(ok.status, 303);
    let session = ok.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(session, cookie, "a new session on login");
    let page = answer(agent.get(&server.at("/")).header("cookie", &session).call());
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Log out"));
    let stale = answer(agent.get(&server.at("/")).header("cookie", &cookie).call());
    assert_eq!(stale.status, 303, "the pre-login session does not log in");
}

/// A provider that adds one threat on the web application and keeps whatever is proposed,
/// slowly enough that the progress page shows.
fn slow_provider() -> support::fake_llm::FakeProvider {
    use support::fake_llm::Answer;
    support::fake_llm::FakeProvider::start(|seen, _| {
        let answer = match seen.role() {
            "architect" => json!({"elements": [], "flows": [], "properties": []}),
            "analyst" if seen.targets() == "web-application" => json!({"threats": [{
                "target": "web-application", "stride": "tampering",
                "title": "Post authorship forged by editing the author field of the post form",
                "description": "The post form could carry the author id; a user who edits it publishes under another name.",
                "mitigation": "Take the author from current_user in the view, never from the submitted form.",
                "likelihood": "medium", "impact": "medium", "cwe": ["CWE-639"],
                "rationale": "Users create posts through Flask forms."
            }]}),
            "analyst" => json!({"threats": []}),
            "reviewer" => {
                let ids = seen.schema()["properties"]["verdicts"]["items"]["properties"]["proposal"]["enum"].clone();
                json!({"verdicts": ids.as_array().unwrap().iter().map(|id| json!({"proposal": id, "verdict": "keep", "finding": "", "reason": "specific"})).collect::<Vec<_>>()})
            }
            _ => {
                json!({"executive_summary": "A Flask blog; fix WEB001@web-application first.", "discussion": "Queries first."})
            }
        };
        Answer::Slow(
            std::time::Duration::from_millis(150),
            Box::new(Answer::Json(answer)),
        )
    })
}

#[test]
fn with_llm_agents_pages_show_their_progress_and_reports_their_findings() {
    let provider = slow_provider();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("app.sqlite"),
        &[
            "--llm",
            "ollama:llama3.1",
            "--llm-base-url",
            &provider.url,
            "--no-llm-cache",
        ],
    );
    // Scripts wait for the whole analysis.
    let created = send(
        "POST",
        &server.at("/api/models"),
        None,
        &json!({"name": "Blog", "input": blog()}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let report = get(&server.at("/api/models/1/versions/1/report"), None).json();
    let added: Vec<&Value> = report["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == "llm:llama3.1")
        .collect();
    assert_eq!(added.len(), 1, "{}", report["llm"]);
    assert_eq!(
        report["usage"]["calls"].as_u64().unwrap(),
        provider.seen().len() as u64
    );
    assert!(
        get(
            &server.at("/api/models/1/versions/1/report?format=md"),
            None
        )
        .body
        .contains("### Summary by the writer agent")
    );

    // Pages go through a progress page that leads to the analysis.
    let start = get(&server.at("/"), None);
    let (cookie, csrf) = session_of(&start);
    let agent = agent();
    let posted = answer(
        agent
            .post(&server.at("/models"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .send(&format!(
                "csrf={csrf}&name=Blog&input=A+Flask+blog+on+AWS+EC2+with+a+MySQL+database."
            )),
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    let job = posted.headers["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/jobs/"));
    let mut saw_progress = false;
    let started = std::time::Instant::now();
    let done = loop {
        let page = answer(agent.get(&server.at(&job)).header("cookie", &cookie).call());
        if page.status == 303 {
            break page.headers["location"].to_str().unwrap().to_owned();
        }
        assert_eq!(page.status, 200, "{}", page.body);
        saw_progress |= page.body.contains("<progress") && page.headers.contains_key("refresh");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the job never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(saw_progress, "the progress page was shown");
    assert_eq!(done, "/models/1/versions/2");
}
