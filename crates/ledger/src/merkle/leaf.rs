//! How a transaction becomes a Merkle leaf.

use quorate_crypto::{Sha256Digest, sha256_concat};

/// Leaf 0, standing for seqno 0: 32 zero bytes, not hashed again.
pub const ZERO_LEAF: Sha256Digest = [0; 32];

/// The leaf of a transaction: SHA-256(write_set_digest ‖ commit_evidence_digest ‖ claims_digest).
///
/// `write_set_digest` is SHA-256 of the whole serialised entry (8-byte header onward);
/// `claims_digest` is 32 zero bytes when the application set no claims, and is still hashed in.
pub fn leaf_for_entry(
    write_set_digest: &Sha256Digest,
    commit_evidence_digest: &Sha256Digest,
    claims_digest: &Sha256Digest,
) -> Sha256Digest {
    sha256_concat(&[write_set_digest, commit_evidence_digest, claims_digest])
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_crypto::sha256;

    #[test]
    fn leaf_is_hash_of_the_three_digests() {
        let (ws, ce, cl) = (sha256(b"entry"), sha256(b"ce:2.3:00"), [0u8; 32]);
        let mut joined = Vec::new();
        joined.extend_from_slice(&ws);
        joined.extend_from_slice(&ce);
        joined.extend_from_slice(&cl);
        assert_eq!(leaf_for_entry(&ws, &ce, &cl), sha256(&joined));
    }
}
