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
    /// Let the LLM architect agent add what the reading missed (see `analyze --help`); each
    /// addition is commented with the words of the input it rests on.
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let input = Input::read(&args.input)?;
    let parsed = input.parse(KnowledgeBase::builtin())?;
    input.print_warnings(&parsed);
    let source = format!("the {} `{}`", input.kind(), input.display_path());
    let kb = KnowledgeBase::builtin();
    let Some(settings) = args.llm.settings(false)? else {
        return output::write(
            args.output.as_deref(),
            model_to_yaml(&parsed.model, &parsed.notes, &source).as_bytes(),
        );
    };
    if args.llm.dry_run {
        let calls = threatscribe_agents::plan(&settings, &input.text, &parsed.model, kb, None);
        crate::llm::print_plan(&settings, &calls[..1]);
        return Ok(());
    }
    let (model, added, run) =
        threatscribe_agents::extend_model(&settings, &input.text, &parsed.model, kb);
    let mut notes = parsed.notes.clone();
    for (id, lines) in added {
        notes.entry(id).or_default().extend(lines);
    }
    let failure = crate::llm::report_problems(&run, false).filter(|_| args.llm.llm_required);
    let (spent_in, spent_out, cost) = run.spent();
    eprintln!(
        "llm: {} calls ({spent_in} input, {spent_out} output tokens, ${cost:.4}); {} additions refused",
        run.calls.len(),
        run.rejected.len()
    );
    for line in &run.rejected {
        eprintln!("  refused: {line}");
    }
    output::write(
        args.output.as_deref(),
        model_to_yaml(&model, &notes, &source).as_bytes(),
    )?;
    failure.map_or(Ok(()), |f| Err(CliError::LlmFailed(f)))
}
