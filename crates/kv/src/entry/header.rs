//! The 8-byte entry header (format version, flags, 48-bit size) and the 28-byte GCM header that
//! follows it (tag, then an IV built from the TxID).

use crate::error::KvError;
use crate::txid::TxId;
use quorate_crypto::aead::{IV_SIZE_BYTES, TAG_SIZE_BYTES};

/// CCF's `entry_format_v1`, the only format version CCF writes or reads.
pub const ENTRY_FORMAT_V1: u8 = 1;
/// Header flag: the ledger starts a new chunk after this entry.
pub const FORCE_LEDGER_CHUNK_AFTER: u8 = 0x01;
/// Header flag: the ledger starts a new chunk before this entry.
pub const FORCE_LEDGER_CHUNK_BEFORE: u8 = 0x02;
const KNOWN_FLAGS: u8 = FORCE_LEDGER_CHUNK_AFTER | FORCE_LEDGER_CHUNK_BEFORE;

/// Size of the entry header in bytes.
pub const ENTRY_HEADER_SIZE_BYTES: usize = 8;
/// Size of the GCM header (tag ‖ IV) in bytes.
pub const GCM_HEADER_SIZE_BYTES: usize = TAG_SIZE_BYTES + IV_SIZE_BYTES;
/// The smallest `size` an entry can declare: GCM header plus the public-domain length.
pub const MIN_ENTRY_BODY_SIZE_BYTES: u64 = (GCM_HEADER_SIZE_BYTES + 8) as u64;
/// Largest body size the 48-bit size field can hold.
pub const MAX_ENTRY_BODY_SIZE_BYTES: u64 = (1 << 48) - 1;

/// The IV's last byte has its top bit set for snapshots, so they never reuse a tx's IV.
const SNAPSHOT_IV_BIT: u32 = 0x8000_0000;
const MAX_IV_VIEW: u64 = 0x7FFF_FFFF;

/// The header in front of every ledger entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryHeader {
    pub version: u8,
    pub flags: u8,
    /// Bytes after this header.
    pub size_bytes: u64,
}

impl EntryHeader {
    /// Parses the first 8 bytes of `bytes`, for readers walking a ledger file. Rejects what CCF's
    /// tooling rejects: another format version, unknown flags, or a size too small to hold the
    /// GCM header and public-domain length.
    pub fn parse(bytes: &[u8]) -> Result<Self, KvError> {
        let raw: [u8; ENTRY_HEADER_SIZE_BYTES] = match bytes.get(..ENTRY_HEADER_SIZE_BYTES) {
            Some(head) => {
                let mut raw = [0u8; ENTRY_HEADER_SIZE_BYTES];
                raw.copy_from_slice(head);
                raw
            }
            None => {
                return Err(KvError::Truncated {
                    field: "entry header",
                    needed_bytes: ENTRY_HEADER_SIZE_BYTES as u64,
                    available_bytes: bytes.len() as u64,
                });
            }
        };
        let header = Self::from_bytes(raw);
        if header.version != ENTRY_FORMAT_V1 {
            return Err(KvError::UnsupportedFormatVersion(header.version));
        }
        if header.flags & !KNOWN_FLAGS != 0 {
            return Err(KvError::InvalidFlags(header.flags));
        }
        if header.size_bytes < MIN_ENTRY_BODY_SIZE_BYTES {
            return Err(KvError::Malformed(format!(
                "entry size {} is below the minimum {MIN_ENTRY_BODY_SIZE_BYTES}",
                header.size_bytes
            )));
        }
        Ok(header)
    }

    fn from_bytes(raw: [u8; ENTRY_HEADER_SIZE_BYTES]) -> Self {
        let mut size = [0u8; 8];
        size[..6].copy_from_slice(&raw[2..]);
        Self {
            version: raw[0],
            flags: raw[1],
            size_bytes: u64::from_le_bytes(size),
        }
    }

