//! The service under test: one `quorate node start` process per node, each run inside its
//! network namespace (`ip netns exec` replaces itself with the node, so the child's pid is the
//! node's and signals reach it directly). Node 0 creates the service, the others join it, and
//! the sandbox's member0 governance (`SandboxGovernance`) trusts them and opens the service.
//!
//! Each node has two client interfaces: `primary_rpc_interface` forwards writes to the primary
//! (governance and joins use it, as in the sandbox), and `chaos_rpc_interface`, the workload's,
//! answers writes at a backup with a 307 to the primary instead of forwarding them. That is
//! what lets the checkers know that a write answered 200 by node X was executed by X as
//! primary — the fact the read check rests on (see `history.rs`).

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_crypto::Certificate;
use quorate_node::client::{ClientTls, request_once};
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::time::Instant;

use super::command::signal;
use super::network::Network;
use crate::commands::gov::client::{GovClient, Member};
use crate::commands::sandbox::governance::SandboxGovernance;
use crate::commands::sandbox::workspace::{COMMON_DIR, SERVICE_CERT_FILE, Workspace};

/// `primary_rpc_interface`: forwards (governance, joins).
pub const GOV_PORT: u16 = 8000;
/// `chaos_rpc_interface`: redirects writes to the primary (the workload's).
pub const CLIENT_PORT: u16 = 8001;
/// Node-to-node.
pub const PEER_PORT: u16 = 8002;
/// The node's state directory (ledger, hard state, secrets) inside its directory: the
/// small-disk node has its tmpfs mounted here.
pub const DATA_DIR: &str = "data";

/// How long a node may take to stop after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// One node's process, if it has one.
struct Slot {
    child: Option<Child>,
    paused: bool,
}

/// The nodes of one run.
pub struct Cluster {
    network: Arc<Network>,
    workspace: Workspace,
    slots: Vec<Slot>,
    executable: PathBuf,
    /// Passed to every node as `--log-level`.
    log_level: String,
}

impl Cluster {
    /// Writes the identities (member0, user0) and every node's configuration under `root`.
    pub fn prepare(
        root: &Path,
        network: Arc<Network>,
        election_timeout_ms: u64,
        log_level: &str,
    ) -> anyhow::Result<Cluster> {
        let workspace = Workspace {
            root: root.to_path_buf(),
        };
        workspace.ensure_identities()?;
        let executable = std::env::current_exe().context("finding the quorate executable")?;
        let cluster = Cluster {
            log_level: log_level.to_owned(),
            slots: (0..network.nodes())
                .map(|_| Slot {
                    child: None,
                    paused: false,
                })
                .collect(),
            network,
            workspace,
            executable,
        };
        for node in 0..cluster.nodes() {
            cluster.write_config(node, election_timeout_ms)?;
        }
        Ok(cluster)
    }

    pub fn nodes(&self) -> usize {
        self.slots.len()
    }

    pub fn common(&self) -> PathBuf {
        self.workspace.common()
    }

    pub fn service_cert_file(&self) -> PathBuf {
        self.workspace.service_cert()
    }

    pub fn node_dir(&self, node: usize) -> PathBuf {
        self.workspace.root.join(format!("node_{node}"))
    }

    pub fn data_dir(&self, node: usize) -> PathBuf {
        self.node_dir(node).join(DATA_DIR)
    }

    pub fn ledger_dir(&self, node: usize) -> PathBuf {
        self.data_dir(node).join("ledger")
    }

    pub fn address(&self, node: usize, port: u16) -> SocketAddr {
        SocketAddr::from((self.network.node_ip(node), port))
    }

    pub fn client_addresses(&self) -> Vec<SocketAddr> {
        (0..self.nodes())
            .map(|node| self.address(node, CLIENT_PORT))
            .collect()
    }

