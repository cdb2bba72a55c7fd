//! The files a node writes at startup for operators and scripts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Written whole under a temporary name and renamed, so readers never see half a file. The
/// temporary name is unique to the process and the call: nodes started together write the same
/// shared file (the sandbox's `service_cert.pem`), and with one temporary name one node's
/// rename took the file from under another's.
fn write_file(path: &Path, text: &str) -> Result<(), NodeError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::file(dir, e))?;
    }
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let write = WRITES.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}.{write}.tmp", std::process::id()));
    std::fs::write(&temporary, text).map_err(|e| NodeError::file(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| NodeError::file(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_writers_of_one_file_all_succeed_and_leave_a_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service_cert.pem");
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        write_file(&path, &format!("writer {writer}\n")).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("writer ") && text.ends_with('\n'),
            "{text}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files left behind: {left:?}");
    }
}
