//! Receipts: offline proof that a transaction is in the ledger, in CCF's JSON and COSE forms.

pub mod cose;
pub mod json;
pub mod rejection;

pub use cose::{CoseSign1Parts, InclusionProof, cose_receipt, verify_cose_receipt};
pub use json::{JsonReceipt, LeafComponents, NodeSignature, TransactionProof};
pub use rejection::ReceiptRejection;
