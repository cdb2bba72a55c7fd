//! CCF's two COSE_Sign1 profiles: the service's signature over a Merkle root (ledger table
//! `public:ccf.internal.cose_signatures`, and the body of COSE receipts) and members' governance
//! requests (`application/cose` bodies of `/gov/members/...`).

use ciborium::Value;
use coset::Label;

use crate::cose::headers::{
    CCF_V1_TXID, CwtClaims, LABEL_CCF_V1, LABEL_CWT_CLAIMS, LABEL_GOV_MSG_CREATED_AT,
    LABEL_GOV_MSG_PROPOSAL_ID, LABEL_GOV_MSG_TYPE, LABEL_VDS,
};
use crate::cose::sign1::{Sign1Builder, Sign1Message};
use crate::{Certificate, CryptoError, KeyPair, PublicKey, Sha256Digest};

/// `vds` value for CCF's ledger Merkle tree with SHA-256 (draft-birkholz-cose-receipts-ccf-profile).
pub const VDS_CCF_LEDGER_SHA256: i64 = 2;

/// Signs a Merkle root the way a CCF primary does in each signature transaction: ES384 with the
/// service key, payload detached (the 32-byte root), protected header
/// `{1: -35, 4: bstr(hex SHA-256 of the service SPKI), 15: cwt, 395: 2, "ccf.v1": {"txid": "v.s"}}`.
pub fn sign_ledger_root(
    service_key: &KeyPair,
    root: &Sha256Digest,
    view: u64,
    seqno: u64,
    cwt: &CwtClaims,
) -> Result<Vec<u8>, CryptoError> {
    let txid = Value::Map(vec![(
        Value::from(CCF_V1_TXID),
        Value::from(format!("{view}.{seqno}")),
    )]);
    Sign1Builder::new()
        .kid(service_key.public_key().sha256_hex().as_bytes())
        .protected(Label::Int(LABEL_CWT_CLAIMS), cwt.to_cbor())
        .protected(Label::Int(LABEL_VDS), Value::from(VDS_CCF_LEDGER_SHA256))
        .protected(Label::Text(LABEL_CCF_V1.into()), txid)
        .sign_detached(service_key, root)
}

/// Verifies a ledger root signature as CCF's ledger validator does
/// (`verify_cose_sign1_with_cert(use_key=True)`): ES384 by `service_key` over the detached
/// `root`, with `kid` equal to the hex SHA-256 of the service SPKI. Read the signed TxID with
/// `.protected().ccf_txid()`.
pub fn verify_ledger_root(
    message: &[u8],
    service_key: &PublicKey,
    root: &Sha256Digest,
) -> Result<Sign1Message, CryptoError> {
    let parsed = Sign1Message::parse(message)?;
    expect_kid(&parsed, service_key.sha256_hex().as_bytes())?;
    parsed.verify(service_key, Some(root))?;
    Ok(parsed)
}

/// The governance message types `ccf_cose_sign1` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovMsgType {
    Proposal,
    Ack,
    StateDigest,
    RecoveryShare,
    EncryptedRecoveryShare,
    Ballot,
    Withdrawal,
}

impl GovMsgType {
    /// The `ccf.gov.msg.type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            GovMsgType::Proposal => "proposal",
            GovMsgType::Ack => "ack",
            GovMsgType::StateDigest => "state_digest",
            GovMsgType::RecoveryShare => "recovery_share",
            GovMsgType::EncryptedRecoveryShare => "encrypted_recovery_share",
            GovMsgType::Ballot => "ballot",
            GovMsgType::Withdrawal => "withdrawal",
        }
    }

    /// Parses a `ccf.gov.msg.type` string.
    pub fn parse(text: &str) -> Option<GovMsgType> {
        [
            GovMsgType::Proposal,
            GovMsgType::Ack,
            GovMsgType::StateDigest,
            GovMsgType::RecoveryShare,
            GovMsgType::EncryptedRecoveryShare,
            GovMsgType::Ballot,
            GovMsgType::Withdrawal,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }

    /// Ballots and withdrawals name the proposal they refer to.
    pub fn needs_proposal_id(self) -> bool {
        matches!(self, GovMsgType::Ballot | GovMsgType::Withdrawal)
    }
}

