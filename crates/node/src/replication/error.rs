//! The replication host's one error type: everything a peer, the disk or the caller can cause
//! is reported here instead of panicking.

use quorate_consensus::{ConsensusError, NodeId};
use quorate_kv::{KvError, TxId};
use quorate_ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    /// Writes go to the primary; the caller forwards to `primary` when it is known.
    #[error("this node is not the primary (primary: {primary:?})")]
    NotPrimary { primary: Option<NodeId> },
    /// Too many transactions wait for commit (CCF's `max_uncommitted_tx_count`).
    #[error("{uncommitted} transactions are uncommitted (limit {limit})")]
    TooManyUncommitted { uncommitted: u64, limit: u64 },
    #[error("transaction still conflicting after {attempts} attempts")]
    TooManyConflicts { attempts: u32 },
    #[error("consensus rejected the input: {0}")]
    Consensus(#[from] ConsensusError),
    #[error("key-value store: {0}")]
    Kv(#[from] KvError),
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("hard-state file {path}: {detail}")]
    HardState { path: String, detail: String },
    /// An entry whose bytes disagree with the place consensus gave it (a faulty peer or disk).
    #[error("entry at seqno {seqno}: {detail}")]
    BadEntry { seqno: u64, detail: String },
    /// The store, the log and the ledger stopped agreeing on the next seqno.
    #[error("store is at {store} but the log expects seqno {log_seqno}")]
    OutOfStep { store: TxId, log_seqno: u64 },
    #[error("invariant broken: {0}")]
    Invariant(String),
    #[error("identity: {0}")]
    Identity(String),
}
