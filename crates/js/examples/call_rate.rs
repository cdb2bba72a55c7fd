//! Handler calls per second on one thread, for the JS logging app's write and read handlers
//! against a real store: `cargo run --release -p quorate-js --example call_rate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use quorate_js::{Bundle, Handler, HostInput, JsLimits, JsRequest, call};
use quorate_kv::Store;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../apps/logging-js");
    let bundle = Arc::new(Bundle::from_dir(&dir).unwrap());
    let store = Store::new();
    let count = 20_000u64;
    for (name, function, body, query) in [
        ("write", "postPrivate", r#"{"id": 7, "msg": "hello"}"#, ""),
        ("read", "getPrivate", "", "id=7"),
    ] {
        let request = JsRequest {
            method: "POST".into(),
            url: format!("/app/log/private?{query}"),
            path: "/app/log/private".into(),
            route: "/log/private".into(),
            query: query.into(),
            body: Bytes::from(body),
            caller: serde_json::json!({"policy": "user_cert"}),
            ..JsRequest::default()
        };
        let started = Instant::now();
        for _ in 0..count {
            let input = HostInput {
                tx: Some(store.begin()),
                writable: true,
                consensus: quorate_js::ConsensusView::default(),
                historical: None,
                governance: None,
            };
            let (output, outcome) = call(
                &bundle,
                JsLimits::default(),
                Handler {
                    module: "logging.js",
                    function,
                },
                &request,
                input,
            );
            assert_eq!(outcome.unwrap().status, 200);
            if let Some(tx) = output.tx {
                store.commit(tx).unwrap();
            }
        }
        let elapsed = started.elapsed();
        println!(
            "{name}: {:.0} calls/s ({:.1} µs per call)",
            count as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / count as f64
        );
    }
}
