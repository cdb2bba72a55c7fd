//! A tiny deterministic cluster for engine tests: per-node FIFO outboxes, explicit delivery,
//! links that can be cut, persistence acknowledged at once, invariants checked every step.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use quorate_consensus::{
    ConsensusEngine, HardState, Input, Message, NodeId, Output, Proposal, Raft, RaftConfig,
};

pub struct Cluster {
    pub nodes: BTreeMap<NodeId, Raft>,
    pub outbox: BTreeMap<NodeId, VecDeque<(NodeId, Message)>>,
    pub cut: BTreeSet<(NodeId, NodeId)>,
    pub now_ms: BTreeMap<NodeId, u64>,
    /// Every `Truncate` output: (node, index kept up to).
    pub truncations: Vec<(NodeId, u64)>,
    /// When false, `Persist` outputs wait for an explicit `persist` call.
    pub auto_persist: bool,
    /// Each node's durable hard state: the last `PersistHardState` it asked for, written
    /// synchronously before its sends are queued, as the host contract demands.
    pub hard_states: BTreeMap<NodeId, HardState>,
}

pub fn config(id: u64) -> RaftConfig {
    RaftConfig {
        heartbeat_timeout_ms: 10,
        election_timeout_ms: 100,
        election_jitter_ms: 0,
        ..RaftConfig::new(NodeId(id))
    }
}

impl Cluster {
    /// Node 0 bootstraps, then `1..n` are added in one configuration and caught up.
    pub fn started(n: u64) -> Self {
        Self::started_with(n, config)
    }

    /// As `started`, with each node's configuration made by `make_config(id)`.
    pub fn started_with(n: u64, make_config: impl Fn(u64) -> RaftConfig) -> Self {
        let mut c = Self {
            nodes: BTreeMap::new(),
            outbox: BTreeMap::new(),
            cut: BTreeSet::new(),
            now_ms: BTreeMap::new(),
            truncations: Vec::new(),
            auto_persist: true,
            hard_states: BTreeMap::new(),
        };
        for id in 0..n {
            c.add_node(make_config(id));
        }
        c.step(
            0,
            Input::Bootstrap {
                payload: bytes::Bytes::new(),
            },
        );
        c.sign(0);
        if n > 1 {
            let members: Vec<u64> = (0..n).collect();
            c.reconfigure(0, &members);
            c.sign(0);
            c.settle();
        }
        c
    }

    /// Adds an empty node (no configuration yet).
    pub fn add_node(&mut self, config: RaftConfig) {
        let id = config.id;
        self.nodes.insert(id, Raft::new(config));
        self.outbox.insert(id, VecDeque::new());
        self.now_ms.insert(id, 0);
    }

    pub fn node(&self, id: u64) -> &Raft {
        &self.nodes[&NodeId(id)]
    }

    /// One input, with immediate persistence; outgoing messages are queued.
    pub fn step(&mut self, id: u64, input: Input<Message>) {
        let id = NodeId(id);
        let mut next = Some(input);
        while let Some(input) = next.take() {
            let node = self.nodes.get_mut(&id).expect("node exists");
            let outputs = node.handle(input).expect("input accepted");
            node.check_invariants().expect("invariants hold");
            for output in outputs {
                match output {
                    Output::PersistHardState(hard_state) => {
                        self.hard_states.insert(id, hard_state);
                    }
                    Output::Send { to, message } => {
                        self.outbox
                            .get_mut(&id)
                            .expect("outbox")
                            .push_back((to, message));
                    }
                    Output::Persist { .. } if self.auto_persist => {
                        next = Some(Input::Persisted {
                            index: node.last_index(),
                        });
                    }
                    Output::Persist { .. } => {}
                    Output::Truncate { index } => self.truncations.push((id, index)),
                    Output::Commit { .. } | Output::RoleChanged { .. } => {}
                }
            }
        }
    }

