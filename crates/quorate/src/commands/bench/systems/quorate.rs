//! The Quorate service under test: `quorate sandbox` (this same executable) started as a child
//! in a fresh workspace (durable ledgers, group commit), serving the native logging app or a JS
//! app bundle, waited for until it prints that the service is open, and driven with user0's
//! certificate. Stopping it is SIGTERM to the sandbox, which stops its nodes cleanly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientOptions, ClientTls, HttpProtocol, request_once};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use super::process::{Started, ensure_port_free};
use crate::commands::bench::cpu::descendants;
use crate::commands::bench::target::{Kind, Target};

/// How long a sandbox may take to come up (5 nodes on a busy 2-core box take a while).
const START_LIMIT: Duration = Duration::from_secs(240);
const STOP_GRACE: Duration = Duration::from_secs(60);

/// The app a new sandbox serves. Both are started by the same code so that a native and a JS
/// run differ only in the app (`quorate sandbox --js-app`, deployed by member0's `set_js_app`
/// proposal when the service is created).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum App {
    /// `apps/logging`, built into the node.
    Native,
    /// A CCF JS bundle directory (`app.json` and `src/`).
    Js(PathBuf),
}

pub struct QuorateSandbox {
    process: Option<Started>,
    executable: PathBuf,
    pub workspace: PathBuf,
    pub nodes: usize,
    port: u16,
    pub node_pids: Vec<u32>,
    service_cert: Certificate,
    user_cert: Certificate,
    user_key: KeyPair,
    pub addresses: Vec<SocketAddr>,
    pub primary: SocketAddr,
}

impl QuorateSandbox {
    /// A new `nodes`-node service in `workspace` (emptied first), node i on `port + i`, run by
    /// the `quorate` binary `executable`, serving `app`.
    pub async fn start(
        executable: &Path,
        workspace: &Path,
        nodes: usize,
        port: u16,
        app: &App,
    ) -> anyhow::Result<Self> {
        if workspace.exists() {
            std::fs::remove_dir_all(workspace)
                .with_context(|| format!("emptying {}", workspace.display()))?;
        }
        std::fs::create_dir_all(workspace)?;
        for index in 0..nodes {
            let offset = u16::try_from(index)?;
            ensure_port_free(port + offset)?;
            ensure_port_free(port + 100 + offset)?;
        }
        let js_app = match app {
            App::Native => None,
            App::Js(dir) => Some(
                std::path::absolute(dir)
                    .with_context(|| format!("finding the JS app {}", dir.display()))?,
            ),
        };
        Self::launch(executable, workspace, nodes, port, js_app.as_deref()).await
    }

