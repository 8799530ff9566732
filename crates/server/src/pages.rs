//! The pages: start (paste or upload, name, analyse), the analysis view (the live HTML report),
//! a model's history with the diff between any two versions and the exports, the knowledge-base
//! browser, and the login page. Every string from a user or a model is escaped here.

use std::fmt::Write as _;

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use threatscribe_kb::KnowledgeBase;
use threatscribe_report::{LiveHtml, escape_html as esc};

use crate::Shared;
use crate::api::{ApiError, add_version, diff_of};
use crate::auth::{COOKIE, Caller, session_cookie};
use crate::render::{Format, analysed};

/// The app's navigation bar; the logout button only where a token is in use.
fn nav(state: &Shared, caller: &Caller) -> String {
    let logout = if state.token.is_some() {
        format!(
            r#"<form method="post" action="/logout"><input type="hidden" name="csrf" value="{}"><button type="submit">Log out</button></form>"#,
            esc(caller.csrf())
        )
    } else {
        String::new()
    };
    format!(
        r#"<nav class="app"><a class="brand" href="/">threatscribe</a><a href="/">Models</a><a href="/kb">Knowledge base</a><a href="/api/openapi.json">API</a>{logout}</nav>"#
    )
}

fn page(state: &Shared, caller: &Caller, title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{} · threatscribe</title><link rel="stylesheet" href="/assets/nav.css"><link rel="stylesheet" href="/assets/app.css"></head><body>{}<main>{body}</main><script src="/assets/app.js"></script></body></html>"#,
        esc(title),
        nav(state, caller)
    ))
}

/// An error as a page, with the status.
fn error_page(state: &Shared, caller: &Caller, error: &ApiError) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p class="error">{}</p><p><a href="/">Back to the models</a></p>"#,
        error.status.canonical_reason().unwrap_or("Error"),
        esc(&error.message)
    );
    (error.status, page(state, caller, "Error", &body)).into_response()
}

fn start_page(
    state: &Shared,
    caller: &Caller,
    name: &str,
    input: &str,
    problem: Option<&str>,
) -> Result<Html<String>, ApiError> {
    let models = state
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .models()?;
    let mut body = String::from("<h1>Threat models</h1>");
    if let Some(problem) = problem {
        let _ = write!(
            body,
            r#"<p class="error" role="alert">{}</p>"#,
            esc(problem)
        );
    }
    let _ = write!(
        body,
        r#"<form id="create" class="busy" method="post" action="/models"><input type="hidden" name="csrf" value="{}"><label for="name">Name</label><input type="text" id="name" name="name" maxlength="200" required value="{}" placeholder="e.g. Blog"><label for="input">Architecture: a plain-English description or a model file (threatscribe YAML, Threat Dragon, pytm, Threagile, OTM, TM-BOM)</label><textarea id="input" name="input" required placeholder="A Flask blog on AWS EC2 with a MySQL database; users log in with Flask-Login and comment on posts...">{}</textarea><label for="file">Or load a file</label><input type="file" id="file" accept=".txt,.md,.yaml,.yml,.json"><p class="muted">The same name adds a new version of that model.</p><button type="submit" data-busy="Analysing…">Analyse</button></form>"#,
        esc(caller.csrf()),
        esc(name),
        esc(input)
    );
    body.push_str("<h2>Models</h2>");
    if models.is_empty() {
        body.push_str(r#"<p class="muted">None yet.</p>"#);
    } else {
        body.push_str(
            "<table><thead><tr><th>Name</th><th>Versions</th><th>Created</th></tr></thead><tbody>",
        );
        for m in models {
            let _ = write!(
                body,
                r#"<tr><td><a href="/models/{}/versions/{}">{}</a></td><td><a href="/models/{}">{}</a></td><td>{}</td></tr>"#,
                m.id,
                m.versions,
                esc(&m.name),
                m.id,
                m.versions,
                esc(&m.created)
            );
        }
        body.push_str("</tbody></table>");
    }
    Ok(page(state, caller, "Threat models", &body))
}

pub async fn start(State(state): State<Shared>, Extension(caller): Extension<Caller>) -> Response {
    match start_page(&state, &caller, "", "", None) {
        Ok(html) => html.into_response(),
        Err(e) => error_page(&state, &caller, &e),
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    input: String,
}

pub async fn create(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    form: Result<Form<CreateForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        let error = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the form is larger than {} bytes, the most this server takes, or malformed",
                state.max_body
            ),
        );
        return error_page(&state, &caller, &error);
    };
    if !caller.csrf_ok(Some(&form.csrf)) {
        return error_page(
            &state,
            &caller,
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "the form's anti-CSRF token is missing or stale: reload the page and try again",
            ),
        );
    }
    if state.llm.is_some() {
        return start_job(&state, form.name, form.input);
    }
    let worker = std::sync::Arc::clone(&state);
    let (name, input) = (form.name.clone(), form.input.clone());
    let created =
        tokio::task::spawn_blocking(move || add_version(&worker, &name, &input, None)).await;
    match created {
        Ok(Ok(created)) => Redirect::to(&format!(
            "/models/{}/versions/{}",
            created.id, created.version
        ))
        .into_response(),
        Ok(Err(error)) => {
            match start_page(
                &state,
                &caller,
                &form.name,
                &form.input,
                Some(&error.message),
            ) {
                Ok(html) => (error.status, html).into_response(),
                Err(e) => error_page(&state, &caller, &e),
            }
        }
        Err(e) => error_page(
            &state,
            &caller,
            &ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        ),
    }
}

