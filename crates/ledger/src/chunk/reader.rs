//! Reading a ledger directory: chunks, entries, seqno ranges.

use super::listing::{ChunkFile, list_chunks};
use super::name::ChunkName;
use super::scan::{ChunkScan, scan_chunk};
use crate::error::LedgerError;
use std::path::{Path, PathBuf};

/// A validated view of a ledger's chunk files. Entries are read from disk on demand, a chunk at a
/// time; a writer's buffered appends are visible once it has [synced](super::LedgerWriter::sync).
#[derive(Debug, Clone)]
pub struct LedgerReader {
    chunks: Vec<ChunkFile>,
}

/// One entry as it sits in a chunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub file: &'a Path,
    /// Byte offset of the entry's header in `file`.
    pub offset: u64,
    pub seqno: u64,
    /// The whole entry, 8-byte header included (what the Merkle leaf hashes).
    pub bytes: &'a [u8],
}

/// An owned [`EntryRef`], for ranges that span chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub file: PathBuf,
    pub offset: u64,
    pub seqno: u64,
    pub bytes: Vec<u8>,
}

/// A chunk read into memory and checked (see [`scan_chunk`](super::scan_chunk)).
#[derive(Debug, Clone)]
pub struct LoadedChunk {
    pub file: ChunkFile,
    bytes: Vec<u8>,
    scan: ChunkScan,
}

impl LedgerReader {
    /// Lists and validates the chunks of `dir` and the committed chunks of `read_only_dirs`.
    pub fn open(dir: &Path, read_only_dirs: &[PathBuf]) -> Result<Self, LedgerError> {
        Ok(Self {
            chunks: list_chunks(dir, read_only_dirs)?,
        })
    }

    /// The chunk files, in seqno order.
    pub fn chunks(&self) -> &[ChunkFile] {
        &self.chunks
    }

    /// Reads and checks `chunk`. A torn tail is an error here ([`LedgerError::TornTail`]); see
    /// [`recover_torn_tail`](super::recover_torn_tail).
    pub fn load(&self, chunk: &ChunkFile) -> Result<LoadedChunk, LedgerError> {
        let loaded = LoadedChunk::read(chunk)?;
        match &loaded.scan.torn {
            Some(torn) => Err(torn.to_error(&chunk.path)),
            None => Ok(loaded),
        }
    }

    /// Calls `visit` with every entry in seqno order, stopping at the first error.
    pub fn for_each_entry<E>(
        &self,
        mut visit: impl FnMut(EntryRef<'_>) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<LedgerError>,
    {
        for chunk in &self.chunks {
            self.load(chunk)?.entries().try_for_each(&mut visit)?;
        }
        Ok(())
    }

    /// The entries `from..=to`, e.g. for a backup catching up or a historical query. Fails if any
    /// of them is not in the ledger.
    pub fn read_range(&self, from: u64, to: u64) -> Result<Vec<LedgerEntry>, LedgerError> {
        let mut out = Vec::new();
        for chunk in &self.chunks {
            let past_range = chunk.name.start > to;
            let before_range = chunk.name.end.is_some_and(|end| end < from);
            if past_range || before_range {
                continue;
            }
            let loaded = self.load(chunk)?;
            out.extend(
                loaded
                    .entries()
                    .filter(|e| (from..=to).contains(&e.seqno))
                    .map(|e| LedgerEntry {
                        file: e.file.to_owned(),
                        offset: e.offset,
                        seqno: e.seqno,
                        bytes: e.bytes.to_vec(),
                    }),
            );
        }
        let expected = to.checked_sub(from).map_or(0, |n| n + 1);
        if out.len() as u64 != expected {
            // Chunks are contiguous, so what was found is a run; the first seqno missing is
            // `from` itself or the one after the run.
            let missing = match out.first() {
                Some(entry) if entry.seqno == from => from + out.len() as u64,
                _ => from,
            };
            return Err(LedgerError::SeqnoNotHeld {
                seqno: missing,
                first: self.chunks.first().map_or(0, |c| c.name.start),
                last: self.last_seqno()?.unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// The last seqno in the ledger (reads the last chunk if it is in progress).
    pub fn last_seqno(&self) -> Result<Option<u64>, LedgerError> {
        match self.chunks.last() {
            None => Ok(None),
            Some(ChunkFile {
                name: ChunkName { end: Some(end), .. },
                ..
            }) => Ok(Some(*end)),
            Some(last) => Ok(self.load(last)?.last_seqno()),
        }
    }
}

impl LoadedChunk {
    /// Reads and scans `file`, keeping a torn tail as found.
    pub(super) fn read(file: &ChunkFile) -> Result<Self, LedgerError> {
        let bytes = std::fs::read(&file.path).map_err(LedgerError::io("read", &file.path))?;
        let scan = scan_chunk(&file.path, &file.name, &bytes)?;
        Ok(Self {
            file: file.clone(),
            bytes,
            scan,
        })
    }

    pub(super) fn scan(&self) -> &ChunkScan {
        &self.scan
    }

    /// The chunk's entries in seqno order.
    pub fn entries(&self) -> impl Iterator<Item = EntryRef<'_>> {
        let ends = self
            .scan
            .offsets
            .iter()
            .skip(1)
            .copied()
            .chain([self.scan.entries_end]);
        self.scan
            .offsets
            .iter()
            .zip(ends)
            .zip(self.file.name.start..)
            .map(|((&offset, end), seqno)| EntryRef {
                file: &self.file.path,
                offset,
                seqno,
                bytes: self
                    .bytes
                    .get(offset as usize..end as usize)
                    .unwrap_or_default(),
            })
    }

    /// Size of the file as read.
    pub fn file_bytes(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Number of whole entries.
    pub fn len(&self) -> usize {
        self.scan.offsets.len()
    }

    /// Whether the chunk holds no whole entry (possible only while in progress).
    pub fn is_empty(&self) -> bool {
        self.scan.offsets.is_empty()
    }

    /// The last whole entry's seqno.
    pub fn last_seqno(&self) -> Option<u64> {
        (self.len() as u64)
            .checked_sub(1)
            .map(|n| self.file.name.start + n)
    }
}
