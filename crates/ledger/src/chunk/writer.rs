//! Appending to a ledger directory, CCF's way.
//!
//! - Entries go to the in-progress chunk `ledger_<start>` through a buffer; nothing is durable
//!   until [`LedgerWriter::sync`], so the caller can group-commit many appends per fsync.
//! - After a signature, the chunk is completed once it is ≥ `chunk_size_bytes` or when the entry
//!   carries FORCE_LEDGER_CHUNK_AFTER (which only a signature may carry). FORCE_LEDGER_CHUNK_BEFORE
//!   completes the current chunk before the entry is written. So complete chunks end on a
//!   signature, as CCF's tools expect.
//! - Completing writes the positions table, patches the header, fsyncs the file and only then
//!   renames it to `ledger_<start>-<end>`: a complete name always has durable contents.
//! - [`commit`](LedgerWriter::commit) renames complete chunks to `.committed`;
//!   [`truncate`](LedgerWriter::truncate) rolls back an uncommitted suffix, reopening a complete
//!   chunk if the cut falls inside it. Renames are made durable by the next `sync`, which fsyncs
//!   the directory.
//! - Opening an existing directory continues its in-progress chunk and finishes a completion that
//!   a crash interrupted between patching the header and renaming.

use super::entry_frame::check_entry;
use super::listing::{ChunkFile, list_chunks};
use super::name::ChunkName;
use super::reader::LoadedChunk;
use super::recovery::recover_torn_tail;
use super::scan::CHUNK_HEADER_BYTES;
use crate::error::LedgerError;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// CCF's default `ledger.chunk_size` ("5MB").
pub const DEFAULT_CHUNK_SIZE_BYTES: u64 = 5 * 1024 * 1024;
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// How a [`LedgerWriter`] chunks and opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Complete a chunk at the first signature once it is at least this big.
    pub chunk_size_bytes: u64,
    /// On open, truncate a torn tail (see [`recover_torn_tail`](super::recover_torn_tail))
    /// instead of failing with [`LedgerError::TornTail`].
    pub truncate_torn_tail: bool,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            chunk_size_bytes: DEFAULT_CHUNK_SIZE_BYTES,
            truncate_torn_tail: false,
        }
    }
}

/// The single writer of a ledger directory.
///
/// After an I/O error the writer's view of its files may be stale: drop it and [`open`] the
/// directory again, which re-reads the files and finishes or repairs what the failure left.
///
/// [`open`]: LedgerWriter::open
#[derive(Debug)]
pub struct LedgerWriter {
    dir: PathBuf,
    config: WriterConfig,
    open: Option<OpenChunk>,
    /// Complete chunks not yet renamed to `.committed`, oldest first.
    complete: Vec<CompleteChunk>,
    /// The last seqno written; `None` for a ledger that has never held an entry, which may then
    /// start at any seqno (a node joining from a snapshot starts after it).
    last_seqno: Option<u64>,
    committed_seqno: u64,
    /// A rename or creation awaits a directory fsync.
    dir_dirty: bool,
    bytes_written: u64,
}

#[derive(Debug)]
struct OpenChunk {
    start: u64,
    path: PathBuf,
    file: BufWriter<File>,
    /// File offset of each entry.
    positions: Vec<u32>,
    len_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CompleteChunk {
    start: u64,
    end: u64,
}

impl LedgerWriter {
    /// Opens (creating it if needed) the ledger directory `dir`.
    pub fn open(dir: &Path, config: WriterConfig) -> Result<Self, LedgerError> {
        std::fs::create_dir_all(dir).map_err(LedgerError::io("create directory", dir))?;
        if config.truncate_torn_tail {
            recover_torn_tail(dir)?;
        }
        let mut writer = Self {
            dir: dir.to_owned(),
            config,
            open: None,
            complete: Vec::new(),
            last_seqno: None,
            committed_seqno: 0,
            dir_dirty: false,
            bytes_written: 0,
        };
        for chunk in list_chunks(dir, &[])? {
            match chunk.name {
                ChunkName {
                    end: Some(end),
                    committed: true,
                    ..
                } => {
                    writer.committed_seqno = end;
                    writer.last_seqno = Some(end);
                }
                ChunkName {
                    start,
                    end: Some(end),
                    committed: false,
                } => {
                    writer.complete.push(CompleteChunk { start, end });
                    writer.last_seqno = Some(end);
                }
                ChunkName { end: None, .. } => writer.reopen_in_progress(&chunk)?,
            }
        }
        Ok(writer)
    }

