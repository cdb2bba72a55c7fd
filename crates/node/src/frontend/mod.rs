//! The client frontend: TLS (1.3 and 1.2, optional client certificates) with HTTP/1.1 and
//! HTTP/2 on one listener, CCF's session caps and request limits, and the endpoint registry the
//! node mounts its endpoints on.
//!
//! A request goes: `server` (accept, caps, handshake, the caller's certificate) → `dispatch`
//! (body limit and deadline, route via the [`EndpointRegistry`]'s current [`Router`], the
//! endpoint's [`AuthPolicy`] list) → the endpoint's [`Handler`] → an [`EndpointResponse`]
//! stamped with `x-ms-ccf-transaction-id`. Errors the frontend produces use CCF's body and
//! [`error_code`]s.
//!
//! Header limits are CCF's (each name and value at most `max_header_size`, at most
//! `max_headers_count` headers), checked by the dispatcher, which answers 431
//! `RequestHeaderTooLarge` with CCF's body. hyper (HTTP/1.1: `max_buf_size`, `max_headers`) and
//! h2 (`SETTINGS_MAX_HEADER_LIST_SIZE`) are set several times higher as a backstop: heads past
//! that get their bare 431, HTTP/1.1 then closes the connection and HTTP/2 refuses only that
//! stream.

mod auth;
mod caller;
mod client_certificate;
mod dispatch;
mod endpoint;
mod error;
pub mod error_code;
mod idle;
mod limits;
mod registry;
mod request;
mod response;
mod router;
mod server;
mod sessions;
mod tls;
mod transaction_id;

pub use auth::{
    AuthPolicy, AuthRequest, AuthnIdentity, CertificateIdentity, CertificateLookup, CoseIdentity,
    IdentityLookup, JwtIdentity, JwtKeyLookup, JwtSigningKey, KnownIdentity,
};
pub use caller::Caller;
pub use endpoint::{Endpoint, ExecutionMode, ForwardingRule, Handler, HandlerFuture};
pub use error::FrontendError;
pub use limits::FrontendLimits;
pub use registry::EndpointRegistry;
pub use request::EndpointRequest;
pub use response::EndpointResponse;
pub use router::{RoutedRequest, Router};
pub use server::{FrontendOptions, FrontendServer, ShutdownReport};
pub use tls::{crypto_provider, server_tls_config};
pub use transaction_id::{ResponseDecorator, TRANSACTION_ID_HEADER, TransactionId};
