//! The running node: a process that starts, joins or restarts a service from its CCF-shaped
//! configuration and serves it (see [`run_node`]). The protocol pieces live elsewhere
//! (`replication`, `transport`, `frontend`); this module wires them on tokio, with one driver
//! thread owning the replicated state ([`driver`]), and defines the built-in endpoints.

mod addresses;
mod context;
pub mod driver;
mod endpoints;
mod error;
mod forwarded_codec;
mod forwarding;
mod genesis;
mod historical;
mod identity;
mod inbound;
mod join_client;
mod joining_frontend;
mod js_app;
mod js_history;
mod js_pool;
mod metrics;
mod output_files;
mod peers;
mod run;
mod secrets;
mod startup;
mod status;
mod tables;

pub use endpoints::join::{JoinNetworkInfo, JoinRequest, JoinResponse};
pub use error::NodeError;
pub use forwarded_codec::{Forwarded, ForwardedRequest, ForwardedResponse, MalformedForwarded};
pub use identity::{self_signed, unix_now_s};
pub use run::run_node;
pub use secrets::{SECRETS_FILE_NAME, write_private};
pub use status::NodeStatus;
