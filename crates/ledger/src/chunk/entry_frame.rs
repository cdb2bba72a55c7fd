//! What chunk files need from an entry's framing, parsed by `quorate-kv`:
//!
//! ```text
//! u8    version   (1)
//! u8    flags     (0x01 FORCE_LEDGER_CHUNK_AFTER, 0x02 FORCE_LEDGER_CHUNK_BEFORE)
//! u48   size      little-endian, bytes after these 8
//! 16 B  AES-GCM tag
//! 12 B  AES-GCM IV: u64 LE seqno ‖ u32 LE view
//! ```
//!
//! The header says where the next entry starts and whether it forces a chunk boundary; the IV's
//! seqno catches an entry stored at the wrong place. The rest is the key-value store's business.

use quorate_crypto::aead::{IV_SIZE_BYTES, TAG_SIZE_BYTES};
use quorate_kv::entry::{ENTRY_HEADER_SIZE_BYTES, EntryHeader, txid_from_iv};

/// Offset of the IV within an entry.
const IV_OFFSET: usize = ENTRY_HEADER_SIZE_BYTES + TAG_SIZE_BYTES;

/// Checks that `entry` is exactly one well-framed entry for `seqno`; returns its header.
pub fn check_entry(entry: &[u8], seqno: u64) -> Result<EntryHeader, String> {
    let header = EntryHeader::parse(entry).map_err(|e| e.to_string())?;
    if header.entry_size_bytes() != entry.len() as u64 {
        return Err(format!(
            "header says {} bytes but the entry has {}",
            header.entry_size_bytes(),
            entry.len()
        ));
    }
    let mut iv = [0u8; IV_SIZE_BYTES];
    iv.copy_from_slice(
        entry
            .get(IV_OFFSET..IV_OFFSET + IV_SIZE_BYTES)
            .ok_or("too short for its IV")?,
    );
    let (txid, _) = txid_from_iv(&iv);
    if txid.seqno != seqno {
        return Err(format!("IV names seqno {}, expected {seqno}", txid.seqno));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_kv::entry::{FORCE_LEDGER_CHUNK_AFTER, FORCE_LEDGER_CHUNK_BEFORE};

    /// A well-framed entry for `seqno` of `total_bytes` (≥ 44) with `flags`.
    fn entry(seqno: u64, total_bytes: usize, flags: u8) -> Vec<u8> {
        let body = (total_bytes - ENTRY_HEADER_SIZE_BYTES) as u64;
        let mut bytes = vec![1, flags];
        bytes.extend_from_slice(&body.to_le_bytes()[..6]);
        bytes.extend_from_slice(&[0xAB; 16]);
        bytes.extend_from_slice(&seqno.to_le_bytes());
        bytes.resize(total_bytes, 0xCD);
        bytes
    }

    #[test]
    fn checks_header_size_and_seqno() {
        let good = entry(7, 100, FORCE_LEDGER_CHUNK_AFTER);
        let header = check_entry(&good, 7).unwrap();
        assert_eq!(
            (header.flags, header.size_bytes),
            (FORCE_LEDGER_CHUNK_AFTER, 92)
        );
        assert!(check_entry(&entry(7, 100, FORCE_LEDGER_CHUNK_BEFORE), 7).is_ok());
        assert!(check_entry(&good, 8).is_err());
        assert!(check_entry(&good[..99], 7).is_err());
        assert!(check_entry(&entry(7, 100, 0x04), 7).is_err());
        assert!(check_entry(&entry(7, 43, 0), 7).is_err());
        let mut bad_version = good.clone();
        bad_version[0] = 2;
        assert!(check_entry(&bad_version, 7).is_err());
    }
}
