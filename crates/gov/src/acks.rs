//! Members' acknowledgement of the state: a member reads the digest it must sign (the Merkle
//! root of the latest signature, refreshed by `:update`), signs it in an `ack`, and becomes
//! Active.

use base64::Engine;
use quorate_kv::Tx;
use quorate_ledger::signature::PrimarySignature;
use quorate_ledger::tables;
use serde_json::{Value, json};

use crate::error::GovError;
use crate::member::{MemberAck, member_info, read_json, write_json};
use crate::signed_request::{MemberRequest, is_hex_id};

fn acked_member_id<'a>(request: &MemberRequest, member_id: &'a str) -> Result<&'a str, GovError> {
    if request.member_id != member_id {
        return Err(GovError::Unauthenticated(format!(
            "Member ID from path parameter ({member_id}) does not match member ID from body \
             signature ({}).",
            request.member_id
        )));
    }
    Ok(member_id)
}

fn member_ack(tx: &mut Tx, member_id: &str) -> Result<Option<MemberAck>, GovError> {
    read_json(tx, tables::MEMBERS_ACKS, member_id)
}

/// `GET /gov/members/state-digests/{memberId}`.
pub fn state_digest(tx: &mut Tx, member_id: &str) -> Result<Value, GovError> {
    if !is_hex_id(member_id) {
        return Err(GovError::InvalidResourceName(format!(
            "'{member_id}' is not a valid hex-encoded member ID"
        )));
    }
    let ack = member_ack(tx, member_id)?.ok_or_else(|| {
        GovError::NotFound(format!("No ACK record exists for member {member_id}."))
    })?;
    Ok(json!({"memberId": member_id, "stateDigest": ack.state_digest}))
}

/// `POST /gov/members/state-digests/{memberId}:update`: the digest becomes the latest
/// signature's root.
pub fn update_state_digest(
    tx: &mut Tx,
    request: &MemberRequest,
    member_id: &str,
) -> Result<Value, GovError> {
    let member_id = acked_member_id(request, member_id)?;
    let signature = tx
        .get(tables::SIGNATURES, &tables::SINGLETON_KEY)
        .and_then(|bytes| serde_json::from_slice::<PrimarySignature>(&bytes).ok())
        .ok_or_else(|| {
            GovError::Internal("Service has no signatures to ack yet - try again soon.".into())
        })?;
    let mut ack = member_ack(tx, member_id)?.unwrap_or_else(MemberAck::initial);
    ack.state_digest = signature.root;
    write_json(tx, tables::MEMBERS_ACKS, member_id, &ack)?;
    Ok(json!({"memberId": member_id, "stateDigest": ack.state_digest}))
}

/// `POST /gov/members/state-digests/{memberId}:ack`: the signed digest must be the recorded
/// one; the member becomes Active.
pub fn ack_state_digest(
    tx: &mut Tx,
    request: &MemberRequest,
    member_id: &str,
) -> Result<(), GovError> {
    let member_id = acked_member_id(request, member_id)?;
    let mut ack = member_ack(tx, member_id)?.ok_or_else(|| {
        GovError::Forbidden(format!("No ACK record exists for member {member_id}."))
    })?;
    let signed = serde_json::from_slice::<Value>(&request.content)
        .ok()
        .and_then(|body| body.get("stateDigest")?.as_str().map(str::to_owned))
        .ok_or_else(|| {
            GovError::InvalidInput(
                "Signed request body is not a JSON object containing required string field \
                 \"stateDigest\""
                    .into(),
            )
        })?;
    if signed != ack.state_digest {
        return Err(GovError::StateDigestMismatch(format!(
            "Submitted state digest is not valid.\nExpected\n {}\nReceived\n {signed}",
            ack.state_digest
        )));
    }
    ack.cose_sign1_req = Some(base64::engine::general_purpose::STANDARD.encode(&request.envelope));
    write_json(tx, tables::MEMBERS_ACKS, member_id, &ack)?;
    let mut info = member_info(tx, member_id)?.ok_or_else(|| {
        GovError::Internal(format!(
            "Member {member_id} cannot be activated as they do not exist"
        ))
    })?;
    info.status = crate::MemberStatus::Active;
    write_json(tx, tables::MEMBERS_INFO, member_id, &info)
}
