//! Non-fatal findings: values CCF accepts and so do we, but that are likely mistakes. They are
//! returned with the config rather than logged here, because the config module does no IO and the
//! caller decides where warnings go.

use std::fmt;

/// A suspicious but accepted value, with the path of the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// JSON path of the field.
    pub path: String,
    /// What is suspicious about it.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}
