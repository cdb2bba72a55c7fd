//! Checks a directory of receipts against a verified ledger: each must verify against the
//! ledger's service certificate and prove inclusion under a root the ledger actually signed.

use std::path::{Path, PathBuf};

use quorate_kv::TxId;

use super::audit::LedgerAudit;
use crate::error::LedgerError;
use crate::receipt::{JsonReceipt, ReceiptRejection, verify_cose_receipt};

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError {
    let path = path.to_owned();
    move |source| LedgerError::Io { op, path, source }
}

fn rejected(path: &Path, reason: ReceiptRejection) -> LedgerError {
    LedgerError::ReceiptRejected {
        path: path.to_owned(),
        reason,
    }
}

fn parse_txid(text: &str) -> Option<TxId> {
    let (view, seqno) = text.split_once('.')?;
    Some(TxId::new(view.parse().ok()?, seqno.parse().ok()?))
}

/// Verifies every `*.json` and `*.cose` receipt in `dir`; returns how many there were.
pub fn verify_receipts_dir(dir: &Path, audit: &LedgerAudit) -> Result<usize, LedgerError> {
    let service_cert = audit
        .service_cert()
        .ok_or_else(|| LedgerError::ChunkLayout {
            path: dir.to_owned(),
            reason: "the ledger records no service certificate to check receipts with".into(),
        })?;
    let service_key = service_cert
        .public_key()
        .map_err(|source| LedgerError::Signing {
            what: "service certificate key",
            source,
        })?;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io("read directory", dir))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(io("read directory", dir))?;
    paths.sort();
    let mut count = 0;
    for path in paths {
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("json") => {
                let text = std::fs::read(&path).map_err(io("read", &path))?;
                let receipt: JsonReceipt = serde_json::from_slice(&text).map_err(|err| {
                    rejected(&path, ReceiptRejection::Malformed(format!("JSON: {err}")))
                })?;
                let root = receipt
                    .verify(service_cert, None)
                    .map_err(|r| rejected(&path, r))?;
                if !audit.signed(&root) {
                    return Err(rejected(&path, ReceiptRejection::RootNotInLedger));
                }
            }
            Some("cose") => {
                let bytes = std::fs::read(&path).map_err(io("read", &path))?;
                let claims = verify_cose_receipt(&bytes, &service_key, None)
                    .map_err(|r| rejected(&path, r))?;
                if !parse_txid(&claims.txid).is_some_and(|txid| audit.is_signature(txid)) {
                    return Err(rejected(&path, ReceiptRejection::RootNotInLedger));
                }
            }
            _ => continue,
        }
        count += 1;
    }
    Ok(count)
}
