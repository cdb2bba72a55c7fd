//! CCF's transaction status (`/app/tx`), decided from the node's log: a TxID names a view and
//! a seqno, and it is final once the committed log has either that view at that seqno
//! (Committed) or moved past that view without it (Invalid).

use quorate_consensus::{ConsensusEngine, Raft};
use quorate_kv::TxId;

/// CCF's `TxStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxStatus {
    /// This node knows nothing of the transaction (yet).
    Unknown,
    /// Held in this node's log in that view, not yet committed.
    Pending,
    /// Committed: it survives any minority failure.
    Committed,
    /// Can never commit: the committed log holds another view at that seqno, or has moved to
    /// a later view before reaching it.
    Invalid,
}

impl TxStatus {
    /// CCF's spelling in `/app/tx` responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown",
            Self::Pending => "Pending",
            Self::Committed => "Committed",
            Self::Invalid => "Invalid",
        }
    }
}

/// The status of `txid` as `raft`'s log and commit index say.
pub fn tx_status(raft: &Raft, txid: TxId) -> TxStatus {
    if txid.seqno == 0 {
        return TxStatus::Invalid;
    }
    let commit = raft.commit_index();
    let term_at = |seqno| raft.entry(seqno).map(|e| e.term);
    if txid.seqno <= commit {
        return match term_at(txid.seqno) {
            Some(term) if term == txid.view => TxStatus::Committed,
            Some(_) => TxStatus::Invalid,
            None => TxStatus::Unknown,
        };
    }
    // Views only grow along the log: once a committed entry has a later view, nothing after
    // it can still be in the earlier one.
    if term_at(commit).is_some_and(|term| term > txid.view) {
        return TxStatus::Invalid;
    }
    if term_at(txid.seqno) == Some(txid.view) {
        TxStatus::Pending
    } else {
        TxStatus::Unknown
    }
}
