//! `snapshots`: where the node writes snapshots of the key-value store and how often, so that
//! joining nodes and restarts need not replay the whole ledger.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;
use super::paths::resolve_against;

/// CCF's default snapshot directory.
const DEFAULT_DIRECTORY: &str = "snapshots";
/// CCF's default number of transactions between snapshots.
const DEFAULT_TX_COUNT: u64 = 10_000;

/// Snapshot settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotsConfig {
    /// Directory snapshots are written to (CCF default "snapshots").
    pub directory: PathBuf,
    /// Transactions between two snapshots (CCF default 10000, at least 1).
    pub tx_count: u64,
    /// Extra directory of snapshots that is only read (deprecated in CCF, still accepted).
    pub read_only_directory: Option<PathBuf>,
}

impl Default for SnapshotsConfig {
    fn default() -> Self {
        Self {
            directory: PathBuf::from(DEFAULT_DIRECTORY),
            tx_count: DEFAULT_TX_COUNT,
            read_only_directory: None,
        }
    }
}

impl SnapshotsConfig {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &["directory", "tx_count", "read_only_directory"],
        )?;
        let default = Self::default();
        Ok(Self {
            directory: object.path_value("directory")?.unwrap_or(default.directory),
            tx_count: object
                .integer("tx_count", 1, u64::MAX)?
                .unwrap_or(default.tx_count),
            read_only_directory: object.path_value("read_only_directory")?,
        })
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        resolve_against(base, &mut self.directory);
        if let Some(directory) = &mut self.read_only_directory {
            resolve_against(base, directory);
        }
    }
}