/// Signs a governance request as `ccf_cose_sign1` does: attached payload, protected header
/// `{1: -35, 4: bstr(hex SHA-256 of the member cert DER), "ccf.gov.msg.type",
/// "ccf.gov.msg.created_at", "ccf.gov.msg.proposal_id"?}`.
pub fn sign_governance_request(
    member_key: &KeyPair,
    member_cert: &Certificate,
    msg_type: GovMsgType,
    created_at_s: u64,
    proposal_id: Option<&str>,
    payload: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if msg_type.needs_proposal_id() != proposal_id.is_some() {
        return Err(CryptoError::CoseHeader(format!(
            "a {} message {} a proposal id",
            msg_type.as_str(),
            if msg_type.needs_proposal_id() {
                "needs"
            } else {
                "takes no"
            }
        )));
    }
    let mut builder = Sign1Builder::new()
        .kid(member_cert.fingerprint_sha256_hex().as_bytes())
        .protected(
            Label::Text(LABEL_GOV_MSG_TYPE.into()),
            Value::from(msg_type.as_str()),
        )
        .protected(
            Label::Text(LABEL_GOV_MSG_CREATED_AT.into()),
            Value::from(created_at_s),
        );
    if let Some(id) = proposal_id {
        builder = builder.protected(
            Label::Text(LABEL_GOV_MSG_PROPOSAL_ID.into()),
            Value::from(id),
        );
    }
    builder.sign(member_key, payload)
}

/// A verified governance request's CCF fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GovRequest {
    pub msg_type: GovMsgType,
    pub created_at_s: u64,
    pub proposal_id: Option<String>,
    pub payload: Vec<u8>,
}

/// Verifies a governance request against the member certificate its `kid` names, with the
/// checks a CCF node makes (`MemberCOSESign1AuthnPolicy`): ES384 signature by the certificate's
/// key, `kid` equal to the certificate fingerprint, a known message type, `created_at` a
/// non-negative integer, and a proposal id on ballots and withdrawals. Matching the type and
/// proposal id against the endpoint is the caller's job.
pub fn verify_governance_request(
    message: &Sign1Message,
    member_cert: &Certificate,
) -> Result<GovRequest, CryptoError> {
    expect_kid(message, member_cert.fingerprint_sha256_hex().as_bytes())?;
    message.verify(&member_cert.public_key()?, None)?;
    let header = message.protected();
    let msg_type = header
        .gov_msg_type()
        .and_then(GovMsgType::parse)
        .ok_or_else(|| CryptoError::CoseHeader("missing or unknown ccf.gov.msg.type".into()))?;
    let created_at_s = header
        .gov_msg_created_at()
        .and_then(|t| u64::try_from(t).ok())
        .ok_or_else(|| {
            CryptoError::CoseHeader("missing or negative ccf.gov.msg.created_at".into())
        })?;
    let proposal_id = header.gov_msg_proposal_id().map(str::to_owned);
    if msg_type.needs_proposal_id() && proposal_id.is_none() {
        return Err(CryptoError::CoseHeader(format!(
            "a {} message needs ccf.gov.msg.proposal_id",
            msg_type.as_str()
        )));
    }
    Ok(GovRequest {
        msg_type,
        created_at_s,
        proposal_id,
        payload: message.payload().unwrap_or_default().to_vec(),
    })
}

