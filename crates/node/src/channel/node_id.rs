//! Node identities as CCF defines them: the SHA-256 of the node's public key (SPKI DER). Binding
//! the id to the key is what lets a channel check that a certificate belongs to the node it
//! claims to be.

use std::fmt;

use quorate_crypto::{PublicKey, sha256};

/// Length of a node id, in bytes.
pub const NODE_ID_SIZE_BYTES: usize = 32;

/// A node id: SHA-256 of the node's SubjectPublicKeyInfo DER, shown as lowercase hex. Ordered
/// bytewise, which is what breaks ties when two nodes open a channel to each other at once.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId([u8; NODE_ID_SIZE_BYTES]);

impl NodeId {
    /// The id of the node holding `key`.
    pub fn of(key: &PublicKey) -> Self {
        Self(sha256(key.spki_der()))
    }

    /// Wraps raw id bytes (as carried in frames).
    pub fn from_bytes(bytes: [u8; NODE_ID_SIZE_BYTES]) -> Self {
        Self(bytes)
    }

    /// The raw id bytes.
    pub fn as_bytes(&self) -> &[u8; NODE_ID_SIZE_BYTES] {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}
