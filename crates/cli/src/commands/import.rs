//! `threatscribe import`: another tool's threat model becomes an editable threatscribe model file.

use std::path::PathBuf;

use threatscribe_intake::model_to_yaml;
use threatscribe_kb::KnowledgeBase;

use crate::error::CliError;
use crate::input::Input;
use crate::output;

/// Convert another tool's threat model into a threatscribe model file.
///
/// Reads OWASP Threat Dragon JSON (v1 and v2), OWASP pytm JSON, Threagile YAML, Open Threat
/// Model (OTM, JSON or YAML) and TM-BOM (native or CycloneDX) JSON files; the format is
/// recognised from the file's content. Elements, flows, trust boundaries and the file's own
/// threats come across (Threat Dragon boundary membership is worked out from the diagram
/// geometry); what a format cannot say (technologies in Threat Dragon files, products in
/// Threagile ones, element kinds in OTM) is listed in the model's assumptions and questions.
/// `analyze` reads these files directly too; import when you want to edit the model and keep it
/// as code.
///
/// Example: threatscribe import threat-dragon.json -o model.yaml
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import, or `-` for stdin.
    pub input: String,
    /// Write the model file here (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let input = Input::read(&args.input)?;
    if input.foreign.is_none() {
        return Err(CliError::Unusable(format!(
            "{}: not a file threatscribe can import: it is not OWASP Threat Dragon JSON \
             (a `detail.diagrams` list), an OWASP pytm JSON model (`elements` with `__class__`), \
             a Threagile YAML model (`threagile_version`), an OTM file (`otmVersion`), a TM-BOM \
             file (`scope` and `data_flows`) or a CycloneDX BOM with `threat-model` components",
            input.display_path()
        )));
    }
    let parsed = input.parse(KnowledgeBase::builtin())?;
    input.print_warnings(&parsed);
    let source = format!("the {} `{}`", input.kind(), input.display_path());
    output::write(
        args.output.as_deref(),
        model_to_yaml(&parsed.model, &parsed.notes, &source).as_bytes(),
    )
}
