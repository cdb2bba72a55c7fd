//! `consensus`: Raft timing. The primary sends a message (entries or heartbeat) at least every
//! `message_timeout`; a backup that hears nothing for `election_timeout` starts an election.
//! Should match across the service.
//!
//! An election timeout shorter than the message timeout would make backups depose a healthy
//! primary between two heartbeats, so it is refused. CCF asks only for "a significantly greater
//! value" and publishes no number; Quorate warns below [`ELECTION_TO_MESSAGE_WARNING_RATIO`]
//! times the message timeout, the order of magnitude the Raft paper recommends (CCF's defaults
//! are 50 times apart).

use std::time::Duration;

use serde_json::Value;

use super::duration::{DURATION_SYNTAX, parse_duration};
use super::error::ConfigError;
use super::json_object::JsonObject;
use super::warning::ConfigWarning;

/// CCF's default heartbeat interval ("100ms").
const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_millis(100);
/// CCF's default election timeout ("5000ms").
const DEFAULT_ELECTION_TIMEOUT: Duration = Duration::from_millis(5000);
/// CCF's default cap on uncommitted transactions.
const DEFAULT_MAX_UNCOMMITTED_TX_COUNT: u64 = 10_000;

/// Below this many message timeouts, an election timeout draws a warning.
pub const ELECTION_TO_MESSAGE_WARNING_RATIO: u32 = 10;

/// Raft timing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsensusConfig {
    /// Longest gap between two messages from the primary to each backup (CCF default 100ms).
    pub message_timeout: Duration,
    /// Silence after which a backup starts an election (CCF default 5000ms).
    pub election_timeout: Duration,
    /// Uncommitted transactions past which the primary refuses writes; 0 = unlimited (CCF
    /// default 10000).
    pub max_uncommitted_tx_count: u64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        Self {
            message_timeout: DEFAULT_MESSAGE_TIMEOUT,
            election_timeout: DEFAULT_ELECTION_TIMEOUT,
            max_uncommitted_tx_count: DEFAULT_MAX_UNCOMMITTED_TX_COUNT,
        }
    }
}

impl ConsensusConfig {
    /// Reads the section at `path`, filling absent fields with CCF's defaults; a close election
    /// timeout adds to `warnings`.
    pub(crate) fn from_json(
        value: &Value,
        path: &str,
        warnings: &mut Vec<ConfigWarning>,
    ) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "message_timeout",
                "election_timeout",
                "max_uncommitted_tx_count",
            ],
        )?;
        let message_timeout = object
            .parsed("message_timeout", DURATION_SYNTAX, parse_duration)?
            .unwrap_or(DEFAULT_MESSAGE_TIMEOUT);
        if message_timeout.is_zero() {
            return Err(ConfigError::InvalidValue {
                path: object.path_of("message_timeout"),
                expected: "a duration above zero".to_owned(),
                got: "0".to_owned(),
            });
        }
        let election_timeout = object
            .parsed("election_timeout", DURATION_SYNTAX, parse_duration)?
            .unwrap_or(DEFAULT_ELECTION_TIMEOUT);
        if election_timeout < message_timeout {
            return Err(ConfigError::Inconsistent {
                path: object.path_of("election_timeout"),
                reason: format!(
                    "must be at least message_timeout ({message_timeout:?}), got \
                     {election_timeout:?}: backups would depose a healthy primary"
                ),
            });
        }
        if election_timeout < message_timeout.saturating_mul(ELECTION_TO_MESSAGE_WARNING_RATIO) {
            warnings.push(ConfigWarning {
                path: object.path_of("election_timeout"),
                message: format!(
                    "{election_timeout:?} is less than {ELECTION_TO_MESSAGE_WARNING_RATIO} times \
                     message_timeout ({message_timeout:?}); a delayed heartbeat may trigger \
                     needless elections"
                ),
            });
        }
        Ok(Self {
            message_timeout,
            election_timeout,
            max_uncommitted_tx_count: object
                .integer("max_uncommitted_tx_count", 0, u64::MAX)?
                .unwrap_or(DEFAULT_MAX_UNCOMMITTED_TX_COUNT),
        })
    }
}
