//! Handler calls per second on one thread, for the JS logging app's write and read handlers
//! against a real store, and for a handler that does nothing (what the call path itself costs:
//! building CCF's request object and reading the response): `cargo run --release -p
//! quorate-js --example call_rate [calls]`.
//!
//! Requests are shaped as the node makes them for the benchmark's client: user0's
//! certificate as `caller.cert`, the headers an HTTP/1.1 client sends. Each figure is the
//! best of five rounds of `calls` (default 50,000), in the thread's own CPU time
//! (`/proc/thread-self/stat`, in clock ticks: time spent waiting for a core on a shared box is
//! not counted), or wall time where that is not available.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use quorate_js::{Bundle, Handler, HostInput, JsLimits, JsRequest, call};
use quorate_kv::Store;

/// Rounds per handler; the fastest is reported.
const ROUNDS: usize = 5;

/// A module beside the app's, for the fixed cost of a call.
const EMPTY_MODULE: &str = "export const empty = () => ({ body: true });";

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(50_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../apps/logging-js");
    let mut bundle = Bundle::from_dir(&dir).unwrap();
    bundle
        .modules
        .insert("/empty.js".into(), EMPTY_MODULE.into());
    let bundle = Arc::new(bundle);
    let key = quorate_crypto::KeyPair::generate().unwrap();
    let validity = quorate_crypto::Validity::from_days(1_700_000_000, 365).unwrap();
    let cert =
        quorate_crypto::create_self_signed_certificate(&key, "user0", &[], &validity, 1).unwrap();
    let caller = serde_json::json!({
        "policy": "user_cert",
        "id": cert.fingerprint_sha256_hex(),
        "data": null,
        "cert": cert.pem(),
    });
    let store = Store::new();
    // The benchmark suite's messages: 20 bytes and 1 KiB.
    let small = format!(r#"{{"id":7,"msg":"{}"}}"#, "x".repeat(20));
    let large = format!(r#"{{"id":8,"msg":"{}"}}"#, "x".repeat(1024));
    for (name, module, function, method, body, query) in [
        ("empty", "empty.js", "empty", "POST", "", ""),
        ("write-20B", "logging.js", "postPrivate", "POST", &small, ""),
        (
            "write-1KiB",
            "logging.js",
            "postPrivate",
            "POST",
            &large,
            "",
        ),
        ("read-20B", "logging.js", "getPrivate", "GET", "", "id=7"),
        ("read-1KiB", "logging.js", "getPrivate", "GET", "", "id=8"),
    ] {
        let mut headers = vec![("host".to_owned(), "127.0.0.1:8000".to_owned())];
        if !body.is_empty() {
            headers.push(("content-type".into(), "application/json".into()));
            headers.push(("content-length".into(), body.len().to_string()));
        }
        let request = JsRequest {
            method: method.into(),
            url: if query.is_empty() {
                "/app/log/private".into()
            } else {
                format!("/app/log/private?{query}")
            },
            path: "/app/log/private".into(),
            route: "/log/private".into(),
            query: query.into(),
            hostname: "127.0.0.1:8000".into(),
            headers,
            body: Bytes::from(body.to_owned()),
            caller: caller.clone(),
            ..JsRequest::default()
        };
        let mut best = f64::INFINITY;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let started_cpu = thread_cpu_seconds();
            for _ in 0..count {
                let input = HostInput {
                    tx: Some(store.begin()),
                    writable: true,
                    consensus: quorate_js::ConsensusView::default(),
                    historical: None,
                    history: None,
                    governance: None,
                };
                let (output, outcome) = call(
                    &bundle,
                    JsLimits::default(),
                    Handler { module, function },
                    &request,
                    input,
                );
                assert_eq!(outcome.unwrap().status, 200);
                if let Some(tx) = output.tx {
                    store.commit(tx).unwrap();
                }
            }
            let spent = match (started_cpu, thread_cpu_seconds()) {
                (Some(before), Some(after)) => after - before,
                _ => started.elapsed().as_secs_f64(),
            };
            best = best.min(spent / count as f64);
        }
        println!(
            "{name}: {:.0} calls/s of CPU ({:.1} µs per call)",
            1.0 / best,
            best * 1e6
        );
    }
}

/// This thread's user and system time so far, from `/proc/thread-self/stat` (fields 14 and
/// 15, after the parenthesised command name), in clock ticks of 10 ms (Linux's `USER_HZ`).
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}
