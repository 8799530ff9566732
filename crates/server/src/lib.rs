//! `threatscribe serve`: the local web app and its JSON API, over a `SQLite` store.
//!
//! Reviewers paste a description or a model file, see the diagram and the findings, record a
//! status for each finding, and compare versions. The pages use the same JSON API that scripts
//! call (`/api/openapi.json` describes it).
//!
//! Key decisions: the app reads inputs through a `Reader` the binary supplies, so it accepts
//! exactly what `analyze` accepts; a version stores the input and the model as read, and every
//! report is computed from them and the model's tracking decisions when asked for, so a
//! decision shows in every format and every version at once. Security of the app: loopback by
//! default, a token required beyond it, sessions with anti-CSRF tokens for the pages, a
//! Content-Security-Policy without inline scripts, a Host check against DNS rebinding, and
//! body size limits.

mod api;
mod assets;
mod auth;
mod openapi;
mod pages;
mod render;
pub mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use threatscribe_model::Model;

pub use auth::generate_token;
pub use store::{SCHEMA_VERSION, Store, StoreError};

/// A model read from the text a user gave.
pub struct Read {
    pub model: Model,
    /// "plain-English description", "YAML model file", "OWASP Threat Dragon v2 file", ...
    pub kind: String,
    pub warnings: Vec<String>,
    /// Where each element and flow is declared in a model file: id -> (line, column).
    pub locations: BTreeMap<String, (u32, u32)>,
}

/// Reads inputs the way `analyze` does: descriptions, model files, other tools' files.
pub trait Reader: Send + Sync + 'static {
    /// `name` names the model when the input does not; the error says what and where.
    fn read(&self, name: &str, text: &str) -> Result<Read, String>;
}

/// How the app runs.
pub struct Config {
    pub db: PathBuf,
    /// Required on every request when set.
    pub token: Option<String>,
    pub reader: Arc<dyn Reader>,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// Today (YYYY-MM-DD), which decides whether tracking decisions have expired.
    pub today: fn() -> String,
    /// LLM agents that add to every new version's analysis, when configured.
    pub llm: Option<threatscribe_agents::Settings>,
}

/// A version being created with the LLM agents, as the progress page shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Job {
    pub name: String,
    pub done: u64,
    pub total: u64,
    pub last: String,
    pub result: Option<Result<api::Created, String>>,
}

/// What every handler shares.
pub(crate) struct AppState {
    pub store: Mutex<Store>,
    pub token: Option<String>,
    pub reader: Arc<dyn Reader>,
    pub sessions: auth::Sessions,
    /// `Host` values accepted (the address bound, by IP and, on loopback, as `localhost`).
    pub hosts: Vec<String>,
    pub max_body: usize,
    pub today: fn() -> String,
    pub llm: Option<threatscribe_agents::Settings>,
    /// LLM-backed creations in progress or just finished, by id.
    pub jobs: Mutex<std::collections::HashMap<String, Job>>,
}

pub(crate) type Shared = Arc<AppState>;

/// Opens the store and builds the app for `addr`.
pub fn app(config: Config, addr: SocketAddr) -> Result<Router, StoreError> {
    let store = Store::open(&config.db)?;
    let mut hosts = vec![addr.to_string()];
    if addr.ip().is_loopback() {
        hosts.push(format!("localhost:{}", addr.port()));
        hosts.push(format!("127.0.0.1:{}", addr.port()));
        hosts.push(format!("[::1]:{}", addr.port()));
    }
    let state = Arc::new(AppState {
        store: Mutex::new(store),
        token: config.token,
        reader: config.reader,
        sessions: auth::Sessions::default(),
        hosts: if addr.ip().is_unspecified() {
            Vec::new()
        } else {
            hosts
        },
        max_body: config.max_body,
        today: config.today,
        llm: config.llm,
        jobs: Mutex::default(),
    });
    Ok(router(state))
}

fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/models", post(api::create).get(api::list))
        .route("/models/{id}", get(api::model))
        .route("/models/{id}/versions/{version}/report", get(api::report))
        .route("/models/{id}/versions/{version}/export", get(api::export))
        .route("/models/{id}/tracking/{threat}", put(api::track))
        .route("/models/{id}/diff", get(api::diff))
        .fallback(api::not_found);
    Router::new()
        .route("/", get(pages::start))
        .route("/models", post(pages::create))
        .route("/models/{id}", get(pages::history))
        .route("/models/{id}/versions/{version}", get(pages::analysis))
        .route("/models/{id}/diff", get(pages::diff))
        .route("/jobs/{job}", get(pages::job))
        .route("/kb", get(pages::knowledge_base))
        .route("/kb/rules/{id}", get(pages::rule))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/assets/{file}", get(assets::serve))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .nest("/api", api)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::guard,
        ))
        .layer(DefaultBodyLimit::max(state.max_body))
        .with_state(state)
}

/// Now, as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for the store.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
