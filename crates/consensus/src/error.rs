//! The crate's one error type.

/// Everything the engines report instead of panicking: inputs the node must not send in the
/// current state, undecodable peer messages, and broken invariants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsensusError {
    #[error("this node is not the leader")]
    NotLeader,
    #[error("this node's retirement is committed; it accepts no new entries")]
    RetiredCommitted,
    #[error("the node has already been started or has joined a service")]
    AlreadyStarted,
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    #[error("cannot restore from this durable state: {0}")]
    InconsistentDurableState(String),
    #[error("invariant {name} violated: {detail}")]
    Invariant { name: &'static str, detail: String },
}
