//! The deployed app as CCF stores it in the KV: modules in `public:ccf.gov.modules` (key: the
//! module name, `/app.js`; value: its source as a JSON string) and endpoints in
//! `public:ccf.gov.endpoints` (key: `{"uri_path", "verb"}` as JSON; value: the endpoint's
//! `app.json` properties). Governance writes these tables (`set_js_app`); the node reads them.

use std::collections::BTreeMap;

use quorate_kv::Tx;
use quorate_ledger::tables;
use serde::Deserialize;

use super::{AppMetadata, Bundle, EndpointMetadata};
use crate::error::JsError;

/// CCF's endpoint key.
#[derive(Deserialize)]
struct EndpointKey {
    uri_path: String,
    verb: String,
}

fn stored(map: &str, key: &[u8], reason: impl std::fmt::Display) -> JsError {
    JsError::Bundle {
        path: format!("{map}[{}]", String::from_utf8_lossy(key)),
        reason: reason.to_string(),
    }
}

impl Bundle {
    /// The app `tx` holds: `None` when no endpoint is deployed; an error naming the entry
    /// when one does not parse or names a module that is not there.
    pub fn from_kv(tx: &mut Tx) -> Result<Option<Bundle>, JsError> {
        let mut endpoints: BTreeMap<String, BTreeMap<String, EndpointMetadata>> = BTreeMap::new();
        let mut failure = None;
        tx.foreach(tables::ENDPOINTS, |key, value| {
            let parsed = serde_json::from_slice::<EndpointKey>(key)
                .and_then(|k| Ok((k, serde_json::from_slice::<EndpointMetadata>(value)?)));
            match parsed {
                Ok((key, endpoint)) => {
                    endpoints
                        .entry(key.uri_path)
                        .or_default()
                        .insert(key.verb.to_lowercase(), endpoint);
                }
                Err(error) => failure = Some(stored(tables::ENDPOINTS, key, error)),
            }
            failure.is_none()
        });
        if let Some(error) = failure {
            return Err(error);
        }
        if endpoints.is_empty() {
            return Ok(None);
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
                (Err(error), _) => failure = Some(stored(tables::MODULES, key, error)),
                (_, Err(error)) => failure = Some(stored(tables::MODULES, key, error)),
            }
            failure.is_none()
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Bundle::new(AppMetadata { endpoints }, modules).map(Some)
    }
}
