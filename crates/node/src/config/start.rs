//! `command.start`: what the first node of a new service needs to write the genesis transaction
//! (members, constitution, service configuration, service certificate settings).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::{JsonObject, as_path};
use super::member::{MemberConfig, RecoveryRole};
use super::paths::resolve_against;
use super::service_configuration::ServiceConfiguration;

/// CCF's default `initial_service_certificate_validity_days`.
const DEFAULT_INITIAL_SERVICE_CERTIFICATE_VALIDITY_DAYS: u32 = 1;
/// CCF's default `service_subject_name`.
const DEFAULT_SERVICE_SUBJECT_NAME: &str = "CN=CCF Service";

/// Settings for starting a new service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartConfig {
    /// The initial consortium; at least one member, or nobody could ever govern the service.
    pub members: Vec<MemberConfig>,
    /// JavaScript files concatenated (newline-separated, in order) into the constitution.
    pub constitution_files: Vec<PathBuf>,
    /// Service-wide settings written at genesis.
    pub service_configuration: ServiceConfiguration,
    /// Validity of the first service certificate (CCF default 1 day; governance renews it).
    pub initial_service_certificate_validity_days: u32,
    /// Subject of the service certificate (CCF default "CN=CCF Service").
    pub service_subject_name: String,
    /// CWT claims put in COSE ledger signatures, when given.
    pub cose_signatures: Option<CoseSignatures>,
}

/// Issuer and subject set in the CWT claims of COSE ledger signatures; fixed at service start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoseSignatures {
    /// CWT `iss`.
    pub issuer: Option<String>,
    /// CWT `sub`.
    pub subject: Option<String>,
}

impl StartConfig {
    /// Reads the section at `path`. Only shape and types are checked here; see
    /// [`StartConfig::check`] for the checks that apply when the node actually starts.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "members",
                "constitution_files",
                "service_configuration",
                "initial_service_certificate_validity_days",
                "service_subject_name",
                "cose_signatures",
            ],
        )?;
        let missing = |key: &str| ConfigError::MissingField {
            path: object.path_of(key),
        };
        Ok(Self {
            members: object
                .array("members", MemberConfig::from_json)?
                .ok_or_else(|| missing("members"))?,
            constitution_files: object
                .array("constitution_files", as_path)?
                .ok_or_else(|| missing("constitution_files"))?,
            service_configuration: object
                .section("service_configuration", ServiceConfiguration::from_json)?
                .ok_or_else(|| missing("service_configuration"))?,
            initial_service_certificate_validity_days: object
                .integer_u32("initial_service_certificate_validity_days", 1, u32::MAX)?
                .unwrap_or(DEFAULT_INITIAL_SERVICE_CERTIFICATE_VALIDITY_DAYS),
            service_subject_name: object
                .string("service_subject_name")?
                .unwrap_or_else(|| DEFAULT_SERVICE_SUBJECT_NAME.to_owned()),
            cose_signatures: object.section("cose_signatures", |value, path| {
                let claims = JsonObject::new(value, path, &["issuer", "subject"])?;
                Ok(CoseSignatures {
                    issuer: claims.string("issuer")?,
                    subject: claims.string("subject")?,
                })
            })?,
        })
    }

    /// The checks that matter when this node starts a service (`path` is `command.start`): at
    /// least one member and one constitution file, and CCF's recovery threshold rule (no more
    /// shares required than there are recovery participants; at most 1 when all recovery
    /// members are owners).
    pub(crate) fn check(&self, path: &str) -> Result<(), ConfigError> {
        if self.members.is_empty() {
            return Err(ConfigError::Inconsistent {
                path: format!("{path}.members"),
                reason: "at least one initial member is needed to govern the service".to_owned(),
            });
        }
        if self.constitution_files.is_empty() {
            return Err(ConfigError::Inconsistent {
                path: format!("{path}.constitution_files"),
                reason: "at least one constitution file is needed".to_owned(),
            });
        }
        let roles = self
            .members
            .iter()
            .map(MemberConfig::effective_recovery_role);
        let participants = roles
            .clone()
            .filter(|role| *role == RecoveryRole::Participant)
            .count();
        let owners = roles.filter(|role| *role == RecoveryRole::Owner).count();
        let threshold = self.service_configuration.recovery_threshold;
        let threshold_limit = if participants == 0 && owners > 0 {
            1
        } else {
            participants
        };
        if threshold > 0 && usize::try_from(threshold).map_or(true, |t| t > threshold_limit) {
            return Err(ConfigError::Inconsistent {
                path: format!("{path}.service_configuration.recovery_threshold"),
                reason: format!(
                    "a recovery threshold of {threshold} cannot be met: there are \
                     {participants} recovery participant(s) and {owners} recovery owner(s) \
                     (members with an encryption_public_key_file)"
                ),
            });
        }
        Ok(())
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        for member in &mut self.members {
            member.resolve_paths(base);
        }
        for file in &mut self.constitution_files {
            resolve_against(base, file);
        }
    }
}
