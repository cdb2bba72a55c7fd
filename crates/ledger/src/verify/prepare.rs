//! Decoding and hashing a chunk's entries on every core. This is most of a verification's work
//! (SHA-256 over every byte of every entry); what remains for the sequential audit is one tree
//! hash per entry and the signature checks.

use std::num::NonZeroUsize;

use quorate_crypto::Sha256Digest;
use quorate_kv::{LedgerSecret, TxId, WriteSet, decode_entry};

use super::audit::is_audited;
use super::ledger::{corrupt, entry_leaf};
use crate::chunk::{EntryRef, LoadedChunk};
use crate::error::LedgerError;

/// Entries per worker below which splitting a chunk costs more than it saves.
const MIN_ENTRIES_PER_WORKER: usize = 256;

/// One entry, decoded, with its Merkle leaf.
pub struct PreparedEntry {
    /// Byte offset of the entry in its chunk file.
    pub offset: u64,
    /// The TxID from its IV (its seqno checked against its position in the chunk).
    pub txid: TxId,
    /// Its public tables, kept only when the audit reads one of them (and freed here, on the
    /// worker, otherwise).
    pub audited_public: Option<WriteSet>,
    /// Its Merkle leaf.
    pub leaf: Sha256Digest,
}

fn prepare(
    entry: &EntryRef<'_>,
    secret: Option<&LedgerSecret>,
) -> Result<PreparedEntry, LedgerError> {
    let decoded = decode_entry(entry.bytes, secret)
        .map_err(|err| corrupt(entry, format!("entry does not decode: {err}")))?;
    if decoded.txid.seqno != entry.seqno {
        return Err(corrupt(
            entry,
            format!("entry's IV says seqno {}", decoded.txid.seqno),
        ));
    }
    let leaf = entry_leaf(entry.bytes, &decoded).map_err(|reason| corrupt(entry, reason))?;
    let public = decoded.public_write_set;
    Ok(PreparedEntry {
        offset: entry.offset,
        txid: decoded.txid,
        audited_public: is_audited(&public).then_some(public),
        leaf,
    })
}

/// Prepares a run of entries in order, stopping at the first that fails.
fn prepare_run(
    entries: &[EntryRef<'_>],
    secret: Option<&LedgerSecret>,
) -> (Vec<PreparedEntry>, Option<LedgerError>) {
    let mut prepared = Vec::with_capacity(entries.len());
    for entry in entries {
        match prepare(entry, secret) {
            Ok(entry) => prepared.push(entry),
            Err(err) => return (prepared, Some(err)),
        }
    }
    (prepared, None)
}

/// Decodes the entries of `chunk` on up to all cores. Returns the entries before the first
/// failure, in seqno order, and that failure, so the caller audits everything before it first
/// and reports faults in ledger order.
pub fn prepare_chunk(
    chunk: &LoadedChunk,
    secret: Option<&LedgerSecret>,
) -> (Vec<PreparedEntry>, Option<LedgerError>) {
    let entries: Vec<EntryRef<'_>> = chunk.entries().collect();
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let workers = cores.min(entries.len() / MIN_ENTRIES_PER_WORKER).max(1);
    if workers == 1 {
        return prepare_run(&entries, secret);
    }
    let run_len = entries.len().div_ceil(workers);
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = entries
            .chunks(run_len)
            .map(|run| scope.spawn(move || prepare_run(run, secret)))
            .collect();
        handles.into_iter().map(|handle| handle.join()).collect()
    });
    let mut all = Vec::with_capacity(entries.len());
    for run in runs {
        match run {
            Ok((prepared, failure)) => {
                all.extend(prepared);
                if failure.is_some() {
                    return (all, failure);
                }
            }
            Err(_) => {
                let failure = LedgerError::WorkerFailed;
                return (all, Some(failure));
            }
        }
    }
    (all, None)
}
