//! The service's COSE_Sign1 over a Merkle root (`public:ccf.internal.cose_signatures`), with CCF's
//! protected header: alg, kid, vds = 2, CWT claims {iss, sub, iat} and `"ccf.v1": {"txid"}`.
//! The payload (the root) is detached, so the same bytes become a COSE receipt once an inclusion
//! proof is put in the unprotected header.

use ciborium::Value;

use quorate_crypto::{KeyPair, PublicKey, Sha256Digest};

use crate::receipt::ReceiptRejection;
use crate::receipt::cose::{CoseSign1Parts, encode_value, map_get};

/// COSE algorithm id of ES384.
pub const ALG_ES384: i64 = -35;
/// Protected header label of the algorithm.
pub const ALG_LABEL: i64 = 1;
/// Protected header label of the key id.
pub const KID_LABEL: i64 = 4;
/// Protected header label of the CWT claims map.
pub const CWT_CLAIMS_LABEL: i64 = 15;
/// Protected header label of the verifiable data structure.
pub const VDS_LABEL: i64 = 395;
/// CCF's verifiable data structure: its SHA-256 ledger tree.
pub const VDS_CCF_LEDGER_SHA256: i64 = 2;
/// Protected header label of CCF's own claims.
pub const CCF_V1_LABEL: &str = "ccf.v1";

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

fn int(value: i64) -> Value {
    Value::Integer(value.into())
}

/// The protected header, keys in CBOR canonical order (1, 4, 15, 395, "ccf.v1").
fn protected_header(
    service_key: &PublicKey,
    config: &CoseSignatureConfig,
    issued_at_seconds: i64,
    txid: &str,
) -> Vec<u8> {
    encode_value(&Value::Map(vec![
        (int(ALG_LABEL), int(ALG_ES384)),
        (
            int(KID_LABEL),
            Value::Bytes(service_key.sha256_hex().into_bytes()),
        ),
        (
            int(CWT_CLAIMS_LABEL),
            Value::Map(vec![
                (int(1), Value::Text(config.issuer.clone())),
                (int(2), Value::Text(config.subject.clone())),
                (int(6), int(issued_at_seconds)),
            ]),
        ),
        (int(VDS_LABEL), int(VDS_CCF_LEDGER_SHA256)),
        (
            Value::Text(CCF_V1_LABEL.to_owned()),
            Value::Map(vec![(
                Value::Text("txid".to_owned()),
                Value::Text(txid.to_owned()),
            )]),
        ),
    ]))
}

/// RFC 9052 `Sig_structure` for a COSE_Sign1 with empty external AAD.
fn to_be_signed(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    encode_value(&Value::Array(vec![
        Value::Text("Signature1".to_owned()),
        Value::Bytes(protected.to_vec()),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload.to_vec()),
    ]))
}

/// Signs `root` as the service for the signature transaction `txid` (`"<view>.<seqno>"`).
pub fn sign_root(
    service_key: &KeyPair,
    config: &CoseSignatureConfig,
    issued_at_seconds: i64,
    txid: &str,
    root: &Sha256Digest,
) -> Result<Vec<u8>, quorate_crypto::CryptoError> {
    let protected = protected_header(&service_key.public_key(), config, issued_at_seconds, txid);
    let signature = service_key.sign_es384(&to_be_signed(&protected, root))?;
    Ok(CoseSign1Parts {
        protected,
        unprotected: Vec::new(),
        payload: None,
        signature,
    }
    .encode())
}

/// Checks a COSE_Sign1 (root signature or COSE receipt) made by `service_key` over the detached
/// payload `root`: kid, alg, vds and the signature itself. Returns the signed claims.
pub fn verify_root(
    service_key: &PublicKey,
    parts: &CoseSign1Parts,
    root: &Sha256Digest,
) -> Result<RootSignatureClaims, ReceiptRejection> {
    let header = parts.protected_map()?;
    let kid = map_get(&header, KID_LABEL).and_then(Value::as_bytes);
    if kid.map(Vec::as_slice) != Some(service_key.sha256_hex().as_bytes()) {
        return Err(ReceiptRejection::KeyIdMismatch);
    }
    let alg = map_get(&header, ALG_LABEL).and_then(Value::as_integer);
    if alg != Some(ALG_ES384.into()) {
        return Err(ReceiptRejection::Malformed("COSE alg is not ES384".into()));
    }
    let vds = map_get(&header, VDS_LABEL).and_then(Value::as_integer);
    if vds != Some(VDS_CCF_LEDGER_SHA256.into()) {
        return Err(ReceiptRejection::UnsupportedVerifiableDataStructure);
    }
    if parts.payload.is_some() {
        return Err(ReceiptRejection::Malformed(
            "COSE payload is not detached".into(),
        ));
    }
    service_key
        .verify_es384(&to_be_signed(&parts.protected, root), &parts.signature)
        .map_err(|_| ReceiptRejection::ServiceSignatureInvalid)?;
    let txid = header
        .iter()
        .find(|(key, _)| key.as_text() == Some(CCF_V1_LABEL))
        .and_then(|(_, claims)| claims.as_map())
        .and_then(|claims| claims.iter().find(|(key, _)| key.as_text() == Some("txid")))
        .and_then(|(_, txid)| txid.as_text())
        .ok_or_else(|| ReceiptRejection::Malformed("COSE header lacks ccf.v1.txid".into()))?;
    Ok(RootSignatureClaims {
        txid: txid.to_owned(),
    })
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
        let cose = sign_root(&key, &config(), 1_735_689_600, "2.10", &root).unwrap();
        let parts = CoseSign1Parts::decode(&cose).unwrap();
        let claims = verify_root(&key.public_key(), &parts, &root).unwrap();
        assert_eq!(claims.txid, "2.10");
        assert_eq!(
            verify_root(&key.public_key(), &parts, &[8u8; 32]),
            Err(ReceiptRejection::ServiceSignatureInvalid)
        );
        let other = KeyPair::from_seed(&[4; 32]).unwrap();
        assert_eq!(
            verify_root(&other.public_key(), &parts, &root),
            Err(ReceiptRejection::KeyIdMismatch)
        );
    }
}
