//! CCF's JSON ("v1") receipt: the node's signature over a Merkle root plus the path from one
//! transaction's leaf to that root, as `GET /app/receipt` returns it and `ccf.receipt` checks it.

use serde::{Deserialize, Serialize};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quorate_crypto::{Certificate, Sha256Digest, sha256, sha256_concat};

use super::rejection::ReceiptRejection;

use crate::merkle::{ProofStep, Side, fold_proof, leaf_for_entry};

/// The inputs of a transaction's leaf, revealed by the receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafComponents {
    /// Hex SHA-256 of the whole serialised entry.
    pub write_set_digest: String,
    /// `ce:<view>.<seqno>:<64 hex>`.
    pub commit_evidence: String,
    /// Hex claims digest; absent means nothing is hashed in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_digest: Option<String>,
}

/// One proof element: exactly one of `left` or `right`, holding the sibling's hex hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonProofStep {
    /// Sibling on the left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// Sibling on the right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
}

impl From<&ProofStep> for JsonProofStep {
    fn from(step: &ProofStep) -> Self {
        let sibling = Some(hex::encode(step.hash));
        match step.side {
            Side::Left => Self {
                left: sibling,
                right: None,
            },
            Side::Right => Self {
                left: None,
                right: sibling,
            },
        }
    }
}

/// A JSON receipt. Signature transactions carry `leaf` (the signed root) and an empty proof in
/// place of `leaf_components`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonReceipt {
    /// PEM of the signing node's service-endorsed certificate.
    pub cert: String,
    /// Hex id of the signing node.
    pub node_id: String,
    /// Base64 DER ECDSA signature over the root.
    pub signature: String,
    /// Path from the leaf upwards.
    pub proof: Vec<JsonProofStep>,
    /// Leaf inputs, for ordinary transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_components: Option<LeafComponents>,
    /// Hex of the signed root, for signature transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf: Option<String>,
    /// Certificates endorsing earlier service identities (after a recovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_endorsements: Option<Vec<String>>,
}

/// What a receipt for an ordinary transaction is made from.
#[derive(Clone, Debug)]
pub struct TransactionProof<'a> {
    /// SHA-256 of the whole serialised entry.
    pub write_set_digest: Sha256Digest,
    /// The revealed commit evidence string.
    pub commit_evidence: &'a str,
    /// The entry's claims digest.
    pub claims_digest: Sha256Digest,
    /// Path from the entry's leaf to the signed root.
    pub path: &'a [ProofStep],
}

/// Who signed the root and how.
#[derive(Clone, Debug)]
pub struct NodeSignature<'a> {
    /// PEM of the node's endorsed certificate.
    pub cert_pem: &'a str,
    /// Hex node id.
    pub node_id: &'a str,
    /// Base64 DER ECDSA signature, as in `PrimarySignature.sig`.
    pub signature_base64: &'a str,
}

impl JsonReceipt {
    /// The receipt of an ordinary transaction.
    pub fn for_transaction(tx: &TransactionProof<'_>, signer: &NodeSignature<'_>) -> Self {
        Self {
            cert: signer.cert_pem.to_owned(),
            node_id: signer.node_id.to_owned(),
            signature: signer.signature_base64.to_owned(),
            proof: tx.path.iter().map(JsonProofStep::from).collect(),
            leaf_components: Some(LeafComponents {
                write_set_digest: hex::encode(tx.write_set_digest),
                commit_evidence: tx.commit_evidence.to_owned(),
                claims_digest: Some(hex::encode(tx.claims_digest)),
            }),
            leaf: None,
            service_endorsements: None,
        }
    }

    /// The receipt of a signature transaction: the signed root itself is the leaf.
    pub fn for_signature(root: &Sha256Digest, signer: &NodeSignature<'_>) -> Self {
        Self {
            cert: signer.cert_pem.to_owned(),
            node_id: signer.node_id.to_owned(),
            signature: signer.signature_base64.to_owned(),
            proof: Vec::new(),
            leaf_components: None,
            leaf: Some(hex::encode(root)),
            service_endorsements: None,
        }
    }
}

