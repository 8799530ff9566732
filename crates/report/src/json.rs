//! The JSON report: the versioned contract of DESIGN.md, plus summary, coverage and log.
//!
//! Key decision: the document is written field by field in `serde_json`'s pretty layout, not
//! serialized whole, so the findings (nearly all of a large report) can be printed one chunk
//! at a time on every core and spliced in order, and, from a `StreamingAnalysis`, written only
//! as they are printed. The bytes are those `serde_json::to_writer_pretty` gives for the whole.

use std::io;

use serde::{Serialize, Serializer};
use threatscribe_engine::{CoverageCell, CoverageRow, LogEntry, StreamingAnalysis};
use threatscribe_model::{
    Boundary, DataAsset, Element, Flow, Model, Severity, Status, Stride, Threat,
};

use crate::{Render, Report, Source, Summary, Usage, VERSION};

mod printer;

use printer::Printer;

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

// A coverage row as the report prints it: the schema's description, and the layout `Printer`
// reproduces (its test compares the two).
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

#[cfg(test)]
fn coverage_out(row: &CoverageRow) -> CoverageOut<'_> {
    CoverageOut {
        target: &row.target,
        name: &row.name,
        kind: &row.kind,
        categories: Cells(&row.cells),
    }
}

/// The coverage matrix: all in memory, or each row worked out when its turn comes.
enum Coverage<'a> {
    Rows(&'a [CoverageRow]),
    OnDemand(&'a StreamingAnalysis<'a>),
}

impl Array for Coverage<'_> {
    fn len(&self) -> usize {
        match self {
            Coverage::Rows(rows) => rows.len(),
            Coverage::OnDemand(analysis) => analysis.coverage_len(),
        }
    }

    fn write_one(&self, index: usize, buffer: &mut Vec<u8>, _: &mut Printer) -> io::Result<()> {
        match self {
            Coverage::Rows(rows) => Printer::coverage_row(buffer, &rows[index]),
            Coverage::OnDemand(analysis) => {
                Printer::coverage_row(buffer, &analysis.coverage_row(index));
            }
        }
        Ok(())
    }
}

/// A top-level array of the report whose items can be printed apart, in any order.
trait Array: Sync {
    fn len(&self) -> usize;

    /// Appends the item at `index` to `buffer` as the report's pretty JSON prints it (an
    /// element of a top-level field's array: two levels deep), with what the thread's
    /// `printer` kept from the items before.
    fn write_one(
        &self,
        index: usize,
        buffer: &mut Vec<u8>,
        printer: &mut Printer,
    ) -> io::Result<()>;
}

/// The findings: all in memory, or each written when its turn comes.
enum Threats<'a> {
    Written(&'a [Threat]),
    OnDemand(&'a StreamingAnalysis<'a>),
}

impl Array for Threats<'_> {
    fn len(&self) -> usize {
        match self {
            Threats::Written(threats) => threats.len(),
            Threats::OnDemand(analysis) => analysis.len(),
        }
    }

    fn write_one(
        &self,
        index: usize,
        buffer: &mut Vec<u8>,
        printer: &mut Printer,
    ) -> io::Result<()> {
        match self {
            Threats::Written(threats) => printer.finding(buffer, &threats[index]),
            Threats::OnDemand(analysis) => printer.finding(buffer, &analysis.threat(index)),
        }
    }
}

// `write` prints this field by field, in this order; it destructures the struct, so a new field
// does not compile until it is written.
/// The threatscribe JSON report, `schema_version` 1.
#[derive(schemars::JsonSchema)]
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
    let JsonReport {
        schema_version,
        generator,
        source,
        model,
        assumptions,
        questions,
        tracking_notes,
        threats,
        summary,
        coverage,
        log,
        usage,
        llm,
    } = JsonReport {
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
    let mut document = Document::start(out)?;
    document.field("schema_version", &schema_version)?;
    document.field("generator", &generator)?;
    document.field("source", &source)?;
    document.field("model", &model)?;
    document.field("assumptions", &assumptions)?;
    document.field("questions", &questions)?;
    document.field("tracking_notes", &tracking_notes)?;
    document.array("threats", &threats)?;
    document.field("summary", &summary)?;
    document.array("coverage", &coverage)?;
    document.field("log", &log)?;
    document.field("usage", &usage)?;
    if let Some(llm) = llm {
        document.field("llm", llm)?;
    }
    document.finish()
}

