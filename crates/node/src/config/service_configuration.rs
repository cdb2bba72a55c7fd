//! The service-wide settings the first node writes into the genesis transaction
//! (`command.start.service_configuration`); after genesis only governance changes them.

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;

/// Service-wide settings fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfiguration {
    /// Recovery shares needed to recover the service; 0 lets the node choose (CCF: the number of
    /// recovery participants, or 1 when all recovery members are owners).
    pub recovery_threshold: u64,
    /// Longest validity governance may give a node certificate (CCF default 365).
    pub maximum_node_certificate_validity_days: u32,
    /// Longest validity governance may give the service certificate (CCF default 365).
    pub maximum_service_certificate_validity_days: u32,
    /// How many recent COSE proposals are remembered for replay protection (CCF default 100).
    pub recent_cose_proposals_window_size: u32,
}

/// CCF's default for both maximum certificate validities.
const DEFAULT_MAXIMUM_VALIDITY_DAYS: u32 = 365;
/// CCF's default replay-protection window.
const DEFAULT_RECENT_COSE_PROPOSALS_WINDOW_SIZE: u32 = 100;

impl ServiceConfiguration {
    /// Reads the section at `path`; `recovery_threshold` is required, as in CCF.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "recovery_threshold",
                "maximum_node_certificate_validity_days",
                "maximum_service_certificate_validity_days",
                "recent_cose_proposals_window_size",
            ],
        )?;
        let recovery_threshold = object
            .integer("recovery_threshold", 0, u64::MAX)?
            .ok_or_else(|| ConfigError::MissingField {
                path: object.path_of("recovery_threshold"),
            })?;
        let positive_u32 = |key: &str, default: u32| -> Result<u32, ConfigError> {
            Ok(object.integer_u32(key, 1, u32::MAX)?.unwrap_or(default))
        };
        Ok(Self {
            recovery_threshold,
            maximum_node_certificate_validity_days: positive_u32(
                "maximum_node_certificate_validity_days",
                DEFAULT_MAXIMUM_VALIDITY_DAYS,
            )?,
            maximum_service_certificate_validity_days: positive_u32(
                "maximum_service_certificate_validity_days",
                DEFAULT_MAXIMUM_VALIDITY_DAYS,
            )?,
            recent_cose_proposals_window_size: positive_u32(
                "recent_cose_proposals_window_size",
                DEFAULT_RECENT_COSE_PROPOSALS_WINDOW_SIZE,
            )?,
        })
    }
}
