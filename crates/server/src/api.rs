//! The JSON API: what the pages use and scripts call. Every error is JSON: `{"error": "..."}`
//! with the status that fits (400 with what is wrong, 401, 403, 404, 413).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use threatscribe_model::Status;

use crate::render::{Format, analysed};
use crate::store::StoreError;
use crate::{Shared, now};

/// The longest model name.
pub const MAX_NAME: usize = 200;
/// The longest justification.
pub const MAX_JUSTIFICATION: usize = 2_000;

/// An error answer: a status and a message that says what is wrong.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.message}))).into_response()
    }
}

/// The body of a request, with a clear error when it is too large or not what was expected.
pub fn body_json<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes, the most this server takes (raise it with serve --max-body-mib)"),
            )
        } else {
            ApiError::bad(format!("the request body could not be read: {e}"))
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(format!("the request body is not the JSON expected: {e}")))
}

/// `POST /api/models`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// The model's name; the same name adds a version.
    pub name: String,
    /// A plain-English description or a model file's text (threatscribe YAML/JSON, Threat
    /// Dragon, pytm, Threagile, OTM, TM-BOM).
    pub input: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
    pub version: i64,
}

/// Checks, reads and stores a new version, with the LLM agents' additions when they are
/// configured (`observer` follows their calls). Shared by the API and the start page.
pub fn add_version(
    state: &Shared,
    name: &str,
    input: &str,
    observer: Option<threatscribe_agents::Observer>,
) -> Result<Created, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad("`name` is empty: name the model"));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad(format!(
            "`name` must be at most {MAX_NAME} characters, without control characters"
        )));
    }
    if input.trim().is_empty() {
        return Err(ApiError::bad(
            "`input` is empty: paste a description of the system or a model file",
        ));
    }
    let read = state
        .reader
        .read(name, input)
        .map_err(|problem| ApiError::bad(format!("the input cannot be read: {problem}")))?;
    let (model, llm_json) = match &state.llm {
        None => (read.model, None),
        Some(settings) => {
            let mut settings = settings.clone();
            settings.observer = observer;
            settings.progress = false;
            let today = (state.today)();
            let outcome = threatscribe_agents::analyze(
                &settings,
                input,
                &read.model,
                threatscribe_kb::KnowledgeBase::builtin(),
                Some(&today),
            );
            let stored = crate::render::StoredLlm {
                proposals: outcome.proposals,
                run: outcome.run,
            };
            (
                outcome.model,
                Some(serde_json::to_string(&stored).expect("LLM results serialise")),
            )
        }
    };
    let model_json = serde_json::to_string(&model).expect("a model serialises");
    let mut store = state
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (id, version) = store.add_version(
        name,
        &read.kind,
        input,
        &model_json,
        llm_json.as_deref(),
        &now(),
    )?;
    Ok(Created { id, version })
}

