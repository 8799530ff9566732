//! `threatscribe analyze`: the whole pipeline on one input.

use std::path::PathBuf;

use clap::ValueEnum;
use threatscribe_engine::{LogEntry, Role, StreamingAnalysis, analyze_on};
use threatscribe_model::Severity;
use threatscribe_report::{
    Baseline, Csv, Html, Json, Markdown, Render, Report, Sarif, Source, dot, mermaid, svg,
};

use crate::error::CliError;
use crate::input::Input;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Markdown report for people: summary, results, diagram, discussion, appendix.
    Md,
    /// One self-contained HTML page: diagram, filterable findings, coverage matrix.
    Html,
    /// JSON report for tools (schema_version 1).
    Json,
    /// SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).
    Sarif,
    /// CSV, one row per threat, for spreadsheets and ticket imports.
    Csv,
}

impl OutputFormat {
    const ALL: [OutputFormat; 5] = [Self::Md, Self::Html, Self::Json, Self::Sarif, Self::Csv];

    fn extension(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Html => "html",
            Self::Json => "json",
            Self::Sarif => "sarif",
            Self::Csv => "csv",
        }
    }

    fn from_extension(path: &std::path::Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|f| f.extension() == extension)
    }
}

/// The severities a gate can stop at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateSeverity {
    Low,
    Medium,
    High,
    Critical,
}

