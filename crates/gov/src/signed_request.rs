//! Authenticating a member's COSE Sign1 request, with the checks CCF's
//! `MemberCOSESign1AuthnPolicy` makes: `application/cose` body, a tagged COSE_Sign1 with an
//! ECDSA algorithm, `kid` naming a certificate in `members.certs`, a valid signature by it, the
//! message type the endpoint expects, and (for most calls) an Active signer.

use bytes::Bytes;
use quorate_crypto::Certificate;
use quorate_crypto::cose::{GovMsgType, Sign1Message, verify_governance_request};
use quorate_kv::Tx;
use quorate_ledger::tables;

use crate::error::GovError;
use crate::member::{MemberStatus, member_info};

/// The content type of every signed governance request.
pub const COSE_CONTENT_TYPE: &str = "application/cose";

/// A request a member signed, verified.
#[derive(Debug, Clone)]
pub struct MemberRequest {
    /// Hex SHA-256 of the signer's certificate DER.
    pub member_id: String,
    pub created_at_s: u64,
    pub proposal_id: Option<String>,
    /// The signed payload (a proposal, ballot, ack...).
    pub content: Vec<u8>,
    /// The whole envelope, as `cose_history` keeps it.
    pub envelope: Bytes,
    /// The signature bytes (a proposal's id binds to them).
    pub signature: Vec<u8>,
}

/// Who may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    AnyMember,
    ActiveMember,
}

/// Checks `body` as a `expected` message signed by a member known to `tx`.
pub fn authenticate(
    tx: &mut Tx,
    content_type: Option<&str>,
    body: &Bytes,
    expected: GovMsgType,
    signer: Signer,
) -> Result<MemberRequest, GovError> {
    match content_type {
        None => {
            return Err(GovError::Unauthenticated(
                "Missing content-type header".into(),
            ));
        }
        Some(value) if !value.eq_ignore_ascii_case(COSE_CONTENT_TYPE) => {
            return Err(GovError::Unauthenticated(format!(
                "Content type is not set to {COSE_CONTENT_TYPE}"
            )));
        }
        Some(_) => {}
    }
    let message = Sign1Message::parse(body)
        .map_err(|error| GovError::Unauthenticated(format!("Invalid COSE Sign1: {error}")))?;
    let header = message.protected();
    match header.alg() {
        Some(-7 | -35 | -36) => {}
        Some(other) => {
            return Err(GovError::Unauthenticated(format!(
                "Unsupported algorithm: {other}"
            )));
        }
        None => {
            return Err(GovError::Unauthenticated(
                "Missing algorithm in protected header".into(),
            ));
        }
    }
    let kid = header
        .kid()
        .ok_or_else(|| GovError::Unauthenticated("Missing kid in protected header".into()))?;
    let member_id = String::from_utf8_lossy(kid).into_owned();
    let cert_pem = tx
        .get(tables::MEMBERS_CERTS, member_id.as_bytes())
        .ok_or_else(|| GovError::Unauthenticated("Signer is not a known member".into()))?;
    let cert = Certificate::from_pem(&String::from_utf8_lossy(&cert_pem)).map_err(|error| {
        GovError::Internal(format!("members.certs[{member_id}] is unusable: {error}"))
    })?;
    match header.gov_msg_type() {
        None => {
            return Err(GovError::Unauthenticated(format!(
                "Missing ccf.gov.msg.type, expected ccf.gov.msg.type to be {}",
                expected.as_str()
            )));
        }
        Some(found) if found != expected.as_str() => {
            return Err(GovError::Unauthenticated(format!(
                "Found ccf.gov.msg.type set to {found}, expected ccf.gov.msg.type to be {}",
                expected.as_str()
            )));
        }
        Some(_) => {}
    }
    let verified = verify_governance_request(&message, &cert).map_err(|error| {
        GovError::Unauthenticated(format!("Failed to validate COSE Sign1: {error}"))
    })?;
    if signer == Signer::ActiveMember {
        let active =
            member_info(tx, &member_id)?.is_some_and(|info| info.status == MemberStatus::Active);
        if !active {
            return Err(GovError::Unauthenticated(
                "Signer is not an ACTIVE member".into(),
            ));
        }
    }
    Ok(MemberRequest {
        member_id,
        created_at_s: verified.created_at_s,
        proposal_id: verified.proposal_id,
        content: verified.payload,
        envelope: body.clone(),
        signature: message.signature().to_vec(),
    })
}

/// CCF's ids (members, users, nodes, proposals) are the hex of 32 bytes.
pub fn is_hex_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A path's `{memberId}`, which must be a plausible id and the signer's.
pub fn signed_member_id(request: &MemberRequest, path_member_id: &str) -> Result<(), GovError> {
    if !is_hex_id(path_member_id) {
        return Err(GovError::InvalidResourceName(format!(
            "'{path_member_id}' is not a valid hex-encoded member ID"
        )));
    }
    if path_member_id != request.member_id {
        return Err(GovError::InvalidResourceName(
            "Authenticated member id does not match URL".into(),
        ));
    }
    Ok(())
}

/// A path's `{proposalId}`, which must be a plausible id and the one the envelope signed.
pub fn signed_proposal_id(request: &MemberRequest, path_proposal_id: &str) -> Result<(), GovError> {
    parse_proposal_id(path_proposal_id)?;
    if request.proposal_id.as_deref() == Some(path_proposal_id) {
        Ok(())
    } else {
        Err(GovError::InvalidResourceName(
            "Authenticated proposal id does not match URL".into(),
        ))
    }
}

/// A path's `{proposalId}`.
pub fn parse_proposal_id(text: &str) -> Result<(), GovError> {
    if is_hex_id(text) {
        Ok(())
    } else {
        Err(GovError::InvalidResourceName(format!(
            "'{text}' is not a valid hex-encoded proposal ID"
        )))
    }
}
