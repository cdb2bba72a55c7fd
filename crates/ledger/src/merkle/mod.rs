//! CCF's Merkle tree over all transactions (merklecpp semantics).
//!
//! - Leaves are 32-byte digests used as they are; leaf 0 is [`ZERO_LEAF`] (seqno 0), which the
//!   tree's owner appends first. The leaf of seqno n comes from [`leaf_for_entry`].
//! - An internal node is SHA-256(left ‖ right), with no domain-separation prefix.
//! - When a level has an odd number of nodes the last one is promoted unchanged, never duplicated.
//!   This is RFC 6962's shape (the largest power of two below n goes left) without its prefixes.
//!
//! The tree is incremental ([`MerkleTree::append`] hashes once per append, amortised), can drop
//! leaves that are no longer needed ([`MerkleTree::flush_to`]) and roll back a tail
//! ([`MerkleTree::retract_to`]). [`MerkleTree::serialise`] writes merklecpp's binary form, the value
//! of `public:ccf.internal.tree` that CCF's Python `MerkleTree.deserialise` reads.

mod leaf;
mod proof;
mod serialise;
mod tree;

pub use leaf::{ZERO_LEAF, leaf_for_entry};
pub use proof::{ProofStep, Side, fold_proof, verify_inclusion};
pub use tree::MerkleTree;
