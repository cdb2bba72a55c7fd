//! Random schedules of time, delivery, loss, partitions, proposals and crash-restarts on a
//! small cluster; after every step the cross-node safety properties of ccfraft.tla must hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{Cluster, config};
use proptest::prelude::*;
use quorate_consensus::{ConsensusEngine, Entry, Index, NodeId, RaftConfig, Role, Term};

#[derive(Debug, Clone)]
enum Step {
    Tick {
        node: u64,
        ms: u64,
    },
    DeliverOne {
        from: u64,
        to: u64,
    },
    DropOne {
        from: u64,
    },
    DeliverAll,
    Propose {
        node: u64,
    },
    Sign {
        node: u64,
    },
    Isolate {
        node: u64,
    },
    Heal,
    /// The node crashes and restarts from its durable hard state and log.
    Restart {
        node: u64,
    },
}

const NODES: u64 = 3;

fn step() -> impl Strategy<Value = Step> {
    let node = 0..NODES;
    prop_oneof![
        6 => (node.clone(), 1u64..40).prop_map(|(node, ms)| Step::Tick { node, ms }),
        4 => (node.clone(), node.clone()).prop_map(|(from, to)| Step::DeliverOne { from, to }),
        1 => node.clone().prop_map(|from| Step::DropOne { from }),
        4 => Just(Step::DeliverAll),
        3 => node.clone().prop_map(|node| Step::Propose { node }),
        3 => node.clone().prop_map(|node| Step::Sign { node }),
        1 => node.clone().prop_map(|node| Step::Isolate { node }),
        2 => Just(Step::Heal),
        1 => node.prop_map(|node| Step::Restart { node }),
    ]
}

/// Safety state carried across steps.
#[derive(Default)]
struct History {
    /// ElectionSafetyInv: the one leader seen in each term.
    leaders: BTreeMap<Term, NodeId>,
    /// Entries known committed, by index (CommittedLogAppendOnlyProp).
    committed: BTreeMap<Index, Entry>,
    /// MonotonicCommitIndexProp.
    commit: BTreeMap<NodeId, Index>,
}

impl History {
    fn check(&mut self, c: &Cluster) -> Result<(), String> {
        for (id, raft) in &c.nodes {
            if raft.role() == Role::Leader
                && let Some(other) = self.leaders.insert(raft.term(), *id)
                && other != *id
            {
                return Err(format!(
                    "two leaders in term {}: {other} and {id}",
                    raft.term()
                ));
            }
            let commit = raft.commit_index();
            let before = self.commit.insert(*id, commit).unwrap_or(0);
            if commit < before {
                return Err(format!("{id} commit went back from {before} to {commit}"));
            }
            for index in 1..=commit {
                let entry = raft
                    .entry(index)
                    .cloned()
                    .ok_or("committed entry missing")?;
                if let Some(known) = self.committed.insert(index, entry.clone())
                    && known != entry
                {
                    return Err(format!("{id} disagrees on committed index {index}"));
                }
            }
        }
        Ok(())
    }
}

fn jittered(id: u64) -> RaftConfig {
    RaftConfig {
        election_jitter_ms: 50,
        ..config(id)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn safety_holds_under_any_schedule(steps in proptest::collection::vec(step(), 1..300)) {
        let mut c = Cluster::started_with(NODES, jittered);
        let mut history = History::default();
        for (n, s) in steps.into_iter().enumerate() {
            match s {
                Step::Tick { node, ms } => c.tick(node, ms),
                Step::DeliverOne { from, to } => c.deliver_one(from, to),
                Step::DropOne { from } => {
                    c.take(from, None);
                }
                Step::DeliverAll => c.deliver_all(),
                Step::Propose { node } => {
                    if c.node(node).role() == Role::Leader {
                        c.propose(node, &[n as u8]);
                    }
                }
                Step::Sign { node } => {
                    if c.node(node).role() == Role::Leader {
                        c.sign(node);
                    }
                }
                Step::Isolate { node } => c.isolate(node),
                Step::Heal => c.heal(),
                Step::Restart { node } => {
                    // A restart may lose commit progress, never invent it; its commit is
                    // then followed from the restored value.
                    let before = c.node(node).commit_index();
                    c.restart(node);
                    let after = c.node(node).commit_index();
                    prop_assert!(after <= before, "restart raised commit {} to {}", before, after);
                    history.commit.insert(NodeId(node), after);
                }
            }
            if let Err(e) = history.check(&c) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
