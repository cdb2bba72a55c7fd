//! Crash durability on node processes: SIGKILL of the primary during concurrent writes loses
//! nothing that committed; a half-written entry at the end of a ledger (a torn write) is cut
//! and the node catches up; a byte changed in the middle of a ledger stops
//! the node with the file, offset and seqno; private data never reaches the ledger files or
//! logs in clear, and key files are private to their owner.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use quorate_node::client::Connection;
use serde_json::json;
use support::{Sandbox, eventually, primary_index, signal, try_get};

/// Record id → (transaction id, message) of every write answered 200.
type Acknowledged = BTreeMap<u64, ((u64, u64), String)>;

const STARTUP: Duration = Duration::from_secs(90);
const SETTLE: Duration = Duration::from_secs(30);

/// The ledger chunk files of node `index`, in seqno order.
fn chunks(sandbox: &Sandbox, index: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sandbox.node_dir(index).join("ledger"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("ledger_"))
        })
        .collect();
    files.sort_by_key(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.trim_start_matches("ledger_").split(['-', '.']).next())
            .and_then(|start| start.parse::<u64>().ok())
            .unwrap_or(0)
    });
    files
}

async fn read_record(sandbox: &Sandbox, index: usize, id: u64) -> Option<String> {
    let user = sandbox.tls(Some("user0"));
    let response = try_get(
        &user,
        sandbox.address(index),
        &format!("/app/log/private?id={id}"),
    )
    .await?;
    (response.status == StatusCode::OK)
        .then(|| response.json().ok())
        .flatten()
        .and_then(|body| body["msg"].as_str().map(str::to_owned))
}

