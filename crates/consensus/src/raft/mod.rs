//! CCF's Raft variant ("aft"): signatures as the only commit points, single-term
//! AppendEntries with optimistic pipelining and express NACKs, elections on the last
//! committable entry, CheckQuorum, PreVote, ProposeRequestVote, one-transaction
//! reconfiguration with joint quorums, and retirement phases.

mod append;
mod commit;
mod config;
mod configurations;
mod election;
mod invariants;
mod jitter;
mod log;
mod peers;
mod replication;
mod restore;
mod retirement;
mod timers;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

pub use config::RaftConfig;
pub use configurations::Configuration;
pub use peers::Peer;
pub use retirement::{Membership, RetirementPhase};

use crate::engine::{ConsensusEngine, Input, Output, Role};
use crate::entry::{Entry, EntryKind, Proposal};
use crate::error::ConsensusError;
use crate::hard_state::HardState;
use crate::ids::{Index, NodeId, Term};
use crate::message::Message;
use configurations::Configurations;
use jitter::Jitter;
use log::Log;
use peers::Peers;
use retirement::Retirement;

/// CCF's starting view change: the first leader's term.
pub const FIRST_TERM: Term = 2;

/// One Raft node. Feed it inputs with [`ConsensusEngine::handle`].
#[derive(Debug, Clone)]
pub struct Raft {
    config: RaftConfig,
    term: Term,
    role: Role,
    /// The (role, term) last reported in `Output::RoleChanged`.
    announced: (Role, Term),
    leader: Option<NodeId>,
    voted_for: Option<NodeId>,
    /// Votes received per configuration (keyed by its index), with that configuration's
    /// quorum, fixed when the election started.
    votes: BTreeMap<Index, (usize, BTreeSet<NodeId>)>,
    log: Log,
    commit_index: Index,
    persisted_index: Index,
    /// An ACK held back until its entries are persisted: (leader, index).
    pending_ack: Option<(NodeId, Index)>,
    configurations: Configurations,
    peers: Peers,
    /// Cleanup entries this node holds: (index, nodes whose retirement they commit).
    retired_committed_entries: Vec<(Index, BTreeSet<NodeId>)>,
    retirement: Option<Retirement>,
    /// Set on a term change; the first conflicting AppendEntries of the term may roll back.
    new_follower: bool,
    /// The last `Tick` time; `None` after a restore until the first tick, which then only
    /// sets the clock (the host's clock kept running while the node was down).
    now_ms: Option<u64>,
    /// Time on the heartbeat (leader) or election (others) timer.
    timer_elapsed_ms: u64,
    /// Payload bytes the leader appended since AppendEntries last went out.
    unsent_bytes: u64,
    jitter: Jitter,
    out: Vec<Output<Message>>,
}

impl Raft {
    /// A node that has not joined any service yet: term 0, no configuration. It learns
    /// everything from the leader's first AppendEntries (or from `Input::Bootstrap`).
    pub fn new(config: RaftConfig) -> Self {
        let jitter = Jitter::new(config.jitter_seed, config.election_jitter_ms);
        Self {
            config,
            term: 0,
            role: Role::None,
            announced: (Role::None, 0),
            leader: None,
            voted_for: None,
            votes: BTreeMap::new(),
            log: Log::default(),
            commit_index: 0,
            persisted_index: 0,
            pending_ack: None,
            configurations: Configurations::default(),
            peers: Peers::new(),
            retired_committed_entries: Vec::new(),
            retirement: None,
            new_follower: false,
            now_ms: Some(0),
            timer_elapsed_ms: 0,
            unsent_bytes: 0,
            jitter,
            out: Vec::new(),
        }
    }

    /// Gives the node a configuration at index 0 without a log entry (a cluster whose
    /// membership is known out of band, as in CCF's deprecated `nodes` scenario command).
    pub fn install_configuration(&mut self, members: BTreeSet<NodeId>) {
        self.add_configuration(0, members);
    }

    pub fn config(&self) -> &RaftConfig {
        &self.config
    }

    pub fn membership(&self) -> Membership {
        if self.retirement.is_some() {
            Membership::Retired
        } else {
            Membership::Active
        }
    }

    /// Present only while retired.
    pub fn retirement_phase(&self) -> Option<RetirementPhase> {
        self.retirement.map(|r| r.phase)
    }

    /// The active configurations, oldest first.
    pub fn configurations(&self) -> impl Iterator<Item = &Configuration> {
        self.configurations.iter()
    }

    /// Peers this node knows (and, as leader, replicates to), learners included; a
    /// learner's `match_index` shows how far it has caught up.
    pub fn peers(&self) -> &BTreeMap<NodeId, Peer> {
        &self.peers
    }

