//! Why a request got no HTTP response. A response with an error status is not an error here:
//! callers decide what a 4xx or 5xx means (CCF answers many expected conditions that way).

use std::error::Error as StdError;
use std::fmt::Write;

/// A request that did not produce a response, or a response that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection could not be opened, or broke before TLS could complete.
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),

    /// TLS refused: the server's certificate is not the service's, the handshake failed, or the
    /// client's own TLS material is unusable.
    #[error("TLS: {0}")]
    Tls(#[source] rustls::Error),

    /// The connect or the request did not finish within the configured timeout.
    #[error("timed out")]
    Timeout,

    /// The HTTP exchange failed (the connection closed, the server spoke bad HTTP). The text
    /// carries hyper's error and its causes.
    #[error("HTTP: {0}")]
    Http(String),

    /// A response arrived but is not what was asked for (too large, not JSON, ...).
    #[error("invalid response: {0}")]
    InvalidResponse(String),

    /// The caller's request cannot be sent as is (a malformed path or header); nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ClientError {
    /// hyper's top-level messages ("connection error") say little; the causes say what happened
    /// (for instance the TLS alert of a server that refused our certificate).
    pub(crate) fn http(error: &(dyn StdError + 'static)) -> ClientError {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        ClientError::Http(text)
    }

    /// tokio-rustls reports TLS failures as I/O errors wrapping the rustls error; anything else
    /// during the handshake is the connection breaking.
    pub(crate) fn handshake(error: std::io::Error) -> ClientError {
        let tls = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned();
        match tls {
            Some(tls) => ClientError::Tls(tls),
            None => ClientError::Connect(error),
        }
    }
}
