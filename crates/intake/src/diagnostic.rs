//! Problems found in an input, with where they are.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
}

/// One problem in an input: what, where (1-based line and column; 0 when unknown), and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(at: (u32, u32), message: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            line: at.0,
            column: at.1,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn warning(at: (u32, u32), message: impl Into<String>) -> Self {
        Self {
            level: Level::Warning,
            line: at.0,
            column: at.1,
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.line, self.column)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// Not valid YAML/JSON, or not the shape of a model file (wrong type, unknown field).
    #[error("{}", .0)]
    Syntax(Diagnostic),
    /// Parses, but the model is inconsistent: every error found, in input order.
    #[error("{} error(s) in the model: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Diagnostic>),
}

impl IntakeError {
    /// Every diagnostic of the error, in input order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Syntax(d) => std::slice::from_ref(d),
            Self::Invalid(list) => list,
        }
    }
}
