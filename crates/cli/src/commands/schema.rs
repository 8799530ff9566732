//! `threatscribe schema`: the JSON Schema of the model file.

use crate::error::CliError;
use crate::output;

/// Print the JSON Schema of the model file.
///
/// Point your editor at it for completion and validation, e.g. start a model file with
/// `# yaml-language-server: $schema=https://.../model.schema.json` or save this output and
/// reference its path. The same schema is checked in as schemas/model.schema.json.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<(), CliError> {
    output::write(None, threatscribe_intake::model_file_schema().as_bytes())
}
