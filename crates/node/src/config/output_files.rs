//! `output_files`: files the node writes at startup so that operators and scripts can find it:
//! its certificate, its PID, and the addresses it actually bound (which differ from the config
//! when it asked for port 0).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;
use super::paths::resolve_against;

/// CCF's default node certificate file.
const DEFAULT_NODE_CERTIFICATE_FILE: &str = "nodecert.pem";
/// The PID file default of CCF 7 (`node.pid`; older CCF releases used `cchost.pid`).
const DEFAULT_PID_FILE: &str = "node.pid";

/// Files written at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFiles {
    /// The self-signed node certificate (CCF default "nodecert.pem").
    pub node_certificate_file: PathBuf,
    /// The process ID; startup fails if it already exists (CCF default "node.pid").
    pub pid_file: PathBuf,
    /// JSON `{"node_to_node": "host:port"}` with the bound node-to-node address, if wanted.
    pub node_to_node_address_file: Option<PathBuf>,
    /// JSON `{interface_name: "host:port"}` with the bound RPC addresses, if wanted.
    pub rpc_addresses_file: Option<PathBuf>,
}

impl Default for OutputFiles {
    fn default() -> Self {
        Self {
            node_certificate_file: PathBuf::from(DEFAULT_NODE_CERTIFICATE_FILE),
            pid_file: PathBuf::from(DEFAULT_PID_FILE),
            node_to_node_address_file: None,
            rpc_addresses_file: None,
        }
    }
}

impl OutputFiles {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::with_unsupported(
            value,
            path,
            &[
                "node_certificate_file",
                "pid_file",
                "node_to_node_address_file",
                "rpc_addresses_file",
            ],
            &["sealed_ledger_secret_location"],
        )?;
        let default = Self::default();
        Ok(Self {
            node_certificate_file: object
                .path_value("node_certificate_file")?
                .unwrap_or(default.node_certificate_file),
            pid_file: object.path_value("pid_file")?.unwrap_or(default.pid_file),
            node_to_node_address_file: object.path_value("node_to_node_address_file")?,
            rpc_addresses_file: object.path_value("rpc_addresses_file")?,
        })
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        resolve_against(base, &mut self.node_certificate_file);
        resolve_against(base, &mut self.pid_file);
        for file in [
            &mut self.node_to_node_address_file,
            &mut self.rpc_addresses_file,
        ]
        .into_iter()
        .flatten()
        {
            resolve_against(base, file);
        }
    }
}
