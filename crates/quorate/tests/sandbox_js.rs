//! JS apps on real node processes: the JS logging app (`apps/logging-js`) answers a request
//! sequence exactly as the native logging app does, through a backup too; handlers that throw,
//! loop forever or exhaust memory get a 500 `JSException` within their limits while the node
//! keeps serving; a bundle that does not load stops the sandbox with a message naming it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};
use quorate_ledger::receipt::JsonReceipt;
use quorate_node::client::{ClientTls, Connection};
use serde_json::{Value, json};
use support::{QUORATE, Sandbox, call, eventually, primary_index, try_get};

const STARTUP: Duration = Duration::from_secs(90);

fn js_logging_app() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../apps/logging-js")
        .display()
        .to_string()
}

/// (method, path, body) — covers writes, reads, misses, bad input, scopes, counts, deletes.
fn sequence() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/app/log/private",
            Some(json!({"id": 1, "msg": "first"})),
        ),
        (
            Method::POST,
            "/app/log/public",
            Some(json!({"id": 1, "msg": "public first"})),
        ),
        (
            Method::POST,
            "/app/log/private",
            Some(json!({"id": 2, "msg": "second"})),
        ),
        (Method::GET, "/app/log/private?id=1", None),
        (Method::GET, "/app/log/public?id=1", None),
        (Method::GET, "/app/log/private?id=3", None),
        (Method::GET, "/app/log/private?id=abc", None),
        (Method::GET, "/app/log/private", None),
        (
            Method::POST,
            "/app/log/private",
            Some(json!({"id": 4, "msg": ""})),
        ),
        (Method::GET, "/app/log/private/count", None),
        (Method::GET, "/app/log/public/count", None),
        (
            Method::POST,
            "/app/log/private?scope=s1",
            Some(json!({"id": 1, "msg": "scoped"})),
        ),
        (Method::GET, "/app/log/private?id=1&scope=s1", None),
        (Method::GET, "/app/log/private/count?scope=s1", None),
        (Method::DELETE, "/app/log/private?id=1", None),
        (Method::DELETE, "/app/log/private?id=1", None),
        (Method::GET, "/app/log/private?id=1", None),
        (Method::DELETE, "/app/log/private/all", None),
        (Method::GET, "/app/log/private/count", None),
        (Method::GET, "/app/log/private?id=1&scope=s1", None),
    ]
}

