//! `quorate ledger verify`: everything CCF's `read_ledger.py` checks at FULL, plus what it skips
//! (chunk boundaries, seqno continuity, node-certificate endorsements, a pinned service identity,
//! private-domain tags when the ledger secret is given, receipts against the ledger).

pub mod audit;
pub mod ledger;
pub mod prepare;
pub mod receipts;

pub use audit::{AuditedEntry, Fault, LedgerAudit};
pub use ledger::{VerifyOptions, VerifyReport, chunk_dir, entry_leaf, verify_ledger};
pub use receipts::verify_receipts_dir;
