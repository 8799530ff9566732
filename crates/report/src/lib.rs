//! The writer: turns an `Analysis` into what people and tools read. One module per format,
//! each implementing `Render`; the data flow diagram is its own module shared by the formats.
//!
//! This crate decides nothing about threats: it orders, groups, counts and escapes. Everything
//! it prints comes from the analysis or the input, so two runs on the same input give
//! byte-identical output.
//!
//! Key decision: every string that came from the user's input (names, descriptions, the input
//! itself) is escaped for the target format at the last moment, in the renderer, because only
//! the renderer knows what is special there (Markdown tables, Mermaid labels, JSON).

mod csv;
mod diagram;
mod diff;
mod dot;
mod html;
mod json;
mod llm;
mod markdown;
mod sarif;
mod summary;
mod svg;

use std::io;

use threatscribe_engine::Analysis;

pub use csv::Csv;
pub use diagram::mermaid;
pub use diff::{Diff, ThreatRef, Version};
pub use dot::dot;
pub use html::{Html, LiveHtml, REPORT_SCRIPT, esc as escape_html};
pub use json::{Json, report_schema};
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use summary::Summary;
pub use svg::{COLLAPSE_AT, Placed, placements, svg};

/// What was analysed, as the user gave it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path given on the command line (`-` for stdin).
    pub path: String,
    /// What kind of input it was: "YAML model file", "JSON model file".
    pub kind: String,
    /// The input text, shown in the appendix.
    pub text: String,
    /// Warnings the intake raised, already formatted with their position.
    pub warnings: Vec<String>,
    /// Where each element and flow is declared in a model file: id -> (line, column). Empty
    /// for descriptions.
    pub locations: std::collections::BTreeMap<String, (u32, u32)>,
}

/// LLM usage of the run: the calls made this run and what they cost, as the provider reported
/// them (answers taken from the cache are not counted). Without `--llm` everything is zero,
/// and the report says so.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Usage {
    pub calls: u64,
    /// Calls answered from the response cache, which cost nothing this run.
    pub cached_calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

impl Usage {
    pub fn of(run: Option<&threatscribe_model::LlmRun>) -> Self {
        let Some(run) = run else {
            return Usage::default();
        };
        let (input_tokens, output_tokens, cost_usd) = run.spent();
        Usage {
            calls: run
                .calls
                .iter()
                .filter(|c| !c.cached && c.attempts > 0)
                .count() as u64,
            cached_calls: run.calls.iter().filter(|c| c.cached).count() as u64,
            input_tokens,
            output_tokens,
            cost_usd,
        }
    }
}

/// The findings of an earlier report, for "what is new since": threat id -> (severity, status).
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub threats: std::collections::BTreeMap<
        String,
        (threatscribe_model::Severity, threatscribe_model::Status),
    >,
}

impl Baseline {
    /// Reads the `threats` of a JSON report (`analyze --format json`).
    pub fn from_json_report(text: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Finding {
            id: String,
            severity: threatscribe_model::Severity,
            status: threatscribe_model::Status,
        }
        #[derive(serde::Deserialize)]
        struct ReportFile {
            schema_version: u32,
            threats: Vec<Finding>,
        }
        let report: ReportFile = serde_json::from_str(text)
            .map_err(|e| format!("not a threatscribe JSON report: {e}"))?;
        if report.schema_version != json::SCHEMA_VERSION {
            return Err(format!(
                "report schema_version {} is not {}",
                report.schema_version,
                json::SCHEMA_VERSION
            ));
        }
        Ok(Baseline {
            threats: report
                .threats
                .into_iter()
                .map(|f| (f.id, (f.severity, f.status)))
                .collect(),
        })
    }

    /// `new`, `unchanged` or `updated` (severity or status changed), as SARIF names them.
    pub fn state(&self, threat: &threatscribe_model::Threat) -> &'static str {
        match self.threats.get(&threat.id) {
            None => "new",
            Some((severity, status))
                if *severity == threat.severity && *status == threat.status =>
            {
                "unchanged"
            }
            Some(_) => "updated",
        }
    }
}

/// Everything a renderer needs.
pub struct Report<'a> {
    pub analysis: &'a Analysis,
    pub source: &'a Source,
    /// What the LLM agents did, when `--llm` was given.
    pub llm: Option<&'a threatscribe_model::LlmRun>,
    /// Size of the knowledge base used: (rules, controls, technologies).
    pub knowledge_base: (usize, usize, usize),
    /// An earlier report to compare with (`--baseline`).
    pub baseline: Option<Baseline>,
}

/// One output format.
pub trait Render {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()>;
}

/// The generator's version, as written into reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
