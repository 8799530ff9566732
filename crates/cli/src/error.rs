//! Everything that can stop a command, and the exit code each one means.

use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};
use threatscribe_intake::{Diagnostic as InputDiagnostic, Level};

/// One problem in an input file, rendered by miette with the offending line.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct InputProblem {
    /// `path:line:column`, or just the path when the position is unknown.
    location: String,
    message: String,
    source_code: NamedSource<String>,
    span: Option<SourceSpan>,
    hint: Option<String>,
    severity: miette::Severity,
}

impl Diagnostic for InputProblem {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.hint
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.span.map(|span| {
            Box::new(std::iter::once(miette::LabeledSpan::new_with_span(
                Some("here".to_owned()),
                span,
            ))) as Box<dyn Iterator<Item = _>>
        })
    }
}

/// Byte offset of a 1-based line and character column in `text`.
fn offset(text: &str, line: u32, column: u32) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start = if line == 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line as usize - 2)
            .map(|(i, _)| i + 1)?
    };
    let rest = &text[start..];
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.len(), |(i, _)| i);
    Some(start + within)
}

impl InputProblem {
    pub fn new(path: &str, text: &str, problem: &InputDiagnostic) -> Self {
        let location = if problem.line > 0 {
            format!("{path}:{}:{}", problem.line, problem.column)
        } else {
            path.to_owned()
        };
        // A snippet of a minified one-line file would print the whole file: past 300
        // characters the location alone says where.
        let line_len = |at: usize| {
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            end - start
        };
        let span = offset(text, problem.line, problem.column)
            .filter(|&at| line_len(at) <= 300)
            .map(|at| SourceSpan::from((at, 1.min(text.len() - at))));
        InputProblem {
            location,
            message: problem.message.clone(),
            source_code: NamedSource::new(path, text.to_owned()),
            span,
            hint: problem.hint.clone(),
            severity: match problem.level {
                Level::Error => miette::Severity::Error,
                Level::Warning => miette::Severity::Warning,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The input is not something threatscribe can analyse; each problem has its position.
    #[error("{} problem(s) in {path}", problems.len())]
    Input {
        path: String,
        problems: Vec<InputProblem>,
    },
    /// The input is unusable as a whole (wrong kind of file, too large, not text).
    #[error("{0}")]
    Unusable(String),
    /// A user rule pack does not compile: one line per problem, with file:line:column.
    #[error("the rule pack has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
    RulePack(Vec<String>),
    /// `--fail-on` found unresolved findings at or above its threshold.
    #[error("gate failed: {} {}finding(s) at or above {threshold} are open:\n  {}", findings.len(), if *new_only { "new " } else { "" }, findings.join("\n  "))]
    Gate {
        threshold: String,
        new_only: bool,
        findings: Vec<String>,
    },
    /// `--llm-required` and the LLM failed; the built-in report was written all the same.
    #[error("{0}")]
    LlmFailed(String),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Input { .. } | Self::Unusable(_) | Self::RulePack(_) => 2,
            Self::Gate { .. } => 1,
            Self::Read { .. } | Self::Write { .. } => 3,
            Self::LlmFailed(_) => 4,
        }
    }

    /// Prints the error to stderr, each input problem with its source line.
    pub fn print(self) {
        match self {
            Self::Input { problems, .. } => {
                for problem in problems {
                    eprintln!("{:?}", miette::Report::new(problem));
                }
            }
            other => eprintln!("error: {other}"),
        }
    }
}
