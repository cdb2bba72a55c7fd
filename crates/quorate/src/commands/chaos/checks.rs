//! The checkers run after the nemesis has healed everything and the clients have stopped:
//!
//! - **final reads**: every key on every node, once every node has caught up; the values must
//!   agree, and they join the history as reads;
//! - **committed writes present**: every write acknowledged Committed is read back, on every
//!   node, as the value its own transaction wrote (`/app/log/private/historical` at its
//!   transaction id): a lost or rolled-back committed write is data loss;
//! - **linearizability** of the history (`history.rs` says what is in it), with the simulator's
//!   checker, one partition per key;
//! - **ledgers**: `quorate ledger verify` and CCF's `read_ledger.py` on every node's ledger,
//!   with the nodes stopped;
//! - **panics**: the nodes' logs, scanned.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use quorate_node::client::{ClientTls, Connection};
use quorate_sim::linearizability::{KvModel, Verdict, check_operations};

use super::cluster::Cluster;
use super::history::{Clock, ReadRecord, SharedHistory, TxId};

/// Attempts per request before a final check gives up on a node.
const ATTEMPTS: usize = 5;

/// The checker's search budget per key.
const STEP_BUDGET: u64 = 50_000_000;

/// One GET (with extra headers) with retries over a kept connection.
async fn get(
    tls: &ClientTls,
    address: SocketAddr,
    connection: &mut Option<Connection>,
    path: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<quorate_node::client::ClientResponse> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        if connection.as_ref().is_none_or(Connection::is_closed) {
            *connection = Connection::connect(tls, address).await.ok();
        }
        if let Some(open) = connection.as_mut() {
            match open
                .request(http::Method::GET, path, headers, bytes::Bytes::new())
                .await
            {
                Ok(response) => return Ok(response),
                Err(error) => {
                    *connection = None;
                    last = Some(error.to_string());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!(
        "{path} on {address}: {}",
        last.unwrap_or_else(|| "cannot connect".to_owned())
    )
}

/// Reads every key on every node into the history's final reads; violations: nodes that could
/// not be read or had not reached `min_seqno`, and keys whose values differ between nodes.
pub async fn final_reads(
    history: &SharedHistory,
    tls: &ClientTls,
    addresses: &[SocketAddr],
    clock: &Clock,
    keys: u64,
    min_seqno: u64,
) -> Vec<String> {
    let mut violations = Vec::new();
    let mut values: BTreeMap<u64, BTreeMap<usize, Option<u64>>> = BTreeMap::new();
    for (node, address) in addresses.iter().enumerate() {
        let mut connection = None;
        for key in 0..keys {
            let invoke_ms = clock.ms();
            let response = get(
                tls,
                *address,
                &mut connection,
                &format!("/app/log/private?id={key}"),
                &[],
            )
            .await;
            let return_ms = clock.ms();
            let response = match response {
                Ok(response) => response,
                Err(error) => {
                    violations.push(format!("final read of key {key} on node {node}: {error:#}"));
                    continue;
                }
            };
            let value = if response.status == http::StatusCode::NOT_FOUND {
                None
            } else if let Some(value) = response
                .json()
                .ok()
                .and_then(|b| b["msg"].as_str().and_then(|m| m.parse::<u64>().ok()))
            {
                Some(value)
            } else {
                violations.push(format!(
                    "final read of key {key} on node {node}: {} {}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                ));
                continue;
            };
            let txid = response.transaction_id();
            if txid.is_none_or(|(_, seqno)| seqno < min_seqno) {
                violations.push(format!(
                    "node {node} read key {key} at {txid:?}, behind the last write's seqno {min_seqno}"
                ));
                continue;
            }
            values.entry(key).or_default().insert(node, value);
            if let Ok(mut history) = history.lock() {
                history.final_reads.push(ReadRecord {
                    client: 1_000_000 + node as u64,
                    key,
                    node,
                    invoke_ms,
                    return_ms,
                    value,
                    txid,
                    barrier: None,
                });
            }
        }
    }
    for (key, by_node) in values {
        let mut distinct: Vec<Option<u64>> = by_node.values().copied().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() > 1 {
            violations.push(format!("nodes disagree on key {key}: {by_node:?}"));
        }
    }
    violations
}

/// Reads back every committed write at its own transaction on every node; (writes checked,
/// violations).
pub async fn committed_present(
    history: &SharedHistory,
    tls: &ClientTls,
    addresses: &[SocketAddr],
) -> (usize, Vec<String>) {
    let committed: Vec<(u64, u64, TxId)> = match history.lock() {
        Ok(history) => history
            .writes
            .iter()
            .filter_map(|w| w.committed_txid().map(|txid| (w.key, w.value, txid)))
            .collect(),
        Err(_) => return (0, vec!["the history is poisoned".to_owned()]),
    };
    let mut tasks = Vec::new();
    for (node, address) in addresses.iter().enumerate() {
        for lane in 0..PRESENCE_LANES {
            let tls = tls.clone();
            let address = *address;
            let share: Vec<(u64, u64, TxId)> = committed
                .iter()
                .skip(lane)
                .step_by(PRESENCE_LANES)
                .copied()
                .collect();
            tasks.push(tokio::spawn(async move {
                check_present(node, &tls, address, share).await
            }));
        }
    }
    let mut violations = Vec::new();
    for task in tasks {
        match task.await {
            Ok(missing) => violations.extend(missing),
            Err(error) => violations.push(format!("a presence check failed: {error}")),
        }
    }
    (committed.len(), violations)
}

/// The linearizability verdict on the history: (operations checked, keys, verdict, passed).
pub fn linearizability(history: &SharedHistory, every_read: bool) -> (usize, usize, String, bool) {
    let operations = match history.lock() {
        Ok(history) => history.operations(every_read),
        Err(_) => return (0, 0, "the history is poisoned".to_owned(), false),
    };
    let mut keys: Vec<u64> = operations.iter().map(|o| o.input.key()).collect();
    keys.sort_unstable();
    keys.dedup();
    match check_operations(&KvModel, &operations, STEP_BUDGET) {
        Ok(verdict) => {
            let passed = !matches!(verdict, Verdict::NotLinearizable(_));
            (operations.len(), keys.len(), verdict.to_string(), passed)
        }
        Err(error) => (
            operations.len(),
            keys.len(),
            format!("the history could not be checked: {error}"),
            false,
        ),
    }
}

/// Connections per node reading committed writes back.
const PRESENCE_LANES: usize = 4;

/// Reads `committed` (key, value, TxID) back at their TxIDs on one node; what is missing.
async fn check_present(
    node: usize,
    tls: &ClientTls,
    address: SocketAddr,
    committed: Vec<(u64, u64, TxId)>,
) -> Vec<String> {
    let mut connection = None;
    let mut missing = Vec::new();
    for (key, value, (view, seqno)) in committed {
        let txid = format!("{view}.{seqno}");
        let response = get(
            tls,
            address,
            &mut connection,
            &format!("/app/log/private/historical?id={key}"),
            &[("x-ms-ccf-transaction-id", &txid)],
        )
        .await;
        let found = match &response {
            Ok(r) if r.status == http::StatusCode::OK => r
                .json()
                .ok()
                .and_then(|b| b["msg"].as_str().map(str::to_owned)),
            _ => None,
        };
        if found.as_deref() != Some(value.to_string().as_str()) {
            let seen = match response {
                Ok(r) => format!("{} {}", r.status, String::from_utf8_lossy(&r.body)),
                Err(error) => format!("{error:#}"),
            };
            missing.push(format!(
                "node {node}: committed write {value} to key {key} at {txid} not found: {seen}"
            ));
        }
    }
    missing
}

/// One node's ledger verdicts.
#[derive(Clone, Debug)]
pub struct LedgerVerdict {
    pub node: usize,
    pub quorate: Result<String, String>,
    /// `None`: CCF's tool was not run (`--read-ledger none`).
    pub read_ledger: Option<Result<String, String>>,
}

/// `quorate ledger verify` and `read_ledger.py` on every node's ledger (nodes stopped).
pub fn ledgers(
    cluster: &Cluster,
    read_ledger: Option<&Path>,
) -> anyhow::Result<Vec<LedgerVerdict>> {
    let executable = std::env::current_exe().context("finding the quorate executable")?;
    let service_cert = cluster.service_cert_file();
    let mut verdicts = Vec::new();
    for node in 0..cluster.nodes() {
        let ledger = cluster.ledger_dir(node);
        let quorate = outcome(
            Command::new(&executable)
                .args(["ledger", "verify"])
                .arg(&ledger)
                .arg("--service-cert")
                .arg(&service_cert),
        );
        let read_ledger = read_ledger.map(|tool| {
            outcome(
                Command::new(tool)
                    .args(["-q", "--uncommitted"])
                    .arg(&ledger),
            )
        });
        verdicts.push(LedgerVerdict {
            node,
            quorate,
            read_ledger,
        });
    }
    Ok(verdicts)
}

/// A command's last output line on success, or its status and output on failure.
fn outcome(command: &mut Command) -> Result<String, String> {
    match command.output() {
        Ok(output) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let last = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            if output.status.success() {
                Ok(last.chars().take(200).collect())
            } else {
                Err(format!(
                    "{}: {}",
                    output.status,
                    text.trim()
                        .chars()
                        .rev()
                        .take(600)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<String>()
                ))
            }
        }
        Err(error) => Err(error.to_string()),
    }
}

/// Lines of the nodes' logs that show a panic, as `node i: line`.
pub fn panics(cluster: &Cluster) -> Vec<String> {
    let mut found = Vec::new();
    for node in 0..cluster.nodes() {
        for name in ["out", "err"] {
            let Ok(text) = std::fs::read_to_string(cluster.node_dir(node).join(name)) else {
                continue;
            };
            found.extend(
                text.lines()
                    .filter(|line| line.contains("panicked at") || line.contains("stack backtrace"))
                    .map(|line| {
                        format!(
                            "node {node} ({name}): {}",
                            line.chars().take(300).collect::<String>()
                        )
                    }),
            );
        }
    }
    found
}
