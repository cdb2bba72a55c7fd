//! Members as CCF stores them: `members.info` `{status, member_data, recovery_role}` and
//! `members.acks` `{state_digest, cose_sign1_req?}`, keyed by member id.

use quorate_kv::Tx;
use quorate_ledger::tables;
use serde::{Deserialize, Serialize};

use crate::error::GovError;

/// A member's standing: Accepted until it acknowledges the state, then Active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    Accepted,
    Active,
}

/// The value of `members.info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub status: MemberStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_role: Option<String>,
}

/// The value of `members.acks`: the digest the member must sign to become Active, and the
/// signed ack once it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberAck {
    pub state_digest: String,
    /// The ack envelope, base64 (CCF's JSON for bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cose_sign1_req: Option<String>,
}

/// The digest of a state no signature covers yet.
pub const NO_STATE_DIGEST: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

impl MemberAck {
    /// What genesis and `set_member` record before any signature exists.
    pub fn initial() -> MemberAck {
        MemberAck {
            state_digest: NO_STATE_DIGEST.to_owned(),
            cose_sign1_req: None,
        }
    }
}

/// Reads and parses a JSON value of a governance table.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    tx: &mut Tx,
    map: &str,
    key: &str,
) -> Result<Option<T>, GovError> {
    match tx.get(map, key.as_bytes()) {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| GovError::Internal(format!("{map}[{key}] is not valid: {error}"))),
    }
}

/// Writes a JSON value of a governance table.
pub(crate) fn write_json<T: Serialize>(
    tx: &mut Tx,
    map: &str,
    key: &str,
    value: &T,
) -> Result<(), GovError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|error| GovError::Internal(format!("{map}[{key}]: {error}")))?;
    tx.put(map, key.as_bytes().to_vec(), bytes);
    Ok(())
}

/// `members.info[member_id]`.
pub fn member_info(tx: &mut Tx, member_id: &str) -> Result<Option<MemberInfo>, GovError> {
    read_json(tx, tables::MEMBERS_INFO, member_id)
}
