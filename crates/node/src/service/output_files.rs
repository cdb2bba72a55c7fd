//! The files a node writes at startup for operators and scripts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::addresses::InterfaceAddress;
use super::error::NodeError;
use super::secrets::NodeSecrets;
use crate::config::NodeConfig;

/// The PID file, written first thing (a node waiting to be trusted is already a process that
/// scripts, and the sandbox's tests, must be able to find and stop) and removed when the node
/// stops, whether it stopped cleanly or failed.
pub(super) struct PidFile(PathBuf);

impl PidFile {
    pub(super) fn write(config: &NodeConfig) -> Result<PidFile, NodeError> {
        let path = config.output_files.pid_file.clone();
        write_file(&path, &std::process::id().to_string())?;
        Ok(PidFile(path))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Once the node is up: the node certificate, the service certificate (every node writes it,
/// so scripts find it next to any node) and the bound addresses.
pub(super) fn write_output_files(
    config: &NodeConfig,
    secrets: &NodeSecrets,
    n2n: &InterfaceAddress,
    rpc: &BTreeMap<String, InterfaceAddress>,
) -> Result<(), NodeError> {
    let files = &config.output_files;
    write_file(&files.node_certificate_file, secrets.node_certificate.pem())?;
    write_file(
        &config.command.service_certificate_file,
        secrets.service_certificate.pem(),
    )?;
    if let Some(file) = &files.node_to_node_address_file {
        let addresses = serde_json::json!({ "node_to_node": n2n.published });
        write_file(file, &addresses.to_string())?;
    }
    if let Some(file) = &files.rpc_addresses_file {
        let addresses: serde_json::Map<String, serde_json::Value> = rpc
            .iter()
            .map(|(name, address)| (name.clone(), address.published.clone().into()))
            .collect();
        write_file(file, &serde_json::Value::Object(addresses).to_string())?;
    }
    Ok(())
}

/// Written whole under a temporary name and renamed, so readers never see half a file.
fn write_file(path: &Path, text: &str) -> Result<(), NodeError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::file(dir, e))?;
    }
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).map_err(|e| NodeError::file(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| NodeError::file(path, e))
}
