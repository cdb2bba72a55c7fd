//! CCF's COSE receipt (draft-ietf-cose-merkle-tree-proofs, CCF profile): the covering signature
//! transaction's COSE_Sign1, with the inclusion proof of one transaction in its unprotected header
//! as `{396: {-1: [bstr(cbor({1: leaf, 2: path}))]}}`.

use ciborium::Value;

use quorate_crypto::cose::headers::LABEL_VDP;
use quorate_crypto::{PublicKey, Sha256Digest, sha256};

use super::json::TransactionProof;
use super::rejection::ReceiptRejection;
use crate::merkle::{ProofStep, Side, fold_proof, leaf_for_entry};
use crate::signature::cose_root::{RootSignatureClaims, verify_root};

/// CBOR tag of COSE_Sign1.
pub const COSE_SIGN1_TAG: u64 = 18;
/// Label, inside the proofs map, of the list of inclusion proofs.
pub const INCLUSION_PROOFS_LABEL: i64 = -1;

/// The four parts of a COSE_Sign1.
#[derive(Clone, Debug, PartialEq)]
pub struct CoseSign1Parts {
    /// The serialised protected header.
    pub protected: Vec<u8>,
    /// The unprotected header map.
    pub unprotected: Vec<(Value, Value)>,
    /// The attached payload; `None` when detached.
    pub payload: Option<Vec<u8>>,
    /// The raw `r ‖ s` signature.
    pub signature: Vec<u8>,
}

fn malformed(what: impl Into<String>) -> ReceiptRejection {
    ReceiptRejection::Malformed(what.into())
}

impl CoseSign1Parts {
    /// Parses a tagged COSE_Sign1.
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiptRejection> {
        let value: Value = ciborium::from_reader(bytes)
            .map_err(|err| malformed(format!("COSE_Sign1 is not CBOR: {err}")))?;
        let Value::Tag(COSE_SIGN1_TAG, inner) = value else {
            return Err(malformed("COSE_Sign1 lacks CBOR tag 18"));
        };
        let Value::Array(items) = *inner else {
            return Err(malformed("COSE_Sign1 is not an array"));
        };
        let [protected, unprotected, payload, signature]: [Value; 4] = items
            .try_into()
            .map_err(|_| malformed("COSE_Sign1 does not have four elements"))?;
        let (Value::Bytes(protected), Value::Map(unprotected), Value::Bytes(signature)) =
            (protected, unprotected, signature)
        else {
            return Err(malformed("COSE_Sign1 element has the wrong CBOR type"));
        };
        let payload = match payload {
            Value::Null => None,
            Value::Bytes(bytes) => Some(bytes),
            _ => return Err(malformed("COSE_Sign1 payload is neither bstr nor nil")),
        };
        let parts = Self {
            protected,
            unprotected,
            payload,
            signature,
        };
        // CBOR has several spellings of some values (e.g. `undefined` read as nil); accept only
        // the preferred serialisation, so one receipt has exactly one byte form.
        if parts.encode() != bytes {
            return Err(malformed(
                "COSE_Sign1 is not in preferred CBOR serialisation",
            ));
        }
        Ok(parts)
    }

    /// Serialises back to a tagged COSE_Sign1.
    pub fn encode(&self) -> Vec<u8> {
        let value = Value::Tag(
            COSE_SIGN1_TAG,
            Box::new(Value::Array(vec![
                Value::Bytes(self.protected.clone()),
                Value::Map(self.unprotected.clone()),
                self.payload.clone().map_or(Value::Null, Value::Bytes),
                Value::Bytes(self.signature.clone()),
            ])),
        );
        encode_value(&value)
    }
}

/// Serialises a CBOR value; writing into a `Vec` cannot fail for values built in memory.
fn encode_value(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if ciborium::into_writer(value, &mut out).is_err() {
        out.clear();
    }
    out
}

/// Looks up an integer label in a CBOR map.
fn map_get(map: &[(Value, Value)], label: i64) -> Option<&Value> {
    map.iter()
        .find(|(key, _)| {
            key.as_integer()
                .is_some_and(|k| i128::from(k) == i128::from(label))
        })
        .map(|(_, value)| value)
}

/// The CBOR inclusion proof `{1: [ws, commit_evidence, claims], 2: [[left, hash], ...]}`.
pub fn inclusion_proof_cbor(tx: &TransactionProof<'_>) -> Vec<u8> {
    let path = tx
        .path
        .iter()
        .map(|step| {
            Value::Array(vec![
                Value::Bool(step.side == Side::Left),
                Value::Bytes(step.hash.to_vec()),
            ])
        })
        .collect();
    encode_value(&Value::Map(vec![
        (
            Value::Integer(1.into()),
            Value::Array(vec![
                Value::Bytes(tx.write_set_digest.to_vec()),
                Value::Text(tx.commit_evidence.to_owned()),
                Value::Bytes(tx.claims_digest.to_vec()),
            ]),
        ),
        (Value::Integer(2.into()), Value::Array(path)),
    ]))
}