    /// Appends `entry` (a whole serialised entry for `seqno`, 8-byte header included) and returns
    /// the bytes written to files by this call. `is_signature` marks the entries a chunk may end
    /// on.
    pub fn append(
        &mut self,
        seqno: u64,
        entry: &[u8],
        is_signature: bool,
    ) -> Result<u64, LedgerError> {
        if seqno == 0 {
            return Err(LedgerError::Writer("seqnos start at 1".into()));
        }
        if let Some(last) = self.last_seqno
            && Some(seqno) != last.checked_add(1)
        {
            return Err(LedgerError::Writer(format!(
                "append of seqno {seqno} after {last}: seqnos must be contiguous"
            )));
        }
        let header = check_entry(entry, seqno)
            .map_err(|reason| LedgerError::Writer(format!("entry {seqno}: {reason}")))?;
        if header.forces_chunk_after() && !is_signature {
            return Err(LedgerError::Writer(format!(
                "entry {seqno} forces a chunk after it but is not a signature"
            )));
        }
        let mut written = 0;
        if header.forces_chunk_before() {
            written += self.complete_open_chunk()?;
        }
        let mut open = match self.open.take() {
            Some(open) => open,
            None => {
                written += CHUNK_HEADER_BYTES;
                self.create_chunk(seqno)?
            }
        };
        let position = u32::try_from(open.len_bytes)
            .ok()
            .filter(|p| u64::from(*p) + entry.len() as u64 <= u64::from(u32::MAX));
        let Some(position) = position else {
            self.open = Some(open);
            return Err(LedgerError::Writer(format!(
                "entry {seqno} would take chunk {} past 4 GiB (positions are u32); \
                 lower chunk_size_bytes or sign more often",
                ChunkName::in_progress(seqno).file_name()
            )));
        };
        let write = open
            .file
            .write_all(entry)
            .map_err(LedgerError::io("write", &open.path));
        if let Err(error) = write {
            self.open = Some(open);
            return Err(error);
        }
        open.positions.push(position);
        open.len_bytes += entry.len() as u64;
        written += entry.len() as u64;
        let full = open.len_bytes >= self.config.chunk_size_bytes;
        self.open = Some(open);
        self.last_seqno = Some(seqno);
        if is_signature && (full || header.forces_chunk_after()) {
            written += self.complete_open_chunk()?;
        }
        self.bytes_written += written;
        Ok(written)
    }

    /// Marks everything up to `seqno` committed: complete chunks ending at or before it become
    /// `ledger_<start>-<end>.committed`.
    pub fn commit(&mut self, seqno: u64) -> Result<(), LedgerError> {
        let seqno = seqno.min(self.last_seqno.unwrap_or(0));
        while let Some(chunk) = self.complete.first().copied() {
            if chunk.end > seqno {
                break;
            }
            let from = self.dir.join(complete_name(chunk, false).file_name());
            let to = self.dir.join(complete_name(chunk, true).file_name());
            std::fs::rename(&from, &to).map_err(LedgerError::io("rename", &from))?;
            self.dir_dirty = true;
            self.complete.remove(0);
        }
        self.committed_seqno = self.committed_seqno.max(seqno);
        Ok(())
    }

    /// Removes every entry after `seqno` (an uncommitted suffix rolled back after an election).
    pub fn truncate(&mut self, seqno: u64) -> Result<(), LedgerError> {
        if self.last_seqno.is_none_or(|last| seqno >= last) {
            return Ok(());
        }
        if seqno < self.committed_seqno {
            return Err(LedgerError::Writer(format!(
                "truncate to {seqno} would remove entries committed up to {}",
                self.committed_seqno
            )));
        }
        if let Some(open) = self.open.take() {
            if open.start > seqno {
                drop(open.file);
                remove(&open.path)?;
                self.dir_dirty = true;
            } else {
                self.open = Some(open);
            }
        }
        while let Some(chunk) = self.complete.last().copied() {
            if chunk.end <= seqno {
                break;
            }
            self.complete.pop();
            let path = self.dir.join(complete_name(chunk, false).file_name());
            if chunk.start > seqno {
                remove(&path)?;
                self.dir_dirty = true;
            } else {
                self.reopen_complete(chunk, &path)?;
            }
        }
        if let Some(open) = &mut self.open {
            let keep = usize::try_from(seqno + 1 - open.start).unwrap_or(usize::MAX);
            if let Some(&cut) = open.positions.get(keep) {
                open.file
                    .flush()
                    .map_err(LedgerError::io("flush", &open.path))?;
                let file = open.file.get_mut();
                file.set_len(u64::from(cut))
                    .map_err(LedgerError::io("truncate", &open.path))?;
                file.seek(SeekFrom::Start(u64::from(cut)))
                    .map_err(LedgerError::io("seek", &open.path))?;
                open.positions.truncate(keep);
                open.len_bytes = u64::from(cut);
            }
        }
        self.last_seqno = Some(seqno);
        Ok(())
    }

