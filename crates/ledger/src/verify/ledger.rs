//! Walks a ledger directory chunk by chunk and entry by entry through the [`LedgerAudit`],
//! turning any fault into an error that names the file, byte offset and seqno.
//!
//! Without the ledger secret the private domain cannot be decrypted and the GCM tag (which also
//! covers the public domain) cannot be checked; every byte of every entry is still bound by the
//! Merkle tree, so any change to a signed entry is caught at the covering signature. With the
//! secret, each entry's tag is checked and a tampered entry is named directly.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use quorate_crypto::{Certificate, Sha256Digest, sha256, sha256_concat};
use quorate_kv::{DecodedEntry, EntryType, LedgerSecret, TxId};

use super::audit::{AuditedEntry, LedgerAudit};
use super::prepare::prepare_chunk;
use super::receipts::verify_receipts_dir;
use crate::chunk::{EntryRef, LedgerReader};
use crate::error::LedgerError;
use crate::merkle::leaf_for_entry;

/// Name of the chunk sub-directory `quorate ledger generate` writes.
pub const LEDGER_SUBDIR: &str = "ledger";

/// What to check beyond the ledger itself.
#[derive(Default)]
pub struct VerifyOptions {
    /// The expected service identity; every `service.info` cert must be this one.
    pub service_cert: Option<Certificate>,
    /// The ledger secret, to authenticate and decrypt every entry.
    pub ledger_secret: Option<LedgerSecret>,
    /// A directory of `*.json` and `*.cose` receipts to check against the ledger.
    pub receipts_dir: Option<PathBuf>,
}

/// What a successful verification covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Chunk files read.
    pub chunks: usize,
    /// Transactions read.
    pub transactions: u64,
    /// Signature transactions verified.
    pub signatures: u64,
    /// The last signature transaction.
    pub last_signature: TxId,
    /// Transactions after the last signature (only possible in an in-progress last chunk).
    pub unsigned_tail: u64,
    /// Receipts verified.
    pub receipts: usize,
}

/// The chunk directory: `dir` itself, or its `ledger/` sub-directory when it is the output of
/// `quorate ledger generate`.
pub fn chunk_dir(dir: &Path) -> PathBuf {
    let nested = dir.join(LEDGER_SUBDIR);
    if nested.is_dir() {
        nested
    } else {
        dir.to_owned()
    }
}

/// The Merkle leaf of a decoded entry, per entry type as CCF's validator computes it.
pub fn entry_leaf(raw_entry: &[u8], decoded: &DecodedEntry) -> Result<Sha256Digest, String> {
    let write_set_digest = sha256(raw_entry);
    match (
        decoded.entry_type,
        decoded.commit_evidence_digest,
        decoded.claims_digest,
    ) {
        (EntryType::WriteSetWithCommitEvidenceAndClaims, Some(evidence), Some(claims)) => {
            Ok(leaf_for_entry(&write_set_digest, &evidence, &claims))
        }
        (EntryType::WriteSetWithCommitEvidence, Some(evidence), _) => {
            Ok(sha256_concat(&[&write_set_digest, &evidence]))
        }
        (EntryType::WriteSet, _, _) => Ok(write_set_digest),
        (other, _, _) => Err(format!("entry type {other:?} cannot be a Merkle leaf")),
    }
}

/// A fault in `entry`, located by its file, offset and seqno.
pub(super) fn corrupt(entry: &EntryRef<'_>, reason: String) -> LedgerError {
    LedgerError::Corrupt {
        path: entry.file.to_owned(),
        offset: entry.offset,
        seqno: Some(entry.seqno),
        reason,
    }
}

/// Verifies the ledger in `dir` (see [`chunk_dir`]); `progress` is called with each seqno.
pub fn verify_ledger(
    dir: &Path,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, LedgerError> {
    let dir = chunk_dir(dir);
    let reader = LedgerReader::open(&dir, &[])?;
    let mut audit = LedgerAudit::new(options.service_cert.clone());
    let mut signatures = 0u64;
    // Where each entry since the last signature sits, to name an entry a later signature's
    // tree shows was changed.
    let mut window: Vec<(Rc<Path>, u64)> = Vec::new();
    let mut window_start = 1u64;
    for chunk in reader.chunks() {
        let loaded = reader.load(chunk)?;
        let file: Rc<Path> = Rc::from(chunk.path.as_path());
        let mut last_is_signature = false;
        let mut last_entry = None;
        let (prepared, failure) = prepare_chunk(&loaded, options.ledger_secret.as_ref());
        for entry in prepared {
            let audited = AuditedEntry {
                txid: entry.decoded.txid,
                leaf: entry.leaf,
                public: &entry.decoded.public_write_set,
            };
            window.push((Rc::clone(&file), entry.offset));
            last_is_signature = audit.add(&audited).map_err(|fault| {
                let culprit = fault.culprit_seqno.and_then(|seqno| {
                    let index = usize::try_from(seqno.checked_sub(window_start)?).ok()?;
                    window
                        .get(index)
                        .map(|(path, offset)| (path, *offset, seqno))
                });
                match culprit {
                    Some((path, offset, seqno)) => LedgerError::Corrupt {
                        path: path.to_path_buf(),
                        offset,
                        seqno: Some(seqno),
                        reason: fault.reason,
                    },
                    None => LedgerError::Corrupt {
                        path: chunk.path.clone(),
                        offset: entry.offset,
                        seqno: Some(entry.seqno),
                        reason: fault.reason,
                    },
                }
            })?;
            if last_is_signature {
                signatures += 1;
                window.clear();
                window.push((Rc::clone(&file), entry.offset));
                window_start = entry.seqno;
            }
            last_entry = Some((entry.offset, entry.seqno));
            progress(entry.seqno);
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        if chunk.name.end.is_some()
            && !last_is_signature
            && let Some((offset, seqno)) = last_entry
        {
            return Err(LedgerError::Corrupt {
                path: chunk.path.clone(),
                offset,
                seqno: Some(seqno),
                reason: "complete chunk does not end on a signature transaction".into(),
            });
        }
    }
    let last_signature = audit
        .last_signature()
        .ok_or_else(|| LedgerError::ChunkLayout {
            path: dir.clone(),
            reason: "the ledger has no signature transaction, so nothing in it is signed".into(),
        })?;
    let receipts = match &options.receipts_dir {
        Some(receipts_dir) => verify_receipts_dir(receipts_dir, &audit)?,
        None => 0,
    };
    Ok(VerifyReport {
        chunks: reader.chunks().len(),
        transactions: audit.last_seqno(),
        signatures,
        last_signature,
        unsigned_tail: audit.last_seqno() - last_signature.seqno,
        receipts,
    })
}
