//! `threatscribe analyze`: the whole pipeline on one input.

use std::path::PathBuf;

use clap::ValueEnum;
use threatscribe_engine::{LogEntry, Role, analyze};
use threatscribe_report::{Json, Markdown, Render, Report, Source, Usage};

use crate::error::CliError;
use crate::input::Input;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Markdown report for people: summary, results, diagram, discussion, appendix.
    Md,
    /// JSON report for tools (schema_version 1).
    Json,
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
    /// Report format. Defaults to the output file's extension (.json gives json), else md.
    #[arg(short, long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Write the report to this file (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not print the input's warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Add a rule pack: a directory laid out like kb/ (threats/, controls/, technologies/,
    /// tags/, properties/). Its rules add to the built-in ones; a rule with a built-in id
    /// replaces that rule.
    #[arg(long, value_name = "DIR")]
    pub kb: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let kb = crate::knowledge::load(args.kb.as_deref())?;
    let input = Input::read(&args.input)?;
    let parsed = input.parse(kb)?;
    if !args.quiet {
        input.print_warnings(&parsed);
    }
    let mut analysis = analyze(&parsed.model, kb);
    let model = &parsed.model;
    analysis.log.insert(
        0,
        LogEntry {
            role: Role::Architect,
            message: format!(
                "Read {} `{}`: {} elements, {} flows, {} trust boundaries, {} data assets; {} warnings.",
                input.kind(),
                input.display_path(),
                model.elements.len(),
                model.flows.len(),
                model.boundaries.len(),
                model.data_assets.len(),
                parsed.warnings.len()
            ),
        },
    );
    let source = Source {
        path: input.display_path(),
        kind: input.kind().to_owned(),
        text: input.text.clone(),
        warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
    };
    let report = Report {
        analysis: &analysis,
        source: &source,
        usage: Usage::default(),
        knowledge_base: (kb.rules.len(), kb.controls.len(), kb.catalog.len()),
    };
    let format = args.format.unwrap_or_else(|| match &args.output {
        Some(path)
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
        {
            OutputFormat::Json
        }
        _ => OutputFormat::Md,
    });
    let mut bytes = Vec::new();
    let rendered = match format {
        OutputFormat::Md => Markdown.render(&report, &mut bytes),
        OutputFormat::Json => Json.render(&report, &mut bytes),
    };
    rendered.map_err(|source| CliError::Write {
        path: "report".into(),
        source,
    })?;
    output::write(args.output.as_deref(), &bytes)
}
