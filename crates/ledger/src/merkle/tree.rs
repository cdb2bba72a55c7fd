//! The incremental tree: levels of perfect-subtree hashes.
//!
//! Level k holds the hashes of the complete (perfect) subtrees of 2^k leaves, by position:
//! node i of level k covers leaves [i·2^k, (i+1)·2^k). With `size` leaves, level k has
//! `size >> k` complete nodes. The promoted right edge is never stored: the node covering a
//! partial range is the fold of the levels' "peaks" below it (the last node of every level with an
//! odd count), so appending costs one hash per completed pair, amortised one per leaf.
//!
//! Flushing up to leaf F keeps, on level k, the nodes from `(F >> k) & !1`: the ancestors of the
//! kept leaves and their left siblings, which is all a root or a proof for a leaf ≥ F can need.
//! Because that first stored position is even, a pair being completed by an append always has its
//! left half stored.

use super::proof::{ProofStep, Side, hash_pair};
use crate::error::LedgerError;
use quorate_crypto::Sha256Digest;

/// One level of complete-subtree hashes; positions `first..first + nodes.len()` are held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Level {
    /// Position of `nodes[0]`; always even.
    pub(super) first: u64,
    pub(super) nodes: Vec<Sha256Digest>,
}

impl Level {
    /// One past the last held position, which is also the level's count of complete nodes.
    fn end(&self) -> u64 {
        self.first + self.nodes.len() as u64
    }

    fn get(&self, position: u64) -> Option<&Sha256Digest> {
        let offset = usize::try_from(position.checked_sub(self.first)?).ok()?;
        self.nodes.get(offset)
    }
}

