//! Who a node is and which service it belongs to: the keys that sign ledger signatures.

use quorate_consensus::NodeId;
use quorate_crypto::{Certificate, KeyPair};
use quorate_ledger::signature::CoseSignatureConfig;

use super::error::ReplicationError;

/// The service identity every node of the service holds (CCF shares it at join): its key
/// COSE-signs Merkle roots, its certificate endorses node certificates.
pub struct ServiceIdentity {
    pub key: KeyPair,
    pub cert: Certificate,
    pub cose: CoseSignatureConfig,
}

/// One node's identity: its key signs roots as a node, its certificate is endorsed by the
/// service. The hex node id (SHA-256 of the public key's SPKI) is CCF's name for the node.
pub struct NodeIdentity {
    pub key: KeyPair,
    pub endorsed_cert: Certificate,
    pub node_id_hex: String,
}

impl NodeIdentity {
    /// `key` with its service-endorsed certificate; the hex node id is derived from the key.
    pub fn new(key: KeyPair, endorsed_cert: Certificate) -> Self {
        let node_id_hex = key.public_key().sha256_hex();
        Self {
            key,
            endorsed_cert,
            node_id_hex,
        }
    }

    /// The id consensus knows this node by.
    pub fn raft_id(&self) -> Result<NodeId, ReplicationError> {
        raft_id_of(&self.node_id_hex)
    }
}

/// Consensus ids are the first 64 bits of the hex node id, so every node derives the same id
/// for a peer from the ledger's `nodes.info` keys without a separate mapping table.
pub fn raft_id_of(node_id_hex: &str) -> Result<NodeId, ReplicationError> {
    node_id_hex
        .get(..16)
        .and_then(|prefix| u64::from_str_radix(prefix, 16).ok())
        .map(NodeId)
        .ok_or_else(|| ReplicationError::Identity(format!("{node_id_hex:?} is not a hex node id")))
}
