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
    for (seqno, entry) in (append.prev_index + 1..).zip(&append.entries) {
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