    /// Makes every append so far durable: flushes and fsyncs the in-progress chunk, and the
    /// directory if chunks were created or renamed since the last sync.
    pub fn sync(&mut self) -> Result<(), LedgerError> {
        if let Some(open) = &mut self.open {
            open.file
                .flush()
                .map_err(LedgerError::io("flush", &open.path))?;
            open.file
                .get_ref()
                .sync_data()
                .map_err(LedgerError::io("fsync", &open.path))?;
        }
        if self.dir_dirty {
            self.sync_dir()?;
        }
        Ok(())
    }

    /// Makes renames, creations and removals in the directory durable.
    fn sync_dir(&mut self) -> Result<(), LedgerError> {
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(LedgerError::io("fsync directory", &self.dir))?;
        self.dir_dirty = false;
        Ok(())
    }

    /// The last seqno appended (`None` for a ledger that never held an entry).
    pub fn last_seqno(&self) -> Option<u64> {
        self.last_seqno
    }

    /// The highest seqno passed to [`commit`](Self::commit) (or found committed on open).
    pub fn committed_seqno(&self) -> u64 {
        self.committed_seqno
    }

    /// Bytes written to chunk files since this writer was opened: entries, chunk headers and
    /// positions tables.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn create_chunk(&mut self, start: u64) -> Result<OpenChunk, LedgerError> {
        let path = self.dir.join(ChunkName::in_progress(start).file_name());
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(LedgerError::io("create", &path))?;
        let mut file = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        file.write_all(&[0; CHUNK_HEADER_BYTES as usize])
            .map_err(LedgerError::io("write", &path))?;
        self.dir_dirty = true;
        Ok(OpenChunk {
            start,
            path,
            file,
            positions: Vec::new(),
            len_bytes: CHUNK_HEADER_BYTES,
        })
    }

    /// Writes the positions table, patches the header, fsyncs and renames. Returns bytes written.
    fn complete_open_chunk(&mut self) -> Result<u64, LedgerError> {
        let Some(mut open) = self.open.take() else {
            return Ok(0);
        };
        let Some(count) = (open.positions.len() as u64).checked_sub(1) else {
            self.open = Some(open);
            return Ok(0);
        };
        let chunk = CompleteChunk {
            start: open.start,
            end: open.start + count,
        };
        let table: Vec<u8> = open
            .positions
            .iter()
            .flat_map(|p| p.to_le_bytes())
            .collect();
        open.file
            .write_all(&table)
            .map_err(LedgerError::io("write", &open.path))?;
        open.file
            .flush()
            .map_err(LedgerError::io("flush", &open.path))?;
        let file = open.file.get_ref();
        file.write_all_at(&open.len_bytes.to_le_bytes(), 0)
            .map_err(LedgerError::io("write", &open.path))?;
        file.sync_data()
            .map_err(LedgerError::io("fsync", &open.path))?;
        let to = self.dir.join(complete_name(chunk, false).file_name());
        std::fs::rename(&open.path, &to).map_err(LedgerError::io("rename", &open.path))?;
        self.dir_dirty = true;
        self.complete.push(chunk);
        Ok(table.len() as u64 + CHUNK_HEADER_BYTES)
    }