impl GateSeverity {
    fn severity(self) -> Severity {
        match self {
            Self::Low => Severity::Low,
            Self::Medium => Severity::Medium,
            Self::High => Severity::High,
            Self::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Mermaid flowchart source (renders on GitHub).
    Mermaid,
    /// Graphviz DOT source.
    Dot,
    /// SVG drawn by threatscribe itself.
    Svg,
}

/// Analyse an architecture model and write its threat model report.
///
/// Reads a model file (.yaml, .yml or .json; `-` reads stdin), applies STRIDE to every element
/// and flow with the built-in knowledge base, and writes the report. The same input always gives
/// the same output, byte for byte.
///
/// Example: threatscribe analyze examples/blog/model.yaml -o report.md
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model file to analyse, or `-` for stdin.
    pub input: String,
    /// Report format. Defaults to the output file's extension (.html, .json, .sarif, .csv), else md.
    #[arg(short, long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write only the data flow diagram, in this format, instead of a report.
    #[arg(long, value_enum, conflicts_with = "format")]
    pub diagram: Option<DiagramFormat>,
    /// Write the report to this file (replaced atomically) instead of stdout. A directory (an
    /// existing one, or a path ending in `/`) receives every format and every diagram:
    /// report.md, report.html, report.json, report.sarif, report.csv, dfd.mmd, dfd.dot, dfd.svg.
    #[arg(short, long, value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,
    /// Do not print the input's warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit 1 when an open (or in-progress) finding is at or above this severity. Mitigated,
    /// accepted, transferred and false-positive findings do not count. With --baseline, only
    /// findings new since the baseline count.
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on: Option<GateSeverity>,
    /// An earlier JSON report (`--format json`): the gate counts only findings that are not in
    /// it, and SARIF results carry their baselineState (new, unchanged, updated).
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Tracking decisions kept apart from the model: a YAML file with a `tracking:` list (the
    /// same entries a model file's `tracking:` takes). Its entries come after the model's.
    #[arg(long, value_name = "FILE")]
    pub tracking: Option<PathBuf>,
    /// Add a rule pack: a directory laid out like kb/ (threats/, controls/, technologies/,
    /// tags/, properties/). Its rules add to the built-in ones; a rule with a built-in id
    /// replaces that rule.
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let kb = crate::knowledge::load(args.kb.as_deref())?;
    let input = Input::read(&args.input)?;
    let mut parsed = input.parse(kb)?;
    if !args.quiet {
        input.print_warnings(&parsed);
    }
    let read = Read::of(&input, &parsed);
    // Taken, not cloned: on a large model the copy is tens of MiB.
    let mut model = std::mem::take(&mut parsed.model);
    if let Some(path) = &args.tracking {
        model.tracking.extend(crate::input::read_tracking(path)?);
    }
    let baseline = args.baseline.as_deref().map(read_baseline).transpose()?;
    let today = crate::clock::today();
    let llm = args.llm.settings(args.quiet)?;
    if let Some(settings) = llm.as_ref().filter(|_| args.llm.dry_run) {
        let calls = threatscribe_agents::plan(settings, &input.text, &model, kb, Some(&today));
        crate::llm::print_plan(settings, &calls);
        return Ok(());
    }
    let format = args
        .format
        .or_else(|| {
            args.output
                .as_deref()
                .and_then(OutputFormat::from_extension)
        })
        .unwrap_or(OutputFormat::Md);
    let to_directory = args
        .output
        .as_deref()
        .filter(|p| p.is_dir() || p.to_string_lossy().ends_with('/'));
    if llm.is_none()
        && to_directory.is_none()
        && args.diagram.is_none()
        && matches!(
            format,
            OutputFormat::Json | OutputFormat::Csv | OutputFormat::Sarif
        )
    {
        // JSON and CSV do not print the input: its text is let go before the analysis. SARIF
        // looks in it for the tracking entries a suppression rests on.
        let mut source = source_of(input, parsed);
        if format != OutputFormat::Sarif {
            source.text = String::new();
        }
        let result = streaming(
            args,
            format,
            &source,
            &read,
            &model,
            kb,
            &today,
            baseline.as_ref(),
        );
        // The process ends next: freeing a large model allocation by allocation would only
        // delay the exit.
        std::mem::forget((model, source));
        return result;
    }
    let (model, mut analysis, run) = match &llm {
        None => {
            let analysis = analyze_on(&model, kb, Some(&today));
            (model, analysis, None)
        }
        Some(settings) => {
            let outcome =
                threatscribe_agents::analyze(settings, &input.text, &model, kb, Some(&today));
            (outcome.model, outcome.analysis, Some(outcome.run))
        }
    };
    let llm_failure = run
        .as_ref()
        .and_then(|run| crate::llm::report_problems(run, args.quiet))
        .filter(|_| args.llm.llm_required);
    print_tracking_notes(args, &analysis.tracking_notes);
    analysis.log.splice(0..0, read.log(&model, run.as_ref()));
    let source = source_of(input, parsed);
    let report = Report {
        analysis: &analysis,
        source: &source,
        llm: run.as_ref(),
        knowledge_base: (kb.rules.len(), kb.controls.len(), kb.catalog.len()),
        baseline,
    };
    let check_gate = |report: &Report<'_>| {
        let threats = &report.analysis.threats;
        gate(
            args,
            report.baseline.as_ref(),
            threats
                .iter()
                .map(|t| (t.id.as_str(), t.severity, t.status)),
            |i| threats[i].title.clone(),
        )
    };
    write_reports(args, format, to_directory, &report)?;
    match llm_failure {
        // The gate cannot be trusted on a partial run.
        Some(failure) => Err(CliError::LlmFailed(failure)),
        None => check_gate(&report),
    }
}

/// Writes the report in `format`, the diagram (`--diagram`), or every format and diagram into
/// `directory`.
fn write_reports(
    args: &Args,
    format: OutputFormat,
    directory: Option<&std::path::Path>,
    report: &Report<'_>,
) -> Result<(), CliError> {
    let analysis = report.analysis;
    if let Some(dir) = directory {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        for format in OutputFormat::ALL {
            output::write_with(
                Some(&dir.join(format!("report.{}", format.extension()))),
                &mut |out| render(format, report, out),
            )?;
        }
        for (name, diagram) in [
            ("dfd.mmd", DiagramFormat::Mermaid),
            ("dfd.dot", DiagramFormat::Dot),
            ("dfd.svg", DiagramFormat::Svg),
        ] {
            output::write(Some(&dir.join(name)), draw(diagram, analysis).as_bytes())?;
        }
    } else if let Some(diagram) = args.diagram {
        output::write(args.output.as_deref(), draw(diagram, analysis).as_bytes())?;
    } else {
        output::write_with(args.output.as_deref(), &mut |out| {
            render(format, report, out)
        })?;
    }
    Ok(())
}

/// The JSON or CSV report without an LLM: each finding is written as the report reaches it, so
/// memory stays that of the model whatever the number of findings. The bytes are those of the
/// other path.
#[allow(clippy::too_many_arguments)] // what `run` worked out before choosing this path
fn streaming(
    args: &Args,
    format: OutputFormat,
    source: &Source,
    read: &Read,
    model: &threatscribe_model::Model,
    kb: &threatscribe_kb::KnowledgeBase,
    today: &str,
    baseline: Option<&Baseline>,
) -> Result<(), CliError> {
    let mut analysis = StreamingAnalysis::new(model, kb, Some(today), &[]);
    print_tracking_notes(args, &analysis.tracking_notes);
    analysis.log.splice(0..0, read.log(model, None));
    output::write_with(args.output.as_deref(), &mut |out| match format {
        OutputFormat::Csv => Csv.render_streaming(&analysis, out),
        OutputFormat::Sarif => Sarif.render_streaming(&analysis, source, baseline, out),
        _ => Json.render_streaming(&analysis, source, out),
    })?;
    let gated = gate(
        args,
        baseline,
        analysis.outlines().map(|o| (o.id, o.severity, o.status)),
        |i| analysis.threat(i).title,
    );
    // As the model: the process ends next.
    std::mem::forget(analysis);
    gated
}

fn print_tracking_notes(args: &Args, notes: &[String]) {
    if !args.quiet {
        for note in notes {
            eprintln!("warning: tracking: {note}");
        }
    }
}

/// What was analysed, for the report: the input's text and positions are moved, not copied
/// (on a large model file, tens of MiB).
fn source_of(input: Input, parsed: threatscribe_intake::ParsedModel) -> Source {
    Source {
        path: input.display_path(),
        kind: input.kind().to_owned(),
        warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
        text: input.text,
        locations: parsed.locations,
    }
}

/// What the intake read, for the architect's first log entries.
struct Read {
    entry: LogEntry,
    elements: usize,
    flows: usize,
}

impl Read {
    fn of(input: &Input, parsed: &threatscribe_intake::ParsedModel) -> Self {
        let read = &parsed.model;
        Read {
            entry: LogEntry {
                role: Role::Architect,
                message: format!(
                    "Read {} `{}`: {} elements, {} flows, {} trust boundaries, {} data assets; {} warnings.",
                    input.kind(),
                    input.display_path(),
                    read.elements.len(),
                    read.flows.len(),
                    read.boundaries.len(),
                    read.data_assets.len(),
                    parsed.warnings.len()
                ),
            },
            elements: read.elements.len(),
            flows: read.flows.len(),
        }
    }