    pub fn last_committable_index(&self) -> Index {
        self.log
            .last_committable()
            .map_or(self.commit_index, |i| i.max(self.commit_index))
    }

    pub fn persisted_index(&self) -> Index {
        self.persisted_index
    }

    /// What must survive a crash now: the term, the vote cast in it, and the highest
    /// signature that is both committed and acknowledged as durable.
    pub fn hard_state(&self) -> HardState {
        let durable = self.commit_index.min(self.persisted_index);
        HardState {
            term: self.term,
            vote: self.voted_for,
            commit_index: self.log.committable_at_or_below(durable).unwrap_or(0),
        }
    }

    /// All entries held, index 1 first.
    pub fn entries(&self) -> &[Entry] {
        self.log.entries()
    }

    fn me(&self) -> NodeId {
        self.config.id
    }

    fn is_retired_committed(&self) -> bool {
        self.retirement_phase() == Some(RetirementPhase::RetiredCommitted)
    }

    fn send(&mut self, to: NodeId, message: Message) {
        self.out.push(Output::Send { to, message });
    }

    /// Sets the role, telling the node only when role or term differ from what it last heard.
    fn set_role(&mut self, role: Role) {
        self.role = role;
        if self.announced != (role, self.term) {
            self.announced = (role, self.term);
            self.out.push(Output::RoleChanged {
                role,
                term: self.term,
            });
        }
    }

    fn restart_election_timer(&mut self) {
        self.timer_elapsed_ms = self.jitter.next_ms();
    }

    /// Appends one entry (at the leader or a follower), running its configuration and
    /// retirement side effects. The caller emits the `Persist` output.
    fn append_entry(&mut self, entry: Entry) {
        let index = self.log.last_index() + 1;
        match &entry.kind {
            EntryKind::Raw => {}
            EntryKind::Reconfiguration(members) => {
                self.add_configuration(index, members.clone());
            }
            EntryKind::RetiredCommitted(nodes) => {
                self.retired_committed_entries.push((index, nodes.clone()));
            }
        }
        if entry.committable {
            self.on_signature_appended(index);
        }
        self.log.push(entry);
    }

    /// A configuration took effect at `index`: detect our own removal, learn new peers,
    /// and (as leader) start replicating to them at once.
    fn add_configuration(&mut self, index: Index, members: BTreeSet<NodeId>) {
        let me = self.me();
        let was_member = self
            .configurations
            .latest()
            .is_some_and(|c| c.members.contains(&me));
        if was_member && !members.contains(&me) && self.retirement.is_none() {
            self.retirement = Some(Retirement {
                phase: RetirementPhase::Ordered,
                ordered_at: index,
                signed_at: None,
            });
        }
        let new_peers: Vec<NodeId> = members
            .iter()
            .copied()
            .filter(|n| *n != me && !self.peers.contains_key(n))
            .collect();
        if !self.configurations.push(index, members) {
            return;
        }
        for node in new_peers {
            self.track_peer(node);
        }
    }

    /// Starts tracking a new peer; a leader sends it an empty AppendEntries at once, so its
    /// NACK tells the leader where to start.
    fn track_peer(&mut self, node: NodeId) {
        let sent_index = self.log.last_index();
        self.peers.insert(
            node,
            Peer {
                sent_index,
                match_index: 0,
                since_last_ack_ms: 0,
            },
        );
        if self.role == Role::Leader {
            self.send_append_entries(node, sent_index + 1);
        }
    }

    fn on_signature_appended(&mut self, index: Index) {
        if let Some(r) = &mut self.retirement
            && r.phase == RetirementPhase::Ordered
        {
            r.phase = RetirementPhase::Signed;
            r.signed_at = Some(index);
        }
    }

    /// Drops every entry after `index` (never a committed one), undoing what they caused.
    fn rollback(&mut self, index: Index) {
        if index < self.commit_index || index >= self.log.last_index() {
            return;
        }
        self.log.truncate(index);
        self.persisted_index = self.persisted_index.min(index);
        // An acknowledgement still waiting for entries that are now gone must not be sent.
        if self.pending_ack.is_some_and(|(_, i)| i > index) {
            self.pending_ack = None;
        }
        self.out.push(Output::Truncate { index });
        self.retired_committed_entries.retain(|(i, _)| *i <= index);
        if let Some(r) = &mut self.retirement {
            if r.signed_at.is_some_and(|s| s > index) {
                r.phase = RetirementPhase::Ordered;
                r.signed_at = None;
            }
            if r.phase == RetirementPhase::Ordered && r.ordered_at > index {
                self.retirement = None;
            }
        }
        self.configurations.rollback(index);
    }

