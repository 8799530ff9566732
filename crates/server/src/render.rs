//! From a stored version to its analysis and reports: the model as read, the model's tracking
//! decisions, today's date, the built-in knowledge base.

use axum::http::StatusCode;
use threatscribe_engine::{Analysis, analyze_with};
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{LlmRun, Model, ProposedThreat};
use threatscribe_report::{Csv, Json, Markdown, Render, Report, Sarif, Source};

use crate::Shared;
use crate::api::ApiError;

/// What an LLM-backed creation stored with a version: the threats its agents proposed and the
/// reviewer kept, admitted again by the engine on every analysis.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredLlm {
    pub proposals: Vec<ProposedThreat>,
    /// The calls, their usage and cost, the messages and the writer's prose.
    pub run: LlmRun,
}

/// A version analysed, with what the reports need.
pub struct Analysed {
    pub name: String,
    pub analysis: Analysis,
    pub source: Source,
    pub llm: Option<LlmRun>,
}

impl Analysed {
    pub fn report(&self) -> Report<'_> {
        let kb = KnowledgeBase::builtin();
        Report {
            analysis: &self.analysis,
            source: &self.source,
            llm: self.llm.as_ref(),
            knowledge_base: (kb.rules.len(), kb.controls.len(), kb.catalog.len()),
            baseline: None,
        }
    }
}

/// Loads and analyses one version; 404 when it does not exist.
pub fn analysed(state: &Shared, id: i64, version: i64) -> Result<Analysed, ApiError> {
    let (summary, stored, tracking) = {
        let store = state
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let summary = store
            .model(id)?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no model {id}")))?;
        let stored = store.version(id, version)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("model {id} has no version {version}"),
            )
        })?;
        (summary, stored, store.tracking(id)?)
    };
    let mut model: Model = serde_json::from_str(&stored.model_json).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("stored model unreadable: {e}"),
        )
    })?;
    let (proposals, llm) = match stored
        .llm_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<StoredLlm>(j).ok())
    {
        Some(stored) => (stored.proposals, Some(stored.run)),
        None => (Vec::new(), None),
    };
    model.tracking.extend(tracking);
    let read = state.reader.read(&summary.name, &stored.input).ok();
    let source = Source {
        path: format!("{} (version {version})", summary.name),
        kind: stored.kind.clone(),
        text: stored.input,
        warnings: read
            .as_ref()
            .map(|r| r.warnings.clone())
            .unwrap_or_default(),
        locations: read.map(|r| r.locations).unwrap_or_default(),
    };
    let today = (state.today)();
    let analysis = analyze_with(&model, KnowledgeBase::builtin(), Some(&today), &proposals);
    Ok(Analysed {
        name: summary.name,
        analysis,
        source,
        llm,
    })
}

/// The report formats the API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Md,
    Html,
    Sarif,
    Csv,
}

impl Format {
    pub const ALL: [(Format, &'static str); 5] = [
        (Format::Json, "json"),
        (Format::Md, "md"),
        (Format::Html, "html"),
        (Format::Sarif, "sarif"),
        (Format::Csv, "csv"),
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Md => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Sarif => "application/sarif+json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn render(self, report: &Report<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        let done = match self {
            Format::Json => Json.render(report, &mut out),
            Format::Md => Markdown.render(report, &mut out),
            Format::Html => threatscribe_report::Html.render(report, &mut out),
            Format::Sarif => Sarif.render(report, &mut out),
            Format::Csv => Csv.render(report, &mut out),
        };
        done.expect("rendering into memory does not fail");
        out
    }
}
