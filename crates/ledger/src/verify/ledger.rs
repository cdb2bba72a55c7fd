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
use quorate_kv::{DecodedEntry, EntryType, LedgerSecret, TxId, WriteSet};

use super::audit::{AuditedEntry, Fault, LedgerAudit};
use super::prepare::{PreparedEntry, prepare_chunk};
use super::receipts::verify_receipts_dir;
use crate::chunk::{ChunkFile, EntryRef, LedgerReader};
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

/// The sequential half of a verification: the audit, and where recent entries sit so a fault a
/// signature reveals in an earlier entry can name that entry's file and offset.
struct Walk {
    audit: LedgerAudit,
    signatures: u64,
    /// File and offset of each entry since the last signature (inclusive), from `window_start`.
    window: Vec<(Rc<Path>, u64)>,
    window_start: u64,
    no_audited_tables: WriteSet,
}

impl Walk {
    fn locate(&self, fault: Fault, chunk: &ChunkFile, entry: &PreparedEntry) -> LedgerError {
        let culprit = fault.culprit_seqno.and_then(|seqno| {
            let index = usize::try_from(seqno.checked_sub(self.window_start)?).ok()?;
            self.window
                .get(index)
                .map(|(path, offset)| (path.to_path_buf(), *offset, seqno))
        });
        let (path, offset, seqno) =
            culprit.unwrap_or((chunk.path.clone(), entry.offset, entry.txid.seqno));
        LedgerError::Corrupt {
            path,
            offset,
            seqno: Some(seqno),
            reason: fault.reason,
        }
    }

    /// Audits one chunk's prepared entries, then its preparation failure if any, then checks a
    /// complete chunk ends on a signature.
    fn audit_chunk(
        &mut self,
        chunk: &ChunkFile,
        prepared: Vec<PreparedEntry>,
        failure: Option<LedgerError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), LedgerError> {
        let file: Rc<Path> = Rc::from(chunk.path.as_path());
        let mut last = None;
        for entry in prepared {
            let audited = AuditedEntry {
                txid: entry.txid,
                leaf: entry.leaf,
                public: entry
                    .audited_public
                    .as_ref()
                    .unwrap_or(&self.no_audited_tables),
            };
            self.window.push((Rc::clone(&file), entry.offset));
            let is_signature = self
                .audit
                .add(&audited)
                .map_err(|fault| self.locate(fault, chunk, &entry))?;
            if is_signature {
                self.signatures += 1;
                self.window.clear();
                self.window.push((Rc::clone(&file), entry.offset));
                self.window_start = entry.txid.seqno;
            }
            last = Some((entry.offset, entry.txid.seqno, is_signature));
            progress(entry.txid.seqno);
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        match last {
            Some((offset, seqno, false)) if chunk.name.end.is_some() => Err(LedgerError::Corrupt {
                path: chunk.path.clone(),
                offset,
                seqno: Some(seqno),
                reason: "complete chunk does not end on a signature transaction".into(),
            }),
            _ => Ok(()),
        }
    }
}

/// Reads, checks and prepares one chunk (see [`prepare_chunk`]).
fn load_and_prepare(
    reader: &LedgerReader,
    chunk: &ChunkFile,
    secret: Option<&LedgerSecret>,
) -> Result<(Vec<PreparedEntry>, Option<LedgerError>), LedgerError> {
    Ok(prepare_chunk(&reader.load(chunk)?, secret))
}

/// Verifies the ledger in `dir` (see [`chunk_dir`]); `progress` is called with each seqno.
/// The next chunk is read and prepared while the current one is audited.
pub fn verify_ledger(
    dir: &Path,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, LedgerError> {
    let dir = chunk_dir(dir);
    let reader = LedgerReader::open(&dir, &[])?;
    let secret = options.ledger_secret.as_ref();
    let mut walk = Walk {
        audit: LedgerAudit::new(options.service_cert.clone()),
        signatures: 0,
        window: Vec::new(),
        window_start: 1,
        no_audited_tables: WriteSet::new(),
    };
    let chunks = reader.chunks();
    std::thread::scope(|scope| {
        let reader = &reader;
        let spawn = |chunk: &ChunkFile| {
            let chunk = chunk.clone();
            scope.spawn(move || load_and_prepare(reader, &chunk, secret))
        };
        let mut next = chunks.first().map(spawn);
        for (index, chunk) in chunks.iter().enumerate() {
            let current = next.take().map(|handle| handle.join());
            next = chunks.get(index + 1).map(spawn);
            let (prepared, failure) = match current {
                Some(Ok(result)) => result?,
                _ => return Err(LedgerError::WorkerFailed),
            };
            walk.audit_chunk(chunk, prepared, failure, progress)?;
        }
        Ok(())
    })?;
    let audit = &walk.audit;
    let last_signature = audit
        .last_signature()
        .ok_or_else(|| LedgerError::ChunkLayout {
            path: dir.clone(),
            reason: "the ledger has no signature transaction, so nothing in it is signed".into(),
        })?;
    let receipts = match &options.receipts_dir {
        Some(receipts_dir) => verify_receipts_dir(receipts_dir, audit)?,
        None => 0,
    };
    Ok(VerifyReport {
        chunks: chunks.len(),
        transactions: audit.last_seqno(),
        signatures: walk.signatures,
        last_signature,
        unsigned_tail: audit.last_seqno() - last_signature.seqno,
        receipts,
    })
}
