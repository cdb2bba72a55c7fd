//! CCF's ledger chunk files: the on-disk ledger, readable by CCF's Python tools.
//!
//! A ledger directory holds chunk files named by the seqnos they hold ([`ChunkName`]):
//! `ledger_<start>` while in progress, `ledger_<start>-<end>` once complete, and
//! `ledger_<start>-<end>.committed` once every entry in it is committed. Seqnos are contiguous
//! across files, and every complete chunk ends on a signature transaction.
//!
//! Byte layout of a chunk (all integers little-endian):
//!
//! ```text
//! offset 0   u64   P, the offset of the positions table; 0 while the chunk is in progress
//! offset 8   entry start, entry start+1, ...      back to back, each framed by its 8-byte
//!                                                 header (`quorate_kv::EntryHeader`)
//! offset P   u32 × n                              the file offset of each entry (complete only)
//! ```
//!
//! Because positions are u32, a chunk must stay under 4 GiB.
//!
//! Recovery rules:
//! - A complete chunk must agree with itself and its name in every byte of the framing; any
//!   disagreement is [`LedgerError::Corrupt`](crate::LedgerError::Corrupt) naming the file, the
//!   byte offset and the seqno. It is never repaired: its contents were fsync'd before it was
//!   named complete.
//! - Only the last, in-progress chunk may end in a partial entry left by a crash: a
//!   [`TornTail`]. Readers report it ([`LedgerError::TornTail`](crate::LedgerError::TornTail));
//!   [`recover_torn_tail`] (or [`WriterConfig::truncate_torn_tail`]) truncates it, which loses
//!   nothing acknowledged since acknowledgement follows [`LedgerWriter::sync`].
//! - Every multi-step change is ordered so a crash leaves a state the writer finishes on reopen:
//!   a chunk whose table was written but which kept its in-progress name is renamed complete; an
//!   in-progress chunk whose header still points at a table that a truncation already removed
//!   (header offset = file size) is read as in progress and its header zeroed.
//! - `.ignored` and `.recovery` files are skipped.

mod entry_frame;
mod listing;
mod name;
mod reader;
mod recovery;
mod scan;
mod writer;

pub use entry_frame::check_entry;
pub use listing::{ChunkFile, list_chunks};
pub use name::{ChunkFileKind, ChunkName};
pub use reader::{EntryRef, LedgerEntry, LedgerReader, LoadedChunk};
pub use recovery::{TornTailCut, recover_torn_tail};
pub use scan::{CHUNK_HEADER_BYTES, ChunkScan, TornTail, scan_chunk};
pub use writer::{DEFAULT_CHUNK_SIZE_BYTES, LedgerWriter, WriterConfig};
