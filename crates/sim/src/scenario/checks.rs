//! The checks that compare nodes: state sync, commit safety, and `loop_until_sync`.

use std::collections::BTreeSet;

use quorate_consensus::raft::Membership;
use quorate_consensus::{ConsensusEngine, Entry, Input};

use super::cluster::{Cluster, Failure};
use super::dispatch;

/// Rounds `loop_until_sync` tries before giving up (CCF's driver uses 20).
const MAX_SYNC_ROUNDS: usize = 20;

impl Cluster {
    /// Differences between the smallest-id node of `names` and each other one: term, last
    /// index, every entry, commit index.
    pub(super) fn state_differences(&self, names: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Some((reference_name, rest)) = names.split_first() else {
            return out;
        };
        let Some(reference) = self.nodes.get(reference_name).map(|n| &n.raft) else {
            return out;
        };
        for name in rest {
            let Some(raft) = self.nodes.get(name).map(|n| &n.raft) else {
                continue;
            };
            if raft.term() != reference.term() {
                out.push((
                    name.clone(),
                    format!(
                        "Term {} doesn't match term {} on {reference_name}",
                        raft.term(),
                        reference.term()
                    ),
                ));
            }
            if raft.last_index() != reference.last_index() {
                out.push((
                    name.clone(),
                    format!(
                        "Last index {} doesn't match last index {} on {reference_name}",
                        raft.last_index(),
                        reference.last_index()
                    ),
                ));
            } else if let Some(index) =
                (1..=reference.last_index()).find(|i| raft.entry(*i) != reference.entry(*i))
            {
                out.push((
                    name.clone(),
                    format!("Entry at index {index} doesn't match entry on {reference_name}"),
                ));
            }
            if raft.commit_index() != reference.commit_index() {
                out.push((
                    name.clone(),
                    format!(
                        "Commit index {} doesn't match commit index {} on {reference_name}",
                        raft.commit_index(),
                        reference.commit_index()
                    ),
                ));
            }
        }
        out
    }

    fn print_differences(&mut self, differences: Vec<(String, String)>) {
        for (name, reason) in differences {
            self.print(format!("Note over n[{name}]: {reason}"));
        }
    }

    pub(super) fn assert_state_sync(&mut self) -> Result<(), Failure> {
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        let differences = self.state_differences(&names);
        if differences.is_empty() {
            return Ok(());
        }
        self.print_differences(differences);
        Err("States not in sync".into())
    }

    /// QuorumLogInv: the node's committed prefix is held, identically, by a quorum of each
    /// of its active configurations that starts at or below its commit index.
    pub(super) fn assert_commit_safety(&mut self, name: &str) -> Result<(), Failure> {
        let raft = &self.node(name)?.raft;
        let commit = raft.commit_index();
        let prefix: Vec<&Entry> = (1..=commit).filter_map(|i| raft.entry(i)).collect();
        let holders: BTreeSet<_> = self
            .nodes
            .values()
            .filter(|n| {
                n.raft.last_index() >= commit
                    && (1..=commit).all(|i| n.raft.entry(i) == prefix.get(i as usize - 1).copied())
            })
            .map(|n| n.raft.id())
            .collect();
        let unsafe_configuration = raft
            .configurations()
            .filter(|c| c.index <= commit)
            .find(|c| c.members.iter().filter(|m| holders.contains(m)).count() < c.quorum())
            .map(|c| (c.index, c.members.len(), c.quorum()));
        if let Some((index, size, quorum)) = unsafe_configuration {
            self.print(format!(
                "Note over n[{name}]: Node has advanced commit to {commit}, yet this entry is \
                 present on too few nodes (need {quorum} of {size} in configuration {index})"
            ));
            return Err(format!("Node ({name}) at unsafe commit idx ({commit})"));
        }
        Ok(())
    }

    pub(super) fn assert_commit_safety_all(&mut self) -> Result<(), Failure> {
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        names.iter().try_for_each(|n| self.assert_commit_safety(n))
    }

    /// Signs at the newest Leader, reconnects every Active node, then runs heartbeat and
    /// dispatch rounds at that Leader until the Active nodes agree.
    pub(super) fn loop_until_sync(&mut self) -> Result<(), Failure> {
        let (term, leader) = self
            .primaries()
            .into_iter()
            .max()
            .ok_or("Can't currently loop until sync, no primary")?;
        let mut active = Vec::new();
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        for name in names {
            if self.node(&name)?.raft.membership() == Membership::Active {
                active.push(name);
            } else {
                self.print(format!(
                    "Note over n[{name}]: Ignoring from sync check, due to retirement"
                ));
            }
        }
        self.replicate(
            &term.to_string(),
            Input::EmitSignature {
                payload: super::signature(),
            },
        )?;
        for name in &active {
            for other in self.others(name) {
                self.connect(name, &other, "reconnect");
            }
        }
        for round in 1..=MAX_SYNC_ROUNDS {
            self.periodic(&leader, 10)?;
            dispatch::dispatch_all(self)?;
            let differences = self.state_differences(&active);
            if differences.is_empty() {
                return Ok(());
            }
            if round == MAX_SYNC_ROUNDS {
                self.print_differences(differences);
            }
        }
        Err(format!(
            "Failed to reach state sync after {MAX_SYNC_ROUNDS} loop iterations"
        ))
    }
}
