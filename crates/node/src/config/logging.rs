//! `logging`: verbosity and format of the node's log. CCF takes the level on the command line
//! (it is security critical in an attested enclave) and only keeps the deprecated `host_level`
//! in the file; Quorate also reads `level` from the file, and `host_level` as its alias, since a
//! Virtual node has no attestation to protect. A `--log-level` flag should override both.

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;

/// Log settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoggingConfig {
    /// Least severe level written (CCF default Info).
    pub level: LogLevel,
    /// Line format (CCF default Text).
    pub format: LogFormat,
}

/// CCF's log levels, most verbose first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal operation (default).
    #[default]
    Info,
    /// Failures the node survives.
    Fail,
    /// Failures that stop the node.
    Fatal,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Level names as CCF's schema spells them.
const LEVELS: [(&str, LogLevel); 5] = [
    ("Trace", LogLevel::Trace),
    ("Debug", LogLevel::Debug),
    ("Info", LogLevel::Info),
    ("Fail", LogLevel::Fail),
    ("Fatal", LogLevel::Fatal),
];

impl LoggingConfig {
    /// Reads the section at `path`; `level` wins over `host_level` when both are given.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(value, path, &["level", "host_level", "format"])?;
        let level = object.choice("level", &LEVELS)?;
        let host_level = object.choice("host_level", &LEVELS)?;
        Ok(Self {
            level: level.or(host_level).unwrap_or_default(),
            format: object
                .choice(
                    "format",
                    &[("Text", LogFormat::Text), ("Json", LogFormat::Json)],
                )?
                .unwrap_or_default(),
        })
    }
}
