//! `app.json`: the endpoints of a JS app, as CCF's `ccf-build-bundle` and `set_js_app` carry
//! them: `{"endpoints": {"/path/{param}": {"post": {js_module, js_function, authn_policies,
//! forwarding_required, mode, ...}}}}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::JsError;

/// How an endpoint's handler runs (CCF's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EndpointMode {
    #[default]
    Readwrite,
    Readonly,
    Historical,
}

/// CCF's `forwarding_required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forwarding {
    Always,
    Sometimes,
    Never,
}

/// One endpoint (method and path) of the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointMetadata {
    /// The module, as named in the bundle (`logging.js` or `/logging.js`).
    pub js_module: String,
    pub js_function: String,
    /// CCF policy names (`user_cert`, `member_cert`, `any_cert`, `no_auth`, ...).
    pub authn_policies: Vec<serde_json::Value>,
    pub forwarding_required: Forwarding,
    #[serde(default)]
    pub mode: EndpointMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirection_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openapi: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openapi_hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter_reuse: Option<serde_json::Value>,
}

/// The whole `app.json`: path template → lowercase method → endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AppMetadata {
    pub endpoints: BTreeMap<String, BTreeMap<String, EndpointMetadata>>,
}

/// Methods an endpoint may name, lowercase as in `app.json`.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

impl AppMetadata {
    /// Parses and checks `app.json`: every method is an HTTP method, every path starts with
    /// `/`, every endpoint names a module and a function. Errors name the JSON path.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, JsError> {
        let metadata: AppMetadata =
            serde_json::from_value(value.clone()).map_err(|error| JsError::Bundle {
                path: "app.json".into(),
                reason: error.to_string(),
            })?;
        for (path, methods) in &metadata.endpoints {
            let at = |what: &str| format!("app.json: endpoints[{path:?}]{what}");
            if !path.starts_with('/') {
                return Err(JsError::Bundle {
                    path: at(""),
                    reason: "a path starts with '/'".into(),
                });
            }
            for (method, endpoint) in methods {
                if !METHODS.contains(&method.as_str()) {
                    return Err(JsError::Bundle {
                        path: at(&format!("[{method:?}]")),
                        reason: format!("not an HTTP method (one of {})", METHODS.join(", ")),
                    });
                }
                if endpoint.js_module.is_empty() || endpoint.js_function.is_empty() {
                    return Err(JsError::Bundle {
                        path: at(&format!("[{method:?}]")),
                        reason: "js_module and js_function must not be empty".into(),
                    });
                }
            }
        }
        Ok(metadata)
    }
}