    /// The header's bytes; `size_bytes` must fit 48 bits (checked by the encoder).
    pub fn to_bytes(&self) -> [u8; ENTRY_HEADER_SIZE_BYTES] {
        let mut raw = [0u8; ENTRY_HEADER_SIZE_BYTES];
        raw[0] = self.version;
        raw[1] = self.flags;
        raw[2..].copy_from_slice(&self.size_bytes.to_le_bytes()[..6]);
        raw
    }

    /// Size of the whole entry, header included.
    pub fn entry_size_bytes(&self) -> u64 {
        ENTRY_HEADER_SIZE_BYTES as u64 + self.size_bytes
    }

    /// Whether the ledger must start a new chunk after this entry.
    pub fn forces_chunk_after(&self) -> bool {
        self.flags & FORCE_LEDGER_CHUNK_AFTER != 0
    }

    /// Whether the ledger must start a new chunk before this entry.
    pub fn forces_chunk_before(&self) -> bool {
        self.flags & FORCE_LEDGER_CHUNK_BEFORE != 0
    }
}

/// The GCM IV of a transaction entry: seqno (u64 LE) ‖ view (u32 LE, 31 bits). CCF refuses
/// views that need the 32nd bit rather than masking them, and so do we.
pub fn tx_iv(txid: TxId) -> Result<[u8; IV_SIZE_BYTES], KvError> {
    if txid.view > MAX_IV_VIEW {
        return Err(KvError::ViewOutOfRange { view: txid.view });
    }
    let mut iv = [0u8; IV_SIZE_BYTES];
    iv[..8].copy_from_slice(&txid.seqno.to_le_bytes());
    iv[8..].copy_from_slice(&(txid.view as u32).to_le_bytes());
    Ok(iv)
}

/// The TxID in an IV and whether the IV is marked as a snapshot's.
pub fn txid_from_iv(iv: &[u8; IV_SIZE_BYTES]) -> (TxId, bool) {
    let mut seqno = [0u8; 8];
    seqno.copy_from_slice(&iv[..8]);
    let mut view = [0u8; 4];
    view.copy_from_slice(&iv[8..]);
    let view = u32::from_le_bytes(view);
    let txid = TxId::new(
        u64::from(view & !SNAPSHOT_IV_BIT),
        u64::from_le_bytes(seqno),
    );
    (txid, view & SNAPSHOT_IV_BIT != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_what_ccf_rejects() {
        let header = EntryHeader {
            version: 1,
            flags: FORCE_LEDGER_CHUNK_BEFORE,
            size_bytes: 254,
        };
        let raw = header.to_bytes();
        assert_eq!(raw, [1, 2, 0xfe, 0, 0, 0, 0, 0]);
        assert_eq!(EntryHeader::parse(&raw), Ok(header));
        assert!(header.forces_chunk_before() && !header.forces_chunk_after());
        assert_eq!(header.entry_size_bytes(), 262);
        assert_eq!(
            EntryHeader::parse(&[2, 0, 0xfe, 0, 0, 0, 0, 0]),
            Err(KvError::UnsupportedFormatVersion(2))
        );
        assert_eq!(
            EntryHeader::parse(&[1, 4, 0xfe, 0, 0, 0, 0, 0]),
            Err(KvError::InvalidFlags(4))
        );
        assert!(matches!(
            EntryHeader::parse(&[1, 0, 35, 0, 0, 0, 0, 0]),
            Err(KvError::Malformed(_))
        ));
        assert!(matches!(
            EntryHeader::parse(&[1, 0]),
            Err(KvError::Truncated { .. })
        ));
    }

    #[test]
    fn iv_carries_seqno_and_31_bit_view() {
        let iv = tx_iv(TxId::new(2, 42)).unwrap();
        assert_eq!(iv, [42, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(txid_from_iv(&iv), (TxId::new(2, 42), false));
        let mut snapshot = iv;
        snapshot[11] |= 0x80;
        assert_eq!(txid_from_iv(&snapshot), (TxId::new(2, 42), true));
        assert_eq!(
            tx_iv(TxId::new(1 << 31, 1)),
            Err(KvError::ViewOutOfRange { view: 1 << 31 })
        );
    }
}