    fn write_config(&self, node: usize, election_timeout_ms: u64) -> anyhow::Result<()> {
        let dir = self.node_dir(node);
        std::fs::create_dir_all(dir.join(DATA_DIR))
            .with_context(|| format!("creating {}", dir.display()))?;
        let ip = self.network.node_ip(node);
        let common = format!("../{COMMON_DIR}");
        let command = if node == 0 {
            json!({
                "type": "Start",
                "service_certificate_file": format!("{common}/{SERVICE_CERT_FILE}"),
                "start": {
                    "members": [{ "certificate_file": format!("{common}/member0_cert.pem") }],
                    "constitution_files": [format!("{common}/constitution.js")],
                    "service_configuration": {
                        "recovery_threshold": 0,
                        "maximum_node_certificate_validity_days": 365,
                        "maximum_service_certificate_validity_days": 3650
                    },
                    "initial_service_certificate_validity_days": 3650
                }
            })
        } else {
            json!({
                "type": "Join",
                "service_certificate_file": format!("{common}/{SERVICE_CERT_FILE}"),
                "join": {
                    "target_rpc_address": self.address(0, GOV_PORT).to_string(),
                    "retry_timeout": "200ms"
                }
            })
        };
        let config = json!({
            "network": {
                "node_to_node_interface": { "bind_address": format!("{ip}:{PEER_PORT}") },
                "rpc_interfaces": {
                    "primary_rpc_interface": { "bind_address": format!("{ip}:{GOV_PORT}") },
                    "chaos_rpc_interface": {
                        "bind_address": format!("{ip}:{CLIENT_PORT}"),
                        "redirections": {
                            "to_primary": { "kind": "NodeByRole", "target": { "role": "primary" } }
                        }
                    }
                }
            },
            "command": command,
            "node_certificate": { "subject_alt_names": [format!("iPAddress:{ip}")] },
            "ledger": { "directory": format!("{DATA_DIR}/ledger") },
            "ledger_signatures": { "tx_count": 1000, "delay": "100ms" },
            "consensus": {
                "message_timeout": "100ms",
                "election_timeout": format!("{election_timeout_ms}ms")
            },
            "output_files": {
                "node_certificate_file": "nodecert.pem",
                "pid_file": "node.pid",
                "rpc_addresses_file": "rpc_addresses.json",
                "node_to_node_address_file": "node_address.json"
            }
        });
        let file = dir.join("config.json");
        std::fs::write(&file, serde_json::to_string_pretty(&config)?)
            .with_context(|| format!("writing {}", file.display()))
    }

