//! `threatscribe validate`: check a model file without analysing it.

use threatscribe_kb::KnowledgeBase;

use crate::error::CliError;
use crate::input::Input;

/// Check a model file and report every problem with file:line:column and a hint.
///
/// Exits 0 when the model is valid (warnings, such as an unknown technology, are printed but do
/// not fail), 2 when it is not.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model file to check (.yaml, .yml or .json), or `-` for stdin.
    pub input: String,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let input = Input::read(&args.input)?;
    let parsed = input.parse(KnowledgeBase::builtin())?;
    input.print_warnings(&parsed);
    let model = &parsed.model;
    println!(
        "{}: valid model `{}`: {} elements, {} flows, {} trust boundaries, {} data assets, {} warnings",
        input.display_path(),
        model.name,
        model.elements.len(),
        model.flows.len(),
        model.boundaries.len(),
        model.data_assets.len(),
        parsed.warnings.len()
    );
    Ok(())
}
