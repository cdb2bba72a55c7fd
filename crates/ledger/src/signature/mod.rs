//! Signature transactions: the node's and the service's signatures over the Merkle root, which
//! make every earlier transaction tamper-evident.

pub mod cose_root;
pub mod primary;
pub mod transaction;

pub use cose_root::{CoseSignatureConfig, RootSignatureClaims, sign_root, verify_root};
pub use primary::PrimarySignature;
pub use transaction::{SignatureTransaction, SigningNode, SigningService, signature_write_set};