/// Runs the sequence through node `index` on one connection; returns (status, body JSON).
async fn replay(sandbox: &Sandbox, index: usize) -> Vec<(StatusCode, Value)> {
    let user = sandbox.tls(Some("user0"));
    let mut connection = Connection::connect(&user, sandbox.address(index))
        .await
        .unwrap();
    let mut answers = Vec::new();
    for (method, path, body) in sequence() {
        let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let headers: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("content-type", "application/json")]
        };
        let response = connection
            .request(method.clone(), path, headers, body)
            .await
            .unwrap();
        let value = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&response.body).into_owned())
            })
        };
        answers.push((response.status, value));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_js_logging_app_answers_like_the_native_one() {
    let native = Sandbox::start(1, STARTUP);
    let js = Sandbox::start_with(3, STARTUP, &["--js-app", &js_logging_app()]);
    let expected = replay(&native, 0).await;
    let primary = eventually(Duration::from_secs(30), "a primary", || {
        primary_index(&js, 0)
    })
    .await;
    // Through a backup: writes are forwarded and the session then reads its own writes.
    let got = replay(&js, (primary + 1) % 3).await;
    for ((request, want), have) in sequence().iter().zip(&expected).zip(&got) {
        assert_eq!(want, have, "{} {}", request.0, request.1);
    }
    assert_eq!(expected[0].0, StatusCode::OK);
    assert_eq!(expected[5].0, StatusCode::NOT_FOUND);

    // Historical reads see the committed write, in the JS app too.
    let user = js.tls(Some("user0"));
    let mut connection = Connection::connect(&user, js.address(primary))
        .await
        .unwrap();
    let written = connection
        .post_json("/app/log/private", &json!({"id": 9, "msg": "then"}))
        .await
        .unwrap();
    let (view, seqno) = written.transaction_id().unwrap();
    let txid = format!("{view}.{seqno}");
    let found = eventually(Duration::from_secs(30), "a historical read", || {
        let user = user.clone();
        let txid = txid.clone();
        let address = js.address(primary);
        async move {
            let mut connection = Connection::connect(&user, address).await.ok()?;
            let response = connection
                .request(
                    Method::GET,
                    "/app/log/private/historical?id=9",
                    &[("x-ms-ccf-transaction-id", txid.as_str())],
                    Bytes::new(),
                )
                .await
                .ok()?;
            (response.status == StatusCode::OK)
                .then(|| response.json().ok())
                .flatten()
        }
    })
    .await;
    assert_eq!(found, json!({"msg": "then"}));

    // `ccf.historicalState.receipt`: CCF's JS shape of the same receipt `/app/receipt` gives,
    // and it verifies offline against the service certificate.
    let with_receipt = connection_request(
        &user,
        js.address(primary),
        "/app/log/private/historical_receipt?id=9",
        &txid,
    )
    .await;
    assert_eq!(with_receipt["msg"], "then", "{with_receipt}");
    let receipt = &with_receipt["receipt"];
    assert_eq!(receipt["is_signature_transaction"], false, "{receipt}");
    assert!(receipt.get("root_hex").is_none(), "{receipt}");
    let builtin = call(
        &user,
        js.address(primary),
        Method::GET,
        &format!("/app/receipt?transaction_id={txid}"),
        None,
    )
    .await
    .json()
    .unwrap();
    for field in ["cert", "node_id", "signature", "proof", "leaf_components"] {
        assert_eq!(
            receipt[field], builtin[field],
            "{field}: {receipt} against {builtin}"
        );
    }
    assert!(
        receipt["leaf_components"]["commit_evidence"]
            .as_str()
            .unwrap()
            .starts_with(&format!("ce:{txid}:"))
    );
    let parsed: JsonReceipt = serde_json::from_value(receipt.clone()).unwrap();
    parsed.verify(&js.service_cert(), None).unwrap();

    // `ccf.historical.getStateRange`, through CCF's range endpoint: every committed write of
    // id 9, in order, from the seqno of the first.
    let mut seqnos = vec![seqno];
    for msg in ["again", "last"] {
        let response = connection
            .post_json("/app/log/private", &json!({"id": 9, "msg": msg}))
            .await
            .unwrap();
        seqnos.push(response.transaction_id().unwrap().1);
    }
    let last = *seqnos.last().unwrap();
    let range = eventually(Duration::from_secs(30), "the range committed", || {
        let user = user.clone();
        let address = js.address(primary);
        async move {
            let response = call(
                &user,
                address,
                Method::GET,
                &format!("/app/log/private/historical/range?id=9&from_seqno={seqno}"),
                None,
            )
            .await;
            let body = response.json().ok()?;
            (response.status == StatusCode::OK
                && body["entries"].as_array()?.last()?["seqno"] == json!(last))
            .then_some(body)
        }
    })
    .await;
    let expected: Vec<Value> = seqnos
        .iter()
        .zip(["then", "again", "last"])
        .map(|(seqno, msg)| json!({"seqno": seqno, "id": 9, "msg": msg}))
        .collect();
    assert_eq!(range, json!({ "entries": expected }));
    let backwards = call(
        &user,
        js.address(primary),
        Method::GET,
        &format!("/app/log/private/historical/range?id=9&from_seqno={last}&to_seqno={seqno}"),
        None,
    )
    .await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
}