    /// Starts node `node` in its namespace; output is appended to `out` and `err` in its
    /// directory, so the logs of every incarnation are kept.
    pub fn start(&mut self, node: usize) -> anyhow::Result<()> {
        let dir = self.node_dir(node);
        let log = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .with_context(|| format!("opening {}/{name}", dir.display()))
        };
        let child = Command::new("ip")
            .args(["netns", "exec", &self.network.names().namespace(node)])
            .arg(&self.executable)
            .args(["node", "start", "--config", "config.json", "--log-level"])
            .arg(&self.log_level)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log("out")?)
            .stderr(log("err")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting node {node}"))?;
        let slot = self.slot(node)?;
        slot.child = Some(child);
        slot.paused = false;
        Ok(())
    }

    fn slot(&mut self, node: usize) -> anyhow::Result<&mut Slot> {
        self.slots
            .get_mut(node)
            .with_context(|| format!("no node {node}"))
    }

    fn pid(&mut self, node: usize) -> anyhow::Result<u32> {
        self.slot(node)?
            .child
            .as_ref()
            .and_then(Child::id)
            .with_context(|| format!("node {node} is not running"))
    }

    /// Whether node `node` has a process that has not exited.
    pub fn is_running(&mut self, node: usize) -> bool {
        self.slots
            .get_mut(node)
            .and_then(|slot| slot.child.as_mut())
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Nodes whose process has exited since they were last looked at, with how it ended; they
    /// are then counted as down.
    pub fn reap(&mut self) -> Vec<(usize, ExitStatus)> {
        let mut exited = Vec::new();
        for (node, slot) in self.slots.iter_mut().enumerate() {
            if let Some(child) = slot.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                exited.push((node, status));
                slot.child = None;
                slot.paused = false;
            }
        }
        exited
    }

    /// How node `node`'s process ended, if it has; it is then counted as down.
    pub fn exit_of(&mut self, node: usize) -> Option<ExitStatus> {
        let slot = self.slots.get_mut(node)?;
        let status = slot.child.as_mut()?.try_wait().ok()??;
        slot.child = None;
        slot.paused = false;
        Some(status)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub async fn kill(&mut self, node: usize) -> anyhow::Result<ExitStatus> {
        let slot = self.slot(node)?;
        let mut child = slot
            .child
            .take()
            .with_context(|| format!("node {node} is not running"))?;
        slot.paused = false;
        child.start_kill().context("SIGKILL")?;
        child.wait().await.context("waiting for the killed node")
    }

    /// SIGTERM (after SIGCONT if paused), SIGKILL if it has not stopped in time; its status.
    pub async fn stop(&mut self, node: usize) -> anyhow::Result<ExitStatus> {
        let pid = self.pid(node)?;
        let slot = self.slot(node)?;
        let mut child = slot
            .child
            .take()
            .with_context(|| format!("node {node} is not running"))?;
        if std::mem::take(&mut slot.paused) {
            let _ = signal(pid, "CONT");
        }
        let _ = signal(pid, "TERM");
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(status) => status.context("waiting for the node to stop"),
            Err(_) => {
                eprintln!("node {node} did not stop within {STOP_TIMEOUT:?}; killing it");
                child.start_kill().context("SIGKILL")?;
                child.wait().await.context("waiting for the killed node")
            }
        }
    }

    /// SIGSTOP: the process freezes with its sockets open, as a long GC pause or a stalled VM.
    pub fn pause(&mut self, node: usize) -> anyhow::Result<()> {
        let pid = self.pid(node)?;
        signal(pid, "STOP")?;
        self.slot(node)?.paused = true;
        Ok(())
    }

    pub fn resume(&mut self, node: usize) -> anyhow::Result<()> {
        let pid = self.pid(node)?;
        signal(pid, "CONT")?;
        self.slot(node)?.paused = false;
        Ok(())
    }

    /// An error naming the first node process that has exited (during bring-up, any exit is
    /// fatal).
    fn none_exited(&mut self) -> anyhow::Result<()> {
        if let Some((node, status)) = self.reap().into_iter().next() {
            bail!(
                "node {node} exited ({status}) while the service was coming up; see {}/err",
                self.node_dir(node).display()
            );
        }
        Ok(())
    }

    /// Starts the service: node 0, then the joiners; governs it open as member0; waits until
    /// every node serves the app and has caught up.
    pub async fn bring_up(&mut self, within: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + within;
        self.start(0)?;
        let service_cert = loop {
            self.none_exited()?;
            if let Ok(pem) = std::fs::read_to_string(self.service_cert_file())
                && Certificate::from_pem(&pem).is_ok()
            {
                break pem;
            }
            if Instant::now() > deadline {
                bail!("node 0 did not write the service certificate in time");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for node in 1..self.nodes() {
            self.start(node)?;
        }
        let common = self.common();
        let read = |name: &str| {
            let file = common.join(name);
            std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))
        };
        let member = Member::load(
            &common.join("member0_cert.pem"),
            &common.join("member0_privk.pem"),
        )?;
        let client = GovClient::new(
            &Certificate::from_pem(&service_cert).context("the service certificate")?,
            self.address(0, GOV_PORT),
            member,
        )?;
        let governance = SandboxGovernance {
            client,
            user_cert: read("user0_cert.pem")?,
            service_cert: service_cert.clone(),
            js_app: None,
            expected_nodes: self.nodes(),
        };
        governance
            .converge_with(deadline.saturating_duration_since(Instant::now()), || {
                self.none_exited()
            })
            .await?;
        let tls = ClientTls::new(&Certificate::from_pem(&service_cert)?, None)?;
        loop {
            self.none_exited()?;
            if self.all_ready(&tls).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the service did not come up in time; see the nodes' err files");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every node answers `/node/ready/app`, and has then committed as far as the furthest had
    /// when first asked (commit points move while we ask, so "all equal" might never be seen).
    async fn all_ready(&self, tls: &ClientTls) -> bool {
        let mut furthest = 0;
        for node in 0..self.nodes() {
            let address = self.address(node, CLIENT_PORT);
            let ready = request_once(tls, address, Method::GET, "/node/ready/app", Bytes::new())
                .await
                .is_ok_and(|r| r.status.as_u16() == 204);
            match (ready, commit_of(tls, address).await) {
                (true, Some(commit)) => furthest = furthest.max(commit),
                _ => return false,
            }
        }
        for node in 0..self.nodes() {
            if commit_of(tls, self.address(node, CLIENT_PORT))
                .await
                .is_none_or(|commit| commit < furthest)
            {
                return false;
            }
        }
        true
    }
}

/// The node's commit seqno, from `/node/consensus`.
async fn commit_of(tls: &ClientTls, address: SocketAddr) -> Option<u64> {
    let response = request_once(tls, address, Method::GET, "/node/consensus", Bytes::new())
        .await
        .ok()?;
    response.json().ok()?["details"]["configs"][0]["idx"].as_u64()
}
