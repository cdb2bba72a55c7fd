//! The transport's one error type: what the node can get wrong when starting the transport or
//! handing it a message. Failures caused by peers (bad frames, failed authentication, dropped
//! connections) never surface here; they are counted in
//! [`TransportStats`](super::TransportStats) and logged, so no peer can make a call fail.

use std::net::SocketAddr;

use crate::channel::{ChannelError, NodeId};

/// What went wrong while starting, using or stopping the transport.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid transport configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("channel refused its configuration or identity: {0}")]
    Channel(#[from] ChannelError),
    #[error("the transport must be started from within a tokio runtime")]
    NoRuntime,
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("node {0} is this node; a node has no transport to itself")]
    SelfPeer(NodeId),
    #[error("node {0} is not a peer of this node")]
    UnknownPeer(NodeId),
    #[error("{limit} messages already wait to be sent to node {peer}")]
    QueueFull { peer: NodeId, limit: usize },
    #[error("message of {size_bytes} bytes exceeds the maximum payload of {limit_bytes} bytes")]
    MessageTooLarge {
        size_bytes: usize,
        limit_bytes: usize,
    },
    #[error("the transport has shut down")]
    ShutDown,
    #[error("transport tasks still running {timeout_ms} ms after shutdown was requested")]
    ShutdownTimedOut { timeout_ms: u64 },
}
