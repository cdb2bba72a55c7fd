//! Repairing a torn tail after a crash.
//!
//! Only the last chunk can be torn, and only while in progress: complete chunks are fsync'd
//! before they are renamed, so damage there is corruption and is never "repaired". Truncating
//! the partial entry loses nothing that was acknowledged, because an entry is only acknowledged
//! after [`LedgerWriter::sync`](super::LedgerWriter::sync), which makes it whole on disk.

use super::listing::list_chunks;
use super::reader::LoadedChunk;
use super::scan::{CHUNK_HEADER_BYTES, TornTail};
use crate::error::LedgerError;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// What [`recover_torn_tail`] cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTailCut {
    pub path: PathBuf,
    /// The torn entry's place and why it was torn; the file now ends at `torn.offset`.
    pub torn: TornTail,
    /// Bytes removed.
    pub bytes_removed: u64,
}

/// Truncates the torn tail of `dir`'s last chunk, if it has one, and fsyncs the file. A chunk cut
/// inside its 8-byte header is reset to an empty in-progress chunk.
pub fn recover_torn_tail(dir: &Path) -> Result<Option<TornTailCut>, LedgerError> {
    let Some(last) = list_chunks(dir, &[])?.pop() else {
        return Ok(None);
    };
    if last.name.end.is_some() {
        return Ok(None);
    }
    let loaded = LoadedChunk::read(&last)?;
    let Some(torn) = loaded.scan().torn.clone() else {
        return Ok(None);
    };
    let file = OpenOptions::new()
        .write(true)
        .open(&last.path)
        .map_err(LedgerError::io("open", &last.path))?;
    let old_len = file
        .metadata()
        .map_err(LedgerError::io("stat", &last.path))?
        .len();
    if torn.offset < CHUNK_HEADER_BYTES {
        // The header itself was cut: start over with an empty in-progress chunk.
        file.set_len(0)
            .map_err(LedgerError::io("truncate", &last.path))?;
    }
    file.set_len(torn.offset.max(CHUNK_HEADER_BYTES))
        .map_err(LedgerError::io("truncate", &last.path))?;
    file.sync_all()
        .map_err(LedgerError::io("fsync", &last.path))?;
    Ok(Some(TornTailCut {
        path: last.path,
        bytes_removed: old_len.saturating_sub(torn.offset.max(CHUNK_HEADER_BYTES)),
        torn,
    }))
}
