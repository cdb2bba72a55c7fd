//! Redirect mode for an RPC interface (`network.rpc_interfaces.<name>.redirections`). When it is
//! present, a request that must run elsewhere (a write at a backup) is answered with a 307 whose
//! `Location` comes from these rules; when absent the node forwards the request itself.

use serde_json::Value;

use super::address::{ADDRESS_SYNTAX, HostPort};
use super::error::ConfigError;
use super::json_object::JsonObject;

/// Where to send requests that this node cannot serve in its current role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirections {
    /// Used at a backup for requests only the primary may serve.
    pub to_primary: Option<RedirectionTarget>,
    /// Used at the primary for requests meant for backups.
    pub to_backup: Option<RedirectionTarget>,
}

/// How the `Location` of a redirect is chosen (CCF's `RedirectionResolver`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectionTarget {
    /// The published address of a node currently in `role` (CCF `NodeByRole`, default primary).
    NodeByRole {
        /// Which kind of node to point at.
        role: NodeRole,
    },
    /// A fixed address, such as a load balancer (CCF `StaticAddress`).
    StaticAddress {
        /// Where to redirect.
        address: HostPort,
    },
}

/// The role a redirect target must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// The current primary.
    Primary,
    /// Any backup.
    Backup,
}

impl Redirections {
    /// Reads the section at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(value, path, &["to_primary", "to_backup"])?;
        Ok(Self {
            to_primary: object.section("to_primary", RedirectionTarget::from_json)?,
            to_backup: object.section("to_backup", RedirectionTarget::from_json)?,
        })
    }
}

/// The two resolver kinds CCF defines.
#[derive(Clone, Copy)]
enum Kind {
    NodeByRole,
    StaticAddress,
}

impl RedirectionTarget {
    fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(value, path, &["kind", "target"])?;
        let kind = object
            .choice(
                "kind",
                &[
                    ("NodeByRole", Kind::NodeByRole),
                    ("StaticAddress", Kind::StaticAddress),
                ],
            )?
            .ok_or_else(|| ConfigError::MissingField {
                path: object.path_of("kind"),
            })?;
        match kind {
            Kind::NodeByRole => {
                let role = object.section("target", |value, path| {
                    let target = JsonObject::new(value, path, &["role"])?;
                    target.choice(
                        "role",
                        &[("primary", NodeRole::Primary), ("backup", NodeRole::Backup)],
                    )
                })?;
                Ok(Self::NodeByRole {
                    role: role.flatten().unwrap_or(NodeRole::Primary),
                })
            }
            Kind::StaticAddress => {
                let target = JsonObject::new(
                    object.required("target")?,
                    &object.path_of("target"),
                    &["address"],
                )?;
                let address = target
                    .parsed("address", ADDRESS_SYNTAX, HostPort::parse)?
                    .ok_or_else(|| ConfigError::MissingField {
                        path: target.path_of("address"),
                    })?;
                Ok(Self::StaticAddress { address })
            }
        }
    }
}
