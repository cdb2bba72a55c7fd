//! Checks on entries a peer sends, made before consensus sees them. Consensus treats payloads
//! as opaque; once it has accepted an entry the node must store it, so an entry the ledger
//! would refuse (not a CCF entry, or naming another TxID than its place in the log, or a
//! signature flag that disagrees with its contents) is rejected here, as a bad message,
//! leaving the node unchanged.

use quorate_consensus::message::AppendEntries;
use quorate_kv::{TxId, decode_entry};
use quorate_ledger::tables;

use super::error::ReplicationError;

/// Every entry of `append` must be a CCF entry for its own (term, index), committable exactly
/// when it is a signature transaction.
pub fn check_append_entries(append: &AppendEntries) -> Result<(), ReplicationError> {
    // Counting from 1 and adding checked: a range starting at `prev_index + 1` overflows
    // when a hostile `prev_index` is near u64::MAX (the decoder refuses indexes past u64, but
    // a range computes one past the last index it yields).
    for (offset, entry) in (1u64..).zip(&append.entries) {
        let Some(seqno) = append.prev_index.checked_add(offset) else {
            return Err(ReplicationError::BadEntry {
                seqno: u64::MAX,
                detail: format!("index {} + {offset} is past u64", append.prev_index),
            });
        };
        let bad = |detail: String| ReplicationError::BadEntry { seqno, detail };
        let decoded = decode_entry(&entry.payload, None).map_err(|e| bad(e.to_string()))?;
        let placed = TxId::new(entry.term, seqno);
        if decoded.txid != placed {
            return Err(bad(format!(
                "the entry names {}, the peer placed it at {placed}",
                decoded.txid
            )));
        }
        let is_signature = decoded.public_write_set.map(tables::SIGNATURES).is_some();
        if entry.committable != is_signature {
            return Err(bad(format!(
                "flagged committable={} but is_signature={is_signature}",
                entry.committable
            )));
        }
    }
    Ok(())
}
