//! What a node must never lose in a crash besides its log entries.

use crate::ids::{Index, NodeId, Term};

/// The durable part of a node's consensus state. Without it, a node that crashes after
/// granting a vote could restart and grant another in the same term (two leaders in one
/// term), or restart in an older term and undo what its messages promised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HardState {
    /// The node's current term.
    pub term: Term,
    /// The candidate this node voted for in `term`, if any.
    pub vote: Option<NodeId>,
    /// A signature the node knew to be committed and already held on disk when this was
    /// written: a lower bound on the commit index after a restart, never a claim beyond what
    /// was known. It may lag the live commit index.
    pub commit_index: Index,
}
