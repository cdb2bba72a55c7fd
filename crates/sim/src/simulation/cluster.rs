//! The simulated cluster: nodes running the real engine, the packet network, the disks, the
//! clients and the invariant checkers, all driven by one seeded RNG and one virtual clock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use quorate_consensus::message::AppendEntriesResponse;
use quorate_consensus::{
    ConsensusEngine, EntryKind, Index, Input, Message, NodeId, Output, Proposal, RaftConfig, Role,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::clients::Clients;
use super::config::SimConfig;
use super::invariants::{CommittedLog, ElectionSafety, LogMatching, check_commit_durable};
use super::network::{Network, Packet, SendFate};
use super::node::SimNode;
use super::tamper::Tamper;
use super::trace::{Event, MessageSummary, Trace};

/// A crashed member being replaced by a fresh node through a reconfiguration.
struct Replacement {
    members: BTreeSet<NodeId>,
    joining: NodeId,
    replaces: NodeId,
    proposed_ms: Option<u64>,
}

pub struct Cluster {
    pub(super) config: SimConfig,
    pub(super) rng: ChaCha8Rng,
    pub(super) now_ms: u64,
    pub(super) nodes: BTreeMap<NodeId, SimNode>,
    pub(super) network: Network<Message>,
    pub(super) trace: Trace,
    pub(super) clients: Clients,
    pub(super) elections: ElectionSafety,
    pub(super) committed: CommittedLog,
    log_matching: LogMatching,
    /// The membership of the newest committed configuration, as the simulator arranged it.
    members: BTreeSet<NodeId>,
    replacement: Option<Replacement>,
    /// Committed entries already scanned for the replacement's reconfiguration.
    scanned_committed: Index,
    next_node_id: u64,
    tamper: Option<Tamper>,
    pub(super) crash_count: u64,
    pub(super) join_count: u64,
}

impl Cluster {
    pub fn new(config: &SimConfig, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let members: BTreeSet<NodeId> = (1..=config.node_count as u64).map(NodeId).collect();
        let mut nodes = BTreeMap::new();
        for &id in &members {
            let mut node = SimNode::new(config, raft_config(config, id, &mut rng));
            node.engine.install_configuration(members.clone());
            nodes.insert(id, node);
        }
        Self {
            network: Network::new(config.network),
            trace: Trace::new(config.trace_tail_len),
            clients: Clients::new(
                config.client_count,
                config.key_count,
                config.client_timeout_ms,
            ),
            elections: ElectionSafety::default(),
            committed: CommittedLog::default(),
            log_matching: LogMatching::default(),
            next_node_id: config.node_count as u64 + 1,
            config: config.clone(),
            rng,
            now_ms: 0,
            nodes,
            members,
            replacement: None,
            scanned_committed: 0,
            tamper: config.tamper,
            crash_count: 0,
            join_count: 0,
        }
    }

    /// Advances virtual time by one step: faults (if on), deliveries, disk completions, ticks,
    /// then the harness (signatures, clients, replacements), then every live node's own
    /// invariants. Err is a violated invariant.
    pub fn step(&mut self, faults: bool) -> Result<(), String> {
        self.now_ms += self.config.step_ms;
        if faults {
            self.inject_faults();
        }
        while let Some(packet) = self.network.pop_due(self.now_ms) {
            self.deliver(packet)?;
        }
        for id in self.alive_ids() {
            let completed = self
                .nodes
                .get_mut(&id)
                .and_then(|n| n.disk.complete_due(self.now_ms));
            if let Some(index) = completed {
                self.trace
                    .record(self.now_ms, Event::Persisted { node: id, index });
                self.handle(id, Input::Persisted { index })?;
            }
            self.handle(
                id,
                Input::Tick {
                    now_ms: self.now_ms,
                },
            )?;
        }
        self.emit_signatures()?;
        self.submit_client_op()?;
        self.clients.expire(self.now_ms);
        self.advance_replacement()?;
        for (id, node) in self.nodes.iter().filter(|(_, n)| n.alive) {
            node.engine
                .check_invariants()
                .map_err(|e| format!("{id}: {e}"))?;
        }
        Ok(())
    }

    pub fn alive_ids(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.alive)
            .map(|(id, _)| *id)
            .collect()
    }

    /// The live leader of the highest term, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.alive && n.engine.role() == Role::Leader)
            .max_by_key(|(_, n)| n.engine.term())
            .map(|(id, _)| *id)
    }

    /// Feeds `input` to `id` and performs everything it asks for, including follow-up inputs.
    pub(super) fn handle(&mut self, id: NodeId, input: Input<Message>) -> Result<(), String> {
        self.feed(id, input, true).map(|_| ())
    }

    /// Proposes at the leader `id`; a refusal (e.g. it just lost leadership) is not a failure.
    pub(super) fn propose(&mut self, id: NodeId, input: Input<Message>) -> Result<bool, String> {
        self.feed(id, input, false)
    }

    /// Runs `input` and its follow-ups. An engine error on the first input is a refusal unless
    /// `strict`; anywhere else it is a failure.
    fn feed(&mut self, id: NodeId, input: Input<Message>, strict: bool) -> Result<bool, String> {
        let mut inputs = VecDeque::from([(id, input)]);
        let mut first = true;
        while let Some((id, input)) = inputs.pop_front() {
            let Some(node) = self.nodes.get_mut(&id).filter(|n| n.alive) else {
                continue;
            };
            let outputs = match node.engine.handle(input) {
                Ok(outputs) => outputs,
                Err(_) if first && !strict => return Ok(false),
                Err(e) => return Err(format!("{id} rejected an input: {e}")),
            };
            first = false;
            for output in outputs {
                self.perform(id, output, &mut inputs)?;
            }
        }
        Ok(true)
    }

    fn perform(
        &mut self,
        id: NodeId,
        output: Output<Message>,
        inputs: &mut VecDeque<(NodeId, Input<Message>)>,
    ) -> Result<(), String> {
        match output {
            Output::Send { to, message } => self.send(id, to, message, inputs),
            Output::Persist {
                first_index,
                entries,
            } => {
                self.committed.on_write(id, first_index, &entries)?;
                let Some(node) = self.nodes.get_mut(&id) else {
                    return Ok(());
                };
                let prev_term = node
                    .engine
                    .entry(first_index.saturating_sub(1))
                    .map_or(0, |e| e.term);
                self.log_matching
                    .on_append(id, first_index, prev_term, &entries)?;
                let last_index = first_index.saturating_sub(1) + entries.len() as Index;
                node.disk
                    .write(&mut self.rng, self.now_ms, first_index, entries);
                if self.tamper == Some(Tamper::AckBeforeDurable) {
                    inputs.push_back((id, Input::Persisted { index: last_index }));
                }
                Ok(())
            }
            Output::Truncate { index } => {
                self.committed.on_truncate(id, index)?;
                self.trace
                    .record(self.now_ms, Event::Truncate { node: id, index });
                if let Some(node) = self.nodes.get_mut(&id) {
                    node.disk.truncate(&mut self.rng, self.now_ms, index);
                }
                Ok(())
            }
            Output::Commit { index } => self.on_commit(id, index),
            Output::RoleChanged { role, term } => {
                self.trace.record(
                    self.now_ms,
                    Event::RoleChanged {
                        node: id,
                        role,
                        term,
                    },
                );
                if role == Role::Leader {
                    self.elections.on_leader(id, term)?;
                    if let Some(node) = self.nodes.get(&id) {
                        self.committed
                            .check_leader_complete(id, node.engine.entries())?;
                    }
                }
                Ok(())
            }
        }
    }

    fn send(
        &mut self,
        from: NodeId,
        to: NodeId,
        message: Message,
        inputs: &mut VecDeque<(NodeId, Input<Message>)>,
    ) -> Result<(), String> {
        if self.tamper == Some(Tamper::FabricateAcks)
            && let Message::AppendEntries(append) = &message
        {
            let forged = Message::AppendEntriesResponse(AppendEntriesResponse {
                term: append.term,
                last_index: append.last_index(),
                success: true,
            });
            inputs.push_back((
                from,
                Input::Receive {
                    from: to,
                    message: forged,
                },
            ));
        }
        let packet = Packet { from, to, message };
        match self.network.send(&mut self.rng, self.now_ms, packet) {
            SendFate::Lost => self.trace.record(self.now_ms, Event::Lost { from, to }),
            SendFate::Queued { copies } if copies > 1 => {
                self.trace
                    .record(self.now_ms, Event::Duplicated { from, to });
            }
            SendFate::Queued { .. } => {}
        }
        Ok(())
    }

    fn deliver(&mut self, packet: Packet<Message>) -> Result<(), String> {
        let Packet {
            from,
            to,
            mut message,
        } = packet;
        let event = Event::Deliver {
            from,
            to,
            message: MessageSummary::from(&message),
        };
        self.trace.record(self.now_ms, event);
        if self.tamper == Some(Tamper::CorruptEntries)
            && to == NodeId(1)
            && let Message::AppendEntries(append) = &mut message
            && let Some(last) = append.entries.last_mut()
        {
            let mut payload = last.payload.to_vec();
            payload.push(0xff);
            last.payload = payload.into();
        }
        self.handle(to, Input::Receive { from, message })
    }

    fn on_commit(&mut self, id: NodeId, index: Index) -> Result<(), String> {
        self.trace
            .record(self.now_ms, Event::Commit { node: id, index });
        let Some(node) = self.nodes.get_mut(&id) else {
            return Ok(());
        };
        let engine = &node.engine;
        self.committed.on_commit(id, index, |i| engine.entry(i))?;
        if engine.role() == Role::Leader
            && let Some(entry) = self.committed.get(index)
        {
            let configurations: Vec<(Vec<NodeId>, usize)> = engine
                .configurations()
                .map(|c| (c.members.iter().copied().collect(), c.quorum()))
                .collect();
            let nodes = &self.nodes;
            check_commit_durable(id, index, entry, &configurations, |m| {
                nodes.get(&m).map(|n| n.disk.durable())
            })?;
        }
        let Some(node) = self.nodes.get_mut(&id) else {
            return Ok(());
        };
        for (applied_index, applied) in node.apply_committed() {
            if let Some(client) = self
                .clients
                .on_apply(id, applied_index, applied, self.now_ms)
            {
                let event = Event::ClientReturned {
                    client,
                    index: applied_index,
                };
                self.trace.record(self.now_ms, event);
            }
        }
        Ok(())
    }

    /// Network partitions and crashes, each with its configured per-step chance.
    fn inject_faults(&mut self) {
        if self.rng.random_ratio(self.config.partition_per_mille, 1000) {
            let alive = self.alive_ids();
            if alive.is_empty() {
                return;
            }
            let pick = |rng: &mut ChaCha8Rng| alive[rng.random_range(0..alive.len())];
            let description = match self.rng.random_range(0..3) {
                0 => {
                    self.network.heal();
                    self.trace.record(self.now_ms, Event::Heal);
                    None
                }
                1 => {
                    let node = pick(&mut self.rng);
                    self.network.isolate(node, alive.iter().copied());
                    Some(format!("{node} isolated"))
                }
                _ => {
                    let (from, to) = (pick(&mut self.rng), pick(&mut self.rng));
                    (from != to).then(|| {
                        self.network.cut(from, to);
                        format!("{from} -> {to} cut")
                    })
                }
            };
            if let Some(description) = description {
                self.trace
                    .record(self.now_ms, Event::Partition { description });
            }
        }
        // A crash must leave a quorum of every configuration any live node still considers
        // active, so only crash when all of their members are up (and nobody is joining).
        let all_active_members_alive = self.nodes.values().filter(|n| n.alive).all(|n| {
            n.engine.configurations().all(|c| {
                c.members
                    .iter()
                    .all(|m| self.nodes.get(m).is_some_and(|n| n.alive))
            })
        });
        if self.rng.random_ratio(self.config.crash_per_mille, 1000)
            && self.replacement.is_none()
            && all_active_members_alive
        {
            let members: Vec<NodeId> = self.members.iter().copied().collect();
            let victim = members[self.rng.random_range(0..members.len())];
            self.crash(victim);
        }
    }

    /// The node stops for good: its queued disk writes and incoming packets are lost. A fresh
    /// node will replace it.
    fn crash(&mut self, victim: NodeId) {
        if let Some(node) = self.nodes.get_mut(&victim) {
            node.alive = false;
            node.disk.crash();
        }
        self.network.drop_packets_to(victim);
        self.trace
            .record(self.now_ms, Event::Crash { node: victim });
        self.crash_count += 1;
        let joining = NodeId(self.next_node_id);
        self.next_node_id += 1;
        let raft = raft_config(&self.config, joining, &mut self.rng);
        self.nodes.insert(joining, SimNode::new(&self.config, raft));
        let mut members = self.members.clone();
        members.remove(&victim);
        members.insert(joining);
        self.replacement = Some(Replacement {
            members,
            joining,
            replaces: victim,
            proposed_ms: None,
        });
    }

    /// Proposes the replacement's reconfiguration at the leader (again if it has not
    /// committed after a while), and completes it once committed.
    fn advance_replacement(&mut self) -> Result<(), String> {
        let Some(replacement) = &self.replacement else {
            return Ok(());
        };
        while self.scanned_committed < self.committed.len() {
            self.scanned_committed += 1;
            let reconfigured = self.committed.get(self.scanned_committed).is_some_and(
                |e| matches!(&e.kind, EntryKind::Reconfiguration(m) if *m == replacement.members),
            );
            if reconfigured {
                let event = Event::Join {
                    node: replacement.joining,
                    replaces: replacement.replaces,
                };
                self.trace.record(self.now_ms, event);
                self.members = replacement.members.clone();
                self.replacement = None;
                self.join_count += 1;
                return Ok(());
            }
        }
        let due = replacement
            .proposed_ms
            .is_none_or(|at_ms| self.now_ms.saturating_sub(at_ms) >= self.config.client_timeout_ms);
        if let (true, Some(leader)) = (due, self.leader()) {
            let proposal = Proposal::reconfiguration(replacement.members.clone(), Vec::new());
            if self.propose(leader, Input::Propose(vec![proposal]))?
                && let Some(replacement) = &mut self.replacement
            {
                replacement.proposed_ms = Some(self.now_ms);
            }
        }
        Ok(())
    }

    /// The harness's signature policy at each leader: sign after `signature_every_entries`
    /// unsigned entries, or after `signature_every_ms` when something is unsigned or nothing
    /// of the leader's own term is signed yet (a leader commits only in its own term).
    fn emit_signatures(&mut self) -> Result<(), String> {
        for id in self.alive_ids() {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            let engine = &node.engine;
            if engine.role() != Role::Leader {
                continue;
            }
            let signed = engine.last_committable_index();
            let unsigned = engine.last_index().saturating_sub(signed);
            let signed_term = engine.entry(signed).map_or(0, |e| e.term);
            let waited_ms = self.now_ms.saturating_sub(node.last_signature_ms);
            let due = unsigned >= self.config.signature_every_entries
                || (waited_ms >= self.config.signature_every_ms
                    && (unsigned > 0 || signed_term < engine.term()));
            if !due {
                continue;
            }
            let input = Input::EmitSignature {
                payload: super::payload::signature_payload(),
            };
            if self.propose(id, input)?
                && let Some(node) = self.nodes.get_mut(&id)
            {
                node.last_signature_ms = self.now_ms;
                let index = node.engine.last_index();
                self.trace
                    .record(self.now_ms, Event::Signature { node: id, index });
            }
        }
        Ok(())
    }

    /// Now and then an idle client submits an operation to the leader.
    fn submit_client_op(&mut self) -> Result<(), String> {
        if !self.rng.random_ratio(1, 3) {
            return Ok(());
        }
        let Some(leader) = self.leader() else {
            return Ok(());
        };
        let Some(op) = self.clients.next_op(&mut self.rng) else {
            return Ok(());
        };
        let proposal = Proposal::raw(super::payload::encode(&op));
        if self.propose(leader, Input::Propose(vec![proposal]))?
            && let Some(node) = self.nodes.get(&leader)
        {
            let index = node.engine.last_index();
            self.clients.submitted(op, leader, index, self.now_ms);
            let event = Event::Submitted {
                node: leader,
                client: op.client,
                index,
            };
            self.trace.record(self.now_ms, event);
        }
        Ok(())
    }
}

fn raft_config(config: &SimConfig, id: NodeId, rng: &mut ChaCha8Rng) -> RaftConfig {
    RaftConfig {
        heartbeat_timeout_ms: config.heartbeat_timeout_ms,
        election_timeout_ms: config.election_timeout_ms,
        election_jitter_ms: config.election_timeout_ms / 2,
        jitter_seed: rng.random(),
        pre_vote: config.pre_vote,
        ..RaftConfig::new(id)
    }
}
