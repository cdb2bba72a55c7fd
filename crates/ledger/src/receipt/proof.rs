//! A Merkle inclusion path as receipts carry it, and the fold from a leaf up to the root that both
//! receipt formats and CCF's `ccf.receipt.root` perform.

use quorate_crypto::{Sha256Digest, sha256, sha256_concat};

/// One step from a node towards the root: the sibling hash and which side it sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofStep {
    /// True when the sibling is the left operand, i.e. `parent = H(sibling ‖ current)`.
    pub sibling_is_left: bool,
    /// The sibling's hash.
    pub sibling: Sha256Digest,
}

/// The leaf CCF puts in the tree for an entry of type 4:
/// `H(write_set_digest ‖ H(commit_evidence) ‖ claims_digest)`.
pub fn transaction_leaf(
    write_set_digest: &Sha256Digest,
    commit_evidence: &str,
    claims_digest: &Sha256Digest,
) -> Sha256Digest {
    let commit_evidence_digest = sha256(commit_evidence.as_bytes());
    sha256_concat(&[write_set_digest, &commit_evidence_digest, claims_digest])
}

/// Folds `path` (leaf upwards) starting from `leaf`, giving the root the path proves.
pub fn fold_path(leaf: &Sha256Digest, path: &[ProofStep]) -> Sha256Digest {
    path.iter().fold(*leaf, |current, step| {
        if step.sibling_is_left {
            sha256_concat(&[&step.sibling, &current])
        } else {
            sha256_concat(&[&current, &step.sibling])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_orders_operands_by_side() {
        let leaf = sha256(b"leaf");
        let sibling = sha256(b"sibling");
        let left = fold_path(&leaf, &[ProofStep { sibling_is_left: true, sibling }]);
        let right = fold_path(&leaf, &[ProofStep { sibling_is_left: false, sibling }]);
        assert_eq!(left, sha256_concat(&[&sibling, &leaf]));
        assert_eq!(right, sha256_concat(&[&leaf, &sibling]));
        assert_eq!(fold_path(&leaf, &[]), leaf);
    }
}
