//! Cryptography for Quorate: the primitives CCF uses, behind small types that keep secrets
//! zeroized and make CCF's conventions (P-384 everywhere, prehashed SHA-256 roots, COSE Sign1
//! with CCF's headers) the easy path.

pub mod aead;
pub mod error;
pub mod hash;
pub mod mac;

pub use error::CryptoError;
pub use hash::{Sha256Digest, sha256, sha256_concat};
pub use mac::hmac_sha256;
