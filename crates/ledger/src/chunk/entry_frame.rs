//! The framing of one ledger entry, as far as chunk files need it.
//!
//! ```text
//! u8    version   (1)
//! u8    flags     (0x01 FORCE_LEDGER_CHUNK_AFTER, 0x02 FORCE_LEDGER_CHUNK_BEFORE)
//! u48   size      little-endian, bytes after these 8
//! 16 B  AES-GCM tag
//! 12 B  AES-GCM IV: u64 LE seqno ‖ u32 LE view
//! u64   public-domain size, then the domains
//! ```
//!
//! Only the 8-byte header and the IV's seqno are read here: the header to find where the next
//! entry starts and whether it forces a chunk boundary, the seqno to catch an entry stored at the
//! wrong place. The rest is the key-value store's business.

/// Bytes of the entry header (version, flags, size).
pub const ENTRY_HEADER_BYTES: usize = 8;
/// The only entry format version.
pub const ENTRY_FORMAT_V1: u8 = 1;
/// Flag: the chunk ends after this entry (which must be a signature).
pub const FORCE_LEDGER_CHUNK_AFTER: u8 = 0x01;
/// Flag: the chunk ends before this entry.
pub const FORCE_LEDGER_CHUNK_BEFORE: u8 = 0x02;
/// Smallest body: GCM tag (16) + IV (12) + public-domain size (8). CCF's reader checks it too.
pub const MIN_ENTRY_BODY_BYTES: u64 = 36;
/// Offset of the IV's seqno within an entry.
const IV_SEQNO_OFFSET: usize = ENTRY_HEADER_BYTES + 16;

/// What an entry's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFrame {
    pub flags: u8,
    /// Bytes after the 8-byte header.
    pub body_bytes: u64,
}

impl EntryFrame {
    /// Parses and checks the header at the start of `bytes`. `None`: fewer than 8 bytes.
    pub fn parse(bytes: &[u8]) -> Option<Result<Self, String>> {
        let header = bytes.get(..ENTRY_HEADER_BYTES)?;
        let mut size = [0u8; 8];
        size[..6].copy_from_slice(&header[2..]);
        let frame = Self {
            flags: header[1],
            body_bytes: u64::from_le_bytes(size),
        };
        Some(if header[0] != ENTRY_FORMAT_V1 {
            Err(format!("entry format version {} (expected 1)", header[0]))
        } else if frame.flags & !(FORCE_LEDGER_CHUNK_AFTER | FORCE_LEDGER_CHUNK_BEFORE) != 0 {
            Err(format!("unknown entry flags {:#04x}", frame.flags))
        } else if frame.body_bytes < MIN_ENTRY_BODY_BYTES {
            Err(format!(
                "entry size {} is below the minimum {MIN_ENTRY_BODY_BYTES}",
                frame.body_bytes
            ))
        } else {
            Ok(frame)
        })
    }

    /// Header plus body.
    pub fn total_bytes(&self) -> u64 {
        ENTRY_HEADER_BYTES as u64 + self.body_bytes
    }
}

/// Checks that `entry` is exactly one well-framed entry for `seqno`; returns its frame.
pub fn check_entry(entry: &[u8], seqno: u64) -> Result<EntryFrame, String> {
    let frame =
        EntryFrame::parse(entry).unwrap_or_else(|| Err("shorter than its header".into()))?;
    if frame.total_bytes() != entry.len() as u64 {
        return Err(format!(
            "header says {} bytes but the entry has {}",
            frame.total_bytes(),
            entry.len()
        ));
    }
    let iv_seqno = iv_seqno(entry).ok_or("too short for its IV")?;
    if iv_seqno != seqno {
        return Err(format!("IV names seqno {iv_seqno}, expected {seqno}"));
    }
    Ok(frame)
}

fn iv_seqno(entry: &[u8]) -> Option<u64> {
    let field = entry.get(IV_SEQNO_OFFSET..IV_SEQNO_OFFSET + 8)?;
    let mut raw = [0u8; 8];
    raw.copy_from_slice(field);
    Some(u64::from_le_bytes(raw))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A well-framed entry for `seqno` of `total_bytes` (≥ 44) with `flags`.
    pub(crate) fn entry(seqno: u64, total_bytes: usize, flags: u8) -> Vec<u8> {
        let body = (total_bytes - ENTRY_HEADER_BYTES) as u64;
        let mut bytes = vec![ENTRY_FORMAT_V1, flags];
        bytes.extend_from_slice(&body.to_le_bytes()[..6]);
        bytes.extend_from_slice(&[0xAB; 16]);
        bytes.extend_from_slice(&seqno.to_le_bytes());
        bytes.resize(total_bytes, 0xCD);
        bytes
    }

    #[test]
    fn checks_header_size_and_seqno() {
        let good = entry(7, 100, FORCE_LEDGER_CHUNK_AFTER);
        let frame = check_entry(&good, 7).unwrap();
        assert_eq!(
            (frame.flags, frame.body_bytes),
            (FORCE_LEDGER_CHUNK_AFTER, 92)
        );
        assert!(check_entry(&good, 8).is_err());
        assert!(check_entry(&good[..99], 7).is_err());
        assert!(check_entry(&entry(7, 100, 0x04), 7).is_err());
        assert!(check_entry(&entry(7, 43, 0), 7).is_err());
        let mut bad_version = good.clone();
        bad_version[0] = 2;
        assert!(check_entry(&bad_version, 7).is_err());
    }
}
