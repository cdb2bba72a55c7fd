//! The node configuration: a JSON file in the shape of CCF's `cchost` config
//! (`doc/host_config_schema/cchost_config.json`), restricted to what Quorate implements.
//!
//! Reading is strict so that a mistake is found at startup, not in production: unknown keys are
//! rejected (a typo would otherwise silently fall back to a default), CCF options Quorate lacks
//! are rejected as "not supported yet", and every error names the JSON path of the field, e.g.
//! `network.rpc_interfaces.primary.max_open_sessions_soft: expected a non-negative integer, got
//! "x"`. Absent optional fields take CCF's defaults, documented on each field. Values use CCF's
//! syntaxes: sizes like "1MB" (powers of 1024, see [`parse_size_bytes`]), durations like "100ms"
//! (see [`parse_duration`]), addresses "host:port" (see [`HostPort`]).
//!
//! [`NodeConfig::load`] resolves relative paths against the config file's directory (see
//! `paths.rs` for why); [`NodeConfig::from_json_str`] leaves them as written.

mod address;
mod command;
mod consensus;
mod duration;
mod error;
mod http_configuration;
mod join;
mod json_object;
mod ledger;
mod ledger_signatures;
mod logging;
mod member;
mod network;
mod node_certificate;
mod output_files;
mod paths;
mod platform;
mod redirections;
mod rpc_interface;
mod service_configuration;
mod size;
mod snapshots;
mod start;
mod unit_string;
mod warning;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use address::HostPort;
pub use command::{Command, StartMode};
pub use consensus::{ConsensusConfig, ELECTION_TO_MESSAGE_WARNING_RATIO};
pub use duration::{format_duration, parse_duration};
pub use error::ConfigError;
pub use http_configuration::HttpConfiguration;
pub use join::JoinConfig;
pub use ledger::LedgerConfig;
pub use ledger_signatures::LedgerSignaturesConfig;
pub use logging::{LogFormat, LogLevel, LoggingConfig};
pub use member::{MemberConfig, RecoveryRole};
pub use network::{NetworkConfig, NodeToNodeInterface};
pub use node_certificate::{CurveId, NodeCertificateConfig, SubjectAltName};
pub use output_files::OutputFiles;
pub use platform::Platform;
pub use redirections::{NodeRole, RedirectionTarget, Redirections};
pub use rpc_interface::{AppProtocol, EndorsementAuthority, RpcInterface};
pub use service_configuration::ServiceConfiguration;
pub use size::{format_size_bytes, parse_size_bytes};
pub use snapshots::SnapshotsConfig;
pub use start::{CoseSignatures, StartConfig};
pub use warning::ConfigWarning;

use json_object::JsonObject;
use paths::resolve_against;

/// Top-level keys of CCF's config that Quorate does not implement; they are refused by name.
const UNSUPPORTED_TOP_LEVEL_KEYS: [&str; 12] = [
    "jwt",
    "tick_interval",
    "slow_io_logging_threshold",
    "node_client_interface",
    "client_connection_timeout",
    "idle_connection_timeout",
    "memory",
    "ignore_first_sigterm",
    "node_to_node_message_limit",
    "historical_cache_soft_limit",
    "files_cleanup",
    "sealing_recovery",
];

/// A node's whole configuration, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// Listeners.
    pub network: NetworkConfig,
    /// Start or join.
    pub command: Command,
    /// The node's own certificate.
    pub node_certificate: NodeCertificateConfig,
    /// JSON data stored with this node in the service (CCF `node_data_json_file`).
    pub node_data_json_file: Option<PathBuf>,
    /// JSON data stored with the service at Start (CCF `service_data_json_file`).
    pub service_data_json_file: Option<PathBuf>,
    /// Ledger storage.
    pub ledger: LedgerConfig,
    /// Snapshot storage.
    pub snapshots: SnapshotsConfig,
    /// Signature transaction frequency.
    pub ledger_signatures: LedgerSignaturesConfig,
    /// Raft timing.
    pub consensus: ConsensusConfig,
    /// Files written at startup.
    pub output_files: OutputFiles,
    /// Trusted execution platform (`enclave.platform`).
    pub platform: Platform,
    /// Extra threads for client requests (CCF default 0: everything on the main thread).
    pub worker_threads: u32,
    /// Log settings.
    pub logging: LoggingConfig,
    /// Accepted values that look like mistakes; the caller should log them.
    pub warnings: Vec<ConfigWarning>,
}

impl NodeConfig {
    /// Reads a config from JSON text. Relative paths are kept as written (relative to the
    /// process's working directory); use [`NodeConfig::load`] to resolve them against a file.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let value: Value = serde_json::from_str(text).map_err(|error| ConfigError::Syntax {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?;
        Self::from_json(&value)
    }

    /// Reads the config file at `file`, resolving its relative paths against the file's
    /// directory.
    pub fn load(file: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let file = file.as_ref();
        let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
            file: file.to_owned(),
            source,
        })?;
        let mut config = Self::from_json_str(&text)?;
        let base = file.parent().unwrap_or_else(|| Path::new(""));
        config.resolve_paths(base);
        Ok(config)
    }

    fn from_json(value: &Value) -> Result<Self, ConfigError> {
        let object = JsonObject::with_unsupported(
            value,
            "",
            &[
                "enclave",
                "network",
                "command",
                "node_certificate",
                "node_data_json_file",
                "service_data_json_file",
                "attestation",
                "ledger",
                "snapshots",
                "logging",
                "consensus",
                "ledger_signatures",
                "output_files",
                "worker_threads",
            ],
            &UNSUPPORTED_TOP_LEVEL_KEYS,
        )?;
        let mut warnings = Vec::new();
        let platform = object
            .section("enclave", platform::platform_from_enclave)?
            .unwrap_or_default();
        object.section("attestation", platform::check_attestation)?;
        let consensus = match object.get("consensus") {
            Some(section) => {
                ConsensusConfig::from_json(section, &object.path_of("consensus"), &mut warnings)?
            }
            None => ConsensusConfig::default(),
        };
        Ok(Self {
            network: NetworkConfig::from_json(
                object.required("network")?,
                &object.path_of("network"),
            )?,
            command: Command::from_json(object.required("command")?, &object.path_of("command"))?,
            node_certificate: object
                .section("node_certificate", NodeCertificateConfig::from_json)?
                .unwrap_or_default(),
            node_data_json_file: object.path_value("node_data_json_file")?,
            service_data_json_file: object.path_value("service_data_json_file")?,
            ledger: object
                .section("ledger", LedgerConfig::from_json)?
                .unwrap_or_default(),
            snapshots: object
                .section("snapshots", SnapshotsConfig::from_json)?
                .unwrap_or_default(),
            ledger_signatures: object
                .section("ledger_signatures", LedgerSignaturesConfig::from_json)?
                .unwrap_or_default(),
            consensus,
            output_files: object
                .section("output_files", OutputFiles::from_json)?
                .unwrap_or_default(),
            platform,
            worker_threads: object
                .integer_u32("worker_threads", 0, u32::MAX)?
                .unwrap_or(0),
            logging: object
                .section("logging", LoggingConfig::from_json)?
                .unwrap_or_default(),
            warnings,
        })
    }

    fn resolve_paths(&mut self, base: &Path) {
        self.command.resolve_paths(base);
        for file in [
            &mut self.node_data_json_file,
            &mut self.service_data_json_file,
        ]
        .into_iter()
        .flatten()
        {
            resolve_against(base, file);
        }
        self.ledger.resolve_paths(base);
        self.snapshots.resolve_paths(base);
        self.output_files.resolve_paths(base);
    }
}
