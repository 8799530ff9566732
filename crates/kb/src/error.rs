//! Errors found while compiling knowledge-base files.

use std::fmt;

/// Where in a knowledge-base file a problem is. Line and column are 1-based; 0 means unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePosition {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for FilePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Built-in files are named by their place under kb/; a user pack's by its own path.
        let prefix = if crate::layout_path(&self.file) == self.file {
            "kb/"
        } else {
            ""
        };
        if self.line == 0 {
            write!(f, "{prefix}{}", self.file)
        } else {
            write!(f, "{prefix}{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KbError {
    /// The file is not valid YAML or does not have the expected shape.
    #[error("{at}: {message}")]
    Syntax { at: FilePosition, message: String },
    /// The file parses but says something the knowledge base cannot accept.
    #[error("{at}: {item}: {problem}")]
    Invalid {
        at: FilePosition,
        /// The rule, technology, control or tag id the problem is about.
        item: String,
        problem: String,
    },
}

impl KbError {
    pub(crate) fn invalid(file: &str, item: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            at: FilePosition {
                file: file.to_owned(),
                line: 0,
                column: 0,
            },
            item: item.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A knowledge-base file's text: YAML as written, or JSON as the build converted it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text<'a> {
    Yaml(&'a str),
    Json(&'a str),
}

/// Parses one file of the knowledge base into its raw shape.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    file: &str,
    text: Text<'_>,
) -> Result<T, KbError> {
    let text = match text {
        Text::Yaml(text) => text,
        Text::Json(json) => {
            return serde_json::from_str(json).map_err(|error| KbError::Syntax {
                at: FilePosition {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                },
                message: format!("{error} (in the JSON the build converted this file to)"),
            });
        }
    };
    serde_saphyr::from_str(text).map_err(|error| {
        let (line, column) = error.location().map_or((0, 0), |location| {
            (location.line() as u32, location.column() as u32)
        });
        KbError::Syntax {
            at: FilePosition {
                file: file.to_owned(),
                line,
                column,
            },
            message: error.without_snippet().to_string(),
        }
    })
}
