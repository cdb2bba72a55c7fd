//! Quorate's key-value store: named maps, MVCC snapshots, optimistic transactions and CCF's
//! ledger-entry encoding of write sets.
//!
//! See [`store`] for the concurrency model and [`entry`] for the byte layout.

pub mod commit_hook;
pub mod entry;
pub mod error;
pub mod state;
pub mod store;
pub mod tx;
pub mod txid;
pub mod write_set;

pub use commit_hook::CommitHook;
pub use entry::{
    CommitEvidence, DecodedEntry, EncodedEntry, EntryHeader, EntryType, LedgerSecret, decode_entry,
    encode_entry,
};
pub use error::KvError;
pub use state::{MapState, State, VersionedValue};
pub use store::{CommitOutcome, Store};
pub use tx::{ClaimsDigest, KeyRange, Tx};
pub use txid::TxId;
pub use write_set::{MapName, MapWrites, PUBLIC_MAP_PREFIX, WriteSet, is_public_map};
