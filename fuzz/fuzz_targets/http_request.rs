//! The node's client request path after hyper: an HTTP/1.1 request (method, target with query,
//! headers, body) from one of four TLS callers is routed by the frontend `Router` over the
//! node's templates, authenticated by CCF's policies against the store, and answered by the
//! logging app's handlers (query and body parsing included). It must never panic, and any
//! response that says it is JSON must be JSON (CCF's error shape for errors).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use quorate_fuzz::{block_on, check_response, http_input, node_router, seeded_store};
use quorate_node::frontend::Router;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let (store, historical) = seeded_store();
        node_router(Arc::new(store), historical)
    })
}

fuzz_target!(
    init: {
        quorate_fuzz::maybe_write_seeds("http_request");
        router();
    },
    |data: &[u8]| {
        let Some((request, caller)) = http_input::parse(data) else {
            return;
        };
        // The helpers every handler reads requests with, on whatever the query is.
        if let Some(query) = request.uri.query() {
            for pair in query.split('&') {
                let _ = quorate_node::app::percent_decode(pair);
            }
        }
        let response = block_on(router().call(request, caller));
        check_response(&response);
    }
);
