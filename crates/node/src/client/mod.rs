//! The HTTPS client nodes and tools use to talk to a node's client interface: a joining node
//! calling `/node/join`, `quorate sandbox` polling nodes, end-to-end tests and the load
//! generator.
//!
//! Nodes are reached by IP address and their certificates' SANs are whatever the operator
//! configured, so the client trusts a server because the service certificate issued its
//! certificate, not because of its name (see [`ClientTls`]). A [`Connection`] is one keep-alive
//! connection; [`request_once`] is for pollers that want a fresh connection per probe.

mod connection;
mod error;
mod options;
mod response;
mod tls;
mod verifier;

pub use connection::{Connection, request_once};
pub use error::ClientError;
pub use options::{ClientOptions, HttpProtocol};
pub use response::ClientResponse;
pub use tls::ClientTls;