/// Starts an LLM-backed creation in the background and sends the browser to its progress page.
fn start_job(state: &Shared, name: String, input: String) -> Response {
    let id = crate::auth::generate_token()[..24].to_owned();
    {
        let mut jobs = state
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Finished jobs are kept for their page; past a few hundred the oldest results go.
        if jobs.len() > 500 {
            jobs.retain(|_, job| job.result.is_none());
        }
        jobs.insert(
            id.clone(),
            crate::Job {
                name: name.clone(),
                ..crate::Job::default()
            },
        );
    }
    let worker = std::sync::Arc::clone(state);
    let job = id.clone();
    let observer: threatscribe_agents::Observer = {
        let worker = std::sync::Arc::clone(state);
        let job = id.clone();
        std::sync::Arc::new(move |done, total, last: &str| {
            if let Some(entry) = worker
                .jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_mut(&job)
            {
                entry.done = done;
                entry.total = total;
                last.clone_into(&mut entry.last);
            }
        })
    };
    tokio::task::spawn_blocking(move || {
        let result = add_version(&worker, &name, &input, Some(observer)).map_err(|e| e.message);
        if let Some(entry) = worker
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_mut(&job)
        {
            entry.result = Some(result);
        }
    });
    Redirect::to(&format!("/jobs/{id}")).into_response()
}

/// The progress of an LLM-backed creation; it reloads itself each second (a meta refresh: the
/// app runs no inline script) and leads to the analysis when done.
pub async fn job(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(job) = state
        .jobs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&id)
        .cloned()
    else {
        return error_page(
            &state,
            &caller,
            &ApiError::new(StatusCode::NOT_FOUND, "no such analysis in progress"),
        );
    };
    match job.result {
        Some(Ok(created)) => Redirect::to(&format!(
            "/models/{}/versions/{}",
            created.id, created.version
        ))
        .into_response(),
        Some(Err(problem)) => match start_page(&state, &caller, &job.name, "", Some(&problem)) {
            Ok(html) => (StatusCode::BAD_REQUEST, html).into_response(),
            Err(e) => error_page(&state, &caller, &e),
        },
        None => {
            let body = format!(
                r#"<h1>Analysing {}</h1><p>The built-in analysis is done; the LLM agents are adding to it.</p><p><progress id="progress" max="{}" value="{}"></progress> {} of {} calls{}</p><p class="muted">This page refreshes itself and opens the analysis when it is ready.</p>"#,
                esc(&job.name),
                job.total.max(1),
                job.done,
                job.done,
                job.total,
                if job.last.is_empty() {
                    String::new()
                } else {
                    format!(" · last: {}", esc(&job.last))
                }
            );
            let mut response = page(&state, &caller, "Analysing", &body).into_response();
            response
                .headers_mut()
                .insert("refresh", axum::http::HeaderValue::from_static("1"));
            response
        }
    }
}

/// The links to every export of a version.
fn exports(id: i64, version: i64) -> String {
    let mut links: Vec<String> = Format::ALL
        .iter()
        .map(|(_, name)| {
            format!(
                r#"<a href="/api/models/{id}/versions/{version}/report?format={name}">{}</a>"#,
                name.to_uppercase()
            )
        })
        .collect();
    links.push(format!(
        r#"<a href="/api/models/{id}/versions/{version}/export?to=threat-dragon">Threat Dragon</a>"#
    ));
    links.push(format!(
        r#"<a href="/api/models/{id}/versions/{version}/export?to=otm">OTM</a>"#
    ));
    links.join(" · ")
}

