//! The active configurations: the newest committed one plus every later, uncommitted one.
//! Commit and elections need a quorum in each of them.

use std::collections::{BTreeSet, VecDeque};

use crate::ids::{Index, NodeId};

/// A member set that took effect at `index` (when its entry was appended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub index: Index,
    pub members: BTreeSet<NodeId>,
}

impl Configuration {
    pub fn quorum(&self) -> usize {
        self.members.len() / 2 + 1
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Configurations {
    active: VecDeque<Configuration>,
}

impl Configurations {
    pub(super) fn iter(&self) -> impl Iterator<Item = &Configuration> {
        self.active.iter()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    pub(super) fn latest(&self) -> Option<&Configuration> {
        self.active.back()
    }

    /// Adds a configuration unless it equals the latest one. Returns whether it was added.
    pub(super) fn push(&mut self, index: Index, members: BTreeSet<NodeId>) -> bool {
        if self.latest().is_some_and(|c| c.members == members) {
            return false;
        }
        self.active.push_back(Configuration { index, members });
        true
    }

    /// Drops every configuration whose successor is at or below the commit index.
    pub(super) fn commit(&mut self, commit_index: Index) {
        while self
            .active
            .get(1)
            .is_some_and(|next| next.index <= commit_index)
        {
            self.active.pop_front();
        }
    }

    /// Drops configurations appended after `index`.
    pub(super) fn rollback(&mut self, index: Index) {
        while self.active.back().is_some_and(|c| c.index > index) {
            self.active.pop_back();
        }
    }

    /// Every member of any active configuration other than `me`.
    pub(super) fn others(&self, me: NodeId) -> BTreeSet<NodeId> {
        self.active
            .iter()
            .flat_map(|c| c.members.iter().copied())
            .filter(|n| *n != me)
            .collect()
    }

    /// The index of the newest configuration that includes `node` (0 if none).
    pub(super) fn latest_including(&self, node: NodeId) -> Index {
        self.active
            .iter()
            .rev()
            .find(|c| c.members.contains(&node))
            .map_or(0, |c| c.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u64]) -> BTreeSet<NodeId> {
        ids.iter().copied().map(NodeId).collect()
    }

    #[test]
    fn commit_keeps_the_newest_committed_configuration_and_later_ones() {
        let mut c = Configurations::default();
        assert!(c.push(1, set(&[0])));
        assert!(
            !c.push(2, set(&[0])),
            "an unchanged configuration is not added"
        );
        assert!(c.push(3, set(&[0, 1, 2])));
        assert!(c.push(7, set(&[1, 2])));
        c.commit(4);
        assert_eq!(c.iter().map(|c| c.index).collect::<Vec<_>>(), [3, 7]);
        assert_eq!(c.others(NodeId(0)), set(&[1, 2]));
        assert_eq!(c.latest_including(NodeId(0)), 3);
        c.rollback(5);
        assert_eq!(c.iter().map(|c| c.index).collect::<Vec<_>>(), [3]);
    }
}
