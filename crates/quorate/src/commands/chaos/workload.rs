//! The clients: each one, in a loop, reads a random key at the node it believes is the primary
//! and then writes a new unique value to a random key at the same node, on one kept connection
//! presenting user0's certificate. The write doubles as the read's barrier (see `history.rs`).
//! A redirect moves the client to the node it names; any failure sends it back to the
//! observer's idea of the primary. Every request is bounded by the client timeout, so a paused
//! or cut-off node costs a client that long, not the run.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use quorate_node::client::{ClientResponse, ClientTls, Connection};
use serde_json::json;
use tokio::sync::watch;

use super::history::{Clock, ReadRecord, SharedHistory, WriteAnswer, WriteRecord};
use super::network::Network;
use super::observer::Observer;
use super::rng::Rng;

/// What the clients share.
pub struct Workload {
    pub tls: ClientTls,
    pub addresses: Vec<SocketAddr>,
    pub network: Arc<Network>,
    pub observer: Observer,
    pub history: SharedHistory,
    pub clock: Clock,
    pub keys: u64,
    pub seed: u64,
    /// Pause between one client's operations, so that a few clients do not starve the nodes
    /// of the cores they share.
    pub think: Duration,
}

impl Workload {
    /// Client `client` until `stop`.
    pub async fn client(self: Arc<Self>, client: u64, stop: watch::Receiver<bool>) {
        let mut rng = Rng::derived(self.seed, 1000 + client);
        let mut target: Option<usize> = None;
        let mut connection: Option<Connection> = None;
        let mut counter = 0u64;
        while !*stop.borrow() {
            let Some(node) = target.or_else(|| self.observer.primary()) else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let Some(address) = self.addresses.get(node).copied() else {
                target = None;
                continue;
            };
            if connection
                .as_ref()
                .is_none_or(|c| c.is_closed() || c.peer_addr() != address)
            {
                connection = Connection::connect(&self.tls, address).await.ok();
            }
            let Some(open) = connection.as_mut() else {
                target = None;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let read = self
                .read(open, client, node, rng.between(0, self.keys - 1))
                .await;
            let Some(read) = read else {
                connection = None;
                target = None;
                continue;
            };
            counter += 1;
            let value = ((client + 1) << 40) | counter;
            let key = rng.between(0, self.keys - 1);
            let invoke_ms = self.clock.ms();
            let (answer, next) = self.write(open, node, key, value).await;
            let lost_connection = matches!(answer, WriteAnswer::Unknown(_));
            if let Ok(mut history) = self.history.lock() {
                let index = history.writes.len();
                history.writes.push(WriteRecord {
                    client,
                    key,
                    value,
                    invoke_ms,
                    answer,
                    resolution: super::history::Resolution::Pending,
                });
                if let Some(read_index) = read
                    && let Some(record) = history.reads.get_mut(read_index)
                {
                    record.barrier = Some(index);
                }
            }
            if lost_connection {
                connection = None;
            }
            target = next;
            tokio::time::sleep(self.think).await;
        }
    }

    /// Reads `key` at `node`: the index of the read's record (`Some(None)` when the answer was
    /// not a value but the connection is fine); `None` when the connection failed.
    async fn read(
        &self,
        connection: &mut Connection,
        client: u64,
        node: usize,
        key: u64,
    ) -> Option<Option<usize>> {
        let invoke_ms = self.clock.ms();
        let response = connection.get(&format!("/app/log/private?id={key}")).await;
        let return_ms = self.clock.ms();
        let value = match &response {
            Ok(response) => read_value(response),
            Err(_) => None,
        };
        let Ok(mut history) = self.history.lock() else {
            return None;
        };
        match (response, value) {
            (Ok(response), Some(value)) => {
                history.reads.push(ReadRecord {
                    client,
                    key,
                    node,
                    invoke_ms,
                    return_ms,
                    value,
                    txid: response.transaction_id(),
                    barrier: None,
                });
                Some(Some(history.reads.len() - 1))
            }
            (Ok(_), None) => {
                history.failed_reads += 1;
                Some(None)
            }
            (Err(_), _) => {
                history.failed_reads += 1;
                None
            }
        }
    }

    /// Writes `value` at `key` on `node`: how it was answered, and where to go next.
    async fn write(
        &self,
        connection: &mut Connection,
        node: usize,
        key: u64,
        value: u64,
    ) -> (WriteAnswer, Option<usize>) {
        let body = json!({ "id": key, "msg": value.to_string() });
        match connection.post_json("/app/log/private", &body).await {
            Ok(response) if response.status.is_success() => match response.transaction_id() {
                Some(txid) => (WriteAnswer::Acked { txid, node }, Some(node)),
                None => (
                    WriteAnswer::Unknown(format!("{} without a transaction id", response.status)),
                    Some(node),
                ),
            },
            Ok(response) if response.status == StatusCode::TEMPORARY_REDIRECT => {
                (WriteAnswer::Redirected, self.redirect_target(&response))
            }
            Ok(response) => (
                WriteAnswer::Unknown(format!(
                    "{} {}",
                    response.status,
                    response.error_code().unwrap_or_default()
                )),
                None,
            ),
            Err(error) => (WriteAnswer::Unknown(error.to_string()), None),
        }
    }

    /// The node a 307's `Location` names.
    fn redirect_target(&self, response: &ClientResponse) -> Option<usize> {
        let location = response
            .headers
            .get(http::header::LOCATION)?
            .to_str()
            .ok()?;
        let uri: http::Uri = location.parse().ok()?;
        let ip: IpAddr = uri.host()?.parse().ok()?;
        match ip {
            IpAddr::V4(ip) => self.network.node_with_ip(ip),
            IpAddr::V6(_) => None,
        }
    }
}

/// A read's value: `Some(Some(v))` for a record holding one of our values, `Some(None)` for
/// "no such record", `None` for anything else.
fn read_value(response: &ClientResponse) -> Option<Option<u64>> {
    if response.status == StatusCode::OK {
        let body = response.json().ok()?;
        return body["msg"].as_str()?.parse().ok().map(Some);
    }
    if response.status == StatusCode::NOT_FOUND
        && response.error_code().as_deref() == Some("ResourceNotFound")
    {
        return Some(None);
    }
    None
}
