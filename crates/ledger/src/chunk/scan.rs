//! Reading one chunk file's bytes: the positions-table header, the entries, the table.
//!
//! A complete chunk must agree with itself everywhere: a non-zero table offset, a table of one
//! u32 per entry matching the entries' actual offsets and the count its name declares, entries
//! back to back from byte 8 to the table. An in-progress chunk (offset 0) is walked header by
//! header; if its end is cut short the rest is a *torn tail* (see [`TornTail`]).

use super::entry_frame::check_entry;
use super::name::ChunkName;
use crate::error::LedgerError;
use quorate_kv::entry::{ENTRY_HEADER_SIZE_BYTES, EntryHeader};
use std::path::Path;

/// Bytes of the positions-table offset at the start of every chunk.
pub const CHUNK_HEADER_BYTES: u64 = 8;
const POSITION_BYTES: u64 = 4;

/// Where an in-progress chunk stops being whole: a crash cut its last write short.
///
/// The tail is torn when what follows the last whole entry is shorter than an entry header,
/// shorter than the size its header declares, or all zeros (a file system that extended the
/// file before the data landed). Anything else that fails to parse is corruption, not a torn
/// tail, because data that was fully written has been damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset of the first byte not part of a whole entry; truncating here repairs the file.
    pub offset: u64,
    /// The seqno the partial entry would have had.
    pub seqno: u64,
    pub reason: String,
}

impl TornTail {
    /// The error reporting this torn tail in the chunk at `path`.
    pub fn to_error(&self, path: &Path) -> LedgerError {
        LedgerError::TornTail {
            path: path.to_owned(),
            offset: self.offset,
            seqno: self.seqno,
            reason: self.reason.clone(),
        }
    }
}

/// A chunk's entries as found in its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkScan {
    /// File offset of each whole entry, in seqno order from the name's start.
    pub offsets: Vec<u64>,
    /// One past the last byte of the last whole entry.
    pub entries_end: u64,
    /// The positions-table offset in the header (0 while in progress).
    pub table_offset: u64,
    /// Set only for in-progress chunks.
    pub torn: Option<TornTail>,
}

