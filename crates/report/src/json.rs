//! The JSON report: the versioned contract of DESIGN.md, plus summary, coverage and log.

use std::io;

use serde::{Serialize, Serializer};
use threatscribe_engine::{CoverageCell, CoverageRow, LogEntry, StreamingAnalysis};
use threatscribe_model::{
    Boundary, DataAsset, Element, Flow, Model, Severity, Status, Stride, Threat,
};

use crate::{Render, Report, Source, Summary, Usage, VERSION};

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
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    categories: Cells<'a>,
}

/// A coverage row's cells as a map keyed by category, written as they are reached.
struct Cells<'a>(&'a [(Stride, CoverageCell)]);

impl Serialize for Cells<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(stride, cell)| (stride.as_str(), cell)))
    }
}

fn coverage_out(row: &CoverageRow) -> CoverageOut<'_> {
    CoverageOut {
        target: &row.target,
        name: &row.name,
        kind: &row.kind,
        categories: Cells(&row.cells),
    }
}

/// The coverage matrix: all in memory, or each row worked out as the serializer reaches it.
enum Coverage<'a> {
    Rows(&'a [CoverageRow]),
    OnDemand(&'a StreamingAnalysis<'a>),
}

impl Serialize for Coverage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            Coverage::Rows(rows) => serializer.collect_seq(rows.iter().map(coverage_out)),
            Coverage::OnDemand(analysis) => {
                let mut seq = serializer.serialize_seq(None)?;
                for row in analysis.coverage() {
                    seq.serialize_element(&coverage_out(&row))?;
                }
                seq.end()
            }
        }
    }
}

/// The findings: all in memory, or each written as the serializer reaches it, so a report of
/// 100,000 findings never holds them all.
enum Threats<'a> {
    Written(&'a [Threat]),
    OnDemand(&'a StreamingAnalysis<'a>),
}

impl Serialize for Threats<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Threats::Written(threats) => serializer.collect_seq(threats.iter()),
            Threats::OnDemand(analysis) => serializer.collect_seq(analysis.threats()),
        }
    }
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
    #[schemars(with = "Vec<Threat>")]
    threats: Threats<'a>,
    summary: SummaryOut,
    #[schemars(with = "Vec<CoverageOut<'static>>")]
    coverage: Coverage<'a>,
    log: &'a [LogEntry],
    usage: Usage,
    /// What the LLM agents did (only with `--llm`): every call with its tokens and cost, every
    /// message, the writer's prose, and what was refused and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<&'a threatscribe_model::LlmRun>,
}

/// What the report says, from an `Analysis` or a `StreamingAnalysis`.
struct Parts<'a> {
    model: &'a Model,
    assumptions: &'a [String],
    questions: &'a [String],
    tracking_notes: &'a [String],
    threats: Threats<'a>,
    summary: Summary,
    coverage: Coverage<'a>,
    log: &'a [LogEntry],
}

fn count_map<K: Copy>(
    counts: &[(K, usize)],
    name: impl Fn(K) -> &'static str,
) -> serde_json::Map<String, serde_json::Value> {
    counts
        .iter()
        .map(|(k, n)| (name(*k).to_owned(), (*n).into()))
        .collect()
}

fn write(
    parts: Parts<'_>,
    source: &Source,
    llm: Option<&threatscribe_model::LlmRun>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let (model, summary) = (parts.model, &parts.summary);
    let document = JsonReport {
        schema_version: SCHEMA_VERSION,
        generator: Generator {
            name: "threatscribe",
            version: VERSION,
        },
        source: SourceInfo {
            path: &source.path,
            kind: &source.kind,
            warnings: &source.warnings,
        },
        model: ModelOut {
            name: &model.name,
            description: model.description.as_deref(),
            elements: &model.elements,
            flows: &model.flows,
            boundaries: &model.boundaries,
            data_assets: &model.data_assets,
        },
        assumptions: parts.assumptions,
        questions: parts.questions,
        tracking_notes: parts.tracking_notes,
        threats: parts.threats,
        summary: SummaryOut {
            total: summary.total,
            open: summary.open,
            mitigated: summary.mitigated,
            by_status: count_map(&summary.by_status, Status::as_str),
            open_by_severity: count_map(&summary.by_severity, Severity::as_str),
            by_stride: count_map(&summary.by_stride, Stride::as_str),
            elements: summary.elements,
            flows: summary.flows,
            boundaries: summary.boundaries,
        },
        coverage: parts.coverage,
        log: parts.log,
        usage: Usage::of(llm),
        llm,
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

impl Render for Json {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let analysis = report.analysis;
        let model = &analysis.model;
        let parts = Parts {
            model,
            assumptions: &analysis.assumptions,
            questions: &analysis.questions,
            tracking_notes: &analysis.tracking_notes,
            threats: Threats::Written(&analysis.threats),
            summary: Summary::of(
                &analysis.threats,
                model.elements.len(),
                model.flows.len(),
                model.boundaries.len(),
            ),
            coverage: Coverage::Rows(&analysis.coverage),
            log: &analysis.log,
        };
        write(parts, report.source, report.llm, out)
    }
}

impl Json {
    /// The same report as `render` gives for `analysis.into_analysis()`, byte for byte, with
    /// each finding written only when its turn comes: memory stays that of the model and the
    /// findings' outlines, whatever the number of findings.
    pub fn render_streaming(
        &self,
        analysis: &StreamingAnalysis<'_>,
        source: &Source,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        let model = analysis.model();
        let parts = Parts {
            model,
            assumptions: &analysis.assumptions,
            questions: &analysis.questions,
            tracking_notes: &analysis.tracking_notes,
            threats: Threats::OnDemand(analysis),
            summary: Summary::count(
                analysis
                    .outlines()
                    .map(|o| (o.stride, o.severity, o.status)),
                model.elements.len(),
                model.flows.len(),
                model.boundaries.len(),
            ),
            coverage: Coverage::OnDemand(analysis),
            log: &analysis.log,
        };
        write(parts, source, None, out)
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
