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
//! Header limits are enforced by hyper (HTTP/1.1: `max_buf_size`, `max_headers`) and h2
//! (HTTP/2: `SETTINGS_MAX_HEADER_LIST_SIZE`) before the request reaches the dispatcher: both
//! answer `431 Request Header Fields Too Large` with an empty body, so that one status has no
//! CCF error body. HTTP/1.1 then closes the connection; HTTP/2 refuses only that stream.

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

pub use auth::{AuthPolicy, AuthnIdentity, CertificateIdentity, CertificateLookup};
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
