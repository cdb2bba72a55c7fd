//! `command.join`: how a new node joins a running service. It calls `/node/join` on the target
//! every `retry_timeout` until governance trusts it, then receives the ledger secret.

use std::time::Duration;

use serde_json::Value;

use super::address::{ADDRESS_SYNTAX, HostPort};
use super::duration::{DURATION_SYNTAX, parse_duration};
use super::error::ConfigError;
use super::json_object::JsonObject;

/// CCF's default `retry_timeout` ("1000ms").
const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_millis(1000);

/// Settings for joining an existing service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinConfig {
    /// RPC address of any node of the service.
    pub target_rpc_address: HostPort,
    /// Interval between join requests (CCF default 1000ms); keep it below the service's
    /// election timeout.
    pub retry_timeout: Duration,
    /// Follow redirects to the primary (CCF default true).
    pub follow_redirect: bool,
    /// Fetch the target's latest snapshot before joining (CCF default true).
    pub fetch_recent_snapshot: bool,
}

impl JoinConfig {
    /// Reads the section at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::with_unsupported(
            value,
            path,
            &[
                "target_rpc_address",
                "retry_timeout",
                "follow_redirect",
                "fetch_recent_snapshot",
            ],
            &[
                "fetch_snapshot_max_attempts",
                "fetch_snapshot_retry_interval",
                "fetch_snapshot_max_size",
                "host_data_transparent_statement_path",
            ],
        )?;
        Ok(Self {
            target_rpc_address: object
                .parsed("target_rpc_address", ADDRESS_SYNTAX, HostPort::parse)?
                .ok_or_else(|| ConfigError::MissingField {
                    path: object.path_of("target_rpc_address"),
                })?,
            retry_timeout: object
                .parsed("retry_timeout", DURATION_SYNTAX, parse_duration)?
                .unwrap_or(DEFAULT_RETRY_TIMEOUT),
            follow_redirect: object.boolean("follow_redirect")?.unwrap_or(true),
            fetch_recent_snapshot: object.boolean("fetch_recent_snapshot")?.unwrap_or(true),
        })
    }
}
