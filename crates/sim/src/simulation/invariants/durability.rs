//! "Nothing acknowledged is lost": when a leader commits, a quorum of every active
//! configuration must have the committed entry on disk, so any minority crash keeps it.

use quorate_consensus::{Entry, Index, NodeId};

/// `durable_of(member)` is that member's disk; `configurations` are the leader's active ones.
pub fn check_commit_durable<'a>(
    leader: NodeId,
    index: Index,
    committed: &Entry,
    configurations: &[(Vec<NodeId>, usize)],
    durable_of: impl Fn(NodeId) -> Option<&'a [Entry]>,
) -> Result<(), String> {
    let position = usize::try_from(index.saturating_sub(1)).unwrap_or(usize::MAX);
    for (members, quorum) in configurations {
        let holding = members
            .iter()
            .filter(|m| durable_of(**m).and_then(|d| d.get(position)) == Some(committed))
            .count();
        if holding < *quorum {
            return Err(format!(
                "Durability: {leader} committed {index} but only {holding} of {members:?} \
                 have it on disk (quorum {quorum})"
            ));
        }
    }
    Ok(())
}
