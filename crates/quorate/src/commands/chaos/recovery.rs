//! Measuring recovery: after the nemesis heals a fault, how long until the service accepts a
//! write and commits it (the bound: 3 s), and whether every node then catches up.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use quorate_node::client::{ClientTls, request_once};
use serde_json::json;
use tokio::time::Instant;

use super::history::Clock;
use super::observer::Observer;

/// The key the probe writes: outside the workload's keys, so it does not touch the history.
pub const PROBE_KEY: u64 = 1 << 40;

/// Between two tries, and between two looks at a transaction's status.
const RETRY: Duration = Duration::from_millis(50);

/// Writes until one write is Committed; the time that took after `since_ms`. `None` if none
/// was within `within`.
pub async fn probe_write(
    tls: &ClientTls,
    addresses: &[SocketAddr],
    observer: &Observer,
    clock: &Clock,
    since_ms: u64,
    within: Duration,
) -> Option<u64> {
    let deadline = Instant::now() + within;
    let mut attempt = 0usize;
    while Instant::now() < deadline {
        attempt += 1;
        let node = observer
            .primary()
            .unwrap_or(attempt % addresses.len().max(1));
        if let Some(address) = addresses.get(node)
            && commit_one(tls, *address, attempt, deadline).await
        {
            return Some(clock.ms().saturating_sub(since_ms));
        }
        tokio::time::sleep(RETRY).await;
    }
    None
}

/// One write at `address` and its status until Committed (`true`), Invalid or the deadline.
async fn commit_one(
    tls: &ClientTls,
    address: SocketAddr,
    attempt: usize,
    deadline: Instant,
) -> bool {
    let body = json!({ "id": PROBE_KEY, "msg": format!("probe {attempt}") }).to_string();
    let Ok(response) = request_once(
        tls,
        address,
        Method::POST,
        "/app/log/private",
        Bytes::from(body),
    )
    .await
    else {
        return false;
    };
    let Some((view, seqno)) = response
        .status
        .is_success()
        .then(|| response.transaction_id())
        .flatten()
    else {
        return false;
    };
    let path = format!("/app/tx?transaction_id={view}.{seqno}");
    while Instant::now() < deadline {
        if let Ok(status) = request_once(tls, address, Method::GET, &path, Bytes::new()).await
            && status.status == StatusCode::OK
        {
            match status
                .json()
                .ok()
                .and_then(|b| b["status"].as_str().map(str::to_owned))
            {
                Some(s) if s == "Committed" => return true,
                Some(s) if s == "Invalid" => return false,
                _ => {}
            }
        }
        tokio::time::sleep(RETRY).await;
    }
    false
}

/// Waits until every node in `nodes` is reachable and has committed `target`; the nodes that
/// had not when `within` ran out.
pub async fn wait_caught_up(
    observer: &mut Observer,
    nodes: &[usize],
    target: u64,
    within: Duration,
) -> Vec<usize> {
    let deadline = Instant::now() + within;
    loop {
        let views = observer.views();
        let behind: Vec<usize> = nodes
            .iter()
            .copied()
            .filter(|&node| {
                views
                    .get(node)
                    .is_none_or(|v| !v.reachable || v.commit < target)
            })
            .collect();
        if behind.is_empty() || Instant::now() > deadline {
            return behind;
        }
        let _ = tokio::time::timeout(Duration::from_millis(500), observer.changed()).await;
    }
}
