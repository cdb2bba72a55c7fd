//! The in-memory copy of the log the engine reasons about (terms, signature positions).

use crate::entry::Entry;
use crate::ids::{Index, Term};

#[derive(Debug, Clone, Default)]
pub(super) struct Log {
    entries: Vec<Entry>,
    /// Indices of committable entries, ascending; lets elections and commit find the last
    /// signature without scanning.
    committable: Vec<Index>,
    /// (term, first index) of each run of equal terms, ascending (CCF's view history); lets
    /// NACK handling and batching find term boundaries without scanning entries.
    term_starts: Vec<(Term, Index)>,
}

impl Log {
    pub(super) fn last_index(&self) -> Index {
        self.entries.len() as Index
    }

    pub(super) fn get(&self, index: Index) -> Option<&Entry> {
        let pos = usize::try_from(index.checked_sub(1)?).ok()?;
        self.entries.get(pos)
    }

    /// The term at `index`; 0 for index 0 and for indices past the end (CCF's VIEW_UNKNOWN).
    pub(super) fn term_at(&self, index: Index) -> Term {
        self.get(index).map_or(0, |e| e.term)
    }

    pub(super) fn push(&mut self, entry: Entry) {
        let index = self.last_index() + 1;
        if entry.committable {
            self.committable.push(index);
        }
        if self
            .term_starts
            .last()
            .is_none_or(|(t, _)| *t != entry.term)
        {
            self.term_starts.push((entry.term, index));
        }
        self.entries.push(entry);
    }

    /// Keeps entries `1..=index`.
    pub(super) fn truncate(&mut self, index: Index) {
        self.entries
            .truncate(usize::try_from(index).unwrap_or(usize::MAX));
        while self.committable.last().is_some_and(|i| *i > index) {
            self.committable.pop();
        }
        while self
            .term_starts
            .last()
            .is_some_and(|(_, start)| *start > index)
        {
            self.term_starts.pop();
        }
    }

    /// Clones entries `from..=to` (clamped to the log).
    pub(super) fn slice(&self, from: Index, to: Index) -> Vec<Entry> {
        let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
        let end = usize::try_from(to)
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        self.entries
            .get(start..end)
            .map(<[Entry]>::to_vec)
            .unwrap_or_default()
    }

    /// The last index of `from..=to` whose entries' payloads (from `from` on) stay within
    /// `max_bytes`; always at least `from`, so one entry larger than the cap still goes.
    pub(super) fn end_within_bytes(&self, from: Index, to: Index, max_bytes: u64) -> Index {
        let mut total_bytes = 0u64;
        let mut end = from;
        for index in from..=to {
            let Some(entry) = self.get(index) else {
                break;
            };
            total_bytes = total_bytes.saturating_add(entry.payload.len() as u64);
            if total_bytes > max_bytes && index > from {
                break;
            }
            end = index;
        }
        end
    }

    /// The highest committable index `<= index`.
    pub(super) fn committable_at_or_below(&self, index: Index) -> Option<Index> {
        let pos = self.committable.partition_point(|i| *i <= index);
        pos.checked_sub(1).map(|p| self.committable[p])
    }

    pub(super) fn last_committable(&self) -> Option<Index> {
        self.committable.last().copied()
    }

    /// The last index, at most `limit`, of the run of entries with the same term as `index`.
    pub(super) fn end_of_term_run(&self, index: Index, limit: Index) -> Index {
        let next_run = self
            .term_starts
            .partition_point(|(_, start)| *start <= index);
        let run_end = self
            .term_starts
            .get(next_run)
            .map_or(self.last_index(), |(_, start)| start - 1);
        run_end.min(limit).max(index)
    }

    /// The highest index `<= index` whose term is `<= term`: the best guess at where a log
    /// that holds (term, index) may still agree with this one.
    pub(super) fn highest_possible_match(&self, term: Term, index: Index) -> Index {
        let probe = index.min(self.last_index());
        let first_later_run = self.term_starts.partition_point(|(t, _)| *t <= term);
        self.term_starts
            .get(first_later_run)
            .map_or(probe, |(_, start)| probe.min(start - 1))
    }

    pub(super) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub(super) fn committable_indices(&self) -> &[Index] {
        &self.committable
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::entry::EntryKind;

    fn log_of(terms_and_signatures: &[(Term, bool)]) -> Log {
        let mut log = Log::default();
        for (term, committable) in terms_and_signatures {
            log.push(Entry {
                term: *term,
                committable: *committable,
                kind: EntryKind::Raw,
                payload: Bytes::new(),
            });
        }
        log
    }

    #[test]
    fn terms_and_signatures_are_found_by_index() {
        let log = log_of(&[(2, false), (2, true), (3, false), (3, true), (3, false)]);
        assert_eq!(log.term_at(0), 0);
        assert_eq!(log.term_at(3), 3);
        assert_eq!(log.term_at(9), 0);
        assert_eq!(log.committable_at_or_below(3), Some(2));
        assert_eq!(log.committable_at_or_below(1), None);
        assert_eq!(log.last_committable(), Some(4));
        assert_eq!(log.end_of_term_run(1, 5), 2);
        assert_eq!(log.end_of_term_run(3, 4), 4);
    }

    #[test]
    fn the_best_possible_match_skips_later_terms() {
        let log = log_of(&[(2, true), (2, false), (4, true), (4, false)]);
        assert_eq!(log.highest_possible_match(3, 4), 2);
        assert_eq!(log.highest_possible_match(4, 9), 4);
        assert_eq!(log.highest_possible_match(1, 4), 0);
    }

    #[test]
    fn truncation_drops_entries_and_their_signatures() {
        let mut log = log_of(&[(2, true), (2, false), (2, true)]);
        log.truncate(2);
        assert_eq!(log.last_index(), 2);
        assert_eq!(log.last_committable(), Some(1));
        assert_eq!(log.slice(2, 9).len(), 1);
        assert!(log.slice(3, 9).is_empty());
    }

    #[test]
    fn term_boundaries_follow_truncation_and_new_terms() {
        let mut log = log_of(&[(2, true), (3, false), (3, true)]);
        log.truncate(1);
        for _ in 0..3 {
            log.push(Entry {
                term: 5,
                committable: false,
                kind: EntryKind::Raw,
                payload: Bytes::new(),
            });
        }
        assert_eq!(log.highest_possible_match(3, 4), 1);
        assert_eq!(log.highest_possible_match(5, 4), 4);
        assert_eq!(log.end_of_term_run(1, 9), 1);
        assert_eq!(log.end_of_term_run(2, 9), 4);
        assert_eq!(log.end_of_term_run(2, 3), 3);
    }
}