/// Scans `bytes`, the contents of the chunk file at `path` named `name`.
pub fn scan_chunk(path: &Path, name: &ChunkName, bytes: &[u8]) -> Result<ChunkScan, LedgerError> {
    let corrupt = |offset: u64, seqno: Option<u64>, reason: String| LedgerError::Corrupt {
        path: path.to_owned(),
        offset,
        seqno,
        reason,
    };
    let Some(header) = bytes.get(..CHUNK_HEADER_BYTES as usize) else {
        let reason = format!(
            "file is {} bytes, shorter than its 8-byte header",
            bytes.len()
        );
        if name.end.is_none() {
            return Ok(ChunkScan {
                offsets: Vec::new(),
                entries_end: 0,
                table_offset: 0,
                torn: Some(TornTail {
                    offset: 0,
                    seqno: name.start,
                    reason,
                }),
            });
        }
        return Err(corrupt(0, None, reason));
    };
    let mut raw = [0u8; 8];
    raw.copy_from_slice(header);
    let table_offset = u64::from_le_bytes(raw);
    let file_bytes = bytes.len() as u64;

    if table_offset == 0 {
        if name.end.is_some() {
            return Err(corrupt(
                0,
                None,
                "complete chunk has no positions table (offset 0)".into(),
            ));
        }
        let walk = walk_entries(
            path,
            name.start,
            bytes,
            Region::InProgress {
                end: file_bytes,
                tolerate_torn: true,
            },
        )?;
        return Ok(ChunkScan {
            offsets: walk.offsets,
            entries_end: walk.end,
            table_offset,
            torn: walk.torn,
        });
    }

    if table_offset < CHUNK_HEADER_BYTES
        || table_offset > file_bytes
        || !(file_bytes - table_offset).is_multiple_of(POSITION_BYTES)
    {
        return Err(corrupt(
            0,
            None,
            format!(
                "positions-table offset {table_offset} does not fit a {file_bytes}-byte file \
                 (it must be ≥ 8 and leave a whole number of u32 positions)"
            ),
        ));
    }
    let table = bytes.get(table_offset as usize..).unwrap_or_default();
    let count = table.len() as u64 / POSITION_BYTES;
    if let Some(end) = name.end {
        let declared = end - name.start + 1;
        if count != declared {
            return Err(corrupt(
                table_offset,
                None,
                format!("positions table has {count} entries but the name declares {declared}"),
            ));
        }
    }
    if count == 0 && name.end.is_none() {
        // A truncation reopening this chunk dropped the table but was interrupted before it
        // zeroed the header. The entries before the table offset were fsync'd when the chunk
        // completed, so they must all be whole.
        let walk = walk_entries(
            path,
            name.start,
            bytes,
            Region::InProgress {
                end: table_offset,
                tolerate_torn: false,
            },
        )?;
        return Ok(ChunkScan {
            offsets: walk.offsets,
            entries_end: walk.end,
            table_offset,
            torn: None,
        });
    }
    if count == 0 {
        return Err(corrupt(
            table_offset,
            None,
            "complete chunk holds no entries".into(),
        ));
    }
    let positions: Vec<u64> = table
        .chunks_exact(POSITION_BYTES as usize)
        .map(|raw| {
            let mut position = [0u8; 4];
            position.copy_from_slice(raw);
            u64::from(u32::from_le_bytes(position))
        })
        .collect();
    let walk = walk_entries(
        path,
        name.start,
        bytes,
        Region::Complete {
            table_offset,
            positions: &positions,
        },
    )?;
    Ok(ChunkScan {
        offsets: walk.offsets,
        entries_end: walk.end,
        table_offset,
        torn: None,
    })
}

/// Where the entries of a chunk lie.
enum Region<'a> {
    /// Entries up to `end`; with `tolerate_torn`, a cut-short tail ends the walk.
    InProgress { end: u64, tolerate_torn: bool },
    /// Up to the table, each entry where the table says and ending where the next begins.
    Complete {
        table_offset: u64,
        positions: &'a [u64],
    },
}

struct Walk {
    offsets: Vec<u64>,
    end: u64,
    torn: Option<TornTail>,
}

/// Walks entry headers from byte 8 through `region`.
fn walk_entries(
    path: &Path,
    start_seqno: u64,
    bytes: &[u8],
    region: Region<'_>,
) -> Result<Walk, LedgerError> {
    let (region_end, tolerate_torn, positions) = match region {
        Region::InProgress { end, tolerate_torn } => (end, tolerate_torn, None),
        Region::Complete {
            table_offset,
            positions,
        } => (table_offset, false, Some((table_offset, positions))),
    };
    let mut offsets = Vec::new();
    let mut position = CHUNK_HEADER_BYTES;
    let mut seqno = start_seqno;
    while position < region_end {
        let rest = bytes
            .get(position as usize..region_end as usize)
            .unwrap_or_default();
        let corrupt = |reason: String| LedgerError::Corrupt {
            path: path.to_owned(),
            offset: position,
            seqno: Some(seqno),
            reason,
        };
        if let Some(table) = positions {
            check_against_table(path, bytes, table, offsets.len(), position, seqno)?;
        }
        // Ok(size of a whole entry) or Err(why the tail is cut short).
        let step = match EntryHeader::parse(rest) {
            _ if rest.len() < ENTRY_HEADER_SIZE_BYTES => Err(format!(
                "partial entry header ({} of {ENTRY_HEADER_SIZE_BYTES} bytes)",
                rest.len()
            )),
            Err(_) if rest.iter().all(|b| *b == 0) => {
                Err(format!("{} zero bytes instead of an entry", rest.len()))
            }
            Err(error) => return Err(corrupt(error.to_string())),
            Ok(header) if header.entry_size_bytes() > rest.len() as u64 => Err(format!(
                "partial entry (header says {} bytes, {} present)",
                header.entry_size_bytes(),
                rest.len()
            )),
            Ok(header) => {
                let entry = rest
                    .get(..header.entry_size_bytes() as usize)
                    .unwrap_or_default();
                check_entry(entry, seqno).map_err(&corrupt)?;
                Ok(header.entry_size_bytes())
            }
        };
        let entry_bytes = match step {
            Ok(entry_bytes) => entry_bytes,
            Err(reason) if tolerate_torn => {
                return Ok(Walk {
                    offsets,
                    end: position,
                    torn: Some(TornTail {
                        offset: position,
                        seqno,
                        reason,
                    }),
                });
            }
            Err(reason) => return Err(corrupt(reason)),
        };
        let next_seqno = seqno
            .checked_add(1)
            .ok_or_else(|| corrupt("seqno overflows 64 bits".into()))?;
        offsets.push(position);
        position += entry_bytes;
        seqno = next_seqno;
    }
    if let Some((table_offset, positions)) = positions
        && offsets.len() < positions.len()
    {
        return Err(LedgerError::Corrupt {
            path: path.to_owned(),
            offset: table_offset + POSITION_BYTES * offsets.len() as u64,
            seqno: Some(seqno),
            reason: format!(
                "positions table lists {} entries but only {} precede it",
                positions.len(),
                offsets.len()
            ),
        });
    }
    Ok(Walk {
        offsets,
        end: position,
        torn: None,
    })
}

