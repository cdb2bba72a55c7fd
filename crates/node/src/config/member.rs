//! An initial consortium member (`command.start.members[i]`): the files the first node reads to
//! write the member into the genesis transaction. Only members with an encryption key receive a
//! recovery share, which is why the key and the recovery role come together.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;
use super::paths::resolve_against;

/// One initial member's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// The member's x509 identity certificate (PEM).
    pub certificate_file: PathBuf,
    /// The member's RSA encryption public key (PEM); members without one get no recovery share.
    pub encryption_public_key_file: Option<PathBuf>,
    /// JSON data stored with the member (CCF `member_data`).
    pub data_json_file: Option<PathBuf>,
    /// The member's part in recovery; CCF treats an absent role with a key as Participant.
    pub recovery_role: Option<RecoveryRole>,
}

/// A member's part in disaster recovery (CCF `MemberRecoveryRole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryRole {
    /// Holds no share.
    NonParticipant,
    /// Holds one share; a threshold of participants can recover.
    Participant,
    /// Holds a full recovery key; alone it can recover.
    Owner,
}

impl MemberConfig {
    /// Reads the member at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "certificate_file",
                "encryption_public_key_file",
                "data_json_file",
                "recovery_role",
            ],
        )?;
        Ok(Self {
            certificate_file: object.required_path("certificate_file")?,
            encryption_public_key_file: object.path_value("encryption_public_key_file")?,
            data_json_file: object.path_value("data_json_file")?,
            recovery_role: object.choice(
                "recovery_role",
                &[
                    ("NonParticipant", RecoveryRole::NonParticipant),
                    ("Participant", RecoveryRole::Participant),
                    ("Owner", RecoveryRole::Owner),
                ],
            )?,
        })
    }

    /// The role this member plays in recovery, as CCF counts it: none without an encryption
    /// key, Participant when a key is given without a role.
    pub fn effective_recovery_role(&self) -> RecoveryRole {
        match (&self.encryption_public_key_file, self.recovery_role) {
            (None, _) => RecoveryRole::NonParticipant,
            (Some(_), role) => role.unwrap_or(RecoveryRole::Participant),
        }
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        resolve_against(base, &mut self.certificate_file);
        for file in [
            &mut self.encryption_public_key_file,
            &mut self.data_json_file,
        ]
        .into_iter()
        .flatten()
        {
            resolve_against(base, file);
        }
    }
}
