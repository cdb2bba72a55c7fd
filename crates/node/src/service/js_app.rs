//! The deployed JS app as the node follows it: members deploy it by proposal (`set_js_app`,
//! stored as CCF stores it, see `quorate_js::Bundle::from_kv`); the driver reads it back, and
//! the runtime options, whenever those tables change.

use std::sync::Arc;

use quorate_js::{Bundle, JsRuntimeOptions};
use quorate_kv::Tx;
use quorate_ledger::tables;

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

/// The deployed app, if any. One that does not load (governance checks apps before it
/// deploys them, so this is not expected) is logged and left out.
pub fn load(tx: &mut Tx) -> Option<Arc<Bundle>> {
    match Bundle::from_kv(tx) {
        Ok(bundle) => bundle.map(Arc::new),
        Err(error) => {
            tracing::error!(%error, "the deployed JS app does not load");
            None
        }
    }
}
