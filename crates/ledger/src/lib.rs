//! The ledger: CCF's chunk files, the Merkle tree over all transactions, signature transactions,
//! receipts and verification, byte-compatible with CCF's Python tooling.

pub mod chunk;
pub mod error;
pub mod generate;
pub mod genesis;
pub mod merkle;
pub mod receipt;
pub mod show;
pub mod signature;
pub mod tables;
pub mod verify;

pub use error::LedgerError;
