//! `quorate ledger verify`: everything CCF's `read_ledger.py` checks at FULL, plus what it skips
//! (chunk boundaries, seqno continuity, node-certificate endorsements, a pinned service identity,
//! private-domain tags when the ledger secret is given), much faster.

pub mod audit;

pub use audit::{AuditedEntry, Fault, LedgerAudit};
