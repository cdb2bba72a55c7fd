//! Advancing the commit index, and what a commit sets off (retirement, configurations).

use super::{Raft, RetirementPhase};
use crate::engine::{Output, Role};
use crate::ids::Index;

impl Raft {
    /// Leader: commit the highest signature held by a quorum of *every* active
    /// configuration, if it is from the current term (Raft §5.4.2; bug 2).
    pub(super) fn update_commit(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        let me = self.me();
        let own = self.log.last_index().min(self.persisted_index);
        let mut agreed: Option<Index> = None;
        for c in self.configurations.iter() {
            let mut matches: Vec<Index> = c
                .members
                .iter()
                .map(|n| {
                    if *n == me {
                        own
                    } else {
                        self.peers.get(n).map_or(0, |p| p.match_index)
                    }
                })
                .collect();
            matches.sort_unstable();
            // The highest index a quorum holds; an empty configuration confirms nothing.
            let confirmed = matches
                .len()
                .checked_sub(1)
                .and_then(|last| matches.get(last / 2))
                .copied()
                .unwrap_or(0);
            agreed = Some(agreed.map_or(confirmed, |a| a.min(confirmed)));
        }
        let Some(agreed) = agreed else {
            return;
        };
        if let Some(index) = self.log.committable_at_or_below(agreed)
            && self.log.term_at(index) == self.term
        {
            self.commit(index);
        }
    }

    /// Follower: follow the leader's commit index, stopping at a signature we hold.
    pub(super) fn commit_if_possible(&mut self, leader_commit: Index) {
        let bounded = leader_commit.min(self.log.last_index());
        if bounded > self.commit_index
            && self.log.term_at(bounded) <= self.term
            && let Some(index) = self.log.committable_at_or_below(bounded)
        {
            self.commit(index);
        }
    }

    pub(super) fn commit(&mut self, index: Index) {
        if index <= self.commit_index || index > self.log.last_index() {
            return;
        }
        self.commit_index = index;
        self.out.push(Output::Commit { index });
        if let Some(r) = &mut self.retirement
            && r.phase == RetirementPhase::Signed
            && r.signed_at.is_some_and(|s| index >= s)
        {
            r.phase = RetirementPhase::Completed;
        }
        self.apply_committed_cleanups(index);
        self.configurations.commit(index);
    }

    /// Committed cleanup entries: forget the listed peers; if we are listed, stop taking
    /// part (handing leadership on first).
    fn apply_committed_cleanups(&mut self, index: Index) {
        let me = self.me();
        let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retired_committed_entries)
            .into_iter()
            .partition(|(i, _)| *i <= index);
        self.retired_committed_entries = kept;
        for (_, nodes) in due {
            for node in nodes {
                if node == me {
                    self.become_retired_committed();
                } else {
                    self.peers.remove(&node);
                }
            }
        }
    }

    fn become_retired_committed(&mut self) {
        let Some(r) = &mut self.retirement else {
            return;
        };
        r.phase = RetirementPhase::RetiredCommitted;
        if self.role == Role::Leader {
            self.propose_successor();
        }
        self.leader = None;
        self.set_role(Role::None);
    }
}
