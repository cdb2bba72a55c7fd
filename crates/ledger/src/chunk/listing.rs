//! Finding a ledger's chunk files and checking they form one contiguous run of seqnos.
//!
//! Rules (those of CCF's own reader, plus duplicates): every file in the main directory must be a
//! chunk, `.ignored` or `.recovery` (sub-directories are skipped); read-only directories add only
//! their `.committed` chunks, and a chunk present in both is read from the main directory. Sorted
//! by start seqno, each chunk must start right after the previous one ends: no gaps, overlaps or
//! duplicates, only the last may be in progress, and no committed chunk may follow an
//! uncommitted one.

use super::name::{ChunkFileKind, ChunkName};
use crate::error::LedgerError;
use std::path::{Path, PathBuf};

/// One chunk file of a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFile {
    pub path: PathBuf,
    pub name: ChunkName,
    /// Found in a read-only directory.
    pub read_only: bool,
}

/// Lists and validates the chunks of `dir` and the committed chunks of `read_only_dirs`.
pub fn list_chunks(dir: &Path, read_only_dirs: &[PathBuf]) -> Result<Vec<ChunkFile>, LedgerError> {
    let mut chunks = chunks_in(dir, false)?;
    for read_only in read_only_dirs {
        for chunk in chunks_in(read_only, true)? {
            if chunk.name.committed && !chunks.iter().any(|c| c.name == chunk.name) {
                chunks.push(chunk);
            }
        }
    }
    chunks.sort_by_key(|chunk| chunk.name.start);
    for pair in chunks.windows(2) {
        let [before, after] = pair else { continue };
        check_successor(before, after)?;
    }
    Ok(chunks)
}

fn chunks_in(dir: &Path, read_only: bool) -> Result<Vec<ChunkFile>, LedgerError> {
    let mut chunks = Vec::new();
    for dir_entry in std::fs::read_dir(dir).map_err(LedgerError::io("read directory", dir))? {
        let dir_entry = dir_entry.map_err(LedgerError::io("read directory", dir))?;
        let path = dir_entry.path();
        if dir_entry
            .file_type()
            .map_err(LedgerError::io("stat", &path))?
            .is_dir()
        {
            continue;
        }
        let file_name = dir_entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            return Err(LedgerError::ChunkName {
                path,
                reason: "not valid UTF-8".into(),
            });
        };
        match ChunkName::parse(file_name) {
            Ok(ChunkFileKind::Chunk(name)) => chunks.push(ChunkFile {
                path,
                name,
                read_only,
            }),
            Ok(ChunkFileKind::Ignored | ChunkFileKind::Recovery) => {}
            Err(reason) => return Err(LedgerError::ChunkName { path, reason }),
        }
    }
    Ok(chunks)
}

fn check_successor(before: &ChunkFile, after: &ChunkFile) -> Result<(), LedgerError> {
    let layout = |reason: String| LedgerError::ChunkLayout {
        path: after.path.clone(),
        reason,
    };
    if after.name.start == before.name.start {
        return Err(layout(format!(
            "duplicate: {} also starts at seqno {}",
            before.path.display(),
            after.name.start
        )));
    }
    let Some(end) = before.name.end else {
        return Err(layout(format!(
            "follows the in-progress chunk {}; only the last chunk may be in progress",
            before.path.display()
        )));
    };
    if after.name.start <= end {
        return Err(layout(format!(
            "overlaps {} (seqnos {}..={end})",
            before.path.display(),
            before.name.start
        )));
    }
    if after.name.start != end + 1 {
        return Err(layout(format!(
            "gap: {} ends at {end}, this chunk starts at {}",
            before.path.display(),
            after.name.start
        )));
    }
    if after.name.committed && !before.name.committed {
        return Err(layout(format!(
            "committed chunk after the uncommitted {}",
            before.path.display()
        )));
    }
    Ok(())
}
