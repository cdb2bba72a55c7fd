//! Turns a sequence of write sets into ledger entries the way a CCF primary does: each entry
//! encoded under the ledger secret, its leaf appended to the Merkle tree, and on request a
//! signature transaction over the tree, with receipts for chosen transactions.

use quorate_crypto::{Sha256Digest, sha256};
use quorate_kv::entry::FORCE_LEDGER_CHUNK_AFTER;
use quorate_kv::{TxId, WriteSet, encode_entry};

use super::identities::GeneratedIdentities;
use crate::error::LedgerError;
use crate::merkle::{MerkleTree, ZERO_LEAF, leaf_for_entry};
use crate::receipt::{JsonReceipt, NodeSignature, TransactionProof, cose_receipt};
use crate::signature::{CoseSignatureConfig, SigningNode, SigningService, signature_write_set};

/// An entry ready for the chunk writer.
pub struct BuiltEntry {
    /// The serialised entry.
    pub bytes: Vec<u8>,
    /// Whether it is a signature transaction (chunks may end only after one).
    pub is_signature: bool,
}

/// A transaction's receipts against the signature that covers it.
pub struct SampledReceipt {
    /// Seqno of the transaction.
    pub seqno: u64,
    /// Seqno of the covering signature.
    pub signature_seqno: u64,
    /// The JSON receipt.
    pub json: JsonReceipt,
    /// The COSE receipt.
    pub cose: Vec<u8>,
}

/// What a receipt of a transaction needs, kept until the next signature.
struct ReceiptSubject {
    seqno: u64,
    write_set_digest: Sha256Digest,
    commit_evidence: String,
    claims_digest: Sha256Digest,
}

/// Builds the entries of one ledger in seqno order.
pub struct LedgerBuilder<'a> {
    ids: &'a GeneratedIdentities,
    cose_config: CoseSignatureConfig,
    issued_at_seconds: i64,
    view: u64,
    tree: MerkleTree,
    wanted: Vec<ReceiptSubject>,
    receipts: Vec<SampledReceipt>,
}

impl<'a> LedgerBuilder<'a> {
    /// A builder for view `view`, before seqno 1; COSE signatures carry `issued_at_seconds`.
    pub fn new(
        ids: &'a GeneratedIdentities,
        cose_config: CoseSignatureConfig,
        view: u64,
        issued_at_seconds: i64,
    ) -> Self {
        let mut tree = MerkleTree::new();
        tree.append(ZERO_LEAF);
        Self {
            ids,
            cose_config,
            issued_at_seconds,
            view,
            tree,
            wanted: Vec::new(),
            receipts: Vec::new(),
        }
    }

    /// The TxID the next entry gets.
    pub fn next_txid(&self) -> TxId {
        TxId::new(self.view, self.tree.size())
    }

    /// Appends an ordinary transaction; with `want_receipt`, the next signature also produces
    /// its receipts.
    pub fn append(
        &mut self,
        write_set: &WriteSet,
        claims_digest: &Sha256Digest,
        want_receipt: bool,
    ) -> Result<BuiltEntry, LedgerError> {
        self.append_entry(write_set, claims_digest, 0, want_receipt, false)
    }

    fn append_entry(
        &mut self,
        write_set: &WriteSet,
        claims_digest: &Sha256Digest,
        flags: u8,
        want_receipt: bool,
        is_signature: bool,
    ) -> Result<BuiltEntry, LedgerError> {
        let txid = self.next_txid();
        let encoded = encode_entry(
            txid,
            write_set,
            claims_digest,
            flags,
            &self.ids.ledger_secret,
        )
        .map_err(|err| LedgerError::Writer(format!("encoding {txid}: {err}")))?;
        let write_set_digest = sha256(&encoded.bytes);
        self.tree.append(leaf_for_entry(
            &write_set_digest,
            &encoded.commit_evidence_digest,
            claims_digest,
        ));
        if want_receipt {
            self.wanted.push(ReceiptSubject {
                seqno: txid.seqno,
                write_set_digest,
                commit_evidence: self
                    .ids
                    .ledger_secret
                    .commit_evidence(txid)
                    .as_str()
                    .to_owned(),
                claims_digest: *claims_digest,
            });
        }
        Ok(BuiltEntry {
            bytes: encoded.bytes,
            is_signature,
        })
    }

    /// Appends a signature transaction over every earlier entry and makes the receipts asked
    /// for since the last one; with `want_receipt`, the signature transaction itself gets
    /// receipts at the next signature.
    /// With `last`, the entry asks the chunk writer to complete its chunk after it.
    pub fn append_signature(
        &mut self,
        want_receipt: bool,
        last: bool,
    ) -> Result<BuiltEntry, LedgerError> {
        let txid = self.next_txid();
        let node = SigningNode {
            node_id: &self.ids.node_id,
            key: &self.ids.node_key,
            endorsed_cert_pem: self.ids.node_cert.pem(),
        };
        let service = SigningService {
            key: &self.ids.service_key,
            config: &self.cose_config,
        };
        let signature =
            signature_write_set(txid, &self.tree, &node, &service, self.issued_at_seconds)?;
        for subject in std::mem::take(&mut self.wanted) {
            let path = self.tree.inclusion_proof(subject.seqno)?;
            let proof = TransactionProof {
                write_set_digest: subject.write_set_digest,
                commit_evidence: &subject.commit_evidence,
                claims_digest: subject.claims_digest,
                path: &path,
            };
            let signer = NodeSignature {
                cert_pem: node.endorsed_cert_pem,
                node_id: node.node_id,
                signature_base64: &signature.node_signature_base64,
            };
            let cose = cose_receipt(&signature.cose_signature, &proof)
                .map_err(|err| LedgerError::Writer(format!("COSE receipt: {err}")))?;
            self.receipts.push(SampledReceipt {
                seqno: subject.seqno,
                signature_seqno: txid.seqno,
                json: JsonReceipt::for_transaction(&proof, &signer),
                cose,
            });
        }
        let flags = if last { FORCE_LEDGER_CHUNK_AFTER } else { 0 };
        let built = self.append_entry(&signature.write_set, &[0; 32], flags, want_receipt, true)?;
        // Receipts and the next tree table need nothing before this signature.
        self.tree.flush_to(txid.seqno)?;
        Ok(built)
    }

    /// The receipts made so far.
    pub fn receipts(&self) -> &[SampledReceipt] {
        &self.receipts
    }
}
