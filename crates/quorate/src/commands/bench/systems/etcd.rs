//! A local etcd cluster (Debian's `etcd-server`, 3.4): members on 127.0.0.1, data on disk
//! (every write fsynced, as Quorate's group commit), HTTPS for clients and mutual TLS between
//! peers with a throwaway CA. Driven through its v3 JSON gateway.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_node::client::{ClientOptions, ClientTls, HttpProtocol, request_once};

use super::certs::Certs;
use super::process::{Started, ensure_port_free, find_program};
use crate::commands::bench::target::{Kind, Target};

const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(15);

pub struct EtcdCluster {
    members: Vec<Started>,
    dir: PathBuf,
    tls: ClientTls,
    pub addresses: Vec<SocketAddr>,
    pub leader: SocketAddr,
}

impl EtcdCluster {
    /// `members` members; member i serves clients on `port + i` and peers on `port + 10 + i`.
    pub async fn start(
        dir: &Path,
        members: usize,
        port: u16,
        certs: &Certs,
    ) -> anyhow::Result<EtcdCluster> {
        let etcd = find_program("etcd").context("etcd is not installed (etcd-server)")?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let client_port = |i: usize| port + u16::try_from(i).unwrap_or(0);
        let peer_port = |i: usize| port + 10 + u16::try_from(i).unwrap_or(0);
        for index in 0..members {
            ensure_port_free(client_port(index))?;
            ensure_port_free(peer_port(index))?;
        }
        let cluster = (0..members)
            .map(|i| format!("bench-m{i}=https://127.0.0.1:{}", peer_port(i)))
            .collect::<Vec<_>>()
            .join(",");
        let path = |file: &Path| file.display().to_string();
        let mut started = Vec::new();
        for index in 0..members {
            let client_url = format!("https://127.0.0.1:{}", client_port(index));
            let peer_url = format!("https://127.0.0.1:{}", peer_port(index));
            let args: Vec<String> = [
                "--name",
                &format!("bench-m{index}"),
                "--data-dir",
                &path(&dir.join(format!("m{index}"))),
                "--listen-client-urls",
                &client_url,
                "--advertise-client-urls",
                &client_url,
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
                "--initial-cluster",
                &cluster,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                &format!("quorate-bench-{}", std::process::id()),
                "--cert-file",
                &path(&certs.server_cert_file),
                "--key-file",
                &path(&certs.server_key_file),
                "--peer-cert-file",
                &path(&certs.server_cert_file),
                "--peer-key-file",
                &path(&certs.server_key_file),
                "--peer-trusted-ca-file",
                &path(&certs.ca_file),
                "--peer-client-cert-auth",
                "--logger",
                "zap",
                "--log-level",
                "warn",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect();
            match Started::spawn(&format!("etcd-m{index}"), &etcd, &args, dir) {
                Ok(member) => started.push(member),
                Err(error) => {
                    stop_all(started).await;
                    return Err(error);
                }
            }
        }
        let options = ClientOptions {
            protocol: HttpProtocol::Http1,
            timeout: Duration::from_secs(5),
            ..ClientOptions::default()
        };
        let tls = ClientTls::new(&certs.ca, None)?.with_options(options);
        let addresses: Vec<SocketAddr> = (0..members)
            .map(|i| SocketAddr::from(([127, 0, 0, 1], client_port(i))))
            .collect();
        let mut cluster = EtcdCluster {
            members: started,
            dir: dir.to_owned(),
            tls,
            leader: addresses[0],
            addresses,
        };
        match tokio::time::timeout(START_LIMIT, cluster.wait_for_leader()).await {
            Ok(Ok(leader)) => {
                cluster.leader = leader;
                Ok(cluster)
            }
            outcome => {
                let why = match outcome {
                    Ok(Err(error)) => error.to_string(),
                    _ => format!("no leader within {} s", START_LIMIT.as_secs()),
                };
                cluster.stop().await;
                bail!("etcd: {why}; logs in {}", dir.display())
            }
        }
    }

    /// Polls every member's `/v3/maintenance/status` until all answer and agree on a leader.
    async fn wait_for_leader(&mut self) -> anyhow::Result<SocketAddr> {
        loop {
            for member in &mut self.members {
                if let Some(status) = member.exited() {
                    bail!("{} exited ({status})", member.name);
                }
            }
            let mut leader = None;
            let mut answered = 0;
            for address in &self.addresses {
                let Ok(response) = request_once(
                    &self.tls,
                    *address,
                    Method::POST,
                    "/v3/maintenance/status",
                    Bytes::from_static(b"{}"),
                )
                .await
                else {
                    continue;
                };
                let Ok(body) = response.json() else {
                    continue;
                };
                answered += 1;
                let member = body.pointer("/header/member_id").and_then(|v| v.as_str());
                let elected = body.get("leader").and_then(|v| v.as_str());
                if let (Some(member), Some(elected)) = (member, elected)
                    && member == elected
                {
                    leader = Some(*address);
                }
            }
            if answered == self.addresses.len()
                && let Some(leader) = leader
            {
                return Ok(leader);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn pids(&self) -> Vec<u32> {
        self.members.iter().filter_map(Started::pid).collect()
    }

    pub fn target(&self) -> Target {
        Target::new(
            Kind::Etcd,
            Some(self.tls.clone()),
            self.leader,
            self.addresses.clone(),
        )
    }

    /// Stops every member and removes the data.
    pub async fn stop(self) {
        stop_all(self.members).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn stop_all(members: Vec<Started>) {
    let stops: Vec<_> = members
        .into_iter()
        .map(|member| tokio::spawn(member.stop(STOP_GRACE)))
        .collect();
    for stop in stops {
        let _ = stop.await;
    }
}
