//! The boundary between the node and any consensus engine (Raft now, PBFT later).

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::entry::{Entry, Proposal};
use crate::error::ConsensusError;
use crate::hard_state::HardState;
use crate::ids::{Index, NodeId, Term};

/// Everything that can happen to an engine. Time is injected through `Tick`; the engine
/// never reads a clock, a socket or a disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<M> {
    /// Start a new service with this node as its only member: it becomes leader in the
    /// first term (CCF's view 2) and appends the initial configuration at index 1, a
    /// reconfiguration to {this node} carrying `payload`. A node passes its genesis
    /// transaction (so genesis is 2.1 and the first signature 2.2, as in CCF); CCF's
    /// raft-scenario driver passes an empty payload.
    Bootstrap { payload: Bytes },
    /// A message from a peer, already authenticated by the node-to-node channel.
    Receive { from: NodeId, message: M },
    /// Virtual time moved to `now_ms` (monotonic, per node).
    Tick { now_ms: u64 },
    /// Append entries at the leader (write sets, configuration changes).
    Propose(Vec<Proposal>),
    /// Append a signature transaction, built by the node layer, at the leader.
    EmitSignature { payload: Bytes },
    /// The node's storage has durably written every entry up to `index`. The node performs
    /// `Persist` and `Truncate` outputs in order and acknowledges only entries it still holds.
    Persisted { index: Index },
    /// At the leader: start replicating to a joining node that no configuration includes
    /// yet. It catches up without counting towards commit or elections; the node layer adds
    /// it to a configuration once it is close enough (see the engine's peer progress).
    AddLearner { node: NodeId },
}

/// What the engine asks the node to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<M> {
    /// Make this hard state durable before performing any later output of the same step
    /// (see the crate docs: the sends that follow depend on it). Always the first output.
    PersistHardState(HardState),
    Send {
        to: NodeId,
        message: M,
    },
    /// Write these entries, the first at `first_index`; acknowledge with `Input::Persisted`.
    Persist {
        first_index: Index,
        entries: Vec<Entry>,
    },
    /// Drop every stored entry after `index` (an uncommitted suffix that lost).
    Truncate {
        index: Index,
    },
    /// Everything up to `index` is committed and may be applied and answered.
    Commit {
        index: Index,
    },
    /// The node's role or term changed.
    RoleChanged {
        role: Role,
        term: Term,
    },
}

/// A node's part in consensus (CCF's leadership state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Not taking part: a node that has not joined yet, or one whose retirement is committed.
    None,
    Follower,
    PreVoteCandidate,
    Candidate,
    Leader,
}

/// The interface the node drives. Raft is the first implementation; a BFT engine plugs in
/// the same way, with its own message type.
pub trait ConsensusEngine {
    type Message;

    /// Feed one input; get back the actions to perform, in order. Errors reject the input
    /// (e.g. a proposal at a follower) and leave the engine unchanged.
    fn handle(
        &mut self,
        input: Input<Self::Message>,
    ) -> Result<Vec<Output<Self::Message>>, ConsensusError>;

    /// Checks the per-node safety invariants; used after every step by tests and the
    /// simulator.
    fn check_invariants(&self) -> Result<(), ConsensusError>;

    fn id(&self) -> NodeId;
    fn role(&self) -> Role;
    fn term(&self) -> Term;
    /// The leader this node currently follows (itself when leader).
    fn leader(&self) -> Option<NodeId>;
    fn commit_index(&self) -> Index;
    fn last_index(&self) -> Index;
    /// The entry at `index`, if held.
    fn entry(&self, index: Index) -> Option<&Entry>;
    /// Members of the newest configuration this node knows.
    fn members(&self) -> BTreeSet<NodeId>;
}
