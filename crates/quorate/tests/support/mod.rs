//! A sandbox under test: `quorate sandbox` started as a child process on free loopback ports in
//! a temporary workspace, with clients for its users and helpers to find, kill and restart
//! its nodes. Dropping it kills every process it started, and only those.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientResponse, ClientTls, Connection, request_once};
use serde_json::{Value, json};

pub const QUORATE: &str = env!("CARGO_BIN_EXE_quorate");

/// A running sandbox.
pub struct Sandbox {
    pub workspace: tempfile::TempDir,
    pub rpc_ports: Vec<u16>,
    sandbox: Option<Child>,
    /// Nodes the test restarted itself.
    extra_nodes: Vec<Child>,
    /// More `quorate sandbox` arguments.
    extra_args: Vec<String>,
}

/// Ports below Linux's ephemeral range (32768 and up), so that no outgoing connection of a
/// concurrent test takes one of a sandbox's ports between its runs.
const PORT_RANGE: std::ops::Range<u16> = 20_000..32_000;

/// A base port with `count` free ports after it and after it + 100, below the ephemeral range.
/// The start is spread by the process id and time, so concurrent test binaries try different
/// bases.
pub fn free_base_port(count: u16) -> u16 {
    let spread = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| u64::from(elapsed.subsec_nanos()));
    let span = u64::from(PORT_RANGE.end - PORT_RANGE.start - 200);
    for attempt in 0..500u64 {
        let offset = (spread.wrapping_add(attempt * 211)) % span;
        let base = PORT_RANGE.start + u16::try_from(offset).unwrap();
        let all_free = (0..count)
            .flat_map(|i| [base + i, base + 100 + i])
            .all(|port| TcpListener::bind(("127.0.0.1", port)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no free ports");
}

impl Sandbox {
    /// Starts `nodes` nodes and waits (at most `within`) for the sandbox to say it is open.
    pub fn start(nodes: u16, within: Duration) -> Sandbox {
        Self::start_with(nodes, within, &[])
    }

    /// As [`Sandbox::start`], with more `quorate sandbox` arguments.
    pub fn start_with(nodes: u16, within: Duration, extra: &[&str]) -> Sandbox {
        let workspace = tempfile::tempdir().unwrap();
        let base = free_base_port(nodes);
        let mut sandbox = Sandbox {
            rpc_ports: (0..nodes).map(|i| base + i).collect(),
            workspace,
            sandbox: None,
            extra_nodes: Vec::new(),
            extra_args: Vec::new(),
        };
        sandbox.extra_args = extra.iter().map(|arg| (*arg).to_owned()).collect();
        sandbox.launch(nodes, base, within);
        sandbox
    }

    fn launch(&mut self, nodes: u16, base: u16, within: Duration) {
        let mut child = Command::new(QUORATE)
            .args([
                "sandbox",
                "--nodes",
                &nodes.to_string(),
                "--port",
                &base.to_string(),
            ])
            .args(["--election-timeout-ms", "1000", "--workspace"])
            .arg(self.workspace.path())
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        self.sandbox = Some(child);
        let (lines, banner) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("sandbox: {line}");
                if line.contains("service open") {
                    let _ = lines.send(());
                }
            }
        });
        if banner.recv_timeout(within).is_err() {
            self.dump_logs();
            panic!("the sandbox did not open within {within:?}");
        }
    }

    /// Stops the sandbox (and nodes the test started) and starts it again on the same
    /// workspace: it resumes from the ledgers.
    pub fn resume(&mut self, within: Duration) {
        self.stop();
        let base = self.rpc_ports[0];
        let nodes = u16::try_from(self.rpc_ports.len()).unwrap();
        self.launch(nodes, base, within);
    }

    pub fn common(&self) -> PathBuf {
        self.workspace.path().join("sandbox_common")
    }

    pub fn node_dir(&self, index: usize) -> PathBuf {
        self.workspace.path().join(format!("sandbox_{index}"))
    }

    pub fn service_cert(&self) -> Certificate {
        Certificate::from_pem(
            &std::fs::read_to_string(self.common().join("service_cert.pem")).unwrap(),
        )
        .unwrap()
    }

    /// A client presenting `name`'s certificate (`user0`, `member0`), or none.
    pub fn tls(&self, name: Option<&str>) -> ClientTls {
        let identity = name.map(|name| {
            let cert = Certificate::from_pem(
                &std::fs::read_to_string(self.common().join(format!("{name}_cert.pem"))).unwrap(),
            )
            .unwrap();
            let key = KeyPair::from_pem(
                &std::fs::read_to_string(self.common().join(format!("{name}_privk.pem"))).unwrap(),
            )
            .unwrap();
            (cert, key)
        });
        ClientTls::new(
            &self.service_cert(),
            identity.as_ref().map(|(cert, key)| (cert, key)),
        )
        .unwrap()
    }

    pub fn address(&self, index: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.rpc_ports[index]))
    }

    pub fn pid(&self, index: usize) -> u32 {
        std::fs::read_to_string(self.node_dir(index).join("node.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Starts node `index` again by hand (after the test killed it).
    pub fn restart_node(&mut self, index: usize) {
        let dir = self.node_dir(index);
        let log = |name: &str| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .unwrap()
        };
        let child = Command::new(QUORATE)
            .args(["node", "start", "--config", "config.json"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log("out"))
            .stderr(log("err"))
            .spawn()
            .unwrap();
        self.extra_nodes.push(child);
    }

    /// SIGINT to the sandbox (it stops its nodes), SIGTERM to nodes the test started; waits.
    pub fn stop(&mut self) {
        self.stop_sandbox();
        for mut node in self.extra_nodes.drain(..) {
            signal(node.id(), "-TERM");
            wait_bounded(&mut node, Duration::from_secs(20));
        }
    }

    fn stop_sandbox(&mut self) {
        if let Some(mut child) = self.sandbox.take() {
            signal(child.id(), "-INT");
            let status = wait_bounded(&mut child, Duration::from_secs(30));
            println!("sandbox exited: {status:?}");
        }
    }

    pub fn dump_logs(&self) {
        for index in 0..self.rpc_ports.len() {
            for name in ["out", "err"] {
                if let Ok(text) = std::fs::read_to_string(self.node_dir(index).join(name)) {
                    let tail: Vec<&str> = text.lines().rev().take(30).collect();
                    println!("--- node {index} {name} (last lines, newest first)");
                    for line in tail {
                        println!("{line}");
                    }
                }
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(mut child) = self.sandbox.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for mut node in self.extra_nodes.drain(..) {
            let _ = node.kill();
            let _ = node.wait();
        }
        // Nodes the sandbox started run in the workspace's node directories, which only this
        // test uses; found by their working directory, a node whose pid file is gone (an
        // orphan of a killed sandbox) is stopped too.
        for pid in processes_under(self.workspace.path()) {
            signal(pid, "-KILL");
        }
    }
}

/// Processes whose working directory is `dir` or below it.
pub fn processes_under(dir: &Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| {
                    std::fs::read_link(format!("/proc/{pid}/cwd"))
                        .is_ok_and(|cwd| cwd.starts_with(dir))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
}

pub fn wait_bounded(child: &mut Child, bound: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait().ok()
}

/// One request on a fresh connection.
pub async fn call(
    tls: &ClientTls,
    address: SocketAddr,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> ClientResponse {
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    request_once(tls, address, method, path, body)
        .await
        .unwrap()
}

/// GET on a fresh connection; `None` if the node does not answer.
pub async fn try_get(tls: &ClientTls, address: SocketAddr, path: &str) -> Option<ClientResponse> {
    request_once(tls, address, Method::GET, path, Bytes::new())
        .await
        .ok()
}

/// Polls `check` every 100 ms until it returns `Some`, at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The index of the node `node_id` among the sandbox's nodes, by its published RPC port.
pub async fn index_of_node(sandbox: &Sandbox, via: usize, node_id: &str) -> Option<usize> {
    let tls = sandbox.tls(None);
    let nodes = try_get(&tls, sandbox.address(via), "/node/network/nodes")
        .await?
        .json()
        .ok()?;
    let node = nodes["nodes"]
        .as_array()?
        .iter()
        .find(|node| node["node_id"] == node_id)?;
    let address = node["rpc_interfaces"]["primary_rpc_interface"]["published_address"].as_str()?;
    let port: u16 = address.rsplit_once(':')?.1.parse().ok()?;
    sandbox.rpc_ports.iter().position(|p| *p == port)
}

/// The primary's index as node `via` sees it.
pub async fn primary_index(sandbox: &Sandbox, via: usize) -> Option<usize> {
    let tls = sandbox.tls(None);
    let network = try_get(&tls, sandbox.address(via), "/node/network")
        .await?
        .json()
        .ok()?;
    let primary = network["primary_id"].as_str()?.to_owned();
    index_of_node(sandbox, via, &primary).await
}

/// POST a log record; returns the response.
pub async fn post_record(
    connection: &mut Connection,
    visibility: &str,
    id: u64,
    msg: &str,
) -> ClientResponse {
    connection
        .post_json(
            &format!("/app/log/{visibility}"),
            &json!({ "id": id, "msg": msg }),
        )
        .await
        .unwrap()
}

/// Runs a `quorate` subcommand to completion and returns its exit status and output.
pub fn quorate(args: &[&str], dir: &Path) -> (bool, String) {
    let output = Command::new(QUORATE)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