/// Indentation of the report's top-level fields, and of the elements of its arrays.
const FIELD_INDENT: &[u8] = b"  ";
const ELEMENT_INDENT: &[u8] = b"    ";

/// The report's top-level object, written field by field exactly as `serde_json`'s pretty
/// printer writes a whole document (two spaces per level), so the findings can be printed
/// apart, on other threads, and spliced in.
struct Document<'w> {
    out: &'w mut dyn io::Write,
    first: bool,
}

impl<'w> Document<'w> {
    fn start(out: &'w mut dyn io::Write) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Document { out, first: true })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        self.out.write_all(FIELD_INDENT)?;
        serde_json::to_writer(&mut *self.out, key).map_err(io::Error::other)?;
        self.out.write_all(b": ")
    }

    fn field(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        // serde writes token by token: through a buffer of a known type each write is a copy,
        // not a call through `dyn Write` (the model alone is 6 MB at 10,000 elements).
        let mut buffered = io::BufWriter::with_capacity(64 << 10, &mut *self.out);
        write_at(&mut buffered, 1, value)?;
        io::Write::flush(&mut buffered)
    }

    /// An array of findings or coverage rows. A large one is printed by one thread per core,
    /// in chunks handed back in order: each thread works out an item (a finding of a streaming
    /// analysis is written then) and prints it, so what a thread allocates it also frees.
    fn array(&mut self, key: &str, items: &impl Array) -> io::Result<()> {
        self.key(key)?;
        let n = items.len();
        if n == 0 {
            return self.out.write_all(b"[]");
        }
        self.out.write_all(b"[")?;
        let print = |printer: &mut Printer, range: std::ops::Range<usize>| {
            // About 2 KiB a finding (a coverage row is half that): grown once or twice, not at
            // every field.
            let mut buffer = Vec::with_capacity(range.len() * 2048);
            for index in range {
                buffer.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
                buffer.extend_from_slice(ELEMENT_INDENT);
                items.write_one(index, &mut buffer, printer)?;
            }
            Ok(buffer)
        };
        in_order(n, print, |chunk| self.out.write_all(&chunk))?;
        self.out.write_all(b"\n")?;
        self.out.write_all(FIELD_INDENT)?;
        self.out.write_all(b"]")
    }

    fn finish(self) -> io::Result<()> {
        self.out.write_all(b"\n}\n")
    }
}

/// Calls `print` on consecutive ranges covering `0..n` and `take` on each result, in order.
/// From `PARALLEL_FROM` items on and with more than one core, one thread per core prints while
/// the caller's thread takes (writes) what they printed: thread k prints chunks k, k + t,
/// k + 2t..., each handing its chunks over a short queue, so memory holds a few chunks only.
/// Each printing thread has a state of its own, passed to every `print` it makes.
pub(crate) fn in_order<S: Default>(
    n: usize,
    print: impl Fn(&mut S, std::ops::Range<usize>) -> io::Result<Vec<u8>> + Sync,
    mut take: impl FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    const CHUNK: usize = 128;
    const PARALLEL_FROM: usize = 2_000;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if n < PARALLEL_FROM || threads < 2 {
        return take(print(&mut S::default(), 0..n)?);
    }
    let chunks = n.div_ceil(CHUNK);
    std::thread::scope(|scope| {
        let print = &print;
        let receivers: Vec<_> = (0..threads)
            .map(|k| {
                let (sender, receiver) = std::sync::mpsc::sync_channel(2);
                scope.spawn(move || {
                    let mut state = S::default();
                    for chunk in (k..chunks).step_by(threads) {
                        let start = chunk * CHUNK;
                        let printed = print(&mut state, start..(start + CHUNK).min(n));
                        let failed = printed.is_err();
                        // A closed queue means the writer stopped: nothing more is wanted.
                        if sender.send(printed).is_err() || failed {
                            return;
                        }
                    }
                });
                receiver
            })
            .collect();
        for chunk in 0..chunks {
            let printed = receivers[chunk % threads]
                .recv()
                .map_err(|_| io::Error::other("a report thread stopped"))??;
            take(printed)?;
        }
        Ok(())
    })
}