    /// The architect's first log entries: what was read, and what the LLM architect added to
    /// it (`model` is the model analysed).
    fn log(
        &self,
        model: &threatscribe_model::Model,
        run: Option<&threatscribe_model::LlmRun>,
    ) -> Vec<LogEntry> {
        let mut entries = vec![self.entry.clone()];
        if let Some(run) = run {
            entries.push(LogEntry {
                role: Role::Architect,
                message: format!(
                    "The architect agent ({}) added {} elements and {} flows the reading missed (each listed under the assumptions with the words it rests on).",
                    run.provider,
                    model.elements.len().saturating_sub(self.elements),
                    model.flows.len().saturating_sub(self.flows)
                ),
            });
        }
        entries
    }
}

fn read_baseline(path: &std::path::Path) -> Result<Baseline, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Baseline::from_json_report(&text)
        .map_err(|problem| CliError::Unusable(format!("--baseline {}: {problem}", path.display())))
}

/// `--fail-on`: the report is written either way; the exit code says whether unresolved
/// findings at or above the threshold (new ones only, with a baseline) remain. `findings` are
/// (id, severity, status) in report order; `title` gives the title of the finding at a position.
fn gate<'a>(
    args: &Args,
    baseline: Option<&Baseline>,
    findings: impl Iterator<Item = (&'a str, Severity, threatscribe_model::Status)>,
    title: impl Fn(usize) -> String,
) -> Result<(), CliError> {
    let Some(threshold) = args.fail_on else {
        return Ok(());
    };
    let failing: Vec<String> = findings
        .enumerate()
        .filter(|(_, (_, severity, status))| {
            status.is_unresolved() && *severity >= threshold.severity()
        })
        .filter(|(_, (id, _, _))| baseline.is_none_or(|b| !b.threats.contains_key(*id)))
        .map(|(i, (id, severity, _))| format!("{id} [{severity}] {}", title(i)))
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    Err(CliError::Gate {
        threshold: threshold.severity().as_str().to_owned(),
        new_only: baseline.is_some(),
        findings: failing,
    })
}

fn render(
    format: OutputFormat,
    report: &Report<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Md => Markdown.render(report, out),
        OutputFormat::Html => Html.render(report, out),
        OutputFormat::Json => Json.render(report, out),
        OutputFormat::Sarif => Sarif.render(report, out),
        OutputFormat::Csv => Csv.render(report, out),
    }
}

fn draw(format: DiagramFormat, analysis: &threatscribe_engine::Analysis) -> String {
    match format {
        DiagramFormat::Mermaid => mermaid(analysis),
        DiagramFormat::Dot => dot(analysis),
        DiagramFormat::Svg => svg(analysis),
    }
}
