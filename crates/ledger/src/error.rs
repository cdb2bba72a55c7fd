//! The crate's one error type.
//!
//! Errors about ledger files name the file, the byte offset and the seqno wherever they are known,
//! so an operator can find the damage with a hex editor.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The Merkle tree has no leaves, so it has no root.
    #[error("the Merkle tree is empty")]
    EmptyTree,
    /// A Merkle leaf index outside the leaves the tree still holds.
    #[error("Merkle leaf {index} is not held: the tree holds leaves {first_held}..{size}")]
    LeafNotHeld {
        index: u64,
        first_held: u64,
        size: u64,
    },
    /// A serialised Merkle tree (`public:ccf.internal.tree`) that does not parse.
    #[error("malformed serialised Merkle tree at byte {offset}: {reason}")]
    MalformedTree { offset: usize, reason: String },

    /// A file-system operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file in a ledger directory whose name is not a ledger chunk name.
    #[error("{path}: not a ledger chunk name ({reason})")]
    ChunkName { path: PathBuf, reason: String },
    /// The chunk files of a ledger do not form one contiguous run of seqnos.
    #[error("{path}: {reason}")]
    ChunkLayout { path: PathBuf, reason: String },
    /// A chunk file's bytes contradict its name, its header or its positions table.
    #[error("{path} at byte {offset}{}: {reason}", seqno_suffix(*.seqno))]
    Corrupt {
        path: PathBuf,
        offset: u64,
        seqno: Option<u64>,
        reason: String,
    },
    /// The last entry of the last in-progress chunk was only partly written (a crash mid-write).
    /// Opening the ledger for recovery truncates the file at `offset`.
    #[error(
        "{path}: torn tail at byte {offset} (seqno {seqno}): {reason}; open for recovery to truncate it"
    )]
    TornTail {
        path: PathBuf,
        offset: u64,
        seqno: u64,
        reason: String,
    },
    /// A caller asked the ledger writer for something its state does not allow.
    #[error("ledger writer: {0}")]
    Writer(String),
    /// A seqno outside what the ledger holds.
    #[error("seqno {seqno} is not in the ledger (it holds {first}..={last})")]
    SeqnoNotHeld { seqno: u64, first: u64, last: u64 },
    /// Signing a Merkle root failed (signature transactions, generated ledgers).
    #[error("signing the {what} failed: {source}")]
    Signing {
        what: &'static str,
        source: quorate_crypto::CryptoError,
    },
    /// A verification worker thread stopped without a result (a bug, never bad input).
    #[error("a ledger verification worker stopped unexpectedly")]
    WorkerFailed,
    /// A receipt failed verification.
    #[error("{path}: receipt rejected: {reason}")]
    ReceiptRejected {
        path: PathBuf,
        reason: crate::receipt::ReceiptRejection,
    },
}

impl LedgerError {
    /// For `map_err`: the I/O operation `op` on `path` failed.
    pub(crate) fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io { op, path, source }
    }
}

fn seqno_suffix(seqno: Option<u64>) -> String {
    seqno.map(|s| format!(" (seqno {s})")).unwrap_or_default()
}
