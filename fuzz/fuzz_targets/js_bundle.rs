//! A JS app bundle as a member proposes it (`set_js_app`'s `bundle`, `ccf-build-bundle`'s
//! output): `Bundle::from_json` and `AppMetadata::from_json`; for a bundle that parses, the
//! round trips the node relies on (the bundle as CCF's JSON, and as governance stores it in
//! `public:ccf.gov.endpoints` / `modules` and the node reads it back with `Bundle::from_kv`),
//! the node's routing table built from its `app.json` paths, and Quorate's load check of its
//! modules (compiled by QuickJS, nothing run).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use quorate_js::{AppMetadata, Bundle, check_module_syntax};
use quorate_kv::Store;
use quorate_ledger::tables;
use quorate_node::frontend::{AuthPolicy, Endpoint, EndpointRequest, EndpointResponse, Router};
use serde_json::Value;

/// Module sources compiled per input, at most (QuickJS is the slow part).
const MAX_CHECKED_MODULE_BYTES: usize = 4096;

fuzz_target!(
    init: quorate_fuzz::maybe_write_seeds("js_bundle"),
    |data: &[u8]| {
        let Ok(value) = serde_json::from_slice::<Value>(data) else {
            return;
        };
        // `app.json` on its own (`quorate` reads a bundle directory's) and inside a bundle.
        let _ = AppMetadata::from_json(&value);
        if let Some(metadata) = value.get("metadata") {
            let _ = AppMetadata::from_json(metadata);
        }
        let Ok(bundle) = Bundle::from_json(&value) else {
            return;
        };

        // The bundle as CCF's JSON reads back as the same bundle.
        let again = Bundle::from_json(&bundle.to_json())
            .unwrap_or_else(|error| panic!("to_json of a parsed bundle does not parse: {error}"));
        assert_eq!(again, bundle, "the bundle changed through to_json");

        // As `set_js_app` stores it and the node reads it back.
        let store = Store::new();
        let mut tx = store.begin();
        for (path, methods) in &bundle.metadata.endpoints {
            for (method, endpoint) in methods {
                // `set_js_app` (crates/gov/constitution/default/actions.js): `"VERB /path"`.
                let key = format!("{} {path}", method.to_uppercase());
                let value = serde_json::to_vec(endpoint).expect("endpoint json");
                tx.put(tables::ENDPOINTS, key.into_bytes(), value);
            }
        }
        for (name, source) in &bundle.modules {
            tx.put(tables::MODULES, name.clone().into_bytes(), source.clone().into_bytes());
        }
        match Bundle::from_kv(&mut tx) {
            Ok(Some(stored)) => {
                assert_eq!(stored.metadata, bundle.metadata, "endpoints changed through the KV")
            }
            Ok(None) => assert!(bundle.metadata.endpoints.is_empty()),
            Err(error) => panic!("a stored valid bundle does not read back: {error}"),
        }

        // The node's table for it: `/app{path}` per endpoint, methods uppercased.
        let endpoints = bundle.metadata.endpoints.iter().flat_map(|(path, methods)| {
            methods.keys().filter_map(move |method| {
                let method = http::Method::from_bytes(method.to_uppercase().as_bytes()).ok()?;
                Some(Endpoint::new(
                    method,
                    format!("/app{path}"),
                    vec![AuthPolicy::NoAuth],
                    |_: EndpointRequest| {
                        std::future::ready(EndpointResponse::new(http::StatusCode::OK))
                    },
                ))
            })
        });
        if let Ok(router) = Router::new(endpoints.collect::<Vec<_>>()) {
            let _ = Arc::new(router);
        }

        // Quorate's load check, as `set_js_app` runs it.
        let mut budget = MAX_CHECKED_MODULE_BYTES;
        for (name, source) in &bundle.modules {
            if source.len() > budget {
                break;
            }
            budget -= source.len();
            let _ = check_module_syntax(name, source);
        }
    }
);
