//! Signature transactions: the node's and the service's signatures over the Merkle root, which
//! make every earlier transaction tamper-evident.

pub mod primary;

pub use primary::PrimarySignature;
