//! `threatscribe schema`: the JSON Schema of the model file, or of the JSON report.

use crate::error::CliError;
use crate::output;

/// Print the JSON Schema of the model file (or, with --report, of the JSON report).
///
/// Point your editor at the model schema for completion and validation: start a model file with
/// `# yaml-language-server: $schema=PATH` where PATH is this output saved to a file. Both are
/// checked in as schemas/model.schema.json and schemas/report.schema.json.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the schema of the JSON report (`analyze --format json`) instead.
    #[arg(long)]
    pub report: bool,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let schema = if args.report {
        threatscribe_report::report_schema()
    } else {
        threatscribe_intake::model_file_schema()
    };
    output::write(None, schema.as_bytes())
}
