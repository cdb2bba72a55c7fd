//! The ledger secret and the commit evidence derived from it.
//!
//! CCF derives the commit secret as HMAC-SHA256(key = raw ledger secret, data = label). The
//! label constant in `src/node/ledger_secret.h` is "Commit Secret Label", but it is declared as a
//! `const char*` and its length taken with `sizeof`, which is the size of the pointer: on CCF's
//! 64-bit platforms only the first 8 bytes, `Commit S`, are hashed. We verified this in CCF's
//! source (7.0.0-dev5) and use the same 8 bytes, so evidence from C++ CCF ledgers recomputes.

use std::fmt;

use zeroize::Zeroizing;

use crate::txid::TxId;
use quorate_crypto::aead::AesGcmKey;
use quorate_crypto::{HmacSha256Key, Sha256Digest, hmac_sha256, sha256};

/// The bytes CCF actually feeds to the commit-secret HMAC (see the module docs).
pub const COMMIT_SECRET_LABEL: &[u8] = b"Commit S";

/// A ledger secret: the AES-256-GCM key for private domains, with its commit secret cached.
#[derive(Clone)]
pub struct LedgerSecret {
    key: AesGcmKey,
    commit_secret: HmacSha256Key,
}

impl fmt::Debug for LedgerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LedgerSecret(<redacted>)")
    }
}

impl LedgerSecret {
    pub fn new(key: AesGcmKey) -> Self {
        let raw_commit_secret = Zeroizing::new(hmac_sha256(key.as_bytes(), COMMIT_SECRET_LABEL));
        let commit_secret = HmacSha256Key::new(raw_commit_secret.as_slice());
        Self { key, commit_secret }
    }

    pub fn from_bytes(raw: [u8; 32]) -> Self {
        Self::new(AesGcmKey::from_bytes(raw))
    }

    pub fn key(&self) -> &AesGcmKey {
        &self.key
    }

    /// The commit evidence of `txid` under this secret.
    pub fn commit_evidence(&self, txid: TxId) -> CommitEvidence {
        CommitEvidence::compute(&self.commit_secret, txid)
    }
}

/// `ce:<view>.<seqno>:<64 hex>`: revealed in receipts once a transaction commits; only its
/// SHA-256 goes into the ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitEvidence {
    evidence: String,
    digest: Sha256Digest,
}

impl CommitEvidence {
    /// nonce = HMAC-SHA256(commit secret, "<view>.<seqno>"); evidence = `ce:<txid>:<hex nonce>`.
    pub fn compute(commit_secret: &HmacSha256Key, txid: TxId) -> Self {
        let nonce = commit_secret.sign(txid.to_string().as_bytes());
        let evidence = format!("ce:{txid}:{}", hex::encode(nonce));
        let digest = sha256(evidence.as_bytes());
        Self { evidence, digest }
    }

    pub fn as_str(&self) -> &str {
        &self.evidence
    }

    /// SHA-256 of the evidence string, as stored in the entry and hashed into the Merkle leaf.
    pub fn digest(&self) -> &Sha256Digest {
        &self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_matches_python_hmac_chain() {
        // /tmp/ccfpy/bin/python -c "import hmac,hashlib; cs=hmac.new(bytes(range(32)),
        //   b'Commit S','sha256').digest(); ce='ce:2.42:'+hmac.new(cs,b'2.42','sha256')
        //   .hexdigest(); print(ce, hashlib.sha256(ce.encode()).hexdigest())"
        let secret = LedgerSecret::from_bytes(core::array::from_fn(|i| i as u8));
        let ce = secret.commit_evidence(TxId::new(2, 42));
        assert_eq!(
            ce.as_str(),
            "ce:2.42:c28b0e9334a64627aa9a97c1a844011643ef4838184d24734d6ec109536f4402"
        );
        assert_eq!(
            hex::encode(ce.digest()),
            "a61e4380e3aa3e6939cecd7ba116656e08b999a14ba5277ffa774592838916bd"
        );
    }
}
