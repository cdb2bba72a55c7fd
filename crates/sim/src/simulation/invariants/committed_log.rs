//! The global committed log: CommittedLogAppendOnlyProp and MonotonicCommitIndexProp across
//! every node, and LeaderCompletenessInv at each election.

use std::collections::BTreeMap;

use quorate_consensus::{Entry, Index, NodeId};

#[derive(Debug, Default)]
pub struct CommittedLog {
    /// Every entry any node has committed; entry `i` at position `i - 1`.
    entries: Vec<Entry>,
    /// The latest commit index each node reported.
    node_commit: BTreeMap<NodeId, Index>,
}

impl CommittedLog {
    pub fn len(&self) -> Index {
        self.entries.len() as Index
    }

    pub fn get(&self, index: Index) -> Option<&Entry> {
        index
            .checked_sub(1)
            .and_then(|p| self.entries.get(usize::try_from(p).ok()?))
    }

    pub fn node_commit(&self, node: NodeId) -> Index {
        self.node_commit.get(&node).copied().unwrap_or(0)
    }

    /// `node` committed up to `index`; `entry_at` reads its log. Its commit must not move
    /// back, and its newly committed entries must agree with every other node's.
    pub fn on_commit<'a>(
        &mut self,
        node: NodeId,
        index: Index,
        entry_at: impl Fn(Index) -> Option<&'a Entry>,
    ) -> Result<(), String> {
        let previous = self.node_commit(node);
        if index < previous {
            return Err(format!(
                "MonotonicCommitIndex: {node} moved its commit back from {previous} to {index}"
            ));
        }
        for i in previous + 1..=index {
            let Some(entry) = entry_at(i) else {
                return Err(format!(
                    "LogInv: {node} committed {index} but lacks entry {i}"
                ));
            };
            match self.get(i) {
                Some(committed) if committed != entry => {
                    return Err(format!(
                        "CommittedLogAppendOnly: {node} committed a different entry at {i} \
                         (term {}) than already committed (term {})",
                        entry.term, committed.term
                    ));
                }
                Some(_) => {}
                None => self.entries.push(entry.clone()),
            }
        }
        self.node_commit.insert(node, index);
        Ok(())
    }

    /// `node` restarts from its disk with commit index `commit`: a crash may lose commit
    /// progress, never invent it. Its commit is then re-reported from scratch, so the
    /// restored log is checked against the committed one.
    pub fn on_restart(&mut self, node: NodeId, commit: Index) -> Result<(), String> {
        let previous = self.node_commit(node);
        if commit > previous {
            return Err(format!(
                "DurableCommit: {node} restarts with commit {commit}, past its commit {previous}"
            ));
        }
        self.node_commit.insert(node, 0);
        Ok(())
    }

    /// `node` truncates its log after `index`: nothing it committed may go.
    pub fn on_truncate(&self, node: NodeId, index: Index) -> Result<(), String> {
        let committed = self.node_commit(node);
        if index < committed {
            return Err(format!(
                "CommittedLogAppendOnly: {node} truncates its log after {index}, below its \
                 commit {committed}"
            ));
        }
        Ok(())
    }

    /// `node` writes `entries` from `first_index`: any of them at or below an index the node
    /// committed must be the committed entry. (A follower may report a commit before the
    /// write of the entries that carried it.)
    pub fn on_write(
        &self,
        node: NodeId,
        first_index: Index,
        entries: &[Entry],
    ) -> Result<(), String> {
        let committed = self.node_commit(node);
        for (offset, entry) in entries.iter().enumerate() {
            let index = first_index + offset as Index;
            if index > committed {
                break;
            }
            if self.get(index) != Some(entry) {
                return Err(format!(
                    "CommittedLogAppendOnly: {node} overwrites committed entry {index} (its \
                     commit is {committed})"
                ));
            }
        }
        Ok(())
    }

    /// A new leader's log must hold every committed entry.
    pub fn check_leader_complete(&self, node: NodeId, log: &[Entry]) -> Result<(), String> {
        match self.entries.iter().zip(log).position(|(c, e)| c != e) {
            Some(p) => Err(format!(
                "LeaderCompleteness: new leader {node} differs from the committed log at {}",
                p + 1
            )),
            None if log.len() < self.entries.len() => Err(format!(
                "LeaderCompleteness: new leader {node} holds {} entries, {} are committed",
                log.len(),
                self.entries.len()
            )),
            None => Ok(()),
        }
    }

    /// A node's committed prefix must equal the global committed log.
    pub fn check_node_prefix(&self, node: NodeId, log: &[Entry]) -> Result<(), String> {
        let commit = usize::try_from(self.node_commit(node)).unwrap_or(usize::MAX);
        match log.get(..commit) {
            Some(prefix) if self.entries.get(..commit) == Some(prefix) => Ok(()),
            _ => Err(format!(
                "CommittedLogAppendOnly: {node}'s log no longer holds the committed prefix \
                 up to {commit}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use quorate_consensus::{Entry, EntryKind, NodeId};

    use super::CommittedLog;

    fn entry(term: u64, byte: u8) -> Entry {
        Entry {
            term,
            committable: true,
            kind: EntryKind::Raw,
            payload: Bytes::from(vec![byte]),
        }
    }

    #[test]
    fn commits_must_agree_grow_and_never_be_truncated() {
        let (a, b) = (NodeId(1), NodeId(2));
        let log_a = [entry(1, 1), entry(1, 2)];
        let log_b = [entry(1, 1), entry(2, 9)];
        let mut committed = CommittedLog::default();
        committed
            .on_commit(a, 2, |i| log_a.get(i as usize - 1))
            .unwrap();
        assert_eq!(committed.len(), 2);
        committed
            .on_commit(b, 1, |i| log_b.get(i as usize - 1))
            .unwrap();
        let diverged = committed.on_commit(b, 2, |i| log_b.get(i as usize - 1));
        assert!(diverged.unwrap_err().starts_with("CommittedLogAppendOnly"));
        let backwards = committed.on_commit(a, 1, |i| log_a.get(i as usize - 1));
        assert!(backwards.unwrap_err().starts_with("MonotonicCommitIndex"));
        assert!(committed.on_truncate(a, 1).is_err());
        assert!(committed.on_truncate(a, 2).is_ok());
        assert!(committed.on_write(a, 2, &[entry(3, 3)]).is_err());
        assert!(committed.on_write(a, 3, &[entry(3, 3)]).is_ok());
        assert!(committed.check_node_prefix(a, &log_a[..1]).is_err());
        assert!(committed.check_leader_complete(b, &log_b).is_err());
        assert!(committed.check_leader_complete(a, &log_a).is_ok());
    }
}
