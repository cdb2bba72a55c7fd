//! The governance content of a new service's genesis transaction, read from the start
//! configuration: members (certificates, data, encryption keys, the ack record each must sign
//! to become Active), the constitution and the service configuration. Everything else (users,
//! the app, trusting nodes, opening the service) is done by members' proposals. Keys are the
//! ids CCF uses (hex SHA-256 of the certificate DER); values are stored as CCF stores them
//! (certificates as PEM, info as JSON, the constitution as a JSON string).

use std::path::Path;

use quorate_crypto::Certificate;
use quorate_kv::WriteSet;
use quorate_ledger::tables;
use serde_json::{Value, json};

use super::error::NodeError;
use crate::config::{RecoveryRole, StartConfig};

fn read(path: &Path) -> Result<String, NodeError> {
    std::fs::read_to_string(path).map_err(|error| NodeError::file(path, error))
}

fn certificate(path: &Path) -> Result<Certificate, NodeError> {
    Certificate::from_pem(&read(path)?).map_err(|error| NodeError::file(path, error))
}

fn json_bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// Members, constitution and service configuration.
pub fn governance_write_set(start: &StartConfig) -> Result<WriteSet, NodeError> {
    let mut writes = WriteSet::new();
    for member in &start.members {
        let cert = certificate(&member.certificate_file)?;
        let id = cert.fingerprint_sha256_hex();
        let data = match &member.data_json_file {
            Some(file) => serde_json::from_str::<Value>(&read(file)?)
                .map_err(|error| NodeError::file(file, error))?,
            None => Value::Null,
        };
        let role = match member.effective_recovery_role() {
            RecoveryRole::NonParticipant => "NonParticipant",
            RecoveryRole::Participant => "Participant",
            RecoveryRole::Owner => "Owner",
        };
        writes.put(
            tables::MEMBERS_CERTS,
            id.clone().into_bytes(),
            cert.pem().as_bytes().to_vec(),
        );
        writes.put(
            tables::MEMBERS_INFO,
            id.clone().into_bytes(),
            json_bytes(&json!({
                "status": "Accepted",
                "member_data": data,
                "recovery_role": role,
            })),
        );
        writes.put(
            tables::MEMBERS_ACKS,
            id.clone().into_bytes(),
            json_bytes(&json!({ "state_digest": quorate_gov::NO_STATE_DIGEST })),
        );
        if let Some(file) = &member.encryption_public_key_file {
            writes.put(
                tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS,
                id.into_bytes(),
                read(file)?.into_bytes(),
            );
        }
    }
    let mut constitution = String::new();
    for file in &start.constitution_files {
        if !constitution.is_empty() {
            constitution.push('\n');
        }
        constitution.push_str(&read(file)?);
    }
    writes.put(
        tables::CONSTITUTION,
        tables::SINGLETON_KEY.to_vec(),
        json_bytes(&Value::String(constitution)),
    );
    let service = &start.service_configuration;
    writes.put(
        tables::SERVICE_CONFIG,
        tables::SINGLETON_KEY.to_vec(),
        json_bytes(&json!({
            "recovery_threshold": service.recovery_threshold,
            "maximum_node_certificate_validity_days": service.maximum_node_certificate_validity_days,
            "maximum_service_certificate_validity_days": service.maximum_service_certificate_validity_days,
            "recent_cose_proposals_window_size": service.recent_cose_proposals_window_size,
        })),
    );
    Ok(writes)
}
