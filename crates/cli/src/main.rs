//! The `threatscribe` command: parses arguments, runs one subcommand, maps the outcome to an
//! exit code. All printing happens here and in `commands/`; the library crates return values.

// Doc comments here are `--help` text shown in a terminal, where Markdown backticks would print.
#![allow(clippy::doc_markdown)]

mod clock;
mod commands;
mod error;
mod input;
mod knowledge;
mod llm;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Key decision: mimalloc, not the system allocator. A large report allocates and frees every
/// finding's texts on two printing threads at once; glibc's malloc spent a fifth of the
/// instructions of a 10,000-element analysis and contended between the threads (user time 0.79 s
/// against 0.66 s, same bytes out). Version 2 of mimalloc, not 3: 3 keeps freed memory for a
/// second before returning it, which took the peak at 10,000 elements from 76 to 125 MiB; 2 gives
/// 87 MiB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Threat modeling from architecture models: STRIDE on every element and flow, mitigations
/// written for the technologies you use, risk ratings, a data flow diagram, and the
/// assumptions and open questions, offline.
///
/// Exit codes: 0 success; 1 the --fail-on gate found open findings at or above its severity; 2 invalid input or usage
/// (the message says what and where, as file:line:column); 3 an input or output file could not
/// be read or written.
#[derive(Debug, Parser)]
#[command(
    name = "threatscribe",
    version,
    about,
    long_about,
    max_term_width = 100
)]
struct Cli {
    /// The largest input read, in MiB (default: 32 for model files, 1 for descriptions).
    #[arg(long, global = true, value_name = "MIB")]
    max_input_mib: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Analyze(commands::analyze::Args),
    Init(commands::init::Args),
    Import(commands::import::Args),
    Export(commands::export::Args),
    Diff(commands::diff::Args),
    Validate(commands::validate::Args),
    Schema(commands::schema::Args),
    Kb(commands::kb::Args),
    Serve(commands::serve::Args),
}

fn main() -> ExitCode {
    // Messages stay on one line, whatever the terminal width: they carry file:line:column
    // that people copy and tools grep.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    if let Some(limit) = cli.max_input_mib {
        input::set_input_limit(limit);
    }
    let result = match cli.command {
        Command::Analyze(args) => commands::analyze::run(&args),
        Command::Init(args) => commands::init::run(&args),
        Command::Import(args) => commands::import::run(&args),
        Command::Export(args) => commands::export::run(&args),
        Command::Diff(args) => commands::diff::run(&args),
        Command::Validate(args) => commands::validate::run(&args),
        Command::Schema(args) => commands::schema::run(&args),
        Command::Kb(args) => commands::kb::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            error.print();
            ExitCode::from(code)
        }
    }
}
