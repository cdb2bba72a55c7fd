//! A JS app bundle, as CCF deploys it: `app.json` endpoint metadata plus ES modules by name.
//! Read from a directory in CCF's layout (`app.json` and `src/**/*.js`) or from the JSON that
//! `ccf-build-bundle` writes (`{"metadata": {...}, "modules": [{"name", "module"}]}`). Module
//! names are normalised to start with `/`, as CCF stores them.

mod metadata;
mod stored;

pub use stored::parse_endpoint_key;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use metadata::{AppMetadata, EndpointMetadata, EndpointMode, Forwarding};

use crate::error::JsError;

/// One module of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleModule {
    pub name: String,
    pub module: String,
}

/// A bundle: endpoints and the modules their handlers live in.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub metadata: AppMetadata,
    /// Module name (`/logging.js`) → source.
    pub modules: BTreeMap<String, String>,
}

/// `/name`, as CCF keys modules.
pub fn module_key(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

impl Bundle {
    /// A bundle from its parts, checking that every endpoint's module is in it.
    pub fn new(metadata: AppMetadata, modules: BTreeMap<String, String>) -> Result<Self, JsError> {
        Self::checked(metadata, modules)
    }

    fn checked(metadata: AppMetadata, modules: BTreeMap<String, String>) -> Result<Self, JsError> {
        for (path, methods) in &metadata.endpoints {
            for (method, endpoint) in methods {
                if !modules.contains_key(&module_key(&endpoint.js_module)) {
                    return Err(JsError::Bundle {
                        path: format!("app.json: endpoints[{path:?}][{method:?}].js_module"),
                        reason: format!("no module named {:?} in the bundle", endpoint.js_module),
                    });
                }
            }
        }
        Ok(Self { metadata, modules })
    }

    /// CCF's bundle JSON (`ccf-build-bundle` output, the `bundle` of `set_js_app`).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, JsError> {
        let metadata =
            AppMetadata::from_json(value.get("metadata").ok_or_else(|| JsError::Bundle {
                path: "bundle.metadata".into(),
                reason: "missing".into(),
            })?)?;
        let modules: Vec<BundleModule> = value
            .get("modules")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|error| JsError::Bundle {
                path: "bundle.modules".into(),
                reason: error.to_string(),
            })?
            .unwrap_or_default();
        let modules = modules
            .into_iter()
            .map(|module| (module_key(&module.name), module.module))
            .collect();
        Self::checked(metadata, modules)
    }

    /// The bundle as CCF's JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let modules: Vec<BundleModule> = self
            .modules
            .iter()
            .map(|(name, module)| BundleModule {
                // CCF names modules without the leading `/` the KV key has; a name that still
                // starts with `/` after dropping one (a proposal named a module `//x.js`) is
                // kept whole, so `from_json` gives back the same key.
                name: match name.strip_prefix('/') {
                    Some(rest) if !rest.starts_with('/') => rest.to_owned(),
                    _ => name.clone(),
                },
                module: module.clone(),
            })
            .collect();
        serde_json::json!({ "metadata": self.metadata, "modules": modules })
    }

    /// A bundle directory: `app.json` and every `.js` file under `src/` (named by its path
    /// below `src/`).
    pub fn from_dir(dir: &Path) -> Result<Self, JsError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|error| JsError::File {
                path: path.display().to_string(),
                reason: error.to_string(),
            })
        };
        let app_json = dir.join("app.json");
        let metadata: serde_json::Value =
            serde_json::from_str(&read(&app_json)?).map_err(|error| JsError::Bundle {
                path: app_json.display().to_string(),
                reason: error.to_string(),
            })?;
        let metadata = AppMetadata::from_json(&metadata)?;
        let src = dir.join("src");
        let mut modules = BTreeMap::new();
        let mut pending = vec![src.clone()];
        while let Some(next) = pending.pop() {
            let entries = std::fs::read_dir(&next).map_err(|error| JsError::File {
                path: next.display().to_string(),
                reason: error.to_string(),
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "js" || e == "mjs") {
                    let name = path
                        .strip_prefix(&src)
                        .map(|relative| relative.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    modules.insert(module_key(&name), read(&path)?);
                }
            }
        }
        Self::checked(metadata, modules)
    }
}
