//! Reading committed transactions back on the driver thread: the write set of one (CCF's
//! historical state) and its receipt. The node holds its whole log in memory, so nothing is
//! loaded from disk and there is no "still loading" state; the receipt's proof comes from the
//! tree serialised in the first signature after the transaction, as CCF builds it.

use bytes::Bytes;
use quorate_consensus::ConsensusEngine;
use quorate_crypto::sha256;
use quorate_kv::{DecodedEntry, LedgerSecret, TxId, WriteSet, decode_entry};
use quorate_ledger::merkle::MerkleTree;
use quorate_ledger::receipt::{JsonReceipt, NodeSignature, TransactionProof};
use quorate_ledger::signature::PrimarySignature;
use quorate_ledger::tables;

use crate::replication::{ReplicatedNode, TxStatus};

/// Why a committed transaction cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoricalError {
    /// Not committed (yet), or unknown here.
    PendingOrUnknown,
    /// It can never commit.
    Invalid,
    /// The node's own log could not serve it (a bug or corruption).
    Internal(String),
}

/// The decoded entry of committed transaction `txid`, private maps decrypted.
pub fn committed_entry(node: &ReplicatedNode, txid: TxId) -> Result<DecodedEntry, HistoricalError> {
    match node.tx_status(txid) {
        TxStatus::Committed => {}
        TxStatus::Invalid => return Err(HistoricalError::Invalid),
        TxStatus::Pending | TxStatus::Unknown => return Err(HistoricalError::PendingOrUnknown),
    }
    decoded_at(node, txid.seqno, true)
}

/// CCF's JSON receipt of committed transaction `txid`, against the first signature after it
/// (or, for a signature transaction, its own signed root).
pub fn receipt(node: &ReplicatedNode, txid: TxId) -> Result<JsonReceipt, HistoricalError> {
    let entry = committed_entry(node, txid)?;
    let raft = node.consensus();
    let internal = |detail: String| HistoricalError::Internal(detail);
    if let Some(signature) = primary_signature(&entry)? {
        let root = hex_digest(&signature.root)?;
        let signer = signer(&signature)?;
        return Ok(JsonReceipt::for_signature(&root, &(&signer).into()));
    }
    let commit = raft.commit_index();
    let signature_seqno = (txid.seqno + 1..=commit)
        .find(|seqno| raft.entry(*seqno).is_some_and(|e| e.committable))
        .ok_or(HistoricalError::PendingOrUnknown)?;
    let signature_entry = decoded_at(node, signature_seqno, false)?;
    let signature = primary_signature(&signature_entry)?
        .ok_or_else(|| internal(format!("{signature_seqno} holds no signature")))?;
    let tree_bytes = signature_entry
        .public_write_set
        .map(tables::TREE)
        .and_then(|writes| writes.get(&tables::SINGLETON_KEY).flatten())
        .ok_or_else(|| internal(format!("signature {signature_seqno} holds no tree")))?;
    let tree = MerkleTree::deserialise(tree_bytes).map_err(|e| internal(e.to_string()))?;
    let path = tree
        .inclusion_proof_at(txid.seqno, signature_seqno)
        .map_err(|e| internal(e.to_string()))?;
    let payload = raft
        .entry(txid.seqno)
        .ok_or_else(|| internal(format!("{} not held", txid.seqno)))?
        .payload
        .clone();
    let evidence = node.ledger_secret().commit_evidence(txid);
    let proof = TransactionProof {
        write_set_digest: sha256(&payload),
        commit_evidence: evidence.as_str(),
        claims_digest: entry.claims_digest.unwrap_or([0; 32]),
        path: &path,
    };
    let signer = signer(&signature)?;
    Ok(JsonReceipt::for_transaction(&proof, &(&signer).into()))
}

/// The entries of committed seqnos `start_seqno..=end_seqno` with the secret that decrypts
/// them. Taken on the driver thread, where copying them out is cheap (shared buffers);
/// decoding, which is not, is left to the caller's thread: a range query must not hold up
/// consensus.
pub fn committed_payloads(
    node: &ReplicatedNode,
    start_seqno: u64,
    end_seqno: u64,
) -> Result<CommittedPayloads, HistoricalError> {
    if end_seqno > node.last_committed_txid().seqno {
        return Err(HistoricalError::PendingOrUnknown);
    }
    let payloads = (start_seqno..=end_seqno)
        .map(|seqno| payload_at(node, seqno).cloned())
        .collect::<Result<_, _>>()?;
    Ok(CommittedPayloads {
        secret: node.ledger_secret().clone(),
        payloads,
    })
}

