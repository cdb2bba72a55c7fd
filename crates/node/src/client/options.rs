//! How a client talks to a node besides its TLS identities.

use std::time::Duration;

/// The HTTP version to speak, announced with ALPN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpProtocol {
    /// `http/1.1`: one request at a time per connection.
    #[default]
    Http1,
    /// `h2`: concurrent requests on one connection (useful to load generators).
    Http2,
}

/// Bounds and protocol. A node that stops answering must not hang a joining node or a poller,
/// hence a timeout on every connect and every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Bound on a connect (TCP, TLS and HTTP handshakes) and, separately, on each request
    /// (sending it and reading the whole response).
    pub timeout: Duration,
    pub protocol: HttpProtocol,
    /// Responses with larger bodies are refused rather than buffered.
    pub max_response_body_bytes: usize,
}

impl ClientOptions {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024 * 1024;
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            timeout: ClientOptions::DEFAULT_TIMEOUT,
            protocol: HttpProtocol::Http1,
            max_response_body_bytes: ClientOptions::DEFAULT_MAX_RESPONSE_BODY_BYTES,
        }
    }
}
