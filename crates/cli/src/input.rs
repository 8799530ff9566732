//! Reading the input a user names: a path or `-` for stdin, checked to be a model file's text.

use std::io::Read as _;
use std::path::Path;

use threatscribe_intake::{
    Format, IntakeError, ParsedModel, parse_description_limited, parse_model, parse_model_value,
};
use threatscribe_interop::ForeignFormat;
use threatscribe_kb::KnowledgeBase;

use crate::error::{CliError, InputProblem};

/// Model files larger than this are refused before parsing, unless `--max-input-mib` says more.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// The limit `--max-input-mib` set, in bytes; 0 means the defaults (32 MiB for model files,
/// 1 MiB for descriptions).
static INPUT_LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets the input size limit for this process (`--max-input-mib`).
pub fn set_input_limit(mebibytes: usize) {
    INPUT_LIMIT.store(
        mebibytes.saturating_mul(1024 * 1024),
        std::sync::atomic::Ordering::Relaxed,
    );
}

fn model_limit() -> usize {
    match INPUT_LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => MAX_INPUT_BYTES,
        set => set,
    }
}

fn description_limit() -> usize {
    match INPUT_LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => threatscribe_intake::MAX_DESCRIPTION_BYTES,
        set => set,
    }
}

/// An input read into memory, as text.
pub struct Input {
    /// As given on the command line.
    pub path: String,
    pub text: String,
    /// `None` for a plain-English description.
    pub format: Option<Format>,
    /// Another tool's file (Threat Dragon, pytm), with its parsed JSON.
    pub foreign: Option<(ForeignFormat, serde_json::Value)>,
}

