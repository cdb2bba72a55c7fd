//! `ledger`: where the node keeps its ledger chunk files. The main directory is written; the
//! read-only directories hold committed chunks (for example restored from a backup) that are
//! only read.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::{JsonObject, as_path};
use super::paths::resolve_against;
use super::size::{SIZE_SYNTAX, parse_size_bytes};

/// CCF's default ledger directory.
const DEFAULT_DIRECTORY: &str = "ledger";
/// CCF's default chunk size, "5MB".
const DEFAULT_CHUNK_SIZE_BYTES: u64 = 5 * 1024 * 1024;

/// Ledger storage settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerConfig {
    /// Main ledger directory (CCF default "ledger").
    pub directory: PathBuf,
    /// Directories of committed chunks to read (CCF default none).
    pub read_only_directories: Vec<PathBuf>,
    /// Size after which the current chunk is closed at the next signature (CCF default "5MB").
    pub chunk_size_bytes: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            directory: PathBuf::from(DEFAULT_DIRECTORY),
            read_only_directories: Vec::new(),
            chunk_size_bytes: DEFAULT_CHUNK_SIZE_BYTES,
        }
    }
}

impl LedgerConfig {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &["directory", "read_only_directories", "chunk_size"],
        )?;
        let default = Self::default();
        let chunk_size_bytes = object
            .parsed("chunk_size", SIZE_SYNTAX, parse_size_bytes)?
            .unwrap_or(default.chunk_size_bytes);
        if chunk_size_bytes == 0 {
            return Err(ConfigError::InvalidValue {
                path: object.path_of("chunk_size"),
                expected: "a size of at least 1B".to_owned(),
                got: "0 bytes".to_owned(),
            });
        }
        Ok(Self {
            directory: object.path_value("directory")?.unwrap_or(default.directory),
            read_only_directories: object
                .array("read_only_directories", as_path)?
                .unwrap_or_default(),
            chunk_size_bytes,
        })
    }

    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        resolve_against(base, &mut self.directory);
        for directory in &mut self.read_only_directories {
            resolve_against(base, directory);
        }
    }
}
