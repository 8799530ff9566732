//! Reading the input a user names: a path or `-` for stdin, checked to be a model file's text.

use std::io::Read as _;
use std::path::Path;

use threatscribe_intake::{Format, IntakeError, ParsedModel, parse_model};
use threatscribe_kb::KnowledgeBase;

use crate::error::{CliError, InputProblem};

/// Inputs larger than this are refused before parsing.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// An input read into memory, as text.
pub struct Input {
    /// As given on the command line.
    pub path: String,
    pub text: String,
    pub format: Format,
}

impl Input {
    pub fn read(path: &str) -> Result<Self, CliError> {
        let bytes = if path == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| CliError::Read {
                    path: "stdin".into(),
                    source,
                })?;
            bytes
        } else {
            let metadata = std::fs::metadata(path).map_err(|source| CliError::Read {
                path: path.into(),
                source,
            })?;
            if metadata.is_dir() {
                return Err(CliError::Unusable(format!(
                    "{path} is a directory; give a model file (.yaml, .yml or .json)"
                )));
            }
            if metadata.len() > MAX_INPUT_BYTES as u64 {
                return Err(too_large(path));
            }
            std::fs::read(path).map_err(|source| CliError::Read {
                path: path.into(),
                source,
            })?
        };
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(too_large(path));
        }
        let format = if path == "-" {
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
                Format::Json
            } else {
                Format::Yaml
            }
        } else {
            Format::from_path(path).ok_or_else(|| {
                CliError::Unusable(format!(
                    "{path} is not a model file (.yaml, .yml or .json). Reading plain-English descriptions is not built yet: \
                     describe the architecture as a model file (see `threatscribe schema` and examples/blog/model.yaml)"
                ))
            })?
        };
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            return Err(CliError::Unusable(format!(
                "{path}: byte {at} is NUL: this looks like a binary file, not a model"
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            CliError::Unusable(format!(
                "{path}: not valid UTF-8 (byte {} is not part of a UTF-8 character)",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(Input {
            path: path.to_owned(),
            text,
            format,
        })
    }

    /// The model's default name: the file's stem, or "stdin".
    pub fn default_name(&self) -> String {
        if self.path == "-" {
            return "stdin".to_owned();
        }
        Path::new(&self.path)
            .file_stem()
            .map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned())
    }

    pub fn kind(&self) -> &'static str {
        match self.format {
            Format::Yaml => "YAML model file",
            Format::Json => "JSON model file",
        }
    }

    /// Parses and validates the model, or explains every problem with its position.
    pub fn parse(&self, kb: &KnowledgeBase) -> Result<ParsedModel, CliError> {
        parse_model(&self.text, self.format, &self.default_name(), kb).map_err(
            |error: IntakeError| CliError::Input {
                path: self.display_path(),
                problems: error
                    .diagnostics()
                    .iter()
                    .map(|d| InputProblem::new(&self.display_path(), &self.text, d))
                    .collect(),
            },
        )
    }

    pub fn display_path(&self) -> String {
        if self.path == "-" {
            "<stdin>".to_owned()
        } else {
            self.path.clone()
        }
    }

    /// Prints the intake's warnings to stderr, with source lines.
    pub fn print_warnings(&self, parsed: &ParsedModel) {
        for warning in &parsed.warnings {
            eprintln!(
                "{:?}",
                miette::Report::new(InputProblem::new(&self.display_path(), &self.text, warning))
            );
        }
    }
}

fn too_large(path: &str) -> CliError {
    CliError::Unusable(format!(
        "{path} is larger than {} MiB, the most threatscribe reads",
        MAX_INPUT_BYTES / (1024 * 1024)
    ))
}