    /// Continues the in-progress chunk found on open.
    fn reopen_in_progress(&mut self, chunk: &ChunkFile) -> Result<(), LedgerError> {
        let loaded = LoadedChunk::read(chunk)?;
        let scan = loaded.scan();
        if let Some(torn) = &scan.torn {
            return Err(torn.to_error(&chunk.path));
        }
        // An empty chunk still fixes where the ledger continues: its name says so.
        self.last_seqno = Some(loaded.last_seqno().unwrap_or(chunk.name.start - 1));
        let has_table = scan.table_offset != 0 && loaded.file_bytes() > scan.table_offset;
        if has_table {
            // Completed, but the crash came before the rename: finish it.
            let end = loaded.last_seqno().unwrap_or(chunk.name.start);
            let completed = CompleteChunk {
                start: chunk.name.start,
                end,
            };
            let to = self.dir.join(complete_name(completed, false).file_name());
            std::fs::rename(&chunk.path, &to).map_err(LedgerError::io("rename", &chunk.path))?;
            self.dir_dirty = true;
            self.complete.push(completed);
            return Ok(());
        }
        let positions = positions_of(&loaded)?;
        let file = OpenOptions::new()
            .write(true)
            .open(&chunk.path)
            .map_err(LedgerError::io("open", &chunk.path))?;
        if scan.table_offset != 0 {
            // A reopen by `truncate` dropped the table but not yet the header's offset.
            zero_header(&file, &chunk.path)?;
        }
        self.open = Some(open_at_end(
            chunk.name.start,
            chunk.path.clone(),
            file,
            positions,
            scan.entries_end,
        )?);
        Ok(())
    }

    /// Turns the complete chunk at `path` back into the in-progress chunk (to truncate inside it).
    ///
    /// Each step is durable before the next, so a crash leaves a state that reopening repairs:
    /// the in-progress name over the complete file (renamed back), then over the file without
    /// its table (header zeroed), then the plain in-progress chunk.
    fn reopen_complete(&mut self, chunk: CompleteChunk, path: &Path) -> Result<(), LedgerError> {
        let file = ChunkFile {
            path: path.to_owned(),
            name: complete_name(chunk, false),
            read_only: false,
        };
        let loaded = LoadedChunk::read(&file)?;
        let positions = positions_of(&loaded)?;
        let entries_end = loaded.scan().entries_end;
        let in_progress = self
            .dir
            .join(ChunkName::in_progress(chunk.start).file_name());
        std::fs::rename(path, &in_progress).map_err(LedgerError::io("rename", path))?;
        self.sync_dir()?;
        let handle = OpenOptions::new()
            .write(true)
            .open(&in_progress)
            .map_err(LedgerError::io("open", &in_progress))?;
        handle
            .set_len(entries_end)
            .map_err(LedgerError::io("truncate", &in_progress))?;
        handle
            .sync_data()
            .map_err(LedgerError::io("fsync", &in_progress))?;
        zero_header(&handle, &in_progress)?;
        self.open = Some(open_at_end(
            chunk.start,
            in_progress,
            handle,
            positions,
            entries_end,
        )?);
        Ok(())
    }
}

/// Marks the chunk in progress again (positions-table offset 0), durably.
fn zero_header(file: &File, path: &Path) -> Result<(), LedgerError> {
    file.write_all_at(&[0; CHUNK_HEADER_BYTES as usize], 0)
        .map_err(LedgerError::io("write", path))?;
    file.sync_data().map_err(LedgerError::io("fsync", path))
}

fn open_at_end(
    start: u64,
    path: PathBuf,
    mut file: File,
    positions: Vec<u32>,
    len_bytes: u64,
) -> Result<OpenChunk, LedgerError> {
    file.seek(SeekFrom::Start(len_bytes))
        .map_err(LedgerError::io("seek", &path))?;
    Ok(OpenChunk {
        start,
        path,
        file: BufWriter::with_capacity(WRITE_BUFFER_BYTES, file),
        positions,
        len_bytes,
    })
}

fn positions_of(loaded: &LoadedChunk) -> Result<Vec<u32>, LedgerError> {
    loaded
        .entries()
        .map(|entry| {
            u32::try_from(entry.offset).map_err(|_| LedgerError::Corrupt {
                path: entry.file.to_owned(),
                offset: entry.offset,
                seqno: Some(entry.seqno),
                reason: "entry lies beyond 4 GiB".into(),
            })
        })
        .collect()
}

fn complete_name(chunk: CompleteChunk, committed: bool) -> ChunkName {
    ChunkName {
        start: chunk.start,
        end: Some(chunk.end),
        committed,
    }
}

fn remove(path: &Path) -> Result<(), LedgerError> {
    std::fs::remove_file(path).map_err(LedgerError::io("remove", path))
}
