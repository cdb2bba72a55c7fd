//! Why a node process could not start or had to stop. Whatever a client sends becomes an HTTP
//! response, never a `NodeError`; these are the operator's, the disk's and the peers' faults.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::frontend::FrontendError;
use crate::replication::ReplicationError;
use crate::transport::TransportError;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("identity: {0}")]
    Identity(String),
    #[error("replication: {0}")]
    Replication(#[from] ReplicationError),
    #[error("client frontend: {0}")]
    Frontend(#[from] FrontendError),
    #[error("node-to-node transport: {0}")]
    Transport(#[from] TransportError),
    #[error("joining {target}: {detail}")]
    Join { target: String, detail: String },
    #[error("address {address:?}: {detail}")]
    Address { address: String, detail: String },
    #[error("the node's driver stopped: {0}")]
    DriverStopped(String),
}

impl NodeError {
    pub(crate) fn file(path: &std::path::Path, detail: impl std::fmt::Display) -> Self {
        NodeError::File {
            path: path.to_owned(),
            detail: detail.to_string(),
        }
    }
}
