//! The crate's one error type.

/// Everything that can go wrong in this crate. Messages never contain key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("AES-GCM authentication failed: data or tag was tampered with, or the key is wrong")]
    AeadOpenFailed,
    #[error("AES-GCM encryption failed")]
    AeadSealFailed,
    #[error("invalid key: {0}")]
    InvalidKey(String),
}
