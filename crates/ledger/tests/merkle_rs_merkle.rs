//! The tree against rs_merkle, whose default hasher has CCF's shape (no prefixes, odd node
//! promoted): roots and proofs for 1..200 leaves and after random flush/retract sequences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use quorate_crypto::{Sha256Digest, sha256};
use quorate_ledger::merkle::{MerkleTree, Side, verify_inclusion};
use rs_merkle::{MerkleTree as Oracle, algorithms::Sha256};

fn leaf(i: u64) -> Sha256Digest {
    sha256(&i.to_le_bytes())
}

/// Checks root and every held leaf's proof of `tree` against rs_merkle over `leaves`.
fn check_against_oracle(tree: &MerkleTree, leaves: &[Sha256Digest]) {
    let oracle = Oracle::<Sha256>::from_leaves(leaves);
    let root = oracle.root().unwrap();
    assert_eq!(tree.size(), leaves.len() as u64);
    assert_eq!(
        tree.root().unwrap(),
        root,
        "root of {} leaves",
        leaves.len()
    );
    for index in tree.first_held()..tree.size() {
        let proof = tree.inclusion_proof(index).unwrap();
        let hashes: Vec<Sha256Digest> = proof.iter().map(|step| step.hash).collect();
        let oracle_proof = oracle.proof(&[index as usize]);
        assert_eq!(
            hashes,
            oracle_proof.proof_hashes(),
            "proof of {index} in {}",
            leaves.len()
        );
        assert!(verify_inclusion(&leaves[index as usize], &proof, &root));
        assert!(oracle_proof.verify(
            root,
            &[index as usize],
            &[leaves[index as usize]],
            leaves.len()
        ));
    }
}

#[test]
fn roots_and_proofs_for_1_to_200_leaves() {
    let mut tree = MerkleTree::new();
    let mut leaves = Vec::new();
    for i in 0..200 {
        tree.append(leaf(i));
        leaves.push(leaf(i));
        check_against_oracle(&tree, &leaves);
    }
}

#[test]
fn proof_sides_follow_positions() {
    let mut tree = MerkleTree::new();
    (0..7).for_each(|i| tree.append(leaf(i)));
    let sides: Vec<Side> = tree
        .inclusion_proof(4)
        .unwrap()
        .iter()
        .map(|s| s.side)
        .collect();
    // Leaf 4 of 7: sibling 5 on the right, then the promoted leaf 6 on the right, then 0..4 left.
    assert_eq!(sides, vec![Side::Right, Side::Right, Side::Left]);
}

#[test]
fn historical_roots_and_proofs() {
    let mut tree = MerkleTree::new();
    let leaves: Vec<Sha256Digest> = (0..50).map(leaf).collect();
    leaves.iter().for_each(|l| tree.append(*l));
    tree.flush_to(13).unwrap();
    for size in 14..=50usize {
        let oracle = Oracle::<Sha256>::from_leaves(&leaves[..size]);
        let root = oracle.root().unwrap();
        assert_eq!(tree.root_at(size as u64).unwrap(), root);
        for index in 13..size as u64 {
            let proof = tree.inclusion_proof_at(index, size as u64).unwrap();
            assert!(verify_inclusion(&leaves[index as usize], &proof, &root));
        }
    }
    assert!(tree.root_at(13).is_err());
    assert!(tree.root_at(51).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Append(u8),
    Flush(u16),
    Retract(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..40).prop_map(Op::Append),
        1 => any::<u16>().prop_map(Op::Flush),
        1 => any::<u16>().prop_map(Op::Retract),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_flush_and_retract_sequences(ops in proptest::collection::vec(op(), 1..20)) {
        let mut tree = MerkleTree::new();
        let mut leaves: Vec<Sha256Digest> = Vec::new();
        let mut next = 0u64;
        for op in ops {
            match op {
                Op::Append(n) => for _ in 0..n {
                    tree.append(leaf(next));
                    leaves.push(leaf(next));
                    next += 1;
                },
                Op::Flush(at) if !leaves.is_empty() => {
                    let at = u64::from(at) % leaves.len() as u64;
                    tree.flush_to(at).unwrap();
                    let blob = tree.serialise(tree.first_held(), tree.size() - 1).unwrap();
                    prop_assert_eq!(MerkleTree::deserialise(&blob).unwrap().root().unwrap(),
                        tree.root().unwrap());
                }
                Op::Retract(to) if !leaves.is_empty() => {
                    let held = leaves.len() as u64 - tree.first_held();
                    let to = tree.first_held() + u64::from(to) % held;
                    tree.retract_to(to).unwrap();
                    leaves.truncate(to as usize + 1);
                }
                _ => {}
            }
            if !leaves.is_empty() {
                check_against_oracle(&tree, &leaves);
            }
        }
    }

    #[test]
    fn deserialise_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(tree) = MerkleTree::deserialise(&bytes) {
            prop_assert!(tree.size() >= tree.first_held());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn well_framed_trees_with_any_counts_work(
        count in 0u64..5,
        first_held in any::<u64>(),
        fill in any::<u8>(),
    ) {
        let first_held = if count == 0 { 0 } else { first_held >> 2 };
        let hashes = count + u64::from(first_held.count_ones());
        let mut blob = count.to_be_bytes().to_vec();
        blob.extend_from_slice(&first_held.to_be_bytes());
        blob.extend(std::iter::repeat_n(fill, hashes as usize * 32));
        let tree = MerkleTree::deserialise(&blob).unwrap();
        prop_assert_eq!(tree.size(), first_held + count);
        if count > 0 {
            let root = tree.root().unwrap();
            let last = tree.size() - 1;
            let proof = tree.inclusion_proof(last).unwrap();
            prop_assert!(verify_inclusion(&tree.leaf(last).unwrap(), &proof, &root));
            prop_assert_eq!(tree.serialise(first_held, last).unwrap(), blob);
        }
    }
}
