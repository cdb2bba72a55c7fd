//! LogMatchingInv. Checked incrementally: every (index, term) ever appended must name one
//! entry with one predecessor term; by induction on the index, two logs that agree on an
//! (index, term) then agree on everything before it. `check_logs_match` is the direct,
//! quadratic form, for the end of a run.

use std::collections::HashMap;

use quorate_consensus::{Entry, Index, NodeId, Term};

#[derive(Debug, Default)]
pub struct LogMatching {
    /// (index, term) -> (the entry, the term of the entry before it).
    seen: HashMap<(Index, Term), (Entry, Term)>,
}

impl LogMatching {
    /// Records entries `node` appended from `first_index`, after an entry of `prev_term`.
    pub fn on_append(
        &mut self,
        node: NodeId,
        first_index: Index,
        prev_term: Term,
        entries: &[Entry],
    ) -> Result<(), String> {
        let mut prev_term = prev_term;
        for (offset, entry) in entries.iter().enumerate() {
            let index = first_index + offset as Index;
            let known = self
                .seen
                .entry((index, entry.term))
                .or_insert_with(|| (entry.clone(), prev_term));
            if known.0 != *entry || known.1 != prev_term {
                return Err(format!(
                    "LogMatching: {node} appended a different entry (or predecessor term \
                     {prev_term}, known {}) at index {index} of term {}",
                    known.1, entry.term
                ));
            }
            prev_term = entry.term;
        }
        Ok(())
    }
}

/// Two logs that hold an entry of the same term at some index hold identical prefixes up to
/// it.
pub fn check_logs_match(logs: &[(NodeId, &[Entry])]) -> Result<(), String> {
    for (i, (a, log_a)) in logs.iter().enumerate() {
        for (b, log_b) in &logs[i + 1..] {
            let common = log_a.len().min(log_b.len());
            let agree = (0..common).rev().find(|&p| log_a[p].term == log_b[p].term);
            if let Some(p) = agree
                && let Some(q) = (0..=p).find(|&q| log_a[q] != log_b[q])
            {
                return Err(format!(
                    "LogMatching: {a} and {b} agree on the term at index {} but differ at {}",
                    p + 1,
                    q + 1
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use quorate_consensus::{Entry, EntryKind, NodeId};

    use super::{LogMatching, check_logs_match};

    fn entry(term: u64, byte: u8) -> Entry {
        Entry {
            term,
            committable: false,
            kind: EntryKind::Raw,
            payload: Bytes::from(vec![byte]),
        }
    }

    #[test]
    fn one_index_and_term_names_one_entry_and_one_predecessor() {
        let mut matching = LogMatching::default();
        matching
            .on_append(NodeId(1), 1, 0, &[entry(1, 1), entry(1, 2)])
            .unwrap();
        matching.on_append(NodeId(2), 2, 1, &[entry(1, 2)]).unwrap();
        assert!(matching.on_append(NodeId(3), 2, 1, &[entry(1, 7)]).is_err());
        assert!(matching.on_append(NodeId(3), 3, 2, &[entry(2, 3)]).is_ok());
        assert!(matching.on_append(NodeId(4), 3, 1, &[entry(2, 3)]).is_err());
    }

    #[test]
    fn logs_agreeing_on_a_term_must_share_the_prefix() {
        let a = [entry(1, 1), entry(2, 2)];
        let b = [entry(1, 9), entry(2, 2)];
        let c = [entry(1, 1), entry(3, 3)];
        assert!(check_logs_match(&[(NodeId(1), &a), (NodeId(3), &c)]).is_ok());
        assert!(check_logs_match(&[(NodeId(1), &a), (NodeId(2), &b)]).is_err());
    }
}
