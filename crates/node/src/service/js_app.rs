//! The deployed JS app in the KV, stored as CCF stores it: modules in `public:ccf.gov.modules`
//! (key: the module name, `/app.js`; value: its source as a JSON string) and endpoints in
//! `public:ccf.gov.endpoints` (key: `{"uri_path", "verb"}` as JSON; value: the endpoint's
//! `app.json` properties). Until governance can deploy (`set_js_app`), the development switch
//! `development.js_app_bundle` writes the app at genesis.

use std::collections::BTreeMap;
use std::sync::Arc;

use quorate_js::{AppMetadata, Bundle, EndpointMetadata, JsRuntimeOptions};
use quorate_kv::{Tx, WriteSet};
use quorate_ledger::tables;
use serde::{Deserialize, Serialize};

/// CCF's endpoint key.
#[derive(Serialize, Deserialize)]
struct EndpointKey {
    uri_path: String,
    verb: String,
}

/// The bundle's modules and endpoints as writes (for genesis).
pub fn put_bundle(writes: &mut WriteSet, bundle: &Bundle) {
    for (name, source) in &bundle.modules {
        writes.put(
            tables::MODULES,
            name.clone().into_bytes(),
            serde_json::Value::String(source.clone())
                .to_string()
                .into_bytes(),
        );
    }
    for (path, methods) in &bundle.metadata.endpoints {
        for (method, endpoint) in methods {
            let key = EndpointKey {
                uri_path: path.clone(),
                verb: method.to_uppercase(),
            };
            if let (Ok(key), Ok(value)) = (serde_json::to_vec(&key), serde_json::to_vec(endpoint)) {
                writes.put(tables::ENDPOINTS, key, value);
            }
        }
    }
}

/// `public:ccf.gov.js_runtime_options`, or the defaults when it was never set.
pub fn runtime_options(tx: &mut Tx) -> JsRuntimeOptions {
    tx.get(tables::JS_RUNTIME_OPTIONS, &tables::SINGLETON_KEY)
        .and_then(|value| serde_json::from_slice::<serde_json::Value>(&value).ok())
        .map(|value| JsRuntimeOptions::from_json(&value))
        .unwrap_or_default()
}

/// The seqno of the last write to the app's tables; 0 when no app was ever deployed.
pub fn app_version(tx: &mut Tx) -> u64 {
    let mut keys = Vec::new();
    for map in [tables::MODULES, tables::ENDPOINTS] {
        tx.foreach(map, |key, _| {
            keys.push((map, key.to_vec()));
            true
        });
    }
    keys.iter()
        .filter_map(|(map, key)| tx.get_version_of_previous_write(map, key))
        .max()
        .unwrap_or(0)
}

/// The deployed app, if any. Entries that do not parse are skipped with a warning (the
/// bundle was checked when it was deployed).
pub fn load(tx: &mut Tx) -> Option<Arc<Bundle>> {
    let mut endpoints: BTreeMap<String, BTreeMap<String, EndpointMetadata>> = BTreeMap::new();
    tx.foreach(tables::ENDPOINTS, |key, value| {
        match (
            serde_json::from_slice::<EndpointKey>(key),
            serde_json::from_slice::<EndpointMetadata>(value),
        ) {
            (Ok(key), Ok(endpoint)) => {
                endpoints
                    .entry(key.uri_path)
                    .or_default()
                    .insert(key.verb.to_lowercase(), endpoint);
            }
            _ => tracing::warn!("an entry of {} does not parse", tables::ENDPOINTS),
        }
        true
    });
    if endpoints.is_empty() {
        return None;
    }
    let mut modules = BTreeMap::new();
    tx.foreach(tables::MODULES, |key, value| {
        match (
            String::from_utf8(key.to_vec()),
            serde_json::from_slice::<String>(value),
        ) {
            (Ok(name), Ok(source)) => {
                modules.insert(name, source);
            }
            _ => tracing::warn!("an entry of {} does not parse", tables::MODULES),
        }
        true
    });
    match Bundle::new(AppMetadata { endpoints }, modules) {
        Ok(bundle) => Some(Arc::new(bundle)),
        Err(error) => {
            tracing::error!(%error, "the deployed JS app does not load");
            None
        }
    }
}