pub async fn analysis(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path((id, version)): Path<(i64, i64)>,
) -> Response {
    let worker = std::sync::Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || analysed(&worker, id, version)).await;
    let analysed = match result {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return error_page(&state, &caller, &e),
        Err(e) => {
            return error_page(
                &state,
                &caller,
                &ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            );
        }
    };
    let nav = format!(
        r#"{}<div class="noprint subnav"><a href="/models/{id}">{} · version {version} · history and diff</a> · Export: {}</div>"#,
        nav(&state, &caller),
        esc(&analysed.name),
        exports(id, version)
    );
    let tracking_url = format!("/api/models/{id}/tracking/");
    let live = LiveHtml {
        head: r#"<link rel="stylesheet" href="/assets/nav.css">"#,
        nav: &nav,
        script_src: "/assets/report.js",
        csrf_token: caller.csrf(),
        tracking_url: &tracking_url,
    };
    let mut out = Vec::new();
    let _ = threatscribe_report::Html::render_live(&analysed.report(), &live, &mut out);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], out).into_response()
}

pub async fn history(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Response {
    let (summary, versions) = {
        let store = state
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (store.model(id), store.versions(id)) {
            (Ok(Some(s)), Ok(v)) => (s, v),
            (Ok(None), _) => {
                return error_page(
                    &state,
                    &caller,
                    &ApiError::new(StatusCode::NOT_FOUND, format!("no model {id}")),
                );
            }
            (Err(e), _) | (_, Err(e)) => return error_page(&state, &caller, &e.into()),
        }
    };
    let mut body = format!(
        "<h1>{}</h1><h2>Versions</h2><table><thead><tr><th>Version</th><th>Input</th><th>Created</th><th>Exports</th></tr></thead><tbody>",
        esc(&summary.name)
    );
    for v in versions.iter().rev() {
        let _ = write!(
            body,
            r#"<tr><td><a href="/models/{id}/versions/{0}">version {0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td></tr>"#,
            v.version,
            esc(&v.kind),
            esc(&v.created),
            exports(id, v.version)
        );
    }
    body.push_str("</tbody></table>");
    if versions.len() > 1 {
        let options = |selected: i64| {
            versions.iter().fold(String::new(), |mut out, v| {
                let _ = write!(
                    out,
                    r#"<option value="{0}"{1}>version {0}</option>"#,
                    v.version,
                    if v.version == selected {
                        " selected"
                    } else {
                        ""
                    }
                );
                out
            })
        };
        let last = versions.last().map_or(1, |v| v.version);
        let _ = write!(
            body,
            r#"<h2>Compare versions</h2><form class="inline" method="get" action="/models/{id}/diff"><label>From <select name="from">{}</select></label><label>To <select name="to">{}</select></label><button type="submit">Show the differences</button></form>"#,
            options(last - 1),
            options(last)
        );
    }
    page(&state, &caller, &summary.name, &body).into_response()
}

#[derive(Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub async fn diff(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Response {
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return error_page(
            &state,
            &caller,
            &ApiError::bad("choose two versions to compare"),
        );
    };
    let worker = std::sync::Arc::clone(&state);
    let diff = match tokio::task::spawn_blocking(move || diff_of(&worker, id, from, to)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return error_page(&state, &caller, &e),
        Err(e) => {
            return error_page(
                &state,
                &caller,
                &ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            );
        }
    };
    let mut body = format!(
        r#"<h1>Version {from} → version {to}</h1><p><a href="/models/{id}">Back to the history</a> · <a href="/api/models/{id}/diff?from={from}&amp;to={to}&amp;format=md">Markdown</a> · <a href="/api/models/{id}/diff?from={from}&amp;to={to}">JSON</a></p>"#
    );
    if diff.is_empty() {
        body.push_str("<p>No differences in the architecture or the findings.</p>");
    }
    for (title, part) in [
        ("Elements", &diff.elements),
        ("Flows", &diff.flows),
        ("Boundaries", &diff.boundaries),
    ] {
        if part.added.is_empty() && part.removed.is_empty() && part.changed.is_empty() {
            continue;
        }
        let _ = write!(body, "<h2>{title}</h2><ul>");
        for id in &part.added {
            let _ = write!(
                body,
                r#"<li class="added">added <code>{}</code></li>"#,
                esc(id)
            );
        }
        for id in &part.removed {
            let _ = write!(
                body,
                r#"<li class="removed">removed <code>{}</code></li>"#,
                esc(id)
            );
        }
        for (id, fields) in &part.changed {
            let _ = write!(
                body,
                "<li>changed <code>{}</code>: {}</li>",
                esc(id),
                esc(&fields.join(", "))
            );
        }
        body.push_str("</ul>");
    }
    body.push_str(&diff_findings(&diff));
    page(&state, &caller, "Differences", &body).into_response()
}

