//! Quorate's key-value store: named maps, MVCC snapshots, optimistic transactions and CCF's
//! ledger-entry encoding of write sets.
//!
//! See [`store`] for the concurrency model and [`entry`] for the byte layout.
//!
//! ```
//! use quorate_kv::{CommitOutcome, LedgerSecret, Store, TxId, WriteSet, decode_entry, encode_entry};
//!
//! let store = Store::new();
//! let secret = LedgerSecret::from_bytes([7; 32]);
//! store.set_commit_hook(move |txid: TxId, ws: &WriteSet, claims: &[u8; 32]| {
//!     // The ledger layer appends here, in seqno order.
//!     let entry = encode_entry(txid, ws, claims, 0, &secret).map(|e| e.bytes.len());
//!     assert!(entry.is_ok());
//! });
//! let mut tx = store.begin();
//! tx.put("public:records", &b"id"[..], &b"hello"[..]);
//! tx.put("records", &b"id"[..], &b"secret"[..]);
//! let Ok(CommitOutcome::Committed { txid, write_set, .. }) = store.commit(tx) else { return };
//! assert_eq!(txid, TxId::new(0, 1));
//!
//! let key = LedgerSecret::from_bytes([7; 32]);
//! let entry = encode_entry(txid, &write_set, &[0; 32], 0, &key).map(|e| e.bytes);
//! let decoded = entry.and_then(|bytes| decode_entry(&bytes, Some(&key)));
//! assert_eq!(decoded.map(|d| d.into_write_set()), Ok(write_set));
//! ```

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
