//! `threatscribe init`: a description becomes an editable model file.

use std::path::PathBuf;

use threatscribe_intake::model_to_yaml;
use threatscribe_kb::KnowledgeBase;

use crate::error::CliError;
use crate::input::Input;
use crate::output;

/// Read a plain-English description and write it as an editable, commented model file.
///
/// Each element and flow carries a comment with the words it came from or the reason it was
/// inferred; the model's assumptions and open questions are listed at the top. Analysing the file
/// gives the same threats as analysing the description; edit it to correct the reading or to
/// declare mitigations.
///
/// Example: threatscribe init design.txt -o model.yaml
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The description to read (any text file), or `-` for stdin.
    pub input: String,
    /// Write the model file here (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let input = Input::read(&args.input)?;
    let parsed = input.parse(KnowledgeBase::builtin())?;
    input.print_warnings(&parsed);
    let source = format!("the {} `{}`", input.kind(), input.display_path());
    output::write(
        args.output.as_deref(),
        model_to_yaml(&parsed.model, &parsed.notes, &source).as_bytes(),
    )
}