/// Prints `value` in `serde_json`'s pretty layout for a value `depth` levels deep in a document.
pub(crate) fn write_at<W: io::Write + ?Sized>(
    out: &mut W,
    depth: usize,
    value: &impl Serialize,
) -> io::Result<()> {
    value
        .serialize(&mut serde_json::Serializer::with_formatter(
            out,
            Pretty::at(depth),
        ))
        .map_err(io::Error::other)
}

/// `serde_json`'s pretty layout (two spaces per level, `": "` after keys, empty arrays and
/// objects as `[]` and `{}`), for a value that starts `depth` levels deep in the document.
struct Pretty {
    depth: usize,
    /// Whether the array or object being written has had an element yet.
    has_value: bool,
}

impl Pretty {
    fn at(depth: usize) -> Self {
        Pretty {
            depth,
            has_value: false,
        }
    }

    fn line<W: ?Sized + io::Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        (0..self.depth).try_for_each(|_| out.write_all(FIELD_INDENT))
    }

    fn open<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            (0..self.depth).try_for_each(|_| out.write_all(FIELD_INDENT))?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line(out, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line(out, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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
    use std::io;

    use super::in_order;

    /// Enough items for the threads to take part (on a machine with more than one core).
    const MANY: usize = 10_007;

    /// Each index followed by a comma: the whole range printed at once is the expected output.
    fn print(range: std::ops::Range<usize>) -> Vec<u8> {
        use std::io::Write as _;
        let mut out = Vec::new();
        for i in range {
            write!(out, "{i},").expect("writes to a Vec");
        }
        out
    }

    #[test]
    fn chunks_printed_on_threads_are_taken_in_order_and_complete() {
        let mut out = Vec::new();
        in_order(
            MANY,
            |&mut (), range| Ok(print(range)),
            |chunk| {
                out.extend(chunk);
                Ok(())
            },
        )
        .expect("printed");
        assert!(out == print(0..MANY), "out of order or incomplete");
    }

    #[test]
    fn a_failure_on_either_side_stops_the_report_without_hanging() {
        fn failing(_: &mut (), range: std::ops::Range<usize>) -> io::Result<Vec<u8>> {
            if range.contains(&7_000) {
                Err(io::Error::other("print failed"))
            } else {
                Ok(print(range))
            }
        }
        let error = in_order(MANY, failing, |_| Ok(())).expect_err("the print error");
        assert_eq!(error.to_string(), "print failed");

        let mut taken = 0;
        let error = in_order(
            MANY,
            |&mut (), range| Ok(print(range)),
            |_| {
                taken += 1;
                if taken == 3 {
                    Err(io::Error::other("disk full"))
                } else {
                    Ok(())
                }
            },
        )
        .expect_err("the write error");
        assert_eq!(error.to_string(), "disk full");
    }

    #[test]
    fn the_formatter_lays_out_values_as_serde_json_pretty_does() {
        use serde::Serialize as _;
        let value = serde_json::json!({
            "empty_array": [], "empty_object": {}, "text": "a \"quoted\"\nline",
            "nested": [[], {}, [1, [2, {"deep": [null, true, 1.5]}]], {"a": {"b": []}}],
            "number": -3
        });
        let mut ours = Vec::new();
        value
            .serialize(&mut serde_json::Serializer::with_formatter(
                &mut ours,
                super::Pretty::at(0),
            ))
            .expect("serialised");
        let theirs = serde_json::to_string_pretty(&value).expect("serialised");
        assert_eq!(String::from_utf8(ours).expect("utf-8"), theirs);
    }

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
