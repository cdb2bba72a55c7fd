//! A system under test as the load generator sees it: which kind of server, where its nodes
//! are, how to reach them (HTTPS with the same client for Quorate, etcd and nginx; RESP for
//! Redis), and how each operation becomes a request on one connection.
//!
//! - Quorate: CCF's logging app, `POST /app/log/private {"id", "msg"}`, `GET
//!   /app/log/private?id=`, and for commit waits `GET /app/tx?transaction_id=` until
//!   `Committed`. Writes to the primary, reads spread over every node.
//! - etcd: the v3 JSON gateway, `POST /v3/kv/put {"key", "value"}` (base64) to the leader and
//!   serializable `POST /v3/kv/range` spread over the members (local reads, as Quorate's).
//! - Redis: `SET log/<key> <msg>` and `GET log/<key>` over RESP.
//! - nginx: a constant 200 to any request, the HTTPS ceiling of the box.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::Method;
use quorate_node::client::{ClientTls, Connection, HttpProtocol};

use super::resp::{Reply, RespConnection};
use super::workload::{Operation, Workload};

/// How long a commit wait sleeps between two polls of `/app/tx`.
const COMMIT_POLL_INTERVAL: Duration = Duration::from_millis(1);
/// A commit wait longer than this counts as an error.
const COMMIT_WAIT_LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Quorate,
    Etcd,
    Redis,
    Nginx,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Quorate => "quorate",
            Kind::Etcd => "etcd",
            Kind::Redis => "redis",
            Kind::Nginx => "nginx",
        }
    }
}

/// Where and how to reach one running system.
#[derive(Clone)]
pub struct Target {
    pub kind: Kind,
    /// `None` for Redis.
    pub tls: Option<ClientTls>,
    /// The primary (leader); writes go here.
    pub primary: SocketAddr,
    /// Every node, the primary included; reads are spread over them.
    pub nodes: Vec<SocketAddr>,
    /// Send writes to every node too (Quorate backups forward them to the primary).
    pub spread_writes: bool,
    messages: Arc<Messages>,
}

/// Message bodies built once: a message of each size, and its base64 for etcd.
struct Messages {
    sizes: Vec<(usize, String, String)>,
}

impl Messages {
    fn new() -> Messages {
        let sizes = [20, 1024]
            .into_iter()
            .map(|bytes| {
                let message = "x".repeat(bytes);
                let encoded = BASE64.encode(&message);
                (bytes, message, encoded)
            })
            .collect();
        Messages { sizes }
    }

    fn get(&self, bytes: usize) -> (String, String) {
        match self.sizes.iter().find(|(size, _, _)| *size == bytes) {
            Some((_, message, encoded)) => (message.clone(), encoded.clone()),
            None => {
                let message = "x".repeat(bytes);
                let encoded = BASE64.encode(&message);
                (message, encoded)
            }
        }
    }

    fn with<T>(&self, bytes: usize, use_it: impl FnOnce(&str, &str) -> T) -> T {
        match self.sizes.iter().find(|(size, _, _)| *size == bytes) {
            Some((_, message, encoded)) => use_it(message, encoded),
            None => {
                let (message, encoded) = self.get(bytes);
                use_it(&message, &encoded)
            }
        }
    }
}

impl Target {
    pub fn new(
        kind: Kind,
        tls: Option<ClientTls>,
        primary: SocketAddr,
        nodes: Vec<SocketAddr>,
    ) -> Target {
        Target {
            kind,
            tls,
            primary,
            nodes,
            spread_writes: false,
            messages: Arc::new(Messages::new()),
        }
    }

    /// The HTTP version connections speak (Redis: not HTTP).
    pub fn protocol(&self) -> Option<HttpProtocol> {
        self.tls.as_ref().map(|tls| tls.options().protocol)
    }

    /// Which node connection number `index` of a `workload` phase goes to.
    pub fn address(&self, workload: Workload, index: usize) -> SocketAddr {
        if (workload.to_primary() && !self.spread_writes) || self.nodes.is_empty() {
            self.primary
        } else {
            self.nodes[index % self.nodes.len()]
        }
    }

    pub async fn connect(&self, address: SocketAddr) -> anyhow::Result<Client> {
        match &self.tls {
            Some(tls) => Ok(Client::Http(
                Connection::connect(tls, address)
                    .await
                    .with_context(|| format!("connecting to {} at {address}", self.kind.name()))?,
            )),
            None => Ok(Client::Resp(RespConnection::connect(address).await?)),
        }
    }
}

/// One connection to one node.
pub enum Client {
    Http(Connection),
    Resp(RespConnection),
}

/// How one operation ended, when a response came back at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// An error status or reply (counted, the connection stays).
    Failure,
}

impl Client {
    /// Performs `operation`; `Err` means the connection is unusable (reconnect).
    pub async fn perform(
        &mut self,
        target: &Target,
        operation: Operation,
    ) -> anyhow::Result<Outcome> {
        match self {
            Client::Http(connection) => http(connection, target, operation).await,
            Client::Resp(connection) => resp(connection, target, operation).await,
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Client::Http(connection) => connection.is_closed(),
            Client::Resp(_) => false,
        }
    }
}

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