fn digest_from_hex(hex_text: &str, what: &str) -> Result<Sha256Digest, ReceiptRejection> {
    let bytes = hex::decode(hex_text)
        .map_err(|err| ReceiptRejection::Malformed(format!("{what} is not hex: {err}")))?;
    Sha256Digest::try_from(bytes.as_slice())
        .map_err(|_| ReceiptRejection::Malformed(format!("{what} is not 32 bytes")))
}

impl JsonProofStep {
    fn to_step(&self) -> Result<ProofStep, ReceiptRejection> {
        match (&self.left, &self.right) {
            (Some(hash), None) => Ok(ProofStep {
                side: Side::Left,
                hash: digest_from_hex(hash, "proof hash")?,
            }),
            (None, Some(hash)) => Ok(ProofStep {
                side: Side::Right,
                hash: digest_from_hex(hash, "proof hash")?,
            }),
            _ => Err(ReceiptRejection::Malformed(
                "proof element must have exactly one of left or right".into(),
            )),
        }
    }
}

impl JsonReceipt {
    /// The leaf the proof starts from: recomputed from `leaf_components`, or the given `leaf` of
    /// a signature receipt. Checks the claims digest when the caller expects one.
    fn leaf(
        &self,
        expected_claims_digest: Option<&Sha256Digest>,
    ) -> Result<Sha256Digest, ReceiptRejection> {
        match (&self.leaf_components, &self.leaf) {
            (Some(components), None) => {
                let write_set = digest_from_hex(&components.write_set_digest, "write_set_digest")?;
                let claims = match &components.claims_digest {
                    Some(claims) => Some(digest_from_hex(claims, "claims_digest")?),
                    None => None,
                };
                if let Some(expected) = expected_claims_digest
                    && claims.as_ref() != Some(expected)
                {
                    return Err(ReceiptRejection::ClaimsDigestMismatch {
                        expected_hex: hex::encode(expected),
                        found_hex: claims.map(hex::encode).unwrap_or_default(),
                    });
                }
                let evidence = sha256(components.commit_evidence.as_bytes());
                Ok(match claims {
                    Some(claims) => leaf_for_entry(&write_set, &evidence, &claims),
                    None => sha256_concat(&[&write_set, &evidence]),
                })
            }
            (None, Some(leaf)) if self.proof.is_empty() => digest_from_hex(leaf, "leaf"),
            _ => Err(ReceiptRejection::Malformed(
                "need exactly one of leaf_components or leaf (with an empty proof)".into(),
            )),
        }
    }

    /// Verifies the receipt as `ccf.receipt` does: fold the proof to a root, check the node's
    /// signature over it, and check the node certificate is issued by `service_cert` (through
    /// `service_endorsements` after a recovery). Returns the signed root.
    pub fn verify(
        &self,
        service_cert: &Certificate,
        expected_claims_digest: Option<&Sha256Digest>,
    ) -> Result<Sha256Digest, ReceiptRejection> {
        let leaf = self.leaf(expected_claims_digest)?;
        let path = self
            .proof
            .iter()
            .map(JsonProofStep::to_step)
            .collect::<Result<Vec<_>, _>>()?;
        let root = fold_proof(&leaf, &path);
        let node_cert = Certificate::from_pem(&self.cert)
            .map_err(|err| ReceiptRejection::Malformed(format!("cert: {err}")))?;
        let signature = BASE64
            .decode(&self.signature)
            .map_err(|err| ReceiptRejection::Malformed(format!("signature: {err}")))?;
        node_cert
            .public_key()
            .map_err(|err| ReceiptRejection::Malformed(format!("cert key: {err}")))?
            .verify_prehashed_sha256(&root, &signature)
            .map_err(|_| ReceiptRejection::NodeSignatureInvalid)?;
        let mut endorsee = node_cert;
        for endorsement in self.service_endorsements.iter().flatten() {
            let endorser = Certificate::from_pem(endorsement).map_err(|err| {
                ReceiptRejection::Malformed(format!("service endorsement: {err}"))
            })?;
            endorsee
                .verify_issued_by(&endorser)
                .map_err(|_| ReceiptRejection::NodeCertificateNotEndorsed)?;
            endorsee = endorser;
        }
        endorsee
            .verify_issued_by(service_cert)
            .map_err(|_| ReceiptRejection::NodeCertificateNotEndorsed)?;
        Ok(root)
    }
}
