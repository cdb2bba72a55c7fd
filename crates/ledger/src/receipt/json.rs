//! CCF's JSON ("v1") receipt: the node's signature over a Merkle root plus the path from one
//! transaction's leaf to that root, as `GET /app/receipt` returns it and `ccf.receipt` checks it.

use serde::{Deserialize, Serialize};

use quorate_crypto::Sha256Digest;

use crate::merkle::{ProofStep, Side};

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
