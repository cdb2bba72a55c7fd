//! A node's simulated ledger disk. Writes and truncations complete in order after a random
//! latency; only completed operations are durable, so a crash loses the unsynced suffix
//! (a torn tail) and any truncation still queued. As a correct IO shell must, a write's
//! acknowledgement is clamped below any truncation queued after it, so that a stale write
//! never vouches for the entries that replaced it.
//!
//! The hard state (term, vote, a known commit point) goes through the same disk, but
//! synchronously: the host contract requires it durable before the step's sends, so it is
//! durable the moment it is written. The planted `LazyHardState` bug instead queues it like
//! an entry write, so a crash can lose a vote the node already sent.

use std::collections::VecDeque;

use quorate_consensus::{Entry, HardState, Index};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug)]
enum DiskOp {
    Write {
        first_index: Index,
        entries: Vec<Entry>,
        /// The highest index this write may acknowledge.
        ack_limit: Index,
    },
    Truncate {
        index: Index,
    },
    HardState(HardState),
}

#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// Entry `i` is at position `i - 1`.
    durable: Vec<Entry>,
    durable_hard_state: HardState,
    /// Queued operations with their completion times, oldest first.
    queue: VecDeque<(u64, DiskOp)>,
    latency_ms: (u64, u64),
}

impl Disk {
    pub fn new(latency_ms: (u64, u64)) -> Self {
        Self {
            latency_ms,
            ..Self::default()
        }
    }

    pub fn write(
        &mut self,
        rng: &mut ChaCha8Rng,
        now_ms: u64,
        first_index: Index,
        entries: Vec<Entry>,
    ) {
        self.enqueue(
            rng,
            now_ms,
            DiskOp::Write {
                first_index,
                entries,
                ack_limit: Index::MAX,
            },
        );
    }

    /// Makes `hard_state` durable at once (an fsync the node waits for), or, when `lazy`
    /// (a planted bug), queues it behind the pending writes like any other operation.
    pub fn write_hard_state(
        &mut self,
        rng: &mut ChaCha8Rng,
        now_ms: u64,
        hard_state: HardState,
        lazy: bool,
    ) {
        if lazy {
            self.enqueue(rng, now_ms, DiskOp::HardState(hard_state));
        } else {
            self.durable_hard_state = hard_state;
        }
    }

    pub fn durable_hard_state(&self) -> HardState {
        self.durable_hard_state
    }

    pub fn truncate(&mut self, rng: &mut ChaCha8Rng, now_ms: u64, index: Index) {
        for (_, op) in &mut self.queue {
            if let DiskOp::Write { ack_limit, .. } = op {
                *ack_limit = (*ack_limit).min(index);
            }
        }
        self.enqueue(rng, now_ms, DiskOp::Truncate { index });
    }

    /// Completes the operations due by `now_ms`; returns the last index made durable by a
    /// write among them, to acknowledge to the engine.
    pub fn complete_due(&mut self, now_ms: u64) -> Option<Index> {
        let mut persisted = None;
        while self
            .queue
            .front()
            .is_some_and(|(due_ms, _)| *due_ms <= now_ms)
        {
            let Some((_, op)) = self.queue.pop_front() else {
                break;
            };
            match op {
                DiskOp::Write {
                    first_index,
                    entries,
                    ack_limit,
                } => {
                    self.truncate_durable(first_index.saturating_sub(1));
                    let last_index = first_index.saturating_sub(1) + entries.len() as Index;
                    persisted = Some(last_index.min(ack_limit));
                    self.durable.extend(entries);
                }
                DiskOp::Truncate { index } => self.truncate_durable(index),
                DiskOp::HardState(hard_state) => self.durable_hard_state = hard_state,
            }
        }
        persisted
    }

    /// A crash: queued operations never happen.
    pub fn crash(&mut self) {
        self.queue.clear();
    }

    pub fn durable(&self) -> &[Entry] {
        &self.durable
    }

    fn truncate_durable(&mut self, index: Index) {
        self.durable
            .truncate(usize::try_from(index).unwrap_or(usize::MAX));
    }

    /// Operations complete in order, each no earlier than the one before it.
    fn enqueue(&mut self, rng: &mut ChaCha8Rng, now_ms: u64, op: DiskOp) {
        let (low_ms, high_ms) = self.latency_ms;
        let latency_ms = rng.random_range(low_ms..=high_ms.max(low_ms));
        let after_ms = self.queue.back().map_or(now_ms, |(due_ms, _)| *due_ms);
        self.queue
            .push_back((after_ms.max(now_ms + latency_ms), op));
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use quorate_consensus::{Entry, EntryKind};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::Disk;

    fn entries(term: u64, count: usize) -> Vec<Entry> {
        (0..count)
            .map(|i| Entry {
                term,
                committable: false,
                kind: EntryKind::Raw,
                payload: Bytes::from(vec![i as u8]),
            })
            .collect()
    }

    #[test]
    fn writes_become_durable_in_order_and_a_crash_loses_the_unsynced_tail() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut disk = Disk::new((10, 10));
        disk.write(&mut rng, 0, 1, entries(1, 3));
        disk.write(&mut rng, 5, 4, entries(1, 2));
        assert_eq!(disk.complete_due(9), None);
        assert_eq!(disk.complete_due(10), Some(3));
        assert_eq!(disk.durable().len(), 3);
        disk.crash();
        assert_eq!(disk.complete_due(100), None);
        assert_eq!(disk.durable(), entries(1, 3).as_slice());
    }

    #[test]
    fn a_write_never_acknowledges_past_a_later_truncation() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut disk = Disk::new((10, 10));
        disk.write(&mut rng, 0, 1, entries(1, 5));
        disk.truncate(&mut rng, 1, 2);
        disk.write(&mut rng, 2, 3, entries(2, 1));
        assert_eq!(disk.complete_due(10), Some(2));
        assert_eq!(disk.complete_due(12), Some(3));
        let durable = disk.durable();
        assert_eq!(durable.len(), 3);
        assert_eq!(durable[2].term, 2);
    }
}
