//! The simulated cluster: nodes running the real engine, the packet network, the disks, the
//! clients and the invariant checkers, all driven by one seeded RNG and one virtual clock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use quorate_consensus::message::AppendEntriesResponse;
use quorate_consensus::{ConsensusEngine, Index, Input, Message, NodeId, Output, RaftConfig, Role};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::clients::Clients;
use super::config::SimConfig;
use super::invariants::{CommittedLog, ElectionSafety, LogMatching, Votes, check_commit_durable};
use super::network::{Network, Packet, SendFate};
use super::node::SimNode;
use super::tamper::Tamper;
use super::trace::{Event, MessageSummary, Trace};

/// A crashed member being replaced by a fresh node through a reconfiguration.
pub(super) struct Replacement {
    pub(super) members: BTreeSet<NodeId>,
    pub(super) joining: NodeId,
    pub(super) replaces: NodeId,
    pub(super) proposed_ms: Option<u64>,
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
    votes: Votes,
    /// The membership of the newest committed configuration, as the simulator arranged it.
    pub(super) members: BTreeSet<NodeId>,
    pub(super) replacement: Option<Replacement>,
    /// Committed entries already scanned for the replacement's reconfiguration.
    pub(super) scanned_committed: Index,
    pub(super) next_node_id: u64,
    tamper: Option<Tamper>,
    pub(super) crash_count: u64,
    pub(super) restart_count: u64,
    /// Outages: every member crashed at once.
    pub(super) outage_count: u64,
    pub(super) join_count: u64,
    /// Splits of the live nodes into two groups (majority/minority, or the leader alone).
    pub(super) split_count: u64,
}

impl Cluster {
    pub fn new(config: &SimConfig, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let members: BTreeSet<NodeId> = (1..=config.node_count as u64).map(NodeId).collect();
        let mut nodes = BTreeMap::new();
        for &id in &members {
            let mut node = SimNode::new(config, raft_config(config, id, &mut rng));
            node.engine.install_configuration(members.clone());
            node.base_configuration = Some(members.clone());
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
            votes: Votes::default(),
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
            restart_count: 0,
            outage_count: 0,
            join_count: 0,
            split_count: 0,
        }
    }

    /// Advances virtual time by one step: faults (if on), restarts due, deliveries, disk completions, ticks,
    /// then the harness (signatures, clients, replacements), then every live node's own
    /// invariants. Err is a violated invariant.
    pub fn step(&mut self, faults: bool) -> Result<(), String> {
        // A zero step would never reach the end of a phase.
        self.now_ms += self.config.step_ms.max(1);
        if faults {
            self.inject_faults();
        }
        self.restart_due()?;
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
            Output::PersistHardState(hard_state) => {
                let lazy = self.tamper == Some(Tamper::LazyHardState);
                if let Some(node) = self.nodes.get_mut(&id) {
                    node.disk
                        .write_hard_state(&mut self.rng, self.now_ms, hard_state, lazy);
                }
                Ok(())
            }
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
        self.votes.on_send(from, to, &message)?;
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
        // A crashed node has no socket: the packet vanishes unseen.
        if !self.nodes.get(&to).is_some_and(|n| n.alive) {
            return Ok(());
        }
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

    /// Restarts every crashed node whose downtime is over, from its disk. What it durably
    /// kept must cover every term and vote it sent, and its commit must agree with the
    /// committed log (its entries are re-applied to an empty replica).
    fn restart_due(&mut self) -> Result<(), String> {
        let due: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.alive && n.restart_at_ms.is_some_and(|at| at <= self.now_ms))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let raft = raft_config(&self.config, id, &mut self.rng);
            let Some(node) = self.nodes.get_mut(&id) else {
                continue;
            };
            self.votes.on_restart(id, &node.disk.durable_hard_state())?;
            node.restart(raft)?;
            let engine = &node.engine;
            let commit = engine.commit_index();
            let event = Event::Restart {
                node: id,
                term: engine.term(),
                last_index: engine.last_index(),
                commit,
            };
            self.trace.record(self.now_ms, event);
            self.restart_count += 1;
            self.committed.on_restart(id, commit)?;
            if commit > 0 {
                self.on_commit(id, commit)?;
            }
        }
        Ok(())
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
}

pub(super) fn raft_config(config: &SimConfig, id: NodeId, rng: &mut ChaCha8Rng) -> RaftConfig {
    RaftConfig {
        heartbeat_timeout_ms: config.heartbeat_timeout_ms,
        election_timeout_ms: config.election_timeout_ms,
        election_jitter_ms: config.election_timeout_ms / 2,
        jitter_seed: rng.random(),
        pre_vote: config.pre_vote,
        ..RaftConfig::new(id)
    }
}