/// See [`committed_payloads`].
pub struct CommittedPayloads {
    secret: LedgerSecret,
    payloads: Vec<Bytes>,
}

impl CommittedPayloads {
    /// Each transaction with its writes, private maps decrypted.
    pub fn decode(self) -> Result<Vec<(TxId, WriteSet)>, HistoricalError> {
        self.payloads
            .iter()
            .map(|payload| {
                let entry = decode(payload, Some(&self.secret))?;
                Ok((entry.txid, entry.into_write_set()))
            })
            .collect()
    }
}

/// CCF's JS receipt object: the JSON receipt's signer fields and `is_signature_transaction`;
/// then a signature transaction's signed root as `root_hex`, or any other's `leaf_components`
/// and `proof`. As in CCF, `claims_digest` is there for every application transaction (zeros
/// when the app set no claims), and an app may delete it to make verifiers recompute it.
pub fn js_receipt(receipt: &JsonReceipt) -> serde_json::Value {
    let mut object = serde_json::json!({
        "cert": receipt.cert,
        "node_id": receipt.node_id,
        "signature": receipt.signature,
        "is_signature_transaction": receipt.leaf.is_some(),
    });
    if let Some(root) = &receipt.leaf {
        object["root_hex"] = root.as_str().into();
    } else if let Some(leaf) = &receipt.leaf_components {
        object["leaf_components"] = serde_json::json!(leaf);
        object["proof"] = serde_json::json!(receipt.proof);
    }
    object
}

fn decoded_at(
    node: &ReplicatedNode,
    seqno: u64,
    decrypt: bool,
) -> Result<DecodedEntry, HistoricalError> {
    let secret = decrypt.then(|| node.ledger_secret());
    decode(payload_at(node, seqno)?, secret)
}

/// The serialised entry at `seqno` in this node's log.
fn payload_at(node: &ReplicatedNode, seqno: u64) -> Result<&Bytes, HistoricalError> {
    node.consensus()
        .entry(seqno)
        .map(|entry| &entry.payload)
        .ok_or_else(|| HistoricalError::Internal(format!("{seqno} not held")))
}

fn decode(payload: &[u8], secret: Option<&LedgerSecret>) -> Result<DecodedEntry, HistoricalError> {
    decode_entry(payload, secret).map_err(|e| HistoricalError::Internal(e.to_string()))
}

fn primary_signature(entry: &DecodedEntry) -> Result<Option<PrimarySignature>, HistoricalError> {
    let Some(value) = entry
        .public_write_set
        .map(tables::SIGNATURES)
        .and_then(|writes| writes.get(&tables::SINGLETON_KEY).flatten())
    else {
        return Ok(None);
    };
    serde_json::from_slice(value)
        .map(Some)
        .map_err(|e| HistoricalError::Internal(format!("signature JSON: {e}")))
}

fn signer(signature: &PrimarySignature) -> Result<OwnedSigner, HistoricalError> {
    Ok(OwnedSigner {
        cert_pem: signature
            .cert
            .clone()
            .ok_or_else(|| HistoricalError::Internal("signature names no certificate".into()))?,
        node_id: signature.node.clone(),
        signature_base64: signature.sig.clone(),
    })
}

/// [`NodeSignature`]'s fields, owned.
struct OwnedSigner {
    cert_pem: String,
    node_id: String,
    signature_base64: String,
}

impl<'a> From<&'a OwnedSigner> for NodeSignature<'a> {
    fn from(signer: &'a OwnedSigner) -> Self {
        NodeSignature {
            cert_pem: &signer.cert_pem,
            node_id: &signer.node_id,
            signature_base64: &signer.signature_base64,
        }
    }
}

fn hex_digest(text: &str) -> Result<[u8; 32], HistoricalError> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| HistoricalError::Internal(format!("root {text:?} is not 32 hex bytes")))
}
