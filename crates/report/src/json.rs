//! The JSON report: the versioned contract of DESIGN.md, plus summary, coverage and log.

use std::io;

use serde::Serialize;
use threatscribe_engine::{CoverageRow, LogEntry};
use threatscribe_model::{Boundary, DataAsset, Element, Flow, Threat};

use crate::{Render, Report, Summary, Usage, VERSION};

/// The contract's version: bump it when a field is renamed or removed (never for additions).
pub(crate) const SCHEMA_VERSION: u32 = 1;

pub struct Json;

#[derive(Serialize, schemars::JsonSchema)]
struct Generator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
struct SourceInfo<'a> {
    path: &'a str,
    kind: &'a str,
    warnings: &'a [String],
}

#[derive(Serialize, schemars::JsonSchema)]
struct ModelOut<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    elements: &'a [Element],
    flows: &'a [Flow],
    boundaries: &'a [Boundary],
    data_assets: &'a [DataAsset],
}

#[derive(Serialize, schemars::JsonSchema)]
struct SummaryOut {
    total: usize,
    open: usize,
    mitigated: usize,
    by_status: serde_json::Map<String, serde_json::Value>,
    open_by_severity: serde_json::Map<String, serde_json::Value>,
    by_stride: serde_json::Map<String, serde_json::Value>,
    elements: usize,
    flows: usize,
    boundaries: usize,
}

#[derive(Serialize, schemars::JsonSchema)]
struct CoverageOut<'a> {
    target: &'a str,
    name: &'a str,
    kind: &'a str,
    /// Keyed by STRIDE category, in S, T, R, I, D, E order.
    categories: serde_json::Map<String, serde_json::Value>,
}

/// The threatscribe JSON report, `schema_version` 1.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(title = "threatscribe report")]
struct JsonReport<'a> {
    schema_version: u32,
    generator: Generator,
    source: SourceInfo<'a>,
    model: ModelOut<'a>,
    assumptions: &'a [String],
    questions: &'a [String],
    /// Tracking entries that expired or match no finding.
    tracking_notes: &'a [String],
    threats: &'a [Threat],
    summary: SummaryOut,
    coverage: Vec<CoverageOut<'a>>,
    log: &'a [LogEntry],
    usage: Usage,
    /// What the LLM agents did (only with `--llm`): every call with its tokens and cost, every
    /// message, the writer's prose, and what was refused and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<&'a threatscribe_model::LlmRun>,
}

fn coverage_row(row: &CoverageRow) -> CoverageOut<'_> {
    let categories = row
        .cells
        .iter()
        .map(|(stride, cell)| {
            (
                stride.as_str().to_owned(),
                serde_json::to_value(cell).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    CoverageOut {
        target: &row.target,
        name: &row.name,
        kind: &row.kind,
        categories,
    }
}

impl Render for Json {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let analysis = report.analysis;
        let model = &analysis.model;
        let summary = Summary::of(
            &analysis.threats,
            model.elements.len(),
            model.flows.len(),
            model.boundaries.len(),
        );
        let document = JsonReport {
            schema_version: SCHEMA_VERSION,
            generator: Generator {
                name: "threatscribe",
                version: VERSION,
            },
            source: SourceInfo {
                path: &report.source.path,
                kind: &report.source.kind,
                warnings: &report.source.warnings,
            },
            model: ModelOut {
                name: &model.name,
                description: model.description.as_deref(),
                elements: &model.elements,
                flows: &model.flows,
                boundaries: &model.boundaries,
                data_assets: &model.data_assets,
            },
            assumptions: &analysis.assumptions,
            questions: &analysis.questions,
            tracking_notes: &analysis.tracking_notes,
            threats: &analysis.threats,
            summary: SummaryOut {
                total: summary.total,
                open: summary.open,
                mitigated: summary.mitigated,
                by_status: summary
                    .by_status
                    .iter()
                    .map(|(s, n)| (s.as_str().to_owned(), (*n).into()))
                    .collect(),
                open_by_severity: summary
                    .by_severity
                    .iter()
                    .map(|(s, n)| (s.as_str().to_owned(), (*n).into()))
                    .collect(),
                by_stride: summary
                    .by_stride
                    .iter()
                    .map(|(s, n)| (s.as_str().to_owned(), (*n).into()))
                    .collect(),
                elements: summary.elements,
                flows: summary.flows,
                boundaries: summary.boundaries,
            },
            coverage: analysis.coverage.iter().map(coverage_row).collect(),
            log: &analysis.log,
            usage: Usage::of(report.llm),
            llm: report.llm,
        };
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

/// The JSON Schema of the JSON report, pretty-printed with a trailing newline.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(JsonReport<'static>);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_report_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/report.schema.json"
        );
        let checked_in =
            std::fs::read_to_string(path).expect("schemas/report.schema.json is checked in");
        assert!(
            checked_in == super::report_schema(),
            "schemas/report.schema.json is stale: run `cargo run -- schema --report > schemas/report.schema.json`"
        );
    }
}