/// In a complete chunk, entry `index` (at `position`, seqno `seqno`) must start where the table
/// says and its header must end it where the next entry, or the table, begins. When the two
/// disagree, the side that is wrong is blamed: the table if no entry for the next seqno sits
/// where it points, else the header.
fn check_against_table(
    path: &Path,
    bytes: &[u8],
    (table_offset, positions): (u64, &[u64]),
    index: usize,
    position: u64,
    seqno: u64,
) -> Result<(), LedgerError> {
    let corrupt = |offset: u64, seqno: u64, reason: String| LedgerError::Corrupt {
        path: path.to_owned(),
        offset,
        seqno: Some(seqno),
        reason,
    };
    let table_entry = |i: usize| table_offset + POSITION_BYTES * i as u64;
    let Some(&listed) = positions.get(index) else {
        return Err(corrupt(
            position,
            seqno,
            format!(
                "entry beyond the {} the positions table lists",
                positions.len()
            ),
        ));
    };
    if listed != position {
        return Err(corrupt(
            table_entry(index),
            seqno,
            format!("positions table says the entry is at {listed}, it is at {position}"),
        ));
    }
    let Some(header) = bytes
        .get(position as usize..)
        .and_then(|rest| EntryHeader::parse(rest).ok())
    else {
        return Ok(());
    };
    let end = position + header.entry_size_bytes();
    let next = positions.get(index + 1).copied();
    if end == next.unwrap_or(table_offset) {
        return Ok(());
    }
    match next {
        Some(next) if !is_entry_at(bytes, next, seqno.saturating_add(1)) => Err(corrupt(
            table_entry(index + 1),
            seqno.saturating_add(1),
            format!("positions table puts the entry at {next}, but entry {seqno} ends at {end}"),
        )),
        _ => Err(corrupt(
            position,
            seqno,
            format!(
                "header size ends the entry at {end} but the next entry or the positions table \
                 starts at {}",
                next.unwrap_or(table_offset)
            ),
        )),
    }
}

/// Whether a whole, well-framed entry for `seqno` starts at `position`.
fn is_entry_at(bytes: &[u8], position: u64, seqno: u64) -> bool {
    bytes
        .get(position as usize..)
        .and_then(|rest| {
            let header = EntryHeader::parse(rest).ok()?;
            rest.get(..header.entry_size_bytes() as usize)
        })
        .is_some_and(|entry| check_entry(entry, seqno).is_ok())
}