async fn status_of(sandbox: &Sandbox, index: usize, txid: (u64, u64)) -> Option<String> {
    let path = format!("/app/tx?transaction_id={}.{}", txid.0, txid.1);
    let response = try_get(&sandbox.tls(None), sandbox.address(index), &path).await?;
    response.json().ok()?["status"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_primary_during_writes_loses_no_committed_write() {
    let mut sandbox = Sandbox::start(3, STARTUP);
    let primary = eventually(SETTLE, "a primary", || primary_index(&sandbox, 0)).await;
    let user = sandbox.tls(Some("user0"));
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..8u64 {
        let user = user.clone();
        let acknowledged = Arc::clone(&acknowledged);
        let addresses: Vec<_> = (0..3).map(|i| sandbox.address(i)).collect();
        writers.push(tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
            let mut sequence = 0u64;
            while tokio::time::Instant::now() < deadline {
                let target = addresses[((writer + sequence) % 3) as usize];
                sequence += 1;
                let Ok(mut connection) = Connection::connect(&user, target).await else {
                    continue;
                };
                let id = writer * 1_000_000 + sequence;
                let msg = format!("w{writer} s{sequence}");
                if let Ok(response) = connection
                    .post_json("/app/log/private", &json!({"id": id, "msg": msg}))
                    .await
                    && response.status == StatusCode::OK
                    && let Some(txid) = response.transaction_id()
                {
                    acknowledged.lock().unwrap().insert(id, (txid, msg));
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    signal(sandbox.pid(primary), "-KILL");
    for writer in writers {
        writer.await.unwrap();
    }
    let survivor = (primary + 1) % 3;
    eventually(SETTLE, "a new primary", || async {
        let seen = primary_index(&sandbox, survivor).await?;
        (seen != primary).then_some(seen)
    })
    .await;
    sandbox.restart_node(primary);
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "only {} writes acknowledged",
        acknowledged.len()
    );
    let mut committed = 0;
    for (id, (txid, msg)) in &acknowledged {
        // Every acknowledged write ends Committed or Invalid (lost before it committed).
        let status = eventually(SETTLE, "a final status", || async {
            let status = status_of(&sandbox, survivor, *txid).await?;
            (status == "Committed" || status == "Invalid").then_some(status)
        })
        .await;
        if status == "Committed" {
            committed += 1;
            for index in 0..3 {
                let read =
                    eventually(SETTLE, "the record", || read_record(&sandbox, index, *id)).await;
                assert_eq!(&read, msg, "node {index} id {id}");
            }
        }
    }
    assert!(committed > 0);
    sandbox.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_and_a_corrupt_middle_is_named() {
    let mut sandbox = Sandbox::start(3, STARTUP);
    let user = sandbox.tls(Some("user0"));
    let primary = eventually(SETTLE, "a primary", || primary_index(&sandbox, 0)).await;
    let mut connection = Connection::connect(&user, sandbox.address(primary))
        .await
        .unwrap();
    let secret_marker = "PRIVATE-MARKER-7f3a9c";
    let public_marker = "PUBLIC-MARKER-2b8e1d";
    let mut last = (0, 0);
    for id in 0..40u64 {
        let response = connection
            .post_json(
                "/app/log/private",
                &json!({"id": id, "msg": format!("{secret_marker} {id}")}),
            )
            .await
            .unwrap();
        last = response.transaction_id().unwrap();
    }
    connection
        .post_json("/app/log/public", &json!({"id": 1, "msg": public_marker}))
        .await
        .unwrap();
    eventually(SETTLE, "the writes to commit everywhere", || async {
        for index in 0..3 {
            if status_of(&sandbox, index, last).await.as_deref() != Some("Committed") {
                return None;
            }
        }
        Some(())
    })
    .await;
    sandbox.stop();

    // Private data is encrypted in every ledger file and absent from logs; public data is not.
    for index in 0..3 {
        let mut ledger = Vec::new();
        for chunk in chunks(&sandbox, index) {
            ledger.extend(std::fs::read(chunk).unwrap());
        }
        let contains = |needle: &str| ledger.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(
            !contains(secret_marker),
            "node {index}: private data in clear in the ledger"
        );
        assert!(
            contains(public_marker),
            "node {index}: public data not found (test is wrong)"
        );
        for log in ["out", "err"] {
            let text =
                std::fs::read_to_string(sandbox.node_dir(index).join(log)).unwrap_or_default();
            assert!(
                !text.contains(secret_marker),
                "node {index} {log} shows private data"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let secrets = sandbox
                .node_dir(index)
                .join(quorate_node::service::SECRETS_FILE_NAME);
            let mode = std::fs::metadata(secrets).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "node {index} secrets file");
        }
    }
    #[cfg(unix)]
    for name in ["user0_privk.pem", "member0_privk.pem"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sandbox.common().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }

    // A torn write: a crash in the middle of appending an entry that was never synced leaves
    // its first bytes (a header announcing more than follows, then part of the body) at the
    // end of node 1's chunk in progress.
    let torn = chunks(&sandbox, 1).pop().unwrap();
    let mut bytes = std::fs::read(&torn).unwrap();
    let partial = 3 + bytes.len() % 29;
    bytes.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0]);
    bytes.extend(std::iter::repeat_n(0x5a, partial));
    std::fs::write(&torn, bytes).unwrap();
    sandbox.resume(STARTUP);
    let mut connection = Connection::connect(&user, sandbox.address(primary))
        .await
        .unwrap();
    let after = connection
        .post_json(
            "/app/log/private",
            &json!({"id": 100, "msg": "after the tear"}),
        )
        .await
        .unwrap();
    let after = after.transaction_id().unwrap();
    eventually(SETTLE, "node 1 to catch up", || async {
        (status_of(&sandbox, 1, after).await.as_deref() == Some("Committed")).then_some(())
    })
    .await;
    for id in [0, 39, 100] {
        assert!(
            eventually(SETTLE, "a record on node 1", || read_record(
                &sandbox, 1, id
            ))
            .await
            .len()
                > 3
        );
    }
    sandbox.stop();

    // A changed byte in the middle of node 2's ledger: the node refuses to start and says where.
    let first = chunks(&sandbox, 2).remove(0);
    let mut bytes = std::fs::read(&first).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&first, bytes).unwrap();
    let output = std::process::Command::new(support::QUORATE)
        .args(["node", "start", "--config", "config.json"])
        .current_dir(sandbox.node_dir(2))
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a node with a corrupt ledger started"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(name), "{stderr}");
    assert!(stderr.contains("seqno"), "{stderr}");
    assert!(
        stderr.contains("byte") || stderr.contains("offset"),
        "{stderr}"
    );
}
