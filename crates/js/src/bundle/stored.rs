//! The deployed app as CCF stores it in the KV: modules in `public:ccf.gov.modules` (key: the
//! module name, `/app.js`; value: its source, raw text) and endpoints in
//! `public:ccf.gov.endpoints` (key: `"VERB /path"`, as CCF's key serialiser writes it; value:
//! the endpoint's `app.json` properties as JSON). Governance writes these tables
//! (`set_js_app`); the node reads them.

use std::collections::BTreeMap;

use quorate_kv::Tx;
use quorate_ledger::tables;

use super::{AppMetadata, Bundle, EndpointMetadata};
use crate::error::JsError;

/// CCF's endpoint key, `"VERB /path"`: (path, verb).
pub fn parse_endpoint_key(key: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(key).ok()?;
    let (verb, path) = text.split_once(' ')?;
    Some((path.to_owned(), verb.to_owned()))
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
            let parsed = parse_endpoint_key(key)
                .ok_or_else(|| "not \"VERB /path\"".to_owned())
                .and_then(|(path, verb)| {
                    serde_json::from_slice::<EndpointMetadata>(value)
                        .map(|endpoint| (path, verb, endpoint))
                        .map_err(|error| error.to_string())
                });
            match parsed {
                Ok((path, verb, endpoint)) => {
                    endpoints
                        .entry(path)
                        .or_default()
                        .insert(verb.to_lowercase(), endpoint);
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
                String::from_utf8(value.to_vec()),
            ) {
                (Ok(name), Ok(source)) => {
                    modules.insert(name, source);
                }
                (Err(error), _) | (_, Err(error)) => {
                    failure = Some(stored(tables::MODULES, key, error));
                }
            }
            failure.is_none()
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Bundle::new(AppMetadata { endpoints }, modules).map(Some)
    }
}
