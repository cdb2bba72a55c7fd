//! The channel's one error type. Every input a peer controls maps to a variant here; none
//! panics, and none carries key material.

use quorate_crypto::CryptoError;

use super::NodeId;

/// What went wrong while sealing, opening or exchanging keys on a node-to-node channel.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelError {
    #[error("malformed frame: {0}")]
    MalformedFrame(&'static str),
    #[error("frame from node {found}, but this channel is with node {expected}")]
    UnexpectedSender { expected: NodeId, found: NodeId },
    #[error("key exchange message addressed to node {found}, not to this node")]
    WrongRecipient { found: NodeId },
    #[error("peer certificate is not endorsed by the service identity: {0}")]
    UntrustedCertificate(CryptoError),
    #[error("peer certificate's key does not belong to node {expected}")]
    CertificateNodeMismatch { expected: NodeId },
    #[error("peer key share is not a P-384 point")]
    InvalidShare,
    #[error("key share signature does not verify against the peer certificate")]
    BadShareSignature,
    #[error("key exchange {step} does not match the exchange in progress")]
    UnexpectedKeyExchange { step: &'static str },
    #[error("frame under a key this channel does not hold (stale, or the exchange is unfinished)")]
    UnknownKey,
    #[error("replayed or reordered frame: counter {counter}, expected at least {next_expected}")]
    Replayed { counter: u64, next_expected: u64 },
    #[error("frame authentication failed: header, payload or tag was tampered with")]
    AuthenticationFailed,
    #[error("{queued} messages already wait for the channel to be established (limit {limit})")]
    QueueFull { queued: usize, limit: usize },
    #[error("invalid channel configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("local identity is inconsistent: {0}")]
    InvalidIdentity(&'static str),
    #[error("channel invariant {name} violated: {detail}")]
    Invariant { name: &'static str, detail: String },
    #[error("entropy source failed")]
    EntropyFailed,
    #[error("local cryptographic operation failed: {0}")]
    Crypto(CryptoError),
}
