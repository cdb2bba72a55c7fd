//! Per-node invariants from CCF's TLA+ spec (tla/consensus/ccfraft.tla), checked on demand.

use super::{Raft, RetirementPhase};
use crate::engine::Role;
use crate::error::ConsensusError;

fn violated(name: &'static str, detail: String) -> Result<(), ConsensusError> {
    Err(ConsensusError::Invariant { name, detail })
}

pub(super) fn check(raft: &Raft) -> Result<(), ConsensusError> {
    let last = raft.log.last_index();
    let commit = raft.commit_index;
    // LogInv: commit never passes the end of the log.
    if commit > last {
        return violated("LogInv", format!("commit {commit} > last index {last}"));
    }
    // SignatureInv: the commit index is always at a signature.
    if commit > 0 && !raft.log.get(commit).is_some_and(|e| e.committable) {
        return violated(
            "SignatureInv",
            format!("commit {commit} is not a signature"),
        );
    }
    // MonoLogInv: terms never decrease along the log, and none is ahead of the node.
    let mut previous = 0;
    for (pos, entry) in raft.log.entries().iter().enumerate() {
        if entry.term < previous || entry.term > raft.term {
            return violated(
                "MonoLogInv",
                format!(
                    "entry {} has term {} after term {previous}, node term {}",
                    pos + 1,
                    entry.term,
                    raft.term
                ),
            );
        }
        previous = entry.term;
    }
    // The signature index list matches the entries' flags.
    let flagged = raft
        .log
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.committable)
        .map(|(pos, _)| pos as u64 + 1);
    if !flagged.eq(raft.log.committable_indices().iter().copied()) {
        return violated("SignatureIndex", "signature index list is stale".into());
    }
    if raft.persisted_index > last {
        return violated(
            "PersistedInv",
            format!("persisted {} > last index {last}", raft.persisted_index),
        );
    }
    // LogConfigurationConsistentInv: configurations are ordered and come from held entries.
    let mut previous_index = None;
    for c in raft.configurations.iter() {
        if previous_index.is_some_and(|p| p >= c.index) || c.index > last {
            return violated(
                "LogConfigurationConsistentInv",
                format!("configuration at {} out of order or past the log", c.index),
            );
        }
        previous_index = Some(c.index);
    }
    // Leaders lead themselves; RetiredCommittedInv: such a node never leads.
    if raft.role == Role::Leader {
        if raft.leader != Some(raft.me()) {
            return violated("LeaderInv", "a leader must follow itself".into());
        }
        if raft.retirement_phase() == Some(RetirementPhase::RetiredCommitted) {
            return violated("RetiredCommittedInv", "retired-committed leader".into());
        }
    }
    // A candidate has voted for itself in its term.
    if raft.role == Role::Candidate && raft.voted_for != Some(raft.me()) {
        return violated(
            "CandidateVoteInv",
            "a candidate must vote for itself".into(),
        );
    }
    // A vote belongs to a term, and the hard state a crash would keep claims no commit the
    // node does not know or hold on disk (a restored node starts from exactly that).
    if raft.term == 0 && raft.voted_for.is_some() {
        return violated("VoteInv", "a vote without a term".into());
    }
    let durable_commit = raft.hard_state().commit_index;
    if durable_commit > commit.min(raft.persisted_index)
        || (durable_commit > 0 && !raft.log.get(durable_commit).is_some_and(|e| e.committable))
    {
        return violated(
            "DurableCommitInv",
            format!(
                "durable commit {durable_commit} with commit {commit}, persisted {}",
                raft.persisted_index
            ),
        );
    }
    // MembershipStateConsistentInv: retirement phases follow the indices they hang on.
    if let Some(r) = raft.retirement {
        let consistent = match r.phase {
            RetirementPhase::Ordered => r.signed_at.is_none() && r.ordered_at <= last,
            RetirementPhase::Signed => r
                .signed_at
                .is_some_and(|s| s >= r.ordered_at && s <= last && s > commit),
            RetirementPhase::Completed | RetirementPhase::RetiredCommitted => r
                .signed_at
                .is_some_and(|s| s >= r.ordered_at && s <= commit),
        };
        if !consistent {
            return violated(
                "MembershipStateConsistentInv",
                format!("retirement {r:?} with commit {commit}, last index {last}"),
            );
        }
    }
    // MatchIndex never exceeds what the leader holds.
    if raft.role == Role::Leader
        && let Some((node, peer)) = raft.peers.iter().find(|(_, p)| p.match_index > last)
    {
        return violated(
            "ReplicationInv",
            format!("{node} matched {} past last index {last}", peer.match_index),
        );
    }
    Ok(())
}
