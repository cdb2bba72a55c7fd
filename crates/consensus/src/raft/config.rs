//! Static settings of one Raft node.

use crate::ids::NodeId;

/// Timeouts are in virtual milliseconds, counted from `Input::Tick` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaftConfig {
    pub id: NodeId,
    /// A leader sends AppendEntries (new entries or a heartbeat) this often.
    pub heartbeat_timeout_ms: u64,
    /// A follower that hears no leader for this long starts an election; a leader that hears
    /// from no quorum for this long steps down (CheckQuorum).
    pub election_timeout_ms: u64,
    /// Restarting the election timer pre-spends a random 0..=this many ms of the timeout, so
    /// nodes time out at different moments. CCF uses half the election timeout.
    pub election_jitter_ms: u64,
    /// Seed of this node's jitter generator; give each node a different one.
    pub jitter_seed: u64,
    /// Whether a timed-out node first runs a pre-vote round, keeping its term.
    pub pre_vote: bool,
    /// At most this many entries per AppendEntries message.
    pub max_entries_per_append: u64,
    /// At most this many payload bytes per AppendEntries message (one larger entry still goes
    /// alone), so a batch of large entries never outgrows the transport's frame limit.
    pub max_append_bytes: u64,
    /// A leader that has appended this many payload bytes since AppendEntries last went out
    /// sends them at once instead of waiting for the next heartbeat (CCF: 20,000).
    pub eager_send_bytes: u64,
    /// Whether a leader sends a committable entry (a signature) to its followers the moment it
    /// is proposed. CCF waits for the byte threshold or the next heartbeat, so an idle
    /// service's commit latency is the heartbeat; sending at once makes it one round trip.
    pub send_committable_at_once: bool,
}

impl RaftConfig {
    /// CCF's production defaults (message timeout 100 ms, election timeout 5000 ms).
    pub fn new(id: NodeId) -> Self {
        Self {
            id,
            heartbeat_timeout_ms: 100,
            election_timeout_ms: 5000,
            election_jitter_ms: 2500,
            jitter_seed: id.0,
            pre_vote: false,
            max_entries_per_append: 20,
            max_append_bytes: 4 * 1024 * 1024,
            eager_send_bytes: 20_000,
            send_committable_at_once: false,
        }
    }
}