    /// Node `id` crashes and restarts from what was durable: its last persisted hard state
    /// and the entries acknowledged as persisted. Its queued messages are lost.
    pub fn restart(&mut self, id: u64) {
        let node = self.node(id);
        let durable = usize::try_from(node.persisted_index()).expect("index fits");
        let entries = node.entries()[..durable].to_vec();
        let config = node.config().clone();
        let hard_state = self
            .hard_states
            .get(&NodeId(id))
            .copied()
            .unwrap_or_default();
        let restored = Raft::restore(config, hard_state, entries, None).expect("restorable");
        restored.check_invariants().expect("invariants hold");
        self.nodes.insert(NodeId(id), restored);
        self.drop_outbox(id);
    }

    /// Acknowledges that node `id` has persisted its whole log.
    pub fn persist(&mut self, id: u64) {
        let index = self.node(id).last_index();
        self.step(id, Input::Persisted { index });
    }

    pub fn reconfigure(&mut self, leader: u64, members: &[u64]) {
        let members = members.iter().copied().map(NodeId).collect();
        self.step(
            leader,
            Input::Propose(vec![Proposal::reconfiguration(members, Vec::new())]),
        );
    }

    /// Drops every queued message from `from`.
    pub fn drop_outbox(&mut self, from: u64) {
        if let Some(q) = self.outbox.get_mut(&NodeId(from)) {
            q.clear();
        }
    }

    pub fn propose(&mut self, id: u64, payload: &[u8]) {
        self.step(id, Input::Propose(vec![Proposal::raw(payload.to_vec())]));
    }

    pub fn sign(&mut self, id: u64) {
        self.step(
            id,
            Input::EmitSignature {
                payload: b"signature".to_vec().into(),
            },
        );
    }

    pub fn tick(&mut self, id: u64, ms: u64) {
        let now = self.now_ms.get_mut(&NodeId(id)).expect("clock");
        *now += ms;
        let now_ms = *now;
        self.step(id, Input::Tick { now_ms });
    }

    pub fn disconnect(&mut self, a: u64, b: u64) {
        self.cut.insert((NodeId(a), NodeId(b)));
        self.cut.insert((NodeId(b), NodeId(a)));
    }

    pub fn isolate(&mut self, a: u64) {
        let ids: Vec<u64> = self.nodes.keys().map(|n| n.0).collect();
        for b in ids {
            if b != a {
                self.disconnect(a, b);
            }
        }
    }

    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Takes the first queued message from `from` (to `to`, if given).
    pub fn take(&mut self, from: u64, to: Option<u64>) -> Option<(NodeId, Message)> {
        let queue = self.outbox.get_mut(&NodeId(from))?;
        let pos = queue
            .iter()
            .position(|(dest, _)| to.is_none_or(|t| dest.0 == t))?;
        queue.remove(pos)
    }

    pub fn deliver(&mut self, from: u64, to: NodeId, message: Message) {
        if self.cut.contains(&(NodeId(from), to)) || !self.nodes.contains_key(&to) {
            return;
        }
        self.step(
            to.0,
            Input::Receive {
                from: NodeId(from),
                message,
            },
        );
    }

    /// Delivers the first message from `from` to `to`.
    pub fn deliver_one(&mut self, from: u64, to: u64) {
        if let Some((dest, message)) = self.take(from, Some(to)) {
            self.deliver(from, dest, message);
        }
    }

    /// Delivers everything until no messages remain.
    pub fn deliver_all(&mut self) {
        loop {
            let ids: Vec<u64> = self.nodes.keys().map(|n| n.0).collect();
            let mut any = false;
            for from in ids {
                while let Some((to, message)) = self.take(from, None) {
                    any = true;
                    self.deliver(from, to, message);
                }
            }
            if !any {
                return;
            }
        }
    }

    /// Heartbeat rounds at every leader until quiet.
    pub fn settle(&mut self) {
        for _ in 0..5 {
            let leaders: Vec<u64> = self
                .nodes
                .iter()
                .filter(|(_, r)| r.role() == quorate_consensus::Role::Leader)
                .map(|(id, _)| id.0)
                .collect();
            for l in leaders {
                self.tick(l, 10);
            }
            self.deliver_all();
        }
    }
}
