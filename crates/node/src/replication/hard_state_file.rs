//! The durable hard state (term, vote, known commit point), written to a temporary file,
//! fsynced and renamed over the old one, so a crash leaves either the old or the new state,
//! never a torn one. The consensus host contract needs it durable before any send of a step.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use quorate_consensus::{HardState, NodeId};

use super::error::ReplicationError;

/// Four little-endian u64s: term, whether there is a vote (0 or 1), the vote, commit index.
const FILE_SIZE_BYTES: usize = 32;

/// One node's hard-state file.
#[derive(Debug, Clone)]
pub struct HardStateFile {
    path: PathBuf,
}

impl HardStateFile {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    fn error(&self, detail: impl Into<String>) -> ReplicationError {
        ReplicationError::HardState {
            path: self.path.display().to_string(),
            detail: detail.into(),
        }
    }

    /// The stored hard state; the default one if the file was never written.
    pub fn load(&self) -> Result<HardState, ReplicationError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(HardState::default());
            }
            Err(err) => return Err(self.error(format!("read: {err}"))),
        };
        if bytes.len() != FILE_SIZE_BYTES {
            return Err(self.error(format!("{} bytes, expected {FILE_SIZE_BYTES}", bytes.len())));
        }
        let word = |i: usize| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(raw)
        };
        Ok(HardState {
            term: word(0),
            vote: (word(1) != 0).then(|| NodeId(word(2))),
            commit_index: word(3),
        })
    }

    /// Writes `state` durably: temp file, fsync, rename, fsync of the directory.
    pub fn store(&self, state: &HardState) -> Result<(), ReplicationError> {
        let mut bytes = Vec::with_capacity(FILE_SIZE_BYTES);
        bytes.extend_from_slice(&state.term.to_le_bytes());
        bytes.extend_from_slice(&u64::from(state.vote.is_some()).to_le_bytes());
        bytes.extend_from_slice(&state.vote.map_or(0, |v| v.0).to_le_bytes());
        bytes.extend_from_slice(&state.commit_index.to_le_bytes());
        let tmp = self.path.with_extension("tmp");
        let mut file = File::create(&tmp).map_err(|e| self.error(format!("create temp: {e}")))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| self.error(format!("write temp: {e}")))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.error(format!("rename: {e}")))?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.error(format!("sync directory: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_the_initial_state() {
        let dir = tempfile::tempdir().unwrap();
        let file = HardStateFile::new(&dir.path().join("hard_state"));
        assert_eq!(file.load().unwrap(), HardState::default());
    }

    #[test]
    fn stored_states_read_back_with_and_without_a_vote() {
        let dir = tempfile::tempdir().unwrap();
        let file = HardStateFile::new(&dir.path().join("hard_state"));
        for state in [
            HardState {
                term: 7,
                vote: Some(NodeId(u64::MAX)),
                commit_index: 42,
            },
            HardState {
                term: 8,
                vote: None,
                commit_index: 42,
            },
        ] {
            file.store(&state).unwrap();
            assert_eq!(file.load().unwrap(), state);
        }
        assert!(!dir.path().join("hard_state.tmp").exists());
    }

    #[test]
    fn a_file_of_the_wrong_size_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hard_state");
        std::fs::write(&path, [1u8; 5]).unwrap();
        let error = HardStateFile::new(&path).load().unwrap_err();
        assert!(error.to_string().contains("5 bytes"), "{error}");
    }
}
