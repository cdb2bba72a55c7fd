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
    #[error("invalid PEM: {0}")]
    InvalidPem(String),
    #[error("signing failed")]
    SigningFailed,
    #[error("signature verification failed")]
    BadSignature,
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("certificate generation failed: {0}")]
    CertificateGeneration(String),
    #[error("certificate issuer mismatch: issued by {issuer:?}, expected {expected:?}")]
    IssuerMismatch { issuer: String, expected: String },
    #[error("invalid COSE message: {0}")]
    InvalidCose(String),
    #[error("COSE header: {0}")]
    CoseHeader(String),
}