impl Input {
    pub fn read(path: &str) -> Result<Self, CliError> {
        let bytes = if path == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(model_limit() as u64 + 1)
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
            if metadata.len() > model_limit() as u64 {
                return Err(too_large(path));
            }
            std::fs::read(path).map_err(|source| CliError::Read {
                path: path.into(),
                source,
            })?
        };
        if bytes.len() > model_limit() {
            return Err(too_large(path));
        }
        let format = if path == "-" {
            sniff(&bytes)
        } else {
            Format::from_path(path)
        };
        Self::from_bytes(path, bytes, format)
    }

    /// Text given without a file name (the web app): its format is told from its content.
    pub fn from_text(name: &str, text: &str) -> Result<Self, CliError> {
        if text.len() > model_limit() {
            return Err(too_large(name));
        }
        Self::from_bytes(name, text.as_bytes().to_vec(), sniff(text.as_bytes()))
    }

    fn from_bytes(path: &str, bytes: Vec<u8>, format: Option<Format>) -> Result<Self, CliError> {
        // memchr: a byte-by-byte search took 8 ms on a 5 MB model, of every run.
        if let Some(at) = memchr::memchr(0, &bytes) {
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
        let foreign = match format {
            Some(Format::Json) => foreign(&text),
            Some(Format::Yaml) => foreign_yaml(&text, path)?,
            None => None,
        };
        Ok(Input {
            path: path.to_owned(),
            text,
            format,
            foreign,
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
        if let Some((format, _)) = &self.foreign {
            return format.name();
        }
        match self.format {
            Some(Format::Yaml) => "YAML model file",
            Some(Format::Json) => "JSON model file",
            None => "plain-English description",
        }
    }

    /// Parses and validates the model, or explains every problem with its position.
    pub fn parse(&self, kb: &KnowledgeBase) -> Result<ParsedModel, CliError> {
        if let Some((format, value)) = &self.foreign {
            let mut model = threatscribe_interop::import(value, *format).map_err(|error| {
                CliError::Unusable(format!(
                    "{} (read as {}): {error}",
                    self.display_path(),
                    format.name()
                ))
            })?;
            let named = threatscribe_intake::technologies_from_names(&mut model);
            if !named.is_empty()
                && let Some(assumptions) = model
                    .get_mut("assumptions")
                    .and_then(serde_json::Value::as_array_mut)
            {
                assumptions.push(serde_json::Value::String(format!(
                    "Technologies read from element names, word for word: {}.",
                    named.join("; ")
                )));
            }
            return parse_model_value(&model, &self.default_name(), kb).map_err(|error| {
                CliError::Unusable(format!(
                    "{} (read as {}): the result is not a valid model:\n{}",
                    self.display_path(),
                    format.name(),
                    error
                        .diagnostics()
                        .iter()
                        .map(|d| format!("  {}", d.message))
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            });
        }
        let parsed = match self.format {
            Some(format) => parse_model(&self.text, format, &self.default_name(), kb),
            None => {
                parse_description_limited(&self.text, &self.default_name(), kb, description_limit())
            }
        };
        parsed.map_err(|error: IntakeError| CliError::Input {
            path: self.display_path(),
            problems: error
                .diagnostics()
                .iter()
                .map(|d| InputProblem::new(&self.display_path(), &self.text, d))
                .collect(),
        })
    }

    pub fn display_path(&self) -> String {
        if self.path == "-" {
            "<stdin>".to_owned()
        } else {
            self.path.clone()
        }
    }

    /// Prints the intake's warnings to stderr, with source lines.
    /// Prints the intake's warnings to stderr, with source lines. Warnings of the same kind
    /// (the same message up to the element or flow it names) are shown once with their count, so
    /// a model with 300 flows over an unknown protocol gets one warning, not 300.
    pub fn print_warnings(&self, parsed: &ParsedModel) {
        let mut shown: Vec<(String, usize)> = Vec::new();
        for warning in &parsed.warnings {
            let kind = warning_kind(&warning.message);
            if let Some(entry) = shown.iter_mut().find(|(k, _)| *k == kind) {
                entry.1 += 1;
                continue;
            }
            shown.push((kind, 1));
            eprintln!(
                "{:?}",
                miette::Report::new(InputProblem::new(&self.display_path(), &self.text, warning))
            );
        }
        for (kind, count) in shown.into_iter().filter(|(_, n)| *n > 1) {
            eprintln!("  … {} more warning(s) like this: {kind}", count - 1);
        }
    }
}

/// A warning's message without the element or flow it is about: "unknown protocol `soap` on
/// flow `a-to-b`" -> "unknown protocol `soap`".
fn warning_kind(message: &str) -> String {
    [" on flow `", " in element `", " of `", " on `"]
        .iter()
        .filter_map(|marker| message.find(marker))
        .min()
        .map_or_else(|| message.to_owned(), |cut| message[..cut].to_owned())
}

/// Another tool's JSON file, recognised by its shape. Only a file that mentions a key only those
/// formats use is parsed a second time, so large models in our own format do not pay for the
/// detection.
fn foreign(text: &str) -> Option<(ForeignFormat, serde_json::Value)> {
    if ![
        "\"diagrams\"",
        "\"__class__\"",
        "\"otmVersion\"",
        "\"data_flows\"",
        "\"bomFormat\"",
    ]
    .iter()
    .any(|marker| text.contains(marker))
    {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    threatscribe_interop::detect(&value).map(|format| (format, value))
}

/// A Threagile model or an OTM file: YAML with a top-level `threagile_version` or `otmVersion`.
fn foreign_yaml(
    text: &str,
    path: &str,
) -> Result<Option<(ForeignFormat, serde_json::Value)>, CliError> {
    let Some(marker) = ["threagile_version", "otmVersion"]
        .into_iter()
        .find(|marker| {
            text.lines().any(|line| {
                line.strip_prefix(marker)
                    .is_some_and(|rest| rest.starts_with(':'))
            })
        })
    else {
        return Ok(None);
    };
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|error| {
        CliError::Unusable(format!(
            "{path} (read as another tool's YAML model, since it has `{marker}`): {error}"
        ))
    })?;
    Ok(threatscribe_interop::detect(&value).map(|format| (format, value)))
}

/// Stdin has no file name: JSON starts with `{`, a YAML model has a top-level `elements:` (or
/// Threagile's `threagile_version:`, OTM's `otmVersion:`), anything else is a description.
fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return Some(Format::Json);
    }
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .any(|line| {
            ["elements:", "threagile_version:", "otmVersion:"]
                .iter()
                .any(|key| line.starts_with(key))
        })
        .then_some(Format::Yaml)
}

/// Reads a tracking file (`--tracking FILE`).
pub fn read_tracking(path: &Path) -> Result<Vec<threatscribe_model::TrackingEntry>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    threatscribe_intake::parse_tracking(&text).map_err(|error| {
        let shown = path.display().to_string();
        CliError::Input {
            path: shown.clone(),
            problems: error
                .diagnostics()
                .iter()
                .map(|d| InputProblem::new(&shown, &text, d))
                .collect(),
        }
    })
}

fn too_large(path: &str) -> CliError {
    CliError::Unusable(format!(
        "{path} is larger than {} MiB, the most threatscribe reads (raise it with --max-input-mib)",
        model_limit() / (1024 * 1024)
    ))
}
