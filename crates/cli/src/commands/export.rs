//! `threatscribe export`: the model and its findings in another tool's format.

use std::path::PathBuf;

use threatscribe_engine::analyze_on;
use threatscribe_kb::KnowledgeBase;

use crate::error::CliError;
use crate::input::Input;
use crate::output;

/// The formats `export` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Target {
    /// Open Threat Model 0.2.0 JSON: trust zones, components, data flows, assets, and every
    /// finding as a threat with its state and mitigations.
    Otm,
    /// OWASP Threat Dragon v2 JSON: one STRIDE diagram laid out as threatscribe draws it, with
    /// every finding on its element or flow.
    ThreatDragon,
    /// TM-BOM JSON, the OWASP Threat Model Library's schema (v1.0.1): trust zones, actors,
    /// components, data stores, data sets and flows, and every finding as a threat with its
    /// controls (their status is the finding's) and its risk rating.
    TmBom,
}

/// Analyse a model and write it, with its findings, in another tool's format.
///
/// The input is anything `analyze` reads. The output carries the architecture and every
/// finding with its STRIDE categories, severity, status and mitigations, so colleagues can keep
/// working in their tool; threatscribe reads the file back with `import` or `analyze`.
///
/// Example: threatscribe export model.yaml --to threat-dragon -o model.td.json
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model file or description to export, or `-` for stdin.
    pub input: String,
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Write here (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let kb = KnowledgeBase::builtin();
    let input = Input::read(&args.input)?;
    let parsed = input.parse(kb)?;
    input.print_warnings(&parsed);
    let today = crate::clock::today();
    let analysis = analyze_on(&parsed.model, kb, Some(&today));
    let value = match args.to {
        Target::Otm => threatscribe_interop::export_otm(&analysis.model, &analysis.threats),
        Target::TmBom => threatscribe_interop::export_tmbom(&analysis.model, &analysis.threats),
        Target::ThreatDragon => {
            let (elements, boundaries) = threatscribe_report::placements(&analysis);
            threatscribe_interop::export_threat_dragon(
                &analysis.model,
                &analysis.threats,
                &elements,
                &boundaries,
            )
        }
    };
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    text.push('\n');
    output::write(args.output.as_deref(), text.as_bytes())
}
