//! Builds the write set of a signature transaction: the node's raw signature, the service's COSE
//! signature and the serialised tree, all over the root of every earlier transaction.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use quorate_crypto::{KeyPair, Sha256Digest};
use quorate_kv::{TxId, WriteSet};

use super::cose_root::{CoseSignatureConfig, sign_root};
use super::primary::PrimarySignature;
use crate::error::LedgerError;
use crate::merkle::MerkleTree;
use crate::tables;

/// CCF's unused `hashed_nonce`: 64 hex zeros.
const ZERO_HASHED_NONCE: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The identity that signs as a node.
pub struct SigningNode<'a> {
    /// Hex node id (SHA-256 of the node's SPKI).
    pub node_id: &'a str,
    /// The node's key.
    pub key: &'a KeyPair,
    /// PEM of the node's service-endorsed certificate.
    pub endorsed_cert_pem: &'a str,
}

/// The service identity that COSE-signs roots.
pub struct SigningService<'a> {
    /// The service key.
    pub key: &'a KeyPair,
    /// Issuer and subject for the CWT claims.
    pub config: &'a CoseSignatureConfig,
}

/// A signature transaction and the signatures in it, which receipts repeat.
#[derive(Clone, Debug)]
pub struct SignatureTransaction {
    /// What the transaction writes.
    pub write_set: WriteSet,
    /// The root both signatures cover.
    pub root: Sha256Digest,
    /// Base64 DER node signature over the root.
    pub node_signature_base64: String,
    /// The service's COSE_Sign1 over the root.
    pub cose_signature: Vec<u8>,
}

/// The signature transaction `txid`. `tree` must hold exactly the leaves of
/// seqnos `0..txid.seqno` (leaf 0 being the zero leaf); its root is what both signatures cover,
/// and it is serialised from its first held leaf, as CCF does.
pub fn signature_write_set(
    txid: TxId,
    tree: &MerkleTree,
    node: &SigningNode<'_>,
    service: &SigningService<'_>,
    issued_at_seconds: i64,
) -> Result<SignatureTransaction, LedgerError> {
    if tree.size() != txid.seqno {
        return Err(LedgerError::Writer(format!(
            "signature at {txid} needs a tree of {} leaves, not {}",
            txid.seqno,
            tree.size()
        )));
    }
    let root = tree.root()?;
    let node_signature =
        node.key
            .sign_prehashed_sha256(&root)
            .map_err(|source| LedgerError::Signing {
                what: "node root signature",
                source,
            })?;
    let node_signature_base64 = BASE64.encode(node_signature);
    let primary = PrimarySignature {
        sig: node_signature_base64.clone(),
        node: node.node_id.to_owned(),
        hashed_nonce: ZERO_HASHED_NONCE.to_owned(),
        seqno: txid.seqno,
        view: txid.view,
        commit_seqno: 0,
        commit_view: 0,
        root: hex::encode(root),
        cert: Some(node.endorsed_cert_pem.to_owned()),
    };
    let cose = sign_root(service.key, service.config, issued_at_seconds, txid, &root).map_err(
        |source| LedgerError::Signing {
            what: "service COSE root signature",
            source,
        },
    )?;
    let mut write_set = WriteSet::new();
    write_set.put(
        tables::SIGNATURES,
        tables::SINGLETON_KEY.to_vec(),
        json_bytes(&primary)?,
    );
    write_set.put(
        tables::COSE_SIGNATURES,
        tables::SINGLETON_KEY.to_vec(),
        json_bytes(&BASE64.encode(&cose))?,
    );
    write_set.put(
        tables::TREE,
        tables::SINGLETON_KEY.to_vec(),
        tree.serialise(tree.first_held(), txid.seqno - 1)?,
    );
    Ok(SignatureTransaction {
        write_set,
        root,
        node_signature_base64,
        cose_signature: cose,
    })
}

/// Serialises a JSON table value.
pub(crate) fn json_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, LedgerError> {
    serde_json::to_vec(value).map_err(|err| LedgerError::Writer(format!("JSON encoding: {err}")))
}