/// CCF's Merkle tree. See the [module docs](super) for the shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[k]`: complete subtrees of 2^k leaves. Levels above the highest one ever reached
    /// are absent.
    levels: Vec<Level>,
    /// Leaves before this index have been flushed: no proof or root for them any more.
    first_held: u64,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree that has flushed its first `first_held` leaves, from merklecpp's "flushed hashes":
    /// for each set bit k of `first_held`, lowest first, the hash of the perfect subtree of 2^k
    /// leaves ending just before the first held leaf. `None` if the count does not match.
    pub(super) fn with_flushed_prefix(first_held: u64, flushed: &[Sha256Digest]) -> Option<Self> {
        if flushed.len() != first_held.count_ones() as usize {
            return None;
        }
        let mut flushed = flushed.iter();
        let mut levels = Vec::new();
        for k in 0..u64::BITS - first_held.leading_zeros() {
            let end = first_held >> k;
            let nodes = if end & 1 == 1 {
                vec![*flushed.next()?]
            } else {
                Vec::new()
            };
            levels.push(Level {
                first: end & !1,
                nodes,
            });
        }
        Some(Self { levels, first_held })
    }

    /// Number of leaves appended, flushed ones included.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(self.first_held, Level::end)
    }

    /// Index of the first leaf still held (the number of flushed leaves).
    pub fn first_held(&self) -> u64 {
        self.first_held
    }

    /// Appends a leaf (a 32-byte digest, used as is).
    pub fn append(&mut self, leaf: Sha256Digest) {
        let mut node = leaf;
        let mut k = 0;
        loop {
            if k == self.levels.len() {
                self.levels.push(Level::default());
            }
            let Some(level) = self.levels.get_mut(k) else {
                return;
            };
            level.nodes.push(node);
            if level.end() % 2 == 1 {
                return;
            }
            // The new node closed a pair; its parent is now complete.
            let [.., left, right] = level.nodes.as_slice() else {
                return;
            };
            node = hash_pair(left, right);
            k += 1;
        }
    }

    /// The held leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Sha256Digest, LedgerError> {
        self.check_held(index, self.size())?;
        self.node(0, index, index)
    }

    /// The root over all leaves.
    pub fn root(&self) -> Result<Sha256Digest, LedgerError> {
        self.root_at(self.size())
    }

    /// The root the tree had when it held `size` leaves (for `first_held < size ≤ self.size()`),
    /// e.g. the root a signature at seqno `size` signed.
    pub fn root_at(&self, size: u64) -> Result<Sha256Digest, LedgerError> {
        if size == 0 {
            return Err(LedgerError::EmptyTree);
        }
        self.check_held(size - 1, self.size())?;
        self.partial_below(u64::BITS, size, size - 1)
    }

    /// The inclusion proof of leaf `index` against [`root`](Self::root), from the leaf up.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<ProofStep>, LedgerError> {
        self.inclusion_proof_at(index, self.size())
    }

    /// The inclusion proof of leaf `index` against [`root_at(size)`](Self::root_at).
    pub fn inclusion_proof_at(&self, index: u64, size: u64) -> Result<Vec<ProofStep>, LedgerError> {
        if size > self.size() {
            return Err(self.not_held(size.saturating_sub(1)));
        }
        self.check_held(index, size)?;
        let mut steps = Vec::new();
        let mut k = 0u32;
        // Level k has ceil(size / 2^k) nodes counting the partial one; stop at the root.
        while k < u64::BITS && ((size - 1) >> k) > 0 {
            let position = index >> k;
            let sibling = position ^ 1;
            let sibling_start = u128::from(sibling) << k;
            let sibling_end = (u128::from(sibling) + 1) << k;
            if sibling < position {
                steps.push(ProofStep {
                    side: Side::Left,
                    hash: self.node(k, sibling, index)?,
                });
            } else if sibling_end <= u128::from(size) {
                steps.push(ProofStep {
                    side: Side::Right,
                    hash: self.node(k, sibling, index)?,
                });
            } else if sibling_start < u128::from(size) {
                steps.push(ProofStep {
                    side: Side::Right,
                    hash: self.partial_below(k, size, index)?,
                });
            }
            k += 1;
        }
        Ok(steps)
    }

    /// Drops every leaf before `index` and every node only they needed. Roots and proofs for
    /// leaves ≥ `index` still work. A no-op for an `index` already flushed.
    pub fn flush_to(&mut self, index: u64) -> Result<(), LedgerError> {
        if index <= self.first_held {
            return Ok(());
        }
        self.check_held(index, self.size())?;
        for (k, level) in self.levels.iter_mut().enumerate() {
            let keep_from = (index >> k) & !1;
            let drop_count = usize::try_from(keep_from.saturating_sub(level.first))
                .map_or(level.nodes.len(), |n| n.min(level.nodes.len()));
            level.nodes.drain(..drop_count);
            level.first += drop_count as u64;
        }
        self.first_held = index;
        Ok(())
    }

    /// Rolls back to the tree of leaves `0..=index`, dropping every later leaf.
    pub fn retract_to(&mut self, index: u64) -> Result<(), LedgerError> {
        self.check_held(index, self.size())?;
        let size = index + 1;
        for (k, level) in self.levels.iter_mut().enumerate() {
            let keep = (size >> k).saturating_sub(level.first);
            level
                .nodes
                .truncate(usize::try_from(keep).unwrap_or(usize::MAX));
        }
        Ok(())
    }

    /// The complete node at `position` of level `k`; `index` is the leaf being served, for the
    /// error.
    pub(super) fn node(
        &self,
        k: u32,
        position: u64,
        index: u64,
    ) -> Result<Sha256Digest, LedgerError> {
        self.levels
            .get(k as usize)
            .and_then(|level| level.get(position))
            .copied()
            .ok_or_else(|| self.not_held(index))
    }

    /// The hash of the partial subtree on the right edge of a tree of `size` leaves made of the
    /// peaks below level `k`: the folded peaks, smallest first, each larger one on the left.
    fn partial_below(&self, k: u32, size: u64, index: u64) -> Result<Sha256Digest, LedgerError> {
        let mut acc: Option<Sha256Digest> = None;
        for j in 0..k.min(u64::BITS) {
            let count = size >> j;
            if count & 1 == 1 {
                let peak = self.node(j, count - 1, index)?;
                acc = Some(match acc {
                    None => peak,
                    Some(right) => hash_pair(&peak, &right),
                });
            }
        }
        acc.ok_or(LedgerError::EmptyTree)
    }

    fn check_held(&self, index: u64, size: u64) -> Result<(), LedgerError> {
        if index < self.first_held || index >= size {
            return Err(self.not_held(index));
        }
        Ok(())
    }

    fn not_held(&self, index: u64) -> LedgerError {
        LedgerError::LeafNotHeld {
            index,
            first_held: self.first_held,
            size: self.size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::verify_inclusion;
    use quorate_crypto::sha256;

    fn leaf(i: u64) -> Sha256Digest {
        sha256(&i.to_le_bytes())
    }

    #[test]
    fn three_leaves_promote_the_last() {
        let mut tree = MerkleTree::new();
        (0..3).for_each(|i| tree.append(leaf(i)));
        let expected = hash_pair(&hash_pair(&leaf(0), &leaf(1)), &leaf(2));
        assert_eq!(tree.root().unwrap(), expected);
        let proof = tree.inclusion_proof(2).unwrap();
        assert_eq!(
            proof,
            vec![ProofStep {
                side: Side::Left,
                hash: hash_pair(&leaf(0), &leaf(1))
            }]
        );
        assert!(verify_inclusion(&leaf(2), &proof, &expected));
    }

    #[test]
    fn empty_tree_has_no_root() {
        assert!(matches!(
            MerkleTree::new().root(),
            Err(LedgerError::EmptyTree)
        ));
    }

    #[test]
    fn flushed_leaves_are_not_held() {
        let mut tree = MerkleTree::new();
        (0..10).for_each(|i| tree.append(leaf(i)));
        let root = tree.root().unwrap();
        tree.flush_to(7).unwrap();
        assert_eq!(tree.root().unwrap(), root);
        assert!(matches!(
            tree.leaf(6),
            Err(LedgerError::LeafNotHeld { index: 6, .. })
        ));
        assert!(tree.flush_to(10).is_err());
        assert!(tree.retract_to(6).is_err());
    }
}
