//! Waiting for the sandbox's service: every node answers, knows the primary, and has
//! committed what the primary had committed when it was asked.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_crypto::Certificate;
use quorate_node::client::{ClientTls, request_once};
use tokio::time::Instant;

use super::processes::NodeProcess;
use super::workspace::NodePorts;

/// Between two polls.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// An error naming the first node process that has exited.
pub fn exited_while_starting(processes: &mut [NodeProcess]) -> anyhow::Result<()> {
    for process in processes.iter_mut() {
        if let Some(status) = process.has_exited() {
            bail!(
                "node {} exited ({status}) while starting; see sandbox_{}/out and err",
                process.index,
                process.index
            );
        }
    }
    Ok(())
}

pub struct Probe {
    tls: ClientTls,
    deadline: Instant,
}

impl Probe {
    /// Waits for the service certificate (written by the first node) and prepares a client
    /// that trusts it; fails at once if a node process exits meanwhile.
    pub async fn new(
        service_cert: &Path,
        within: Duration,
        processes: &mut [NodeProcess],
    ) -> anyhow::Result<Self> {
        let deadline = Instant::now() + within;
        loop {
            exited_while_starting(processes)?;
            if let Ok(pem) = std::fs::read_to_string(service_cert)
                && let Ok(cert) = Certificate::from_pem(&pem)
            {
                let tls = ClientTls::new(&cert, None).context("client TLS")?;
                return Ok(Self { tls, deadline });
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not appear; see the first node's out and err files",
                    service_cert.display()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn get(&self, port: u16, path: &str) -> Option<(http::StatusCode, serde_json::Value)> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let response = request_once(&self.tls, address, Method::GET, path, Bytes::new())
            .await
            .ok()?;
        let body = response.json().unwrap_or(serde_json::Value::Null);
        Some((response.status, body))
    }

    /// Every node is ready for users and has caught up with the primary's commit point. A
    /// node process that exits meanwhile fails the wait at once.
    pub async fn wait_for_service(
        &self,
        nodes: &[NodePorts],
        processes: &mut [NodeProcess],
    ) -> anyhow::Result<()> {
        loop {
            if self.all_ready(nodes).await {
                return Ok(());
            }
            exited_while_starting(processes)?;
            if Instant::now() > self.deadline {
                bail!("the service did not come up in time; see the nodes' out and err files");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn all_ready(&self, nodes: &[NodePorts]) -> bool {
        let mut target = None;
        for node in nodes {
            match self.get(node.rpc, "/node/ready/app").await {
                Some((status, _)) if status.as_u16() == 204 => {}
                _ => return false,
            }
            let Some((_, network)) = self.get(node.rpc, "/node/network").await else {
                return false;
            };
            if network["primary_id"].is_null() {
                return false;
            }
            let Some(seqno) = self.commit_seqno(node.rpc).await else {
                return false;
            };
            target = Some(target.map_or(seqno, |t: u64| t.max(seqno)));
        }
        let Some(target) = target else {
            return false;
        };
        for node in nodes {
            if self
                .commit_seqno(node.rpc)
                .await
                .is_none_or(|seqno| seqno < target)
            {
                return false;
            }
        }
        true
    }

    async fn commit_seqno(&self, port: u16) -> Option<u64> {
        let (_, body) = self.get(port, "/node/commit").await?;
        body["transaction_id"]
            .as_str()?
            .split_once('.')?
            .1
            .parse()
            .ok()
    }
}
