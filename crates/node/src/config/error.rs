//! The one error type of the node configuration. Every variant that is about the content of the
//! config names the JSON path of the offending field, so an operator can fix the file without
//! guessing which of several similar fields (one per RPC interface, one per member) is wrong.

use std::path::PathBuf;

/// Why a node configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", file.display())]
    Read {
        /// The file that was asked for.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not JSON at all.
    #[error("config is not valid JSON (line {line}, column {column}): {message}")]
    Syntax {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A key that is not part of the configuration schema (often a typo).
    #[error("{path}: unknown field")]
    UnknownField {
        /// Path of the unknown key.
        path: String,
    },
    /// A required key is absent.
    #[error("{path}: missing required field")]
    MissingField {
        /// Path of the missing key.
        path: String,
    },
    /// A value of the wrong type or outside its allowed range or syntax.
    #[error("{path}: expected {expected}, got {got}")]
    InvalidValue {
        /// Path of the value.
        path: String,
        /// What would have been accepted.
        expected: String,
        /// The value found, shortened for display.
        got: String,
    },
    /// Values that are each valid but do not fit together (soft above hard session cap, …).
    #[error("{path}: {reason}")]
    Inconsistent {
        /// Path of the field to change.
        path: String,
        /// Why the combination is refused.
        reason: String,
    },
    /// A CCF option that Quorate does not implement yet; refused rather than silently ignored.
    #[error("{path}: {feature} is not supported yet")]
    Unsupported {
        /// Path of the option.
        path: String,
        /// What is not supported.
        feature: String,
    },
}

impl ConfigError {
    /// The JSON path the error is about, when it is about one field.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Read { .. } | Self::Syntax { .. } => None,
            Self::UnknownField { path }
            | Self::MissingField { path }
            | Self::InvalidValue { path, .. }
            | Self::Inconsistent { path, .. }
            | Self::Unsupported { path, .. } => Some(path),
        }
    }
}