fn etcd_key(key: u64) -> String {
    BASE64.encode(format!("log/{key:010}"))
}

async fn http(
    connection: &mut Connection,
    target: &Target,
    operation: Operation,
) -> anyhow::Result<Outcome> {
    let (method, path, body): (Method, String, String) = match (target.kind, operation) {
        (Kind::Quorate, Operation::Write { key, bytes }) => {
            let body = target.messages.with(bytes, |message, _| {
                format!(r#"{{"id":{key},"msg":"{message}"}}"#)
            });
            (Method::POST, "/app/log/private".into(), body)
        }
        (Kind::Quorate, Operation::Read { key }) => (
            Method::GET,
            format!("/app/log/private?id={key}"),
            String::new(),
        ),
        (Kind::Quorate, Operation::WriteCommitted { key }) => {
            return quorate_write_committed(connection, target, key).await;
        }
        (Kind::Etcd, Operation::Write { key, bytes }) => {
            let body = target.messages.with(bytes, |_, encoded| {
                format!(r#"{{"key":"{}","value":"{encoded}"}}"#, etcd_key(key))
            });
            (Method::POST, "/v3/kv/put".into(), body)
        }
        (Kind::Etcd, Operation::WriteCommitted { key }) => {
            // etcd answers a put once it is committed and applied.
            let body = target.messages.with(20, |_, encoded| {
                format!(r#"{{"key":"{}","value":"{encoded}"}}"#, etcd_key(key))
            });
            (Method::POST, "/v3/kv/put".into(), body)
        }
        (Kind::Etcd, Operation::Read { key }) => (
            Method::POST,
            "/v3/kv/range".into(),
            format!(r#"{{"key":"{}","serializable":true}}"#, etcd_key(key)),
        ),
        (Kind::Nginx, Operation::Read { .. }) => (Method::GET, "/".into(), String::new()),
        (Kind::Nginx, Operation::Write { bytes, .. }) => {
            let body = target.messages.with(bytes, |message, _| {
                format!(r#"{{"id":0,"msg":"{message}"}}"#)
            });
            (Method::POST, "/".into(), body)
        }
        (Kind::Nginx, Operation::WriteCommitted { .. }) | (Kind::Redis, _) => {
            bail!("{} is not driven over HTTP", target.kind.name())
        }
    };
    let headers: &[(&str, &str)] = if body.is_empty() { &[] } else { &JSON };
    let response = connection
        .request(method, &path, headers, Bytes::from(body))
        .await?;
    Ok(if response.status.is_success() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// A 20-byte write, then `GET /app/commit` (answered from the node's published status, no
/// driver round trip) every millisecond until the commit point reaches the write's seqno, and
/// one `GET /app/tx` to confirm it is `Committed` in its view (CCF's client-side rule).
async fn quorate_write_committed(
    connection: &mut Connection,
    target: &Target,
    key: u64,
) -> anyhow::Result<Outcome> {
    let body = target.messages.with(20, |message, _| {
        format!(r#"{{"id":{key},"msg":"{message}"}}"#)
    });
    let response = connection
        .request(Method::POST, "/app/log/private", &JSON, Bytes::from(body))
        .await?;
    if !response.status.is_success() {
        return Ok(Outcome::Failure);
    }
    let Some((view, seqno)) = response.transaction_id() else {
        return Ok(Outcome::Failure);
    };
    let began = std::time::Instant::now();
    loop {
        let response = connection.get("/app/commit").await?;
        match response.transaction_id() {
            Some((_, committed)) if committed >= seqno => break,
            Some(_) if began.elapsed() < COMMIT_WAIT_LIMIT => {
                tokio::time::sleep(COMMIT_POLL_INTERVAL).await;
            }
            _ => return Ok(Outcome::Failure),
        }
    }
    let response = connection
        .get(&format!("/app/tx?transaction_id={view}.{seqno}"))
        .await?;
    let status = response
        .json()
        .ok()
        .and_then(|body| body.get("status")?.as_str().map(str::to_owned));
    Ok(if status.as_deref() == Some("Committed") {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

async fn resp(
    connection: &mut RespConnection,
    target: &Target,
    operation: Operation,
) -> anyhow::Result<Outcome> {
    let reply = match operation {
        Operation::Write { key, bytes } => {
            let name = format!("log/{key:010}");
            let message = target.messages.get(bytes).0;
            connection
                .command(&[b"SET", name.as_bytes(), message.as_bytes()])
                .await?
        }
        Operation::WriteCommitted { key } => {
            // With `appendfsync always` Redis answers once the write is on disk.
            let name = format!("log/{key:010}");
            let message = target.messages.get(20).0;
            connection
                .command(&[b"SET", name.as_bytes(), message.as_bytes()])
                .await?
        }
        Operation::Read { key } => {
            let name = format!("log/{key:010}");
            connection.command(&[b"GET", name.as_bytes()]).await?
        }
    };
    Ok(match reply {
        Reply::Status(_) | Reply::Integer(_) | Reply::Bulk(Some(_)) => Outcome::Success,
        Reply::Error(_) | Reply::Bulk(None) => Outcome::Failure,
    })
}