/// Turns the covering signature's COSE_Sign1 into the receipt of one transaction.
pub fn cose_receipt(
    cose_signature: &[u8],
    tx: &TransactionProof<'_>,
) -> Result<Vec<u8>, ReceiptRejection> {
    let mut parts = CoseSign1Parts::decode(cose_signature)?;
    let proofs = Value::Map(vec![(
        Value::Integer(INCLUSION_PROOFS_LABEL.into()),
        Value::Array(vec![Value::Bytes(inclusion_proof_cbor(tx))]),
    )]);
    parts.unprotected = vec![(Value::Integer(LABEL_VDP.into()), proofs)];
    parts.payload = None;
    Ok(parts.encode())
}

/// One decoded inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// SHA-256 of the serialised entry.
    pub write_set_digest: Sha256Digest,
    /// The revealed commit evidence.
    pub commit_evidence: String,
    /// The entry's claims digest.
    pub claims_digest: Sha256Digest,
    /// Path from the leaf upwards.
    pub path: Vec<ProofStep>,
}

fn digest_of(value: &Value, what: &str) -> Result<Sha256Digest, ReceiptRejection> {
    value
        .as_bytes()
        .and_then(|bytes| Sha256Digest::try_from(bytes.as_slice()).ok())
        .ok_or_else(|| malformed(format!("{what} is not a 32-byte bstr")))
}

impl InclusionProof {
    /// Parses the CBOR of one inclusion proof.
    pub fn decode(bytes: &[u8]) -> Result<Self, ReceiptRejection> {
        let Ok(Value::Map(map)) = ciborium::from_reader::<Value, _>(bytes) else {
            return Err(malformed("inclusion proof is not a CBOR map"));
        };
        let leaf = map_get(&map, 1)
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("inclusion proof lacks leaf (1)"))?;
        let [ws, evidence, claims] = leaf.as_slice() else {
            return Err(malformed(
                "inclusion proof leaf does not have three elements",
            ));
        };
        let commit_evidence = evidence
            .as_text()
            .ok_or_else(|| malformed("commit evidence is not a tstr"))?
            .to_owned();
        let path = map_get(&map, 2)
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("inclusion proof lacks path (2)"))?
            .iter()
            .map(|step| match step.as_array().map(Vec::as_slice) {
                Some([Value::Bool(left), hash]) => Ok(ProofStep {
                    side: if *left { Side::Left } else { Side::Right },
                    hash: digest_of(hash, "path hash")?,
                }),
                _ => Err(malformed("path element is not [bool, bstr]")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            write_set_digest: digest_of(ws, "write-set digest")?,
            commit_evidence,
            claims_digest: digest_of(claims, "claims digest")?,
            path,
        })
    }
}

/// Verifies a COSE receipt against the service key: every inclusion proof must fold to a root the
/// service signed, with the expected claims digest when one is given. Returns the signed claims
/// (the covering signature's TxID).
pub fn verify_cose_receipt(
    receipt: &[u8],
    service_key: &PublicKey,
    expected_claims_digest: Option<&Sha256Digest>,
) -> Result<RootSignatureClaims, ReceiptRejection> {
    let parts = CoseSign1Parts::decode(receipt)?;
    let proofs = map_get(&parts.unprotected, LABEL_VDP)
        .and_then(Value::as_map)
        .and_then(|vdp| map_get(vdp, INCLUSION_PROOFS_LABEL))
        .and_then(Value::as_array)
        .filter(|proofs| !proofs.is_empty())
        .ok_or(ReceiptRejection::MissingInclusionProof)?;
    let mut claims = None;
    for proof in proofs {
        let bytes = proof
            .as_bytes()
            .ok_or_else(|| malformed("inclusion proof is not a bstr"))?;
        let proof = InclusionProof::decode(bytes)?;
        if let Some(expected) = expected_claims_digest
            && *expected != proof.claims_digest
        {
            return Err(ReceiptRejection::ClaimsDigestMismatch {
                expected_hex: hex::encode(expected),
                found_hex: hex::encode(proof.claims_digest),
            });
        }
        let leaf = leaf_for_entry(
            &proof.write_set_digest,
            &sha256(proof.commit_evidence.as_bytes()),
            &proof.claims_digest,
        );
        claims = Some(verify_root(
            service_key,
            receipt,
            &fold_proof(&leaf, &proof.path),
        )?);
    }
    claims.ok_or(ReceiptRejection::MissingInclusionProof)
}
