//! The README's service, for real: `quorate sandbox` runs three node processes on loopback.
//! Writes with user0's certificate are read back from every node, a write sent to a backup is
//! forwarded, the primary is killed with SIGKILL and a new one takes over without losing any
//! write `/app/tx` reported Committed, the killed node restarts from its disk and catches up,
//! the sandbox resumes from its ledger, and every node's ledger verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Method, StatusCode};
use quorate_node::client::Connection;
use support::{Sandbox, call, eventually, post_record, primary_index, quorate, signal, try_get};

const STARTUP: Duration = Duration::from_secs(90);
/// CCF's ledger reader from its Python package, which `test.sh` installs.
const READ_LEDGER: &str = "/tmp/ccfpy/bin/read_ledger.py";
const SETTLE: Duration = Duration::from_secs(30);

/// Waits until `txid` is Committed as node `index` sees it.
async fn committed(sandbox: &Sandbox, index: usize, txid: (u64, u64)) {
    let tls = sandbox.tls(None);
    let path = format!("/app/tx?transaction_id={}.{}", txid.0, txid.1);
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let status = match try_get(&tls, sandbox.address(index), &path).await {
            Some(response) => response
                .json()
                .ok()
                .and_then(|body| body["status"].as_str().map(str::to_owned)),
            None => None,
        };
        assert_ne!(status.as_deref(), Some("Invalid"), "{path} became Invalid");
        if status.as_deref() == Some("Committed") {
            return;
        }
        if std::time::Instant::now() > deadline {
            for node in 0..3 {
                for probe in ["/node/commit", "/node/consensus"] {
                    let answer = try_get(&tls, sandbox.address(node), probe).await;
                    println!(
                        "node {node} {probe}: {:?}",
                        answer.map(|a| String::from_utf8_lossy(&a.body).into_owned())
                    );
                }
            }
            sandbox.dump_logs();
            panic!("{path} at node {index} is still {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every record in `expected` reads back from node `index`.
async fn reads_back(sandbox: &Sandbox, index: usize, expected: &BTreeMap<u64, String>) {
    let tls = sandbox.tls(Some("user0"));
    for (id, msg) in expected {
        let path = format!("/app/log/private?id={id}");
        let got = eventually(SETTLE, &format!("node {index} {path}"), || {
            let tls = tls.clone();
            let path = path.clone();
            async move {
                let response = try_get(&tls, sandbox.address(index), &path).await?;
                (response.status == StatusCode::OK)
                    .then(|| response.json().ok())
                    .flatten()
            }
        })
        .await;
        assert_eq!(got["msg"], msg.as_str(), "node {index} record {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_forward_fail_over_restart_and_resume() {
    let mut sandbox = Sandbox::start(3, STARTUP);
    let user = sandbox.tls(Some("user0"));
    let primary = eventually(SETTLE, "a primary", || primary_index(&sandbox, 0)).await;
    let backup = (primary + 1) % 3;
    let mut written = BTreeMap::new();

    // Writes at the primary and, forwarded, at a backup.
    let mut at_primary = Connection::connect(&user, sandbox.address(primary))
        .await
        .unwrap();
    let mut at_backup = Connection::connect(&user, sandbox.address(backup))
        .await
        .unwrap();
    let mut last = (0, 0);
    for id in 0..30u64 {
        let msg = format!("message {id}");
        let connection = if id % 3 == 0 {
            &mut at_backup
        } else {
            &mut at_primary
        };
        let response = post_record(connection, "private", id, &msg).await;
        assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
        assert_eq!(response.body.as_ref(), b"true");
        last = response.transaction_id().expect("a transaction id");
        written.insert(id, msg);
    }
    // Session consistency: the backup session that forwarded reads its own last write.
    let own = at_backup.get("/app/log/private?id=27").await.unwrap();
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json().unwrap()["msg"], "message 27");
    let metrics = at_backup.get("/node/metrics").await.unwrap();
    let metrics = String::from_utf8_lossy(&metrics.body).into_owned();
    assert!(
        metrics.contains(
            r#"quorate_endpoint_forwarded_total{method="POST",path="/app/log/private"} 10"#
        ),
        "{metrics}"
    );
    committed(&sandbox, primary, last).await;
    for index in 0..3 {
        reads_back(&sandbox, index, &written).await;
    }

    // A receipt for a committed write verifies against the service certificate's node.
    let receipt = call(
        &sandbox.tls(None),
        sandbox.address(backup),
        Method::GET,
        &format!("/app/receipt?transaction_id={}.{}", last.0, last.1),
        None,
    )
    .await;
    assert_eq!(receipt.status, StatusCode::OK);
    let receipt = receipt.json().unwrap();
    assert!(
        receipt["leaf_components"]["commit_evidence"]
            .as_str()
            .unwrap()
            .starts_with("ce:")
    );

    // SIGKILL the primary: the others elect a new one and keep every committed write.
    signal(sandbox.pid(primary), "-KILL");
    let survivor = (primary + 1) % 3;
    let new_primary = eventually(SETTLE, "a new primary", || async {
        let seen = primary_index(&sandbox, survivor).await?;
        (seen != primary).then_some(seen)
    })
    .await;
    let mut at_new = Connection::connect(&user, sandbox.address(new_primary))
        .await
        .unwrap();
    for id in 100..110u64 {
        let msg = format!("after failover {id}");
        let response = post_record(&mut at_new, "private", id, &msg).await;
        assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
        last = response.transaction_id().unwrap();
        written.insert(id, msg);
    }
    committed(&sandbox, new_primary, last).await;
    for index in (0..3).filter(|i| *i != primary) {
        reads_back(&sandbox, index, &written).await;
    }

    // The killed node restarts from its own disk and catches up.
    sandbox.restart_node(primary);
    committed(&sandbox, primary, last).await;
    reads_back(&sandbox, primary, &written).await;

    // Stop everything; the sandbox resumes from the ledgers with the data intact.
    sandbox.resume(STARTUP);
    for index in 0..3 {
        reads_back(&sandbox, index, &written).await;
    }
    sandbox.stop();

    let service_cert = sandbox.common().join("service_cert.pem");
    for index in 0..3 {
        let ledger = sandbox.node_dir(index).join("ledger");
        let (ok, output) = quorate(
            &[
                "ledger",
                "verify",
                ledger.to_str().unwrap(),
                "--service-cert",
                service_cert.to_str().unwrap(),
            ],
            sandbox.workspace.path(),
        );
        assert!(ok, "node {index} ledger: {output}");
        // CCF's own reader (installed by test.sh) verifies the same files, failover included.
        let output = std::process::Command::new(READ_LEDGER)
            .args(["-q", "--uncommitted"])
            .arg(&ledger)
            .output()
            .unwrap_or_else(|e| {
                panic!("{READ_LEDGER} (run ../shared/ccf-compat/setup_venv.sh): {e}")
            });
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && text.contains("Verified FULL"),
            "node {index}: read_ledger.py: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// With `redirections.to_primary` on the interface, a backup answers a write with 307 to the
/// primary's address instead of forwarding it, and the write succeeds there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_mode_sends_writes_to_the_primary() {
    let mut sandbox = Sandbox::start(3, STARTUP);
    sandbox.stop();
    for index in 0..3 {
        let file = sandbox.node_dir(index).join("config.json");
        let mut config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        config["network"]["rpc_interfaces"]["primary_rpc_interface"]["redirections"] = serde_json::json!({
            "to_primary": { "kind": "NodeByRole", "target": { "role": "primary" } }
        });
        std::fs::write(&file, config.to_string()).unwrap();
    }
    sandbox.resume(STARTUP);
    let user = sandbox.tls(Some("user0"));
    // Right after a resume the primary may still change: ask again until a backup redirects.
    let (primary, mut at_backup, redirected) =
        eventually(SETTLE, "a backup that redirects writes", || async {
            let primary = primary_index(&sandbox, 0).await?;
            let backup = (primary + 1) % 3;
            let mut at_backup = Connection::connect(&user, sandbox.address(backup))
                .await
                .ok()?;
            let redirected = post_record(&mut at_backup, "private", 7, "redirected").await;
            if redirected.status != StatusCode::TEMPORARY_REDIRECT {
                println!("backup {backup} answered {}", redirected.status);
                return None;
            }
            Some((primary, at_backup, redirected))
        })
        .await;
    let location = redirected.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!(
            "https://127.0.0.1:{}/app/log/private",
            sandbox.rpc_ports[primary]
        )
    );
    let mut at_primary = Connection::connect(&user, sandbox.address(primary))
        .await
        .unwrap();
    let written = post_record(&mut at_primary, "private", 7, "redirected").await;
    assert_eq!(written.status, StatusCode::OK);
    // Reads are still served by the backup itself.
    let read = at_backup.get("/app/log/private?id=7").await.unwrap();
    assert!(read.status == StatusCode::OK || read.status == StatusCode::NOT_FOUND);
    sandbox.stop();
}
