//! CCF's `PrimarySignature`: the JSON value of `public:ccf.internal.signatures`, the signing
//! node's ECDSA signature over the Merkle root of every earlier transaction.

use serde::{Deserialize, Serialize};

/// The JSON value of `public:ccf.internal.signatures`, field for field as CCF writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimarySignature {
    /// Base64 DER ECDSA signature by the node key over the 32-byte root (prehashed SHA-256).
    pub sig: String,
    /// Hex id of the signing node.
    pub node: String,
    /// Unused by CCF; 64 hex zeros.
    #[serde(default)]
    pub hashed_nonce: String,
    /// Seqno of the signature transaction itself.
    pub seqno: u64,
    /// View of the signature transaction itself.
    pub view: u64,
    /// Deprecated; always 0.
    #[serde(default)]
    pub commit_seqno: u64,
    /// Deprecated; always 0.
    #[serde(default)]
    pub commit_view: u64,
    /// Hex Merkle root over seqnos `0..seqno`.
    pub root: String,
    /// PEM of the signing node's certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
}
