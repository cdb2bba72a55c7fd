//! When the hard state reaches disk. A new term or vote is written (and synced) at once: the
//! consensus host contract needs it durable before any message of the step goes out. A change
//! of the commit point alone is not promised to anyone (the consensus crate documents it as a
//! lower bound that may lag), so it is written at most every [`COMMIT_POINT_LAG_MS`]: at one
//! signature per millisecond, rewriting the file (two fsyncs) at every commit advance was most
//! of the primary's driver time and doubled commit latency.

use quorate_consensus::HardState;

use super::error::ReplicationError;
use super::hard_state_file::HardStateFile;

/// How far (virtual ms) the durable commit point may lag the live one. A node restarted
/// after a crash applies up to the durable point at once and learns the rest from the primary.
pub const COMMIT_POINT_LAG_MS: u64 = 100;

/// The hard-state file and what was last written to it.
#[derive(Debug)]
pub struct HardStateWriter {
    file: HardStateFile,
    stored: Option<HardState>,
    stored_at_ms: u64,
    pending: Option<HardState>,
}

impl HardStateWriter {
    pub fn new(file: HardStateFile) -> Self {
        Self {
            file,
            stored: None,
            stored_at_ms: 0,
            pending: None,
        }
    }

    /// Consensus asked for `state` to be durable: now if its term or vote is new, else at the
    /// next [`Self::write_lagging`] that is due.
    pub fn persist(&mut self, state: HardState, now_ms: u64) -> Result<(), ReplicationError> {
        let same_election = self
            .stored
            .is_some_and(|stored| stored.term == state.term && stored.vote == state.vote);
        if same_election {
            self.pending = Some(state);
            return Ok(());
        }
        self.write(state, now_ms)
    }

    /// Writes a held-back commit point once it has lagged for [`COMMIT_POINT_LAG_MS`].
    pub fn write_lagging(&mut self, now_ms: u64) -> Result<(), ReplicationError> {
        if now_ms.saturating_sub(self.stored_at_ms) >= COMMIT_POINT_LAG_MS {
            self.write_pending(now_ms)
        } else {
            Ok(())
        }
    }

    /// Writes a held-back commit point now (a clean stop).
    pub fn write_pending(&mut self, now_ms: u64) -> Result<(), ReplicationError> {
        match self.pending {
            Some(state) => self.write(state, now_ms),
            None => Ok(()),
        }
    }

    fn write(&mut self, state: HardState, now_ms: u64) -> Result<(), ReplicationError> {
        self.file.store(&state)?;
        self.stored = Some(state);
        self.stored_at_ms = now_ms;
        self.pending = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_consensus::NodeId;

    fn state(term: u64, vote: Option<u64>, commit_index: u64) -> HardState {
        HardState {
            term,
            vote: vote.map(NodeId),
            commit_index,
        }
    }

    #[test]
    fn elections_are_written_at_once_and_commit_points_lag_at_most_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let file = HardStateFile::new(&dir.path().join("hard_state"));
        let mut writer = HardStateWriter::new(file.clone());

        writer.persist(state(2, Some(1), 0), 0).unwrap();
        assert_eq!(file.load().unwrap(), state(2, Some(1), 0), "first write");

        writer.persist(state(2, Some(1), 5), 10).unwrap();
        writer.write_lagging(50).unwrap();
        assert_eq!(file.load().unwrap().commit_index, 0, "held back");
        writer.write_lagging(COMMIT_POINT_LAG_MS).unwrap();
        assert_eq!(file.load().unwrap().commit_index, 5, "written once due");

        writer.persist(state(2, Some(1), 9), 120).unwrap();
        writer.persist(state(3, None, 9), 121).unwrap();
        assert_eq!(
            file.load().unwrap(),
            state(3, None, 9),
            "a new term at once"
        );
        writer.write_lagging(10_000).unwrap();
        assert_eq!(
            file.load().unwrap(),
            state(3, None, 9),
            "nothing left pending"
        );

        writer.persist(state(3, Some(2), 9), 130).unwrap();
        assert_eq!(file.load().unwrap().vote, Some(NodeId(2)), "a vote at once");

        writer.persist(state(3, Some(2), 12), 131).unwrap();
        writer.write_pending(132).unwrap();
        assert_eq!(
            file.load().unwrap().commit_index,
            12,
            "a clean stop writes it"
        );
    }
}
