//! The crate's one error type. Every variant names what went wrong precisely enough for the
//! consensus and ledger layers to decide between retrying, failing a request or reporting
//! corruption (with the seqno, when there is one).

use crate::txid::TxId;

/// Errors from the store, transactions and the CCF entry codec.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
    /// Something this transaction read was written by a transaction that committed after its
    /// snapshot; the caller re-executes it.
    #[error("conflict: map {map:?} changed after snapshot {read_version}")]
    Conflict { map: String, read_version: u64 },
    /// The store rolled back since this transaction began, so its snapshot may name versions
    /// that no longer exist.
    #[error("the store was rolled back after this transaction began")]
    RolledBack,
    /// A version at or below the compaction point, or above the current version, was asked for.
    #[error(
        "version {requested} is not addressable (compacted up to {compacted}, current {current})"
    )]
    VersionNotAddressable {
        requested: u64,
        compacted: u64,
        current: u64,
    },
    /// Views must not go backwards and must fit the 31 bits CCF puts in the GCM IV.
    #[error("invalid view {view} (current view {current})")]
    InvalidView { view: u64, current: u64 },
    /// A write set applied out of order: `expected` is the only seqno the store can accept next.
    #[error("cannot apply seqno {got}: expected seqno {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    /// The entry bytes end before the field being read.
    #[error(
        "entry truncated while reading {field} (need {needed_bytes} bytes, {available_bytes} left)"
    )]
    Truncated {
        field: &'static str,
        needed_bytes: u64,
        available_bytes: u64,
    },
    /// The entry bytes are long enough but do not follow CCF's layout.
    #[error("malformed entry: {0}")]
    Malformed(String),
    /// The entry header names a format version other than CCF's `entry_format_v1`.
    #[error("unsupported entry format version {0}")]
    UnsupportedFormatVersion(u8),
    /// The first public-domain byte is not a CCF entry type.
    #[error("unknown entry type {0}")]
    UnknownEntryType(u8),
    /// Snapshot entries (type 1) carry a snapshot body, not a write set.
    #[error("entry at seqno {seqno} is a snapshot, not a write set")]
    SnapshotEntry { seqno: u64 },
    /// AES-GCM authentication of the entry failed: the public domain, the private domain or the
    /// tag was altered, or the ledger secret is not the one used to write it.
    #[error("authentication failed for the entry at seqno {seqno}")]
    Authentication { seqno: u64 },
    /// The entry is too large for CCF's 48-bit size field.
    #[error("entry of {size_bytes} bytes does not fit the 48-bit size field")]
    EntryTooLarge { size_bytes: u64 },
    /// An internal invariant of the store does not hold (a bug, reported by `check_invariants`).
    #[error("store invariant violated: {0}")]
    InvariantViolated(String),
    /// Entry header flags other than CCF's two chunking bits.
    #[error("invalid entry flags {0:#04x}")]
    InvalidFlags(u8),
    /// CCF puts only 31 bits of the view into the GCM IV, so larger views cannot be encoded.
    #[error("view {view} does not fit in the 31 bits of the GCM IV")]
    ViewOutOfRange { view: u64 },
    /// Encryption failed inside the crypto library.
    #[error("encryption failed at {txid}")]
    Encryption { txid: TxId },
}
