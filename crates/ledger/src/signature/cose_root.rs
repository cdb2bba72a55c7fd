//! The service's COSE_Sign1 over a Merkle root (`public:ccf.internal.cose_signatures`), in CCF's
//! profile (signing and the signature check are `quorate_crypto::cose`'s). The payload (the root)
//! is detached, so the same bytes become a COSE receipt once an inclusion proof is put in the
//! unprotected header; [`verify_root`] therefore checks root signatures and receipts alike.

use quorate_crypto::cose::{CwtClaims, Sign1Message, VDS_CCF_LEDGER_SHA256, sign_ledger_root};
use quorate_crypto::{CryptoError, KeyPair, PublicKey, Sha256Digest};
use quorate_kv::TxId;

use crate::receipt::ReceiptRejection;

/// Issuer and subject the service puts in its CWT claims (CCF's `cose_signatures` config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoseSignatureConfig {
    /// `iss` claim.
    pub issuer: String,
    /// `sub` claim.
    pub subject: String,
}

/// What a root signature says about itself, read back from its protected header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootSignatureClaims {
    /// `ccf.v1.txid`, `"<view>.<seqno>"` of the signature transaction.
    pub txid: String,
}

/// Signs `root` as the service for the signature transaction `txid`.
pub fn sign_root(
    service_key: &KeyPair,
    config: &CoseSignatureConfig,
    issued_at_seconds: i64,
    txid: TxId,
    root: &Sha256Digest,
) -> Result<Vec<u8>, CryptoError> {
    let claims = CwtClaims {
        iss: Some(config.issuer.clone()),
        sub: Some(config.subject.clone()),
        iat: Some(issued_at_seconds),
    };
    sign_ledger_root(service_key, root, txid.view, txid.seqno, &claims)
}

/// Checks a COSE_Sign1 (root signature or COSE receipt) made by `service_key` over the detached
/// payload `root`: kid, vds, alg and the signature itself. Returns the signed claims.
pub fn verify_root(
    service_key: &PublicKey,
    cose: &[u8],
    root: &Sha256Digest,
) -> Result<RootSignatureClaims, ReceiptRejection> {
    let message = Sign1Message::parse(cose)
        .map_err(|err| ReceiptRejection::Malformed(format!("COSE_Sign1: {err}")))?;
    let header = message.protected();
    if header.kid() != Some(service_key.sha256_hex().as_bytes()) {
        return Err(ReceiptRejection::KeyIdMismatch);
    }
    if header.vds() != Some(VDS_CCF_LEDGER_SHA256) {
        return Err(ReceiptRejection::UnsupportedVerifiableDataStructure);
    }
    let txid = header
        .ccf_txid()
        .ok_or_else(|| ReceiptRejection::Malformed("COSE header lacks ccf.v1.txid".into()))?
        .to_owned();
    message
        .verify(service_key, Some(root))
        .map_err(|_| ReceiptRejection::ServiceSignatureInvalid)?;
    Ok(RootSignatureClaims { txid })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CoseSignatureConfig {
        CoseSignatureConfig {
            issuer: "quorate".into(),
            subject: "ledger.signature".into(),
        }
    }

    #[test]
    fn signs_and_verifies_a_detached_root() {
        let key = KeyPair::from_seed(&[3; 32]).unwrap();
        let root = [7u8; 32];
        let cose = sign_root(&key, &config(), 1_735_689_600, TxId::new(2, 10), &root).unwrap();
        let claims = verify_root(&key.public_key(), &cose, &root).unwrap();
        assert_eq!(claims.txid, "2.10");
        assert_eq!(
            verify_root(&key.public_key(), &cose, &[8u8; 32]),
            Err(ReceiptRejection::ServiceSignatureInvalid)
        );
        let other = KeyPair::from_seed(&[4; 32]).unwrap();
        assert_eq!(
            verify_root(&other.public_key(), &cose, &root),
            Err(ReceiptRejection::KeyIdMismatch)
        );
    }
}
