//! The trusted execution platform (`enclave.platform`) and its attestation settings
//! (`attestation`). Quorate runs on the Virtual platform (no hardware attestation, for
//! development) until SEV-SNP lands; SNP settings are refused rather than silently ignored,
//! because ignoring them would start an unattested node where an attested one was asked for.
//! CCF 7 dropped the `enclave` section and defaults to SNP; here it is optional and defaults to
//! Virtual, the only platform that works.

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;

/// A trusted execution platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    /// No TEE: attestation evidence is a virtual report, for development and tests.
    #[default]
    Virtual,
}

/// Reads `enclave {platform, type}`. `type` (Release, Debug, Virtual) is an SGX leftover that
/// CCF still accepts; it is checked and has no effect.
pub(crate) fn platform_from_enclave(value: &Value, path: &str) -> Result<Platform, ConfigError> {
    let object = JsonObject::with_unsupported(value, path, &["platform", "type"], &["file"])?;
    object.choice("type", &[("Release", ()), ("Debug", ()), ("Virtual", ())])?;
    match object.choice("platform", &[("Virtual", true), ("SNP", false)])? {
        Some(false) => Err(ConfigError::Unsupported {
            path: object.path_of("platform"),
            feature: "the SNP platform".to_owned(),
        }),
        Some(true) | None => Ok(Platform::Virtual),
    }
}

/// Checks `attestation`: every field in it configures SEV-SNP, so any non-null one is refused.
pub(crate) fn check_attestation(value: &Value, path: &str) -> Result<(), ConfigError> {
    const SNP_FIELDS: [&str; 4] = [
        "snp_security_policy_file",
        "snp_uvm_endorsements_file",
        "snp_endorsements_file",
        "snp_endorsements_servers",
    ];
    let object = JsonObject::new(value, path, &SNP_FIELDS)?;
    match SNP_FIELDS.iter().find(|key| object.get(key).is_some()) {
        Some(key) => Err(ConfigError::Unsupported {
            path: object.path_of(key),
            feature: "SEV-SNP attestation".to_owned(),
        }),
        None => Ok(()),
    }
}
