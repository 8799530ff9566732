//! `threatscribe diff`: what changed between two versions of a threat model.

use std::path::PathBuf;

use clap::ValueEnum;
use threatscribe_engine::analyze_on;
use threatscribe_kb::KnowledgeBase;
use threatscribe_model::{Model, Threat};
use threatscribe_report::{Diff, Version};

use crate::error::CliError;
use crate::input::Input;
use crate::output;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Md,
    Json,
}

/// Compare two versions of a threat model: elements, flows and boundaries added, removed or
/// changed; findings new, resolved, or changed in severity or status.
///
/// Each side is a model file (analysed now), a description, or a JSON report written earlier
/// with `analyze --format json`.
///
/// Example: threatscribe diff main/model.yaml branch/model.yaml
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier version.
    pub old: String,
    /// The later version.
    pub new: String,
    #[arg(short, long, value_enum, default_value = "md")]
    pub format: DiffFormat,
    /// Write the comparison to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A side of the comparison: a JSON report's model and findings, or a model analysed now.
fn load(path: &str) -> Result<(Model, Vec<Threat>), CliError> {
    let input = Input::read(path)?;
    let looks_like_report =
        input.text.trim_start().starts_with('{') && input.text.contains("\"schema_version\"");
    if looks_like_report {
        #[derive(serde::Deserialize)]
        struct ReportFile {
            model: Model,
            threats: Vec<Threat>,
        }
        let report: ReportFile = serde_json::from_str(&input.text).map_err(|e| {
            CliError::Unusable(format!("{path}: not a threatscribe JSON report: {e}"))
        })?;
        return Ok((report.model, report.threats));
    }
    let kb = KnowledgeBase::builtin();
    let parsed = input.parse(kb)?;
    let analysis = analyze_on(&parsed.model, kb, Some(&crate::clock::today()));
    Ok((analysis.model.clone(), analysis.threats))
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let (old_model, old_threats) = load(&args.old)?;
    let (new_model, new_threats) = load(&args.new)?;
    let diff = Diff::between(
        &Version {
            label: &args.old,
            model: &old_model,
            threats: &old_threats,
        },
        &Version {
            label: &args.new,
            model: &new_model,
            threats: &new_threats,
        },
    );
    let text = match args.format {
        DiffFormat::Md => diff.to_markdown(),
        DiffFormat::Json => diff.to_json(),
    };
    output::write(args.output.as_deref(), text.as_bytes())
}
