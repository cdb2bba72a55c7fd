//! CCF's view history: for each view in the log, the first seqno in it. Views only grow along
//! the log, so each boundary is found by binary search. With it and the commit point, the
//! status of any TxID can be told without the log (what JS apps' `ccf.consensus` needs on
//! threads that cannot see the node).

use quorate_consensus::{ConsensusEngine, Raft};

/// `(view, first seqno in it)` for every view the log holds, in order.
pub fn view_history(raft: &Raft) -> Vec<(u64, u64)> {
    let last = raft.last_index();
    let term_at = |seqno: u64| raft.entry(seqno).map(|entry| entry.term);
    let mut history = Vec::new();
    let mut start = 1;
    while start <= last {
        let Some(view) = term_at(start) else {
            break;
        };
        history.push((view, start));
        // The first seqno after `start` whose view is later than `view`.
        let (mut low, mut high) = (start + 1, last + 1);
        while low < high {
            let middle = low + (high - low) / 2;
            if term_at(middle).is_some_and(|term| term > view) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        start = low;
    }
    history
}
