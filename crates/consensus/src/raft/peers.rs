//! What a node tracks about each peer it knows (CCF's `NodeState`).

use std::collections::BTreeMap;

use crate::ids::{Index, NodeId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Highest index sent: an optimistic guess, pulled back by NACKs (pipelining).
    pub sent_index: Index,
    /// Highest index the peer confirmed holding.
    pub match_index: Index,
    /// Time since the peer last answered an AppendEntries (CheckQuorum).
    pub since_last_ack_ms: u64,
}

/// Every peer of any configuration seen, until a committed cleanup entry names it.
pub(super) type Peers = BTreeMap<NodeId, Peer>;