/// The findings part of a diff page: new, gone, changed.
fn diff_findings(diff: &threatscribe_report::Diff) -> String {
    let mut body = String::new();
    let threat_table = |title: &str, rows: Vec<(String, String, String)>| {
        if rows.is_empty() {
            return String::new();
        }
        let mut out = format!(
            "<h2>{title}</h2><table><thead><tr><th>Finding</th><th>Severity</th><th>Status</th></tr></thead><tbody>"
        );
        for (finding, severity, status) in rows {
            let _ = write!(
                out,
                "<tr><td>{finding}</td><td>{}</td><td>{}</td></tr>",
                esc(&severity),
                esc(&status)
            );
        }
        out.push_str("</tbody></table>");
        out
    };
    let named = |id: &str, title: &str| format!("{}<br><code>{}</code>", esc(title), esc(id));
    let refs = |list: &[threatscribe_report::ThreatRef]| {
        list.iter()
            .map(|t| {
                (
                    named(&t.id, &t.title),
                    t.severity.to_string(),
                    t.status.to_string(),
                )
            })
            .collect()
    };
    body.push_str(&threat_table(
        &format!("New findings ({})", diff.new_threats.len()),
        refs(&diff.new_threats),
    ));
    body.push_str(&threat_table(
        &format!("Findings gone ({})", diff.resolved_threats.len()),
        refs(&diff.resolved_threats),
    ));
    body.push_str(&threat_table(
        &format!("Findings changed ({})", diff.changed_threats.len()),
        diff.changed_threats
            .iter()
            .map(|t| {
                (
                    named(&t.id, &t.title),
                    format!("{} → {}", t.severity.0, t.severity.1),
                    format!("{} → {}", t.status.0, t.status.1),
                )
            })
            .collect(),
    ));
    body
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

pub async fn knowledge_base(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Query(search): Query<Search>,
) -> Response {
    let kb = KnowledgeBase::builtin();
    let q = search.q.trim().to_lowercase();
    let hit = |texts: &[&str]| q.is_empty() || texts.iter().any(|t| t.to_lowercase().contains(&q));
    let mut body = format!(
        r#"<h1>Knowledge base</h1><form class="inline" method="get" action="/kb"><label for="q">Search</label><input type="search" id="q" name="q" value="{}" placeholder="flask, CWE-89, csrf..."><button type="submit">Search</button></form>"#,
        esc(&search.q)
    );
    let rules: Vec<_> = kb
        .rules
        .iter()
        .filter(|r| {
            hit(&[
                &r.id,
                &r.title,
                &r.description,
                &r.cwe.join(" "),
                &r.owasp.join(" "),
                &r.controls.join(" "),
            ])
        })
        .collect();
    let _ = write!(
        body,
        "<h2>Threat rules ({})</h2><table><thead><tr><th>Rule</th><th>STRIDE</th><th>CWE</th></tr></thead><tbody>",
        rules.len()
    );
    for r in rules {
        let _ = write!(
            body,
            r#"<tr><td><a href="/kb/rules/{0}"><code>{0}</code></a> {1}</td><td>{2}</td><td>{3}</td></tr>"#,
            esc(&r.id),
            esc(&r.title),
            esc(&r
                .stride
                .iter()
                .map(|s| s.label())
                .collect::<Vec<_>>()
                .join(", ")),
            esc(&r.cwe.join(", "))
        );
    }
    body.push_str("</tbody></table>");
    let technologies: Vec<_> = kb
        .catalog
        .iter()
        .filter(|t| {
            hit(&[
                &t.id,
                &t.name,
                &t.aliases.join(" "),
                &t.category,
                &t.description,
            ])
        })
        .collect();
    let _ = write!(
        body,
        "<h2>Technologies ({})</h2><table><thead><tr><th>Technology</th><th>Category</th><th>What it is</th></tr></thead><tbody>",
        technologies.len()
    );
    for t in technologies {
        let _ = write!(
            body,
            "<tr><td>{} <code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&t.name),
            esc(&t.id),
            esc(&t.category),
            esc(&t.description)
        );
    }
    body.push_str("</tbody></table>");
    let controls: Vec<_> = kb
        .controls
        .values()
        .filter(|c| hit(&[&c.id, &c.title, &c.guidance]))
        .collect();
    let _ = write!(
        body,
        "<h2>Controls ({})</h2><table><thead><tr><th>Control</th><th>Guidance</th></tr></thead><tbody>",
        controls.len()
    );
    for c in controls {
        let _ = write!(
            body,
            "<tr><td><code>{}</code> {}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.title),
            esc(&c.guidance)
        );
    }
    body.push_str("</tbody></table>");
    page(&state, &caller, "Knowledge base", &body).into_response()
}

pub async fn rule(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let kb = KnowledgeBase::builtin();
    let Some(rule) = kb.rules.iter().find(|r| r.id == id) else {
        return error_page(
            &state,
            &caller,
            &ApiError::new(StatusCode::NOT_FOUND, format!("no rule {id}")),
        );
    };
    let mut body = format!(
        "<h1><code>{}</code> {}</h1><p>{}</p><p><b>STRIDE:</b> {} · <b>Likelihood</b> {} · <b>impact</b> {}</p><p><b>References:</b> {}</p><h2>Controls</h2>",
        esc(&rule.id),
        esc(&rule.title),
        esc(&rule.description),
        esc(&rule
            .stride
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ")),
        rule.likelihood,
        rule.impact,
        esc(&[rule.cwe.clone(), rule.capec.clone(), rule.owasp.clone()]
            .concat()
            .join(", "))
    );
    for control in rule.controls.iter().filter_map(|c| kb.controls.get(c)) {
        let _ = write!(
            body,
            "<h3>{}</h3><p>{}</p><ul>",
            esc(&control.title),
            esc(&control.guidance)
        );
        for (technology, guidance) in &control.technologies {
            let name = kb
                .catalog
                .get(technology)
                .map_or(technology.as_str(), |t| t.name.as_str());
            let _ = write!(body, "<li><b>{}:</b> {}</li>", esc(name), esc(guidance));
        }
        body.push_str("</ul>");
    }
    page(&state, &caller, &rule.id, &body).into_response()
}

pub async fn login_form(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> Response {
    login_page(&state, &caller, None, StatusCode::OK)
}

fn login_page(
    state: &Shared,
    caller: &Caller,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let problem = problem.map_or_else(String::new, |p| {
        format!(r#"<p class="error" role="alert">{}</p>"#, esc(p))
    });
    let body = format!(
        r#"<h1>Log in</h1>{problem}<form method="post" action="/login"><input type="hidden" name="csrf" value="{}"><label for="token">Token (printed by <code>threatscribe serve</code>, or the one it was given)</label><input type="password" id="token" name="token" autocomplete="current-password" required><p><button type="submit">Log in</button></p></form>"#,
        esc(caller.csrf())
    );
    (status, page(state, caller, "Log in", &body)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

pub async fn login(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<LoginForm>,
) -> Response {
    if !caller.csrf_ok(Some(&form.csrf)) {
        return login_page(
            &state,
            &caller,
            Some("The form was stale: try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let Some(token) = &state.token else {
        return Redirect::to("/").into_response();
    };
    let given = form.token.trim();
    if !crate::auth::same(given, token) {
        return login_page(
            &state,
            &caller,
            Some("That is not the token."),
            StatusCode::UNAUTHORIZED,
        );
    }
    // A new session on login, so an id set before it is worth nothing after.
    if let Caller::Page { session, .. } = &caller {
        state.sessions.remove(session);
    }
    let (id, _) = state.sessions.create(true);
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(&id));
    response
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<LogoutForm>,
) -> Response {
    if !caller.csrf_ok(Some(&form.csrf)) {
        return error_page(
            &state,
            &caller,
            &ApiError::new(StatusCode::FORBIDDEN, "stale form: reload and try again"),
        );
    }
    if let Caller::Page { session, .. } = &caller {
        state.sessions.remove(session);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        axum::http::HeaderValue::from_str(&format!(
            "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        ))
        .expect("a valid header"),
    );
    response
}

pub async fn not_found(
    State(state): State<Shared>,
    Extension(caller): Extension<Caller>,
) -> Response {
    error_page(
        &state,
        &caller,
        &ApiError::new(StatusCode::NOT_FOUND, "There is no page here."),
    )
}