    /// Leads [`FIRST_TERM`] at once (a one-node service needs no election, so it votes for
    /// itself) with the configuration {this node} at index 1, carrying `payload`.
    fn bootstrap(&mut self, payload: Bytes) -> Result<(), ConsensusError> {
        if self.term != 0 || self.log.last_index() != 0 || !self.configurations.is_empty() {
            return Err(ConsensusError::AlreadyStarted);
        }
        self.term = FIRST_TERM;
        self.voted_for = Some(self.me());
        self.become_leader();
        let members = BTreeSet::from([self.me()]);
        self.propose(vec![Proposal::reconfiguration(members, payload)])
    }

    fn propose(&mut self, proposals: Vec<Proposal>) -> Result<(), ConsensusError> {
        if self.role != Role::Leader {
            return Err(ConsensusError::NotLeader);
        }
        if self.is_retired_committed() {
            return Err(ConsensusError::RetiredCommitted);
        }
        let first_index = self.log.last_index() + 1;
        let mut persisted = Vec::with_capacity(proposals.len());
        let mut committable = false;
        for p in proposals {
            committable |= p.committable;
            self.unsent_bytes = self.unsent_bytes.saturating_add(p.payload.len() as u64);
            let entry = Entry {
                term: self.term,
                committable: p.committable,
                kind: p.kind,
                payload: p.payload,
            };
            persisted.push(entry.clone());
            self.append_entry(entry);
        }
        if !persisted.is_empty() {
            self.out.push(Output::Persist {
                first_index,
                entries: persisted,
            });
        }
        if self.configurations.others(self.me()).is_empty() {
            self.update_commit();
        }
        if self.unsent_bytes >= self.config.eager_send_bytes
            || (committable && self.config.send_committable_at_once)
        {
            self.broadcast_append_entries();
        }
        Ok(())
    }

    fn add_learner(&mut self, node: NodeId) -> Result<(), ConsensusError> {
        if self.role != Role::Leader {
            return Err(ConsensusError::NotLeader);
        }
        if node != self.me() && !self.peers.contains_key(&node) {
            self.track_peer(node);
        }
        Ok(())
    }

    fn receive(&mut self, from: NodeId, message: Message) {
        match message {
            Message::AppendEntries(m) => self.receive_append_entries(from, m),
            Message::AppendEntriesResponse(m) => self.receive_append_entries_response(from, m),
            Message::RequestVote(m) => self.receive_request_vote(from, m),
            Message::RequestVoteResponse(m) => self.receive_request_vote_response(from, m),
            Message::ProposeRequestVote(m) => self.receive_propose_request_vote(m),
        }
    }

    fn persisted(&mut self, index: Index) {
        let index = index.min(self.log.last_index());
        if index <= self.persisted_index {
            return;
        }
        self.persisted_index = index;
        if self.role == Role::Leader {
            self.update_commit();
        }
        if let Some((leader, ack_index)) = self.pending_ack
            && ack_index <= self.persisted_index
        {
            self.pending_ack = None;
            self.send_ack(leader, ack_index);
        }
    }
}

impl ConsensusEngine for Raft {
    type Message = Message;

    fn handle(&mut self, input: Input<Message>) -> Result<Vec<Output<Message>>, ConsensusError> {
        self.out.clear();
        let durable = self.hard_state();
        match input {
            Input::Bootstrap { payload } => self.bootstrap(payload)?,
            Input::Receive { from, message } => self.receive(from, message),
            Input::Tick { now_ms } => self.tick(now_ms),
            Input::Propose(proposals) => self.propose(proposals)?,
            Input::EmitSignature { payload } => {
                self.propose(vec![Proposal::signature(payload)])?;
            }
            Input::Persisted { index } => self.persisted(index),
            Input::AddLearner { node } => self.add_learner(node)?,
        }
        // The host persists this before any send of the step (see the crate docs). Only the
        // newest hard state matters: terms only grow, and a vote only appears within a term.
        let hard_state = self.hard_state();
        if hard_state != durable {
            self.out.insert(0, Output::PersistHardState(hard_state));
        }
        Ok(std::mem::take(&mut self.out))
    }

    fn check_invariants(&self) -> Result<(), ConsensusError> {
        invariants::check(self)
    }

    fn id(&self) -> NodeId {
        self.config.id
    }

    fn role(&self) -> Role {
        self.role
    }

    fn term(&self) -> Term {
        self.term
    }

    fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    fn commit_index(&self) -> Index {
        self.commit_index
    }

    fn last_index(&self) -> Index {
        self.log.last_index()
    }

    fn entry(&self, index: Index) -> Option<&Entry> {
        self.log.get(index)
    }

    fn members(&self) -> BTreeSet<NodeId> {
        self.configurations
            .latest()
            .map(|c| c.members.clone())
            .unwrap_or_default()
    }
}