fn expect_kid(message: &Sign1Message, expected: &[u8]) -> Result<(), CryptoError> {
    if message.protected().kid() == Some(expected) {
        Ok(())
    } else {
        Err(CryptoError::CoseHeader(
            "kid is missing or does not name the expected key".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Validity, create_self_signed_certificate, sha256};

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}/{name}")).unwrap()
    }

    fn member() -> (KeyPair, Certificate) {
        let key = KeyPair::from_seed(&[21; 32]).unwrap();
        let validity = Validity {
            not_before_unix_s: 0,
            not_after_unix_s: 4_000_000_000,
        };
        let cert = create_self_signed_certificate(&key, "member0", &[], &validity, 1).unwrap();
        (key, cert)
    }

    #[test]
    fn ledger_root_round_trip() {
        let service = KeyPair::from_seed(&[20; 32]).unwrap();
        let root = sha256(b"root");
        let cwt = CwtClaims {
            iss: Some("service.example.com".into()),
            sub: Some("ledger.signature".into()),
            iat: Some(1_735_689_600),
        };
        let bytes = sign_ledger_root(&service, &root, 2, 9, &cwt).unwrap();
        let msg = verify_ledger_root(&bytes, &service.public_key(), &root).unwrap();
        assert_eq!(msg.protected().ccf_txid(), Some("2.9"));
        assert_eq!(msg.protected().vds(), Some(VDS_CCF_LEDGER_SHA256));
        assert_eq!(msg.protected().cwt_claims(), Some(cwt));
        assert!(verify_ledger_root(&bytes, &service.public_key(), &sha256(b"other")).is_err());
        let other = KeyPair::from_seed(&[22; 32]).unwrap().public_key();
        assert!(matches!(
            verify_ledger_root(&bytes, &other, &root),
            Err(CryptoError::CoseHeader(_))
        ));
    }

    #[test]
    fn governance_round_trip() {
        let (key, cert) = member();
        let bytes = sign_governance_request(
            &key,
            &cert,
            GovMsgType::Ballot,
            1_735_689_600,
            Some("1d2c3b4a"),
            b"{}",
        )
        .unwrap();
        let msg = Sign1Message::parse(&bytes).unwrap();
        let request = verify_governance_request(&msg, &cert).unwrap();
        assert_eq!(
            request,
            GovRequest {
                msg_type: GovMsgType::Ballot,
                created_at_s: 1_735_689_600,
                proposal_id: Some("1d2c3b4a".into()),
                payload: b"{}".to_vec(),
            }
        );
        assert!(sign_governance_request(&key, &cert, GovMsgType::Ballot, 0, None, b"{}").is_err());
        assert!(
            sign_governance_request(&key, &cert, GovMsgType::Proposal, 0, Some("x"), b"{}")
                .is_err()
        );
    }

    #[test]
    fn proposal_signed_by_ccf_cose_sign1_verifies() {
        let cert =
            Certificate::from_pem(&String::from_utf8(vector("member0_cert.pem")).unwrap()).unwrap();
        let msg = Sign1Message::parse(&vector("proposal.cose")).unwrap();
        let request = verify_governance_request(&msg, &cert).unwrap();
        assert_eq!(request.msg_type, GovMsgType::Proposal);
        assert_eq!(request.created_at_s, 1_735_689_600);
        assert_eq!(request.proposal_id, None);
        assert_eq!(request.payload, vector("proposal.json"));

        let ballot = Sign1Message::parse(&vector("ballot.cose")).unwrap();
        let request = verify_governance_request(&ballot, &cert).unwrap();
        assert_eq!(request.msg_type, GovMsgType::Ballot);
        assert_eq!(request.proposal_id.as_deref(), Some("1d2c3b4a"));
        assert_eq!(request.payload, vector("ballot.json"));

        let (_, someone_else) = member();
        assert!(verify_governance_request(&msg, &someone_else).is_err());
    }

    #[test]
    fn our_protected_header_matches_ccf_cose_sign1_byte_for_byte() {
        let ccf = Sign1Message::parse(&vector("ballot.cose")).unwrap();
        let kid = ccf.protected().kid().unwrap().to_vec();
        let ours = Sign1Builder::new()
            .kid(&kid)
            .protected(
                Label::Text(LABEL_GOV_MSG_TYPE.into()),
                Value::from("ballot"),
            )
            .protected(
                Label::Text(LABEL_GOV_MSG_PROPOSAL_ID.into()),
                Value::from("1d2c3b4a"),
            )
            .protected(
                Label::Text(LABEL_GOV_MSG_CREATED_AT.into()),
                Value::from(1_735_689_600),
            )
            .sign(&member().0, b"")
            .unwrap();
        let ours = Sign1Message::parse(&ours).unwrap();
        assert_eq!(ours.protected_bytes(), ccf.protected_bytes());
    }
}