pub async fn create(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: NewVersion = body_json(body, state.max_body)?;
    let created = tokio::task::spawn_blocking(move || {
        add_version(&state, &request.name, &request.input, None)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let location = format!(
        "/api/models/{}/versions/{}/report",
        created.id, created.version
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

pub async fn list(State(state): State<Shared>) -> Result<Response, ApiError> {
    let store = state
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Json(json!({"models": store.models()?})).into_response())
}

pub async fn model(State(state): State<Shared>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let store = state
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let summary = store
        .model(id)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no model {id}")))?;
    Ok(Json(json!({"model": summary, "versions": store.versions(id)?})).into_response())
}

#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

fn format_of(query: Option<&str>) -> Result<Format, ApiError> {
    let wanted = query.unwrap_or("json");
    Format::ALL
        .iter()
        .find(|(_, name)| *name == wanted)
        .map(|(f, _)| *f)
        .ok_or_else(|| {
            ApiError::bad(format!(
                "unknown format `{wanted}`: use json, md, html, sarif or csv"
            ))
        })
}

pub async fn report(
    State(state): State<Shared>,
    Path((id, version)): Path<(i64, i64)>,
    Query(query): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(query.format.as_deref())?;
    let (bytes, name) = tokio::task::spawn_blocking(move || {
        let analysed = analysed(&state, id, version)?;
        Ok::<_, ApiError>((format.render(&analysed.report()), analysed.name))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let extension = Format::ALL
        .iter()
        .find(|(f, _)| *f == format)
        .map_or("json", |(_, n)| n);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}-v{version}.{extension}\"",
                    file_stem(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A model name made safe for a file name.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if stem.trim_matches('-').is_empty() {
        "model".to_owned()
    } else {
        stem
    }
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    to: Option<String>,
}

pub async fn export(
    State(state): State<Shared>,
    Path((id, version)): Path<(i64, i64)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let to = query.to.unwrap_or_default();
    if to != "threat-dragon" && to != "otm" {
        return Err(ApiError::bad(format!(
            "unknown export `{to}`: use threat-dragon or otm"
        )));
    }
    let (value, name) = tokio::task::spawn_blocking(move || {
        let analysed = analysed(&state, id, version)?;
        let analysis = &analysed.analysis;
        let value = if to == "otm" {
            threatscribe_interop::export_otm(&analysis.model, &analysis.threats)
        } else {
            let (elements, boundaries) = threatscribe_report::placements(analysis);
            threatscribe_interop::export_threat_dragon(
                &analysis.model,
                &analysis.threats,
                &elements,
                &boundaries,
            )
        };
        Ok::<_, ApiError>((
            value,
            format!("{}-v{version}-{to}.json", file_stem(&analysed.name)),
        ))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )],
        Json(value),
    )
        .into_response())
}

/// `PUT /api/models/{id}/tracking/{threat_id}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// open, in-progress, mitigated, accepted, transferred or false-positive.
    pub status: Status,
    /// Why; required for accepted and false-positive.
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Recorded {
    pub threat: String,
    pub status: Status,
    pub justification: Option<String>,
    pub updated: String,
}

/// Checks and records a decision. Shared by the API and the pages.
pub fn record(
    state: &Shared,
    id: i64,
    threat: &str,
    decision: Decision,
) -> Result<Recorded, ApiError> {
    let justification = decision
        .justification
        .map(|j| j.trim().to_owned())
        .filter(|j| !j.is_empty());
    if matches!(decision.status, Status::Accepted | Status::FalsePositive)
        && justification.is_none()
    {
        return Err(ApiError::bad(format!(
            "a justification is required to mark a finding {}",
            decision.status
        )));
    }
    if justification
        .as_ref()
        .is_some_and(|j| j.chars().count() > MAX_JUSTIFICATION || j.chars().any(char::is_control))
    {
        return Err(ApiError::bad(format!(
            "the justification must be at most {MAX_JUSTIFICATION} characters, on one line"
        )));
    }
    let valid_id = threat
        .split_once('@')
        .is_some_and(|(rule, target)| !rule.is_empty() && !target.is_empty())
        && threat.len() <= 300
        && !threat.chars().any(char::is_control);
    if !valid_id {
        return Err(ApiError::bad(format!(
            "`{threat}` is not a finding id (RULE@TARGET)"
        )));
    }
    let store = state
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if store.model(id)?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no model {id}"),
        ));
    }
    let updated = now();
    store.set_tracking(
        id,
        threat,
        decision.status,
        justification.as_deref(),
        &updated,
    )?;
    Ok(Recorded {
        threat: threat.to_owned(),
        status: decision.status,
        justification,
        updated,
    })
}

pub async fn track(
    State(state): State<Shared>,
    Path((id, threat)): Path<(i64, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let decision: Decision = body_json(body, state.max_body)?;
    Ok(Json(record(&state, id, &threat, decision)?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub format: Option<String>,
}

/// The diff between two versions of a model, as the report crate computes it.
pub fn diff_of(
    state: &Shared,
    id: i64,
    from: i64,
    to: i64,
) -> Result<threatscribe_report::Diff, ApiError> {
    let old = analysed(state, id, from)?;
    let new = analysed(state, id, to)?;
    let (old_label, new_label) = (format!("version {from}"), format!("version {to}"));
    Ok(threatscribe_report::Diff::between(
        &threatscribe_report::Version {
            label: &old_label,
            model: &old.analysis.model,
            threats: &old.analysis.threats,
        },
        &threatscribe_report::Version {
            label: &new_label,
            model: &new.analysis.model,
            threats: &new.analysis.threats,
        },
    ))
}

pub async fn diff(
    State(state): State<Shared>,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Response, ApiError> {
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(ApiError::bad("give both versions: ?from=V1&to=V2"));
    };
    let markdown = match query.format.as_deref() {
        None | Some("json") => false,
        Some("md") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "unknown format `{other}`: use json or md"
            )));
        }
    };
    let diff = tokio::task::spawn_blocking(move || diff_of(&state, id, from, to))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(if markdown {
        (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            diff.to_markdown(),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], diff.to_json()).into_response()
    })
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such API endpoint: see /api/openapi.json",
    )
}