    /// Runs the sandbox in `workspace`: a new service (with `js_app` deployed, if given) or,
    /// when the workspace holds one, that service resumed with the app it has.
    async fn launch(
        executable: &Path,
        workspace: &Path,
        nodes: usize,
        port: u16,
        js_app: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let log_file = workspace.join("sandbox.log");
        let mut log = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .await?;
        let mut command = Command::new(executable);
        command
            .arg("sandbox")
            .args(["--nodes", &nodes.to_string()])
            .arg("--workspace")
            .arg(workspace)
            .args(["--port", &port.to_string()]);
        if let Some(dir) = js_app {
            command.arg("--js-app").arg(dir);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.try_clone().await?.into_std().await)
            .kill_on_drop(true)
            .spawn()
            .context("starting quorate sandbox")?;
        let stdout = child.stdout.take().context("the sandbox's stdout")?;
        let process = Started::from_child("quorate sandbox", child);
        let mut lines = BufReader::new(stdout).lines();
        let opened = tokio::time::timeout(START_LIMIT, async {
            while let Some(line) = lines.next_line().await? {
                log.write_all(line.as_bytes()).await?;
                log.write_all(b"\n").await?;
                if line.contains("service open") {
                    return anyhow::Ok(true);
                }
            }
            anyhow::Ok(false)
        })
        .await;
        match opened {
            Ok(Ok(true)) => {}
            other => {
                process.stop(STOP_GRACE).await;
                let why = match other {
                    Err(_) => format!("not open within {} s", START_LIMIT.as_secs()),
                    Ok(Err(error)) => error.to_string(),
                    Ok(Ok(_)) => "the sandbox exited".into(),
                };
                bail!("quorate sandbox: {why}; see {}", log_file.display());
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = log.write_all(line.as_bytes()).await;
                let _ = log.write_all(b"\n").await;
            }
        });
        let sandbox_pid = process.pid().context("the sandbox's pid")?;
        let node_pids = descendants(sandbox_pid);
        let common = workspace.join("sandbox_common");
        let read = |name: &str| -> anyhow::Result<String> {
            let file = common.join(name);
            std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))
        };
        let service_cert = Certificate::from_pem(&read("service_cert.pem")?)?;
        let user_cert = Certificate::from_pem(&read("user0_cert.pem")?)?;
        let user_key = KeyPair::from_pem(&read("user0_privk.pem")?)?;
        let addresses = node_addresses(workspace)?;
        let mut sandbox = QuorateSandbox {
            process: Some(process),
            executable: executable.to_owned(),
            workspace: workspace.to_owned(),
            nodes,
            port,
            node_pids,
            service_cert,
            user_cert,
            user_key,
            primary: addresses[0],
            addresses,
        };
        match sandbox.find_primary().await {
            Ok(primary) => sandbox.primary = primary,
            Err(error) => {
                sandbox.stop().await;
                return Err(error);
            }
        }
        Ok(sandbox)
    }

    /// The same service restarted from its ledgers with signatures at most `delay_ms` apart
    /// (each node's `ledger_signatures.delay`; the primary checks it on its 10 ms tick) and
    /// heartbeats (`consensus.message_timeout`, which is also when the primary sends entries
    /// below its eager-send threshold) every `heartbeat_ms`.
    pub async fn restart_with_commit_settings(
        mut self,
        delay_ms: u64,
        heartbeat_ms: u64,
    ) -> anyhow::Result<Self> {
        if let Some(process) = self.process.take() {
            process.stop(STOP_GRACE).await;
        }
        for index in 0..self.nodes {
            let file = self.workspace.join(format!("sandbox_{index}/config.json"));
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut config: serde_json::Value = serde_json::from_str(&text)?;
            config["ledger_signatures"]["delay"] = serde_json::json!(format!("{delay_ms}ms"));
            config["consensus"]["message_timeout"] = serde_json::json!(format!("{heartbeat_ms}ms"));
            std::fs::write(&file, serde_json::to_string_pretty(&config)?)
                .with_context(|| format!("writing {}", file.display()))?;
        }
        // The resumed service keeps the app it was created with.
        Self::launch(
            &self.executable,
            &self.workspace,
            self.nodes,
            self.port,
            None,
        )
        .await
    }

    pub fn client_tls(&self, protocol: HttpProtocol) -> anyhow::Result<ClientTls> {
        let options = ClientOptions {
            protocol,
            ..ClientOptions::default()
        };
        Ok(
            ClientTls::new(&self.service_cert, Some((&self.user_cert, &self.user_key)))?
                .with_options(options),
        )
    }

    pub fn target(&self, protocol: HttpProtocol) -> anyhow::Result<Target> {
        Ok(Target::new(
            Kind::Quorate,
            Some(self.client_tls(protocol)?),
            self.primary,
            self.addresses.clone(),
        ))
    }

    async fn find_primary(&self) -> anyhow::Result<SocketAddr> {
        let tls = self.client_tls(HttpProtocol::Http1)?;
        for _ in 0..100 {
            for node in &self.addresses {
                if let Ok(response) =
                    request_once(&tls, *node, Method::GET, "/node/primary", Bytes::new()).await
                    && response.status.is_success()
                {
                    return Ok(*node);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no node of the sandbox answers as primary")
    }

    /// Stops the sandbox (and so its nodes) and removes its workspace.
    pub async fn stop(mut self) {
        if let Some(process) = self.process.take() {
            process.stop(STOP_GRACE).await;
        }
        let _ = std::fs::remove_dir_all(&self.workspace);
    }
}

/// Every node's RPC address, from the sandbox's `rpc_addresses.json` files.
pub fn node_addresses(workspace: &Path) -> anyhow::Result<Vec<SocketAddr>> {
    let mut nodes = Vec::new();
    for index in 0.. {
        let file = workspace.join(format!("sandbox_{index}/rpc_addresses.json"));
        if !file.exists() {
            break;
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let addresses: serde_json::Value = serde_json::from_str(&text)?;
        let address = addresses
            .as_object()
            .and_then(|map| map.values().next())
            .and_then(|value| value.as_str())
            .with_context(|| format!("{}: no address", file.display()))?;
        nodes.push(
            address
                .parse()
                .with_context(|| format!("{}: {address}", file.display()))?,
        );
    }
    if nodes.is_empty() {
        bail!("no nodes found in {}", workspace.display());
    }
    Ok(nodes)
}
