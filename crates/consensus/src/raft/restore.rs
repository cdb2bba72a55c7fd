//! Restarting a node from what its disk made durable: the hard state and the log entries.

use std::collections::BTreeSet;

use super::{Raft, RaftConfig};
use crate::engine::Role;
use crate::entry::Entry;
use crate::error::ConsensusError;
use crate::hard_state::HardState;
use crate::ids::{Index, NodeId};

impl Raft {
    /// Rebuilds a node after a crash from its durable state: `hard_state` is the last one the
    /// host made durable, `entries` the durable log from index 1, and `base_configuration`
    /// the membership known out of band at index 0, if the node had one (see
    /// [`Raft::install_configuration`]). Configurations, peers and retirement are rebuilt by
    /// replaying the entries; the commit index is the hard state's, a signature known
    /// committed. The node restarts as a follower (or `Role::None` if it has no
    /// configuration or its retirement is committed) with a fresh election timer, whatever
    /// it was before: a leader that crashed never resumes leading its term. The first `Tick`
    /// afterwards only sets the clock.
    ///
    /// Errors if the durable state cannot have come from a host keeping the crate's
    /// durability contract: terms going backwards along the log, an entry from a term later
    /// than the hard state's, a vote without a term, or a commit index that is not a
    /// durable signature.
    pub fn restore(
        config: RaftConfig,
        hard_state: HardState,
        entries: Vec<Entry>,
        base_configuration: Option<BTreeSet<NodeId>>,
    ) -> Result<Self, ConsensusError> {
        check_durable_state(&hard_state, &entries)?;
        let mut raft = Self::new(config);
        raft.now_ms = None;
        raft.term = hard_state.term;
        raft.voted_for = hard_state.vote;
        if let Some(members) = base_configuration {
            raft.install_configuration(members);
        }
        for entry in entries {
            raft.append_entry(entry);
        }
        raft.persisted_index = raft.log.last_index();
        if !raft.configurations.is_empty() {
            raft.role = Role::Follower;
        }
        // Committing replays what the commit sets off (retirement phases, cleanups,
        // configurations settling). Its outputs are dropped: the host reads `commit_index()`
        // to learn what it may apply again.
        raft.commit(hard_state.commit_index);
        raft.out.clear();
        raft.announced = (raft.role, raft.term);
        raft.leader = None;
        // The first conflicting AppendEntries of the leader may repair the unsigned suffix.
        raft.new_follower = true;
        raft.restart_election_timer();
        Ok(raft)
    }
}

fn check_durable_state(hard_state: &HardState, entries: &[Entry]) -> Result<(), ConsensusError> {
    let inconsistent = |detail: String| Err(ConsensusError::InconsistentDurableState(detail));
    if let Some(pos) = entries
        .windows(2)
        .position(|pair| pair[1].term < pair[0].term)
    {
        return inconsistent(format!("the term goes backwards at entry {}", pos + 2));
    }
    if let Some((pos, entry)) = entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.term > hard_state.term)
    {
        return inconsistent(format!(
            "entry {} has term {}, past the durable term {}",
            pos + 1,
            entry.term,
            hard_state.term
        ));
    }
    if hard_state.term == 0 && hard_state.vote.is_some() {
        return inconsistent("a vote without a term".into());
    }
    let commit = hard_state.commit_index;
    let is_signature = commit
        .checked_sub(1)
        .and_then(|p| usize::try_from(p).ok())
        .and_then(|p| entries.get(p))
        .is_some_and(|e| e.committable);
    if commit > entries.len() as Index {
        return inconsistent(format!(
            "the hard state records commit index {commit} but the log holds only {} entries: \
             entries this node acknowledged as durable are missing (lost or truncated storage); \
             restarting could lose committed transactions, so the node must be replaced",
            entries.len() as Index
        ));
    }
    if commit > 0 && !is_signature {
        return inconsistent(format!(
            "commit index {commit} is not a durable signature ({} entries)",
            entries.len() as Index
        ));
    }
    Ok(())
}
