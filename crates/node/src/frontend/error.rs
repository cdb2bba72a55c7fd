//! Errors the operator or the embedding node can cause: bad TLS material, invalid limits,
//! endpoint templates that cannot coexist, a port that cannot be bound. Whatever a client sends
//! never becomes a `FrontendError`; it becomes an HTTP response with CCF's error body.

use http::Method;

/// Why a frontend could not be configured or started.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// The server needs at least its own certificate.
    #[error("the TLS certificate chain is empty")]
    EmptyCertificateChain,

    /// The private key could not be read; the message never contains key material.
    #[error("the TLS private key is unusable: {0}")]
    InvalidPrivateKey(String),

    /// rustls refused the configuration (for instance, a key that does not match the certificate).
    #[error("TLS configuration rejected: {0}")]
    Tls(#[from] rustls::Error),

    /// A limit that hyper, h2 or the session accounting cannot honour.
    #[error("invalid frontend limit: {0}")]
    InvalidLimit(String),

    /// A path template matchit cannot parse (unbalanced braces, two parameters in one segment).
    #[error("invalid path template {template:?}: {reason}")]
    InvalidPathTemplate { template: String, reason: String },

    /// Two templates that would match the same paths, such as `/x/{a}` and `/x/{b}`.
    #[error("path template {template:?} conflicts with {existing:?}")]
    ConflictingTemplate { template: String, existing: String },

    /// The same method registered twice on one template.
    #[error("{method} {template} is registered twice")]
    DuplicateEndpoint { method: Method, template: String },

    /// The listening socket could not be opened.
    #[error("cannot listen: {0}")]
    Bind(#[source] std::io::Error),
}
