//! The safety phase's faults: network partitions and crashes. A crashed node never returns
//! (CCF binds identity to the process); a fresh node is created to replace it.

use quorate_consensus::NodeId;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::cluster::{Cluster, Replacement, raft_config};
use super::node::SimNode;
use super::trace::Event;

impl Cluster {
    /// Network partitions and crashes, each with its configured per-step chance.
    pub(super) fn inject_faults(&mut self) {
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
            // Below three members, one crash already loses the quorum.
            && self.members.len() >= 3
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
}
