//! CCF's ledger-entry format for write sets, byte for byte (CCF 7, `entry_format_v1`; all
//! integers little-endian):
//!
//! ```text
//! u8   format version = 1
//! u8   flags              FORCE_LEDGER_CHUNK_AFTER 0x01, FORCE_LEDGER_CHUNK_BEFORE 0x02
//! u48  size               bytes after these 8
//! 16B  AES-GCM tag
//! 12B  AES-GCM IV         u64 seqno ‖ u32 view (31 bits; bit 31 marks snapshots)
//! u64  public domain size
//! public domain:          u8 entry type (4), u64 seqno, 32B claims digest,
//!                         32B commit-evidence digest, u64 0 (max_conflict_version),
//!                         then the public maps
//! private domain:         the private maps, AES-256-GCM encrypted under the ledger secret
//!                         with the public domain as AAD (no header fields)
//! each map:               u64 len + name, u64 read version (0), u64 read count (0),
//!                         u64 write count + (u64 len + key, u64 len + value)*,
//!                         u64 remove count + (u64 len + key)*
//! ```
//!
//! Maps are written in name order and keys in byte order, public maps before private ones,
//! which is how CCF's serialiser walks its `std::map`s; the golden test in
//! `tests/golden_entry.rs` holds an entry checked with CCF's own Python package.

pub mod decode;
pub(crate) mod domain;
pub mod encode;
pub mod entry_type;
pub mod header;
pub mod ledger_secret;
mod reader;

pub use decode::{DecodedEntry, decode_entry};
pub use encode::{EncodedEntry, encode_entry};
pub use entry_type::EntryType;
pub use header::{
    ENTRY_FORMAT_V1, ENTRY_HEADER_SIZE_BYTES, EntryHeader, FORCE_LEDGER_CHUNK_AFTER,
    FORCE_LEDGER_CHUNK_BEFORE, GCM_HEADER_SIZE_BYTES, tx_iv, txid_from_iv,
};
pub use ledger_secret::{COMMIT_SECRET_LABEL, CommitEvidence, LedgerSecret};