/// GET `path` with CCF's transaction id header; the JSON body of a 200.
async fn connection_request(
    user: &ClientTls,
    address: std::net::SocketAddr,
    path: &str,
    txid: &str,
) -> Value {
    let mut connection = Connection::connect(user, address).await.unwrap();
    let response = connection
        .request(
            Method::GET,
            path,
            &[("x-ms-ccf-transaction-id", txid)],
            Bytes::new(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    response.json().unwrap()
}

const FAILING_APP: &str = r#"
export function ok(request) { return { body: { ok: true } }; }
export function thrower(request) { throw new Error("deliberate"); }
export function spin(request) { for (;;) {} }
export function hog(request) { const a = []; for (;;) { a.push(new Array(1000000).fill(7)); } }
export function write_then_fail(request) { ccf.kv["records"].set(ccf.strToBuf("k"), ccf.strToBuf("v")); return { statusCode: 400, body: "no" }; }
export function read(request) { return { body: { has: ccf.kv["records"].has(ccf.strToBuf("k")) } }; }
export function range_receipts(request) {
  const end = ccf.consensus.getLastCommittedTxId().seqno;
  return { body: ccf.historical.getStateRange(0, 1, end, 0).map((s) => ({
    txid: s.transactionId, signature: s.receipt.is_signature_transaction,
    root: s.receipt.root_hex !== undefined, proof: Array.isArray(s.receipt.proof) })) };
}
export function range_in_write(request) { return { body: ccf.historical.getStateRange(0, 1, 1, 0) }; }
"#;

fn write_failing_app(dir: &Path) {
    let endpoint = |function: &str, mode: &str| {
        json!({"js_module": "app.js", "js_function": function, "authn_policies": ["user_cert"],
               "forwarding_required": "sometimes", "mode": mode})
    };
    let app = json!({"endpoints": {
        "/ok": {"get": endpoint("ok", "readonly")},
        "/throw": {"post": endpoint("thrower", "readwrite")},
        "/spin": {"post": endpoint("spin", "readwrite")},
        "/spin_ro": {"get": endpoint("spin", "readonly")},
        "/hog": {"post": endpoint("hog", "readwrite")},
        "/fail": {"post": endpoint("write_then_fail", "readwrite")},
        "/read": {"get": endpoint("read", "readonly")},
        "/range_receipts": {"get": endpoint("range_receipts", "readonly")},
        "/range_in_write": {"post": endpoint("range_in_write", "readwrite")},
    }});
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("app.json"), app.to_string()).unwrap();
    std::fs::write(dir.join("src/app.js"), FAILING_APP).unwrap();
}

/// A one-node sandbox serving [`FAILING_APP`] (from the returned directory), and user0's
/// connection to it.
async fn failing_app_sandbox() -> (tempfile::TempDir, Sandbox, Connection) {
    let dir = tempfile::tempdir().unwrap();
    write_failing_app(dir.path());
    let sandbox = Sandbox::start_with(1, STARTUP, &["--js-app", dir.path().to_str().unwrap()]);
    let user = sandbox.tls(Some("user0"));
    let connection = Connection::connect(&user, sandbox.address(0))
        .await
        .unwrap();
    (dir, sandbox, connection)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_handlers_get_500_and_the_node_keeps_serving() {
    let (_app, sandbox, mut connection) = failing_app_sandbox().await;
    for (method, path) in [
        (Method::POST, "/app/throw"),
        (Method::POST, "/app/spin"),
        (Method::GET, "/app/spin_ro"),
        (Method::POST, "/app/hog"),
    ] {
        let started = Instant::now();
        let response = connection
            .request(method.clone(), path, &[], Bytes::new())
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(
            response.error_code().as_deref(),
            Some("JSException"),
            "{path}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} took {:?}",
            started.elapsed()
        );
        let ok = connection.get("/app/ok").await.unwrap();
        assert_eq!(ok.status, StatusCode::OK, "after {path}");
    }
    // A handler that answers with an error commits nothing it wrote.
    let failed = connection
        .request(Method::POST, "/app/fail", &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    let read = connection.get("/app/read").await.unwrap();
    assert_eq!(read.json().unwrap(), json!({"has": false}));
    // The built-in endpoints still answer.
    assert!(
        try_get(&sandbox.tls(None), sandbox.address(0), "/node/commit")
            .await
            .is_some()
    );
}

/// `getStateRange` on a real node: every committed transaction from seqno 1, each with its
/// receipt (signature transactions with their signed root, others with a proof), read from
/// the driver's log; a read-write handler gets an exception, not a deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_state_range_reads_the_committed_log_with_receipts() {
    let (_app, _sandbox, mut connection) = failing_app_sandbox().await;
    let states = connection.get("/app/range_receipts").await.unwrap();
    assert_eq!(states.status, StatusCode::OK, "{:?}", states.body);
    let states = states.json().unwrap();
    let states = states.as_array().unwrap();
    assert!(states.len() > 3, "{states:?}");
    for (index, state) in states.iter().enumerate() {
        let seqno: u64 = state["txid"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(seqno, index as u64 + 1, "{state}");
        let signature = state["signature"].as_bool().unwrap();
        assert_eq!(state["root"], signature, "{state}");
        assert_eq!(state["proof"], !signature, "{state}");
    }
    assert!(states.iter().any(|s| s["signature"] == true), "{states:?}");
    assert!(states.iter().any(|s| s["signature"] == false), "{states:?}");
    let in_write = connection
        .request(Method::POST, "/app/range_in_write", &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(in_write.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(in_write.error_code().as_deref(), Some("JSException"));
    let ok = connection.get("/app/ok").await.unwrap();
    assert_eq!(ok.status, StatusCode::OK);
}

#[test]
fn a_bundle_that_does_not_load_stops_the_sandbox_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    write_failing_app(dir.path());
    std::fs::write(dir.path().join("app.json"), r#"{"endpoints": {"/x": {"get": {"js_module": "missing.js", "js_function": "f", "authn_policies": [], "forwarding_required": "never"}}}}"#).unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(QUORATE)
        .args([
            "sandbox",
            "--nodes",
            "1",
            "--startup-timeout-s",
            "30",
            "--port",
            "0",
            "--workspace",
        ])
        .arg(workspace.path())
        .arg("--js-app")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    // The sandbox checks the bundle before it starts a node (and proposes it).
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing.js"), "sandbox stderr: {stderr}");
    assert!(!workspace.path().join("sandbox_0/err").exists());
}

const API_APP: &str = r#"
export function crypto_round_trip(request) {
  const keys = ccf.crypto.generateEcdsaKeyPair("secp384r1");
  const data = ccf.strToBuf("payload");
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const signature = ccf.crypto.sign(algorithm, keys.privateKey, data);
  const verified = ccf.crypto.verifySignature(algorithm, keys.publicKey, signature, data);
  const tampered = ccf.crypto.verifySignature(algorithm, keys.publicKey, signature, ccf.strToBuf("other"));
  const aes = ccf.crypto.generateAesKey(256);
  const rsa = ccf.crypto.generateRsaKeyPair(2048);
  const wrapped = ccf.crypto.wrapKey(aes, ccf.strToBuf(rsa.publicKey), { name: "RSA-OAEP" });
  const unwrapped = ccf.crypto.unwrapKey(wrapped, ccf.strToBuf(rsa.privateKey), { name: "RSA-OAEP" });
  const hex = (b) => Array.from(new Uint8Array(b)).map((x) => x.toString(16).padStart(2, "0")).join("");
  const same = hex(aes) === hex(unwrapped);
  const jwk = ccf.crypto.pubPemToJwk(keys.publicKey);
  return { body: { verified, tampered, same, kty: jwk.kty, crv: jwk.crv } };
}
export function claim(request) {
  ccf.kv["claims"].set(ccf.strToBuf("k"), ccf.strToBuf("v"));
  ccf.rpc.setClaimsDigest(ccf.crypto.digest("SHA-256", ccf.strToBuf("my claim")));
  return { body: true };
}
export function consensus(request) {
  const { view, seqno } = ccf.consensus.getLastCommittedTxId();
  return { body: { view, seqno, status: ccf.consensus.getStatusForTxId(view, seqno),
                   viewOfFirst: ccf.consensus.getViewForSeqno(1) } };
}
"#;

/// Every `ccf` API family over HTTPS on a node process: crypto, rpc (a claims digest that the
/// transaction's receipt then carries) and consensus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ccf_api_families_work_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = |function: &str, mode: &str| {
        json!({"js_module": "api.js", "js_function": function, "authn_policies": ["user_cert"],
               "forwarding_required": "sometimes", "mode": mode})
    };
    let app = json!({"endpoints": {
        "/crypto": {"post": endpoint("crypto_round_trip", "readonly")},
        "/claim": {"post": endpoint("claim", "readwrite")},
        "/consensus": {"get": endpoint("consensus", "readonly")},
    }});
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("app.json"), app.to_string()).unwrap();
    std::fs::write(dir.path().join("src/api.js"), API_APP).unwrap();
    let sandbox = Sandbox::start_with(1, STARTUP, &["--js-app", dir.path().to_str().unwrap()]);
    let user = sandbox.tls(Some("user0"));
    let mut connection = Connection::connect(&user, sandbox.address(0))
        .await
        .unwrap();

    let crypto = connection
        .request(Method::POST, "/app/crypto", &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(crypto.status, StatusCode::OK, "{:?}", crypto.body);
    assert_eq!(
        crypto.json().unwrap(),
        json!({"verified": true, "tampered": false, "same": true, "kty": "EC", "crv": "P-384"})
    );

    let claimed = connection
        .request(Method::POST, "/app/claim", &[], Bytes::new())
        .await
        .unwrap();
    assert_eq!(claimed.status, StatusCode::OK);
    let (view, seqno) = claimed.transaction_id().unwrap();
    let path = format!("/app/receipt?transaction_id={view}.{seqno}");
    let receipt = eventually(Duration::from_secs(30), "a receipt", || {
        let user = user.clone();
        let path = path.clone();
        let address = sandbox.address(0);
        async move {
            let response = try_get(&user, address, &path).await?;
            (response.status == StatusCode::OK)
                .then(|| response.json().ok())
                .flatten()
        }
    })
    .await;
    assert_eq!(
        receipt["leaf_components"]["claims_digest"],
        json!(hex::encode(quorate_crypto::sha256(b"my claim")))
    );

    let consensus = connection
        .get("/app/consensus")
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(consensus["status"], "Committed");
    assert_eq!(consensus["view"], 2);
    assert_eq!(consensus["viewOfFirst"], 2);
}
