//! The generation plan: genesis, a first signature, the service opening, then application
//! transactions with public and private maps, a signature every K transactions and at the end,
//! written through the chunk writer and committed, plus receipts for a sample of transactions.

use std::path::{Path, PathBuf};

use quorate_crypto::{Sha256Digest, sha256};
use quorate_kv::{TxId, WriteSet};

use super::builder::{BuiltEntry, LedgerBuilder};
use super::identities::GeneratedIdentities;
use crate::chunk::{LedgerWriter, WriterConfig};
use crate::error::LedgerError;
use crate::genesis::{
    GenesisNode, NodeNetwork, ServiceStatus, genesis_write_set, put_service_info,
};
use crate::signature::CoseSignatureConfig;
use crate::verify::ledger::LEDGER_SUBDIR;

/// The view every generated transaction is in.
pub const GENERATED_VIEW: u64 = 2;
/// `iat` of every generated COSE signature: 2025-01-01T00:00:00Z.
pub const GENERATED_ISSUED_AT_SECONDS: i64 = 1_735_689_600;
/// File (in the output directory) holding the ledger secret as hex.
pub const LEDGER_SECRET_FILE: &str = "ledger_secret.hex";
/// File (in the output and receipts directories) holding the service certificate.
pub const SERVICE_CERT_FILE: &str = "service_cert.pem";
/// Public application map of generated transactions.
pub const PUBLIC_RECORDS_MAP: &str = "public:records";
/// Private application map of generated transactions.
pub const PRIVATE_RECORDS_MAP: &str = "records";
/// About this many transactions get receipts.
const RECEIPT_SAMPLE_COUNT: u64 = 12;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Output directory: chunks go to its `ledger/` sub-directory.
    pub out_dir: PathBuf,
    /// Number of transactions (seqnos 1..=N), at least 2.
    pub transactions: u64,
    /// Any text; the same seed gives the same bytes.
    pub seed: String,
    /// A signature every this many seqnos.
    pub signature_interval: u64,
    /// Chunk size threshold, as CCF's `ledger.chunk_size`.
    pub chunk_size_bytes: u64,
    /// Where to write sampled receipts, if anywhere.
    pub receipts_dir: Option<PathBuf>,
}

/// What was generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Transactions written.
    pub transactions: u64,
    /// Signature transactions among them.
    pub signatures: u64,
    /// Receipt pairs (JSON and COSE) written.
    pub receipts: usize,
    /// The chunk directory.
    pub ledger_dir: PathBuf,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), LedgerError> {
    std::fs::write(path, bytes).map_err(LedgerError::io("write", path))
}

/// An application transaction: a public and a private write, sometimes a removal and claims.
fn application_write_set(seqno: u64) -> (WriteSet, Sha256Digest) {
    let mut write_set = WriteSet::new();
    write_set.put(
        PUBLIC_RECORDS_MAP,
        format!("record-{}", seqno % 997).into_bytes(),
        format!("public value {seqno}").into_bytes(),
    );
    write_set.put(
        PRIVATE_RECORDS_MAP,
        format!("secret-{}", seqno % 991).into_bytes(),
        format!("private value {seqno}").into_bytes(),
    );
    if seqno.is_multiple_of(5) {
        write_set.remove(
            PUBLIC_RECORDS_MAP,
            format!("record-{}", (seqno + 1) % 997).into_bytes(),
        );
    }
    let claims = if seqno.is_multiple_of(3) {
        sha256(format!("claims of {seqno}").as_bytes())
    } else {
        [0; 32]
    };
    (write_set, claims)
}

