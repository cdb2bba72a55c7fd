//! merklecpp's binary serialisation, the value of `public:ccf.internal.tree`.
//!
//! Layout of `serialise(from, to)` (the tree of leaves `0..=to`, holding `from..=to`):
//!
//! ```text
//! u64 big-endian   N = to - from + 1, the number of leaves written
//! u64 big-endian   F = from, the number of flushed leaves
//! N × 32 bytes     leaves from..=to
//! popcount(F) × 32 for each set bit k of F, lowest first: the root of the perfect subtree of
//!                  2^k leaves [((F >> k) - 1) << k, (F >> k) << k), just left of what is kept
//! ```
//!
//! N = 0 is only valid with F = 0 (an empty tree), as in merklecpp and CCF's Python reader.
//! Checked against `shared/ccf-compat/ccf_merkle.py`, whose encoder CCF's
//! `MerkleTree.deserialise` accepts.

use super::tree::MerkleTree;
use crate::error::LedgerError;
use quorate_crypto::Sha256Digest;

const HASH_BYTES: usize = 32;
const HEADER_BYTES: usize = 16;
/// Far beyond any ledger, and small enough that index arithmetic cannot overflow.
const MAX_LEAVES: u64 = 1 << 62;

impl MerkleTree {
    /// merklecpp's serialisation of the tree of leaves `0..=to`, keeping `from..=to` and the
    /// flushed hashes for the rest. CCF writes `serialise(first_held, signature_seqno - 1)`.
    pub fn serialise(&self, from: u64, to: u64) -> Result<Vec<u8>, LedgerError> {
        if from > to {
            return Err(LedgerError::LeafNotHeld {
                index: from,
                first_held: self.first_held(),
                size: to.saturating_add(1),
            });
        }
        // Validates both ends against what is held.
        self.leaf(from)?;
        self.leaf(to)?;
        let count = to - from + 1;
        let mut out = Vec::with_capacity(
            HEADER_BYTES + HASH_BYTES * (count as usize + from.count_ones() as usize),
        );
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&from.to_be_bytes());
        for index in from..=to {
            out.extend_from_slice(&self.node(0, index, index)?);
        }
        for k in 0..u64::BITS {
            let end = from >> k;
            if end & 1 == 1 {
                out.extend_from_slice(&self.node(k, end - 1, from)?);
            }
        }
        Ok(out)
    }

    /// Reads [`serialise`](Self::serialise)'s format. The whole of `bytes` must be one tree.
    pub fn deserialise(bytes: &[u8]) -> Result<Self, LedgerError> {
        let malformed =
            |offset: usize, reason: String| LedgerError::MalformedTree { offset, reason };
        let count = read_u64_be(bytes, 0)
            .ok_or_else(|| malformed(0, "shorter than the 16-byte header".into()))?;
        let first_held = read_u64_be(bytes, 8)
            .ok_or_else(|| malformed(8, "shorter than the 16-byte header".into()))?;
        if count == 0 && first_held != 0 {
            return Err(malformed(
                0,
                format!("no leaves kept but {first_held} flushed"),
            ));
        }
        count
            .checked_add(first_held)
            .filter(|size| *size <= MAX_LEAVES)
            .ok_or_else(|| malformed(0, format!("{count} + {first_held} leaves is too many")))?;
        let hash_count = u128::from(count) + u128::from(first_held.count_ones());
        let expected_len = HEADER_BYTES as u128 + HASH_BYTES as u128 * hash_count;
        if bytes.len() as u128 != expected_len {
            return Err(malformed(
                bytes.len().min(HEADER_BYTES),
                format!(
                    "{count} leaves and {} flushed hashes need {expected_len} bytes, got {}",
                    first_held.count_ones(),
                    bytes.len()
                ),
            ));
        }
        let mut hashes = bytes[HEADER_BYTES..]
            .chunks_exact(HASH_BYTES)
            .map(|chunk| {
                let mut hash = [0u8; HASH_BYTES];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect::<Vec<Sha256Digest>>();
        let flushed = hashes.split_off(hashes.len() - first_held.count_ones() as usize);
        let mut tree = MerkleTree::with_flushed_prefix(first_held, &flushed)
            .ok_or_else(|| malformed(HEADER_BYTES, "flushed hash count mismatch".into()))?;
        hashes.into_iter().for_each(|leaf| tree.append(leaf));
        Ok(tree)
    }
}

fn read_u64_be(bytes: &[u8], offset: usize) -> Option<u64> {
    let field = bytes.get(offset..offset + 8)?;
    let mut raw = [0u8; 8];
    raw.copy_from_slice(field);
    Some(u64::from_be_bytes(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_crypto::sha256;

    fn tree_of(n: u64) -> MerkleTree {
        let mut tree = MerkleTree::new();
        (0..n).for_each(|i| tree.append(sha256(&i.to_le_bytes())));
        tree
    }

    #[test]
    fn round_trip_with_every_flush_point() {
        for n in [1u64, 2, 5, 16, 17, 40] {
            let full = tree_of(n);
            for from in 0..n {
                let blob = full.serialise(from, n - 1).unwrap();
                let back = MerkleTree::deserialise(&blob).unwrap();
                assert_eq!(
                    back.root().unwrap(),
                    full.root().unwrap(),
                    "n={n} from={from}"
                );
                assert_eq!(back.first_held(), from);
                assert_eq!(back.serialise(from, n - 1).unwrap(), blob);
            }
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        let blob = tree_of(5).serialise(3, 4).unwrap();
        assert!(MerkleTree::deserialise(&blob[..blob.len() - 1]).is_err());
        let mut extra = blob.clone();
        extra.push(0);
        assert!(MerkleTree::deserialise(&extra).is_err());
        let mut flushed_only = vec![0u8; 16];
        flushed_only[15] = 1;
        flushed_only.extend_from_slice(&[0; 32]);
        assert!(MerkleTree::deserialise(&flushed_only).is_err());
        assert_eq!(MerkleTree::deserialise(&[0; 16]).unwrap().size(), 0);
    }
}
