//! The safety phase's faults: network partitions (one-way cuts, one node isolated, the live
//! nodes split into two groups, the leader cut off from the rest) and crashes. A crashed
//! node usually restarts from its disk after a while, under the same identity, keeping only
//! what its disk acknowledged; otherwise it never returns and a fresh node replaces it
//! through a reconfiguration, as an operator would. Rarely, every member crashes at once
//! (a power outage) and all of them restart from their disks.

use quorate_consensus::NodeId;
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::cluster::{Cluster, Replacement, raft_config};
use super::node::SimNode;
use super::trace::Event;

/// Of every four crashes, this many restart from disk; the rest are replaced.
const RESTARTS_PER_FOUR_CRASHES: u32 = 3;

/// One crash in this many is a power outage instead: every member crashes at once.
const OUTAGE_ONE_CRASH_IN: u32 = 10;

impl Cluster {
    /// Network partitions and crashes, each with its configured per-step chance.
    pub(super) fn inject_faults(&mut self) {
        if self.rng.random_ratio(self.config.partition_per_mille, 1000) {
            self.change_partition();
        }
        if self.rng.random_ratio(self.config.crash_per_mille, 1000)
            && self.replacement.is_none()
            // Below three members, one crash already loses the quorum.
            && self.members.len() >= 3
        {
            self.crash_one_or_all();
        }
    }

    /// An outage, a crash that restarts, or a crash whose node is replaced. An outage or a
    /// replacement waits until every member of every configuration any live node still
    /// considers active is up; a crash that restarts only needs a quorum of each of those
    /// configurations to stay up without the victim, so several nodes of a large cluster
    /// can be down at once.
    fn crash_one_or_all(&mut self) {
        let alive = |nodes: &std::collections::BTreeMap<NodeId, SimNode>, m: &NodeId| {
            nodes.get(m).is_some_and(|n| n.alive)
        };
        let live_members_without = |victim: Option<NodeId>, quorum: bool| {
            self.nodes.values().filter(|n| n.alive).all(|n| {
                n.engine.configurations().all(|c| {
                    let up = c
                        .members
                        .iter()
                        .filter(|m| Some(**m) != victim && alive(&self.nodes, m))
                        .count();
                    if quorum {
                        up >= c.quorum()
                    } else {
                        up == c.members.len()
                    }
                })
            })
        };
        let all_up = live_members_without(None, false);
        if self.rng.random_ratio(1, OUTAGE_ONE_CRASH_IN) {
            if all_up {
                self.outage();
            }
            return;
        }
        let members: Vec<NodeId> = self.members.iter().copied().collect();
        let victim = members[self.rng.random_range(0..members.len())];
        if !alive(&self.nodes, &victim) {
            return;
        }
        if self.rng.random_ratio(RESTARTS_PER_FOUR_CRASHES, 4) {
            if live_members_without(Some(victim), true) {
                // Down for up to two election timeouts: sometimes back within the same term.
                let downtime_ms = self
                    .rng
                    .random_range(0..=2 * self.config.election_timeout_ms);
                self.crash(victim, Some(self.now_ms + downtime_ms));
            }
        } else if all_up {
            self.crash(victim, None);
            self.replace(victim);
        }
    }

    /// Every member loses power at once; all restart from their disks, so whatever was
    /// committed must have been durable on a quorum.
    fn outage(&mut self) {
        self.trace.record(self.now_ms, Event::Outage);
        self.outage_count += 1;
        for victim in self.members.clone() {
            let downtime_ms = self
                .rng
                .random_range(0..=2 * self.config.election_timeout_ms);
            self.crash(victim, Some(self.now_ms + downtime_ms));
        }
    }

    fn change_partition(&mut self) {
        let mut alive = self.alive_ids();
        if alive.is_empty() {
            return;
        }
        let pick = |rng: &mut ChaCha8Rng| alive[rng.random_range(0..alive.len())];
        let description = match self.rng.random_range(0..5) {
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
            2 => {
                let (from, to) = (pick(&mut self.rng), pick(&mut self.rng));
                (from != to).then(|| {
                    self.network.cut(from, to);
                    format!("{from} -> {to} cut")
                })
            }
            3 => {
                // A random minority (at least one node) against the majority.
                alive.shuffle(&mut self.rng);
                let minority = self.rng.random_range(1..=(alive.len() / 2).max(1));
                let (group, rest) = alive.split_at(minority.min(alive.len()));
                self.split(group, rest)
            }
            _ => self.leader().and_then(|leader| {
                let rest: Vec<NodeId> = alive.iter().copied().filter(|n| *n != leader).collect();
                self.split(&[leader], &rest)
            }),
        };
        if let Some(description) = description {
            self.trace
                .record(self.now_ms, Event::Partition { description });
        }
    }

    /// Splits the network between `group` and `rest`; nothing to split if either is empty.
    fn split(&mut self, group: &[NodeId], rest: &[NodeId]) -> Option<String> {
        if group.is_empty() || rest.is_empty() {
            return None;
        }
        self.network.split(group, rest);
        self.split_count += 1;
        let names = |nodes: &[NodeId]| {
            nodes
                .iter()
                .map(NodeId::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        Some(format!("{{{}}} | {{{}}}", names(group), names(rest)))
    }

    /// The node stops: its queued disk operations and incoming packets are lost. It restarts
    /// from its disk at `restart_at_ms`, or never.
    fn crash(&mut self, victim: NodeId, restart_at_ms: Option<u64>) {
        if let Some(node) = self.nodes.get_mut(&victim) {
            node.alive = false;
            node.restart_at_ms = restart_at_ms;
            node.disk.crash();
        }
        self.network.drop_packets_to(victim);
        self.trace
            .record(self.now_ms, Event::Crash { node: victim });
        self.crash_count += 1;
    }

    /// A fresh node will replace the crashed `victim` through a reconfiguration.
    fn replace(&mut self, victim: NodeId) {
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