/// Generates the ledger `options` describes.
pub fn generate_ledger(options: &GenerateOptions) -> Result<GenerateSummary, LedgerError> {
    let invalid = |reason: &str| LedgerError::Writer(reason.to_owned());
    if options.transactions < 2 {
        return Err(invalid(
            "a ledger needs at least 2 transactions (genesis and a signature)",
        ));
    }
    if options.signature_interval == 0 {
        return Err(invalid("the signature interval must be at least 1"));
    }
    let ledger_dir = options.out_dir.join(LEDGER_SUBDIR);
    if std::fs::read_dir(&ledger_dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(LedgerError::ChunkLayout {
            path: ledger_dir,
            reason: "already holds files; generate into a fresh directory".into(),
        });
    }
    let ids = GeneratedIdentities::from_seed(&options.seed)?;
    let mut writer = LedgerWriter::open(
        &ledger_dir,
        WriterConfig {
            chunk_size_bytes: options.chunk_size_bytes,
            truncate_torn_tail: false,
        },
    )?;
    let cose_config = CoseSignatureConfig {
        issuer: "quorate".into(),
        subject: "ledger.signature".into(),
    };
    let mut builder = LedgerBuilder::new(
        &ids,
        cose_config,
        GENERATED_VIEW,
        GENERATED_ISSUED_AT_SECONDS,
    );
    let service_pem = ids.service_cert.pem();
    let node_public_key_pem = ids.node_key.public_key().to_pem();
    let sample_period = (options.transactions / RECEIPT_SAMPLE_COUNT).max(3);
    let last = options.transactions;
    let mut signatures = 0;
    for seqno in 1..=last {
        let want_receipt = options.receipts_dir.is_some()
            && (seqno <= 2 || seqno % sample_period == sample_period / 2);
        let built: BuiltEntry = if seqno == 1 {
            let node = GenesisNode {
                node_id: &ids.node_id,
                public_key_pem: &node_public_key_pem,
                endorsed_cert_pem: ids.node_cert.pem(),
                code_digest_hex: &hex::encode(sha256(b"quorate generated ledger")),
                network: NodeNetwork::default(),
            };
            let write_set = genesis_write_set(TxId::new(GENERATED_VIEW, 1), service_pem, &node)?;
            builder.append(&write_set, &[0; 32], want_receipt)?
        } else if seqno == 2 || seqno.is_multiple_of(options.signature_interval) || seqno == last {
            signatures += 1;
            builder.append_signature(want_receipt, seqno == last)?
        } else if seqno == 3 {
            let mut write_set = WriteSet::new();
            let create = TxId::new(GENERATED_VIEW, 1);
            put_service_info(&mut write_set, service_pem, ServiceStatus::Open, create)?;
            builder.append(&write_set, &[0; 32], want_receipt)?
        } else {
            let (write_set, claims) = application_write_set(seqno);
            builder.append(&write_set, &claims, want_receipt)?
        };
        writer.append(seqno, &built.bytes, built.is_signature)?;
    }
    writer.commit(last)?;
    writer.sync()?;
    write_file(
        &options.out_dir.join(SERVICE_CERT_FILE),
        service_pem.as_bytes(),
    )?;
    let secret_hex = format!("{}\n", hex::encode(ids.ledger_secret_bytes));
    write_file(
        &options.out_dir.join(LEDGER_SECRET_FILE),
        secret_hex.as_bytes(),
    )?;
    if let Some(dir) = &options.receipts_dir {
        std::fs::create_dir_all(dir).map_err(LedgerError::io("create directory", dir))?;
        write_file(&dir.join(SERVICE_CERT_FILE), service_pem.as_bytes())?;
        for receipt in builder.receipts() {
            let stem = format!("{}_at_{}", receipt.seqno, receipt.signature_seqno);
            let json = serde_json::to_vec_pretty(&receipt.json)
                .map_err(|err| LedgerError::Writer(format!("receipt JSON: {err}")))?;
            write_file(&dir.join(format!("{stem}.json")), &json)?;
            write_file(&dir.join(format!("{stem}.cose")), &receipt.cose)?;
        }
    }
    Ok(GenerateSummary {
        transactions: last,
        signatures,
        receipts: builder.receipts().len(),
        ledger_dir,
    })
}
