//! `ledger_signatures`: how often the primary emits a signature transaction. Commit latency is
//! mostly this interval; throughput pays for each signature. Should match across the service.

use std::time::Duration;

use serde_json::Value;

use super::duration::{DURATION_SYNTAX, parse_duration};
use super::error::ConfigError;
use super::json_object::JsonObject;

/// CCF's default transactions between signatures.
const DEFAULT_TX_COUNT: u64 = 5000;
/// CCF's default longest wait before a signature ("1000ms").
const DEFAULT_DELAY: Duration = Duration::from_millis(1000);

/// When to sign the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerSignaturesConfig {
    /// Sign after this many transactions (CCF default 5000, at least 1).
    pub tx_count: u64,
    /// Sign at least this often while there are unsigned transactions (CCF default 1000ms).
    pub delay: Duration,
}

impl Default for LedgerSignaturesConfig {
    fn default() -> Self {
        Self {
            tx_count: DEFAULT_TX_COUNT,
            delay: DEFAULT_DELAY,
        }
    }
}

impl LedgerSignaturesConfig {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(value, path, &["tx_count", "delay"])?;
        let delay = object
            .parsed("delay", DURATION_SYNTAX, parse_duration)?
            .unwrap_or(DEFAULT_DELAY);
        if delay.is_zero() {
            return Err(ConfigError::InvalidValue {
                path: object.path_of("delay"),
                expected: "a duration above zero".to_owned(),
                got: "0".to_owned(),
            });
        }
        Ok(Self {
            tx_count: object
                .integer("tx_count", 1, u64::MAX)?
                .unwrap_or(DEFAULT_TX_COUNT),
            delay,
        })
    }
}
