//! `development`: Quorate-only switches that stand in for governance until it lands, so a
//! local service can be used end to end. Each one is a governance action in CCF (trusting a
//! joining node, registering users, opening the service, deploying a JS app); they are removed once members can
//! vote on those actions. A production configuration leaves this section out.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::{JsonObject, as_path};
use super::paths::resolve_against;

/// Development stand-ins for governance actions (all off by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevelopmentConfig {
    /// A node calling `/node/join` is trusted at once (CCF: `transition_node_to_trusted`).
    pub auto_trust_joining_nodes: bool,
    /// The genesis transaction opens the service (CCF: `transition_service_to_open`).
    pub open_service_at_start: bool,
    /// User certificates (PEM files) registered at genesis (CCF: `set_user`).
    pub user_certificate_files: Vec<PathBuf>,
    /// A JS app bundle directory (`app.json` and `src/`) deployed at genesis (CCF:
    /// `set_js_app`).
    pub js_app_bundle: Option<PathBuf>,
}

impl DevelopmentConfig {
    /// Reads the section at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "auto_trust_joining_nodes",
                "open_service_at_start",
                "user_certificate_files",
                "js_app_bundle",
            ],
        )?;
        Ok(Self {
            auto_trust_joining_nodes: object.boolean("auto_trust_joining_nodes")?.unwrap_or(false),
            open_service_at_start: object.boolean("open_service_at_start")?.unwrap_or(false),
            user_certificate_files: object
                .array("user_certificate_files", as_path)?
                .unwrap_or_default(),
            js_app_bundle: object.path_value("js_app_bundle")?,
        })
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        for file in self
            .user_certificate_files
            .iter_mut()
            .chain(self.js_app_bundle.as_mut())
        {
            resolve_against(base, file);
        }
    }
}
