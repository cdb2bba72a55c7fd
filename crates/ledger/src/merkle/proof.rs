//! Inclusion proofs in the JSON receipt's convention.
//!
//! A proof is the list of siblings from the leaf up to the root. `{"left": h}` in a JSON receipt
//! ([`Side::Left`]) means the sibling is on the left, so the next value is SHA-256(h ‖ current);
//! `{"right": h}` means SHA-256(current ‖ h). A level where the path's node was promoted has no
//! step. COSE receipts carry the same steps as `[left: bool, hash]`.

use quorate_crypto::{Sha256Digest, sha256_concat};

/// Which side of the path the sibling sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The sibling is the left child: next = H(sibling ‖ current).
    Left,
    /// The sibling is the right child: next = H(current ‖ sibling).
    Right,
}

/// One level of an inclusion proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProofStep {
    pub side: Side,
    pub hash: Sha256Digest,
}

/// The root that `proof` leads to from `leaf`.
pub fn fold_proof(leaf: &Sha256Digest, proof: &[ProofStep]) -> Sha256Digest {
    proof.iter().fold(*leaf, |current, step| match step.side {
        Side::Left => hash_pair(&step.hash, &current),
        Side::Right => hash_pair(&current, &step.hash),
    })
}

/// Whether `proof` leads from `leaf` to `root`.
pub fn verify_inclusion(leaf: &Sha256Digest, proof: &[ProofStep], root: &Sha256Digest) -> bool {
    fold_proof(leaf, proof) == *root
}

/// An internal node: SHA-256(left ‖ right).
pub(crate) fn hash_pair(left: &Sha256Digest, right: &Sha256Digest) -> Sha256Digest {
    sha256_concat(&[left, right])
}
