#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every kind of damage to a generated ledger is rejected, and the error names the place: the
//! chunk file, the byte offset and the seqno of the damaged entry.

use std::path::{Path, PathBuf};

use quorate_crypto::Certificate;
use quorate_kv::LedgerSecret;
use quorate_ledger::LedgerError;
use quorate_ledger::chunk::LedgerReader;
use quorate_ledger::generate::{GenerateOptions, generate_ledger};
use quorate_ledger::verify::{VerifyOptions, verify_ledger};

struct Ledger {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Ledger {
    fn generate(seed: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        generate_ledger(&GenerateOptions {
            out_dir: root.clone(),
            transactions: 60,
            seed: seed.into(),
            signature_interval: 6,
            chunk_size_bytes: 2048,
            receipts_dir: Some(root.join("receipts")),
        })
        .unwrap();
        Self { _dir: dir, root }
    }

    fn chunks(&self) -> Vec<PathBuf> {
        let mut chunks: Vec<PathBuf> = std::fs::read_dir(self.root.join("ledger"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        chunks.sort_by_key(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            name["ledger_".len()..]
                .split('-')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        });
        chunks
    }

    /// File and offset of the entry `seqno`.
    fn locate(&self, seqno: u64) -> (PathBuf, u64) {
        let reader = LedgerReader::open(&self.root.join("ledger"), &[]).unwrap();
        let entry = reader.read_range(seqno, seqno).unwrap().remove(0);
        (entry.file, entry.offset)
    }

    fn secret(&self) -> LedgerSecret {
        let text = std::fs::read_to_string(self.root.join("ledger_secret.hex")).unwrap();
        let bytes: [u8; 32] = hex::decode(text.trim()).unwrap().try_into().unwrap();
        LedgerSecret::from_bytes(bytes)
    }

    fn service_cert(&self) -> Certificate {
        Certificate::from_pem(&std::fs::read_to_string(self.root.join("service_cert.pem")).unwrap())
            .unwrap()
    }

    fn verify(&self, options: VerifyOptions) -> Result<(), LedgerError> {
        verify_ledger(&self.root, &options, &mut |_| {}).map(|_| ())
    }

    fn verify_plain(&self) -> LedgerError {
        self.verify(VerifyOptions::default()).unwrap_err()
    }
}

/// Flips the low bit of the byte at `offset` in `path`.
fn flip(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

/// Offset of `needle` in `path`, after `from`.
fn find(path: &Path, needle: &[u8], from: usize) -> usize {
    let bytes = std::fs::read(path).unwrap();
    from + bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

fn assert_names(err: &LedgerError, path: &Path, offset: u64, seqno: u64) {
    match err {
        LedgerError::Corrupt {
            path: p,
            offset: o,
            seqno: s,
            ..
        } => {
            assert_eq!((p.as_path(), *o, *s), (path, offset, Some(seqno)), "{err}");
        }
        other => panic!("expected a Corrupt error naming the entry, got {other}"),
    }
}

#[test]
fn intact_ledger_verifies_with_everything_pinned() {
    let ledger = Ledger::generate("intact");
    ledger
        .verify(VerifyOptions {
            service_cert: Some(ledger.service_cert()),
            ledger_secret: Some(ledger.secret()),
            receipts_dir: Some(ledger.root.join("receipts")),
        })
        .unwrap();
}

#[test]
fn flipped_public_byte_is_named_by_merkle_tree_and_by_gcm() {
    let ledger = Ledger::generate("flip");
    let (path, offset) = ledger.locate(17);
    flip(&path, find(&path, b"public value 17", offset as usize) + 3);
    let err = ledger.verify_plain();
    assert_names(&err, &path, offset, 17);
    assert!(err.to_string().contains("changed after signing"), "{err}");
    let err = ledger
        .verify(VerifyOptions {
            ledger_secret: Some(ledger.secret()),
            ..Default::default()
        })
        .unwrap_err();
    assert_names(&err, &path, offset, 17);
    assert!(err.to_string().contains("does not decode"), "{err}");
}

#[test]
fn tampered_private_domain_is_caught_with_and_without_the_secret() {
    let ledger = Ledger::generate("private");
    let (path, offset) = ledger.locate(22);
    let (_, next_offset) = ledger.locate(23);
    // The last byte of entry 22 is private-domain ciphertext.
    flip(&path, next_offset as usize - 1);
    assert_names(&ledger.verify_plain(), &path, offset, 22);
    let err = ledger
        .verify(VerifyOptions {
            ledger_secret: Some(ledger.secret()),
            ..Default::default()
        })
        .unwrap_err();
    assert_names(&err, &path, offset, 22);
}

#[test]
fn forged_node_signature_is_rejected_at_its_signature() {
    let ledger = Ledger::generate("node-sig");
    let (path, offset) = ledger.locate(30);
    let at = find(&path, b"\"sig\":\"", offset as usize) + 20;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&path, bytes).unwrap();
    let err = ledger.verify_plain();
    assert_names(&err, &path, offset, 30);
    assert!(err.to_string().contains("node signature"), "{err}");
}

#[test]
fn forged_cose_signature_is_rejected_at_its_signature() {
    let ledger = Ledger::generate("cose-sig");
    let (path, offset) = ledger.locate(36);
    let start = find(&path, b"\"0oR", offset as usize);
    let end = find(&path, b"\"", start + 1);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = end - 10;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&path, bytes).unwrap();
    let err = ledger.verify_plain();
    assert_names(&err, &path, offset, 36);
    assert!(err.to_string().contains("COSE"), "{err}");
}

#[test]
fn wrong_service_certificate_is_rejected_at_genesis() {
    let ledger = Ledger::generate("service-a");
    let other = Ledger::generate("service-b");
    let err = ledger
        .verify(VerifyOptions {
            service_cert: Some(other.service_cert()),
            ..Default::default()
        })
        .unwrap_err();
    let (path, offset) = ledger.locate(1);
    assert_names(&err, &path, offset, 1);
    assert!(
        err.to_string()
            .contains("not the given service certificate"),
        "{err}"
    );
}

#[test]
fn truncated_chunk_is_rejected_naming_the_file() {
    let ledger = Ledger::generate("truncate");
    let chunk = ledger.chunks()[1].clone();
    let len = std::fs::metadata(&chunk).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&chunk)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let err = ledger.verify_plain();
    assert!(err.to_string().contains(chunk.to_str().unwrap()), "{err}");
}

#[test]
fn missing_chunk_is_a_gap() {
    let ledger = Ledger::generate("missing");
    let chunks = ledger.chunks();
    std::fs::remove_file(&chunks[1]).unwrap();
    let err = ledger.verify_plain();
    assert!(matches!(err, LedgerError::ChunkLayout { .. }), "{err}");
    assert!(err.to_string().contains("gap"), "{err}");
}

#[test]
fn duplicated_chunk_is_rejected() {
    let ledger = Ledger::generate("duplicate");
    let chunk = ledger.chunks()[1].clone();
    let copy = chunk.with_extension("");
    std::fs::copy(&chunk, &copy).unwrap();
    let err = ledger.verify_plain();
    assert!(matches!(err, LedgerError::ChunkLayout { .. }), "{err}");
    assert!(err.to_string().contains("duplicate"), "{err}");
}

#[test]
fn swapped_chunks_are_rejected_naming_a_file() {
    let ledger = Ledger::generate("swap");
    let chunks = ledger.chunks();
    let (a, b) = (&chunks[1], &chunks[2]);
    let parked = a.with_extension("parked.ignored");
    std::fs::rename(a, &parked).unwrap();
    std::fs::rename(b, a).unwrap();
    std::fs::rename(&parked, b).unwrap();
    let err = ledger.verify_plain();
    let text = err.to_string();
    assert!(
        text.contains(a.to_str().unwrap()) || text.contains(b.to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn renamed_chunk_is_rejected() {
    let ledger = Ledger::generate("rename");
    let chunks = ledger.chunks();
    let last = chunks.last().unwrap();
    let name = last.file_name().unwrap().to_str().unwrap();
    let (range, _) = name["ledger_".len()..].split_once('.').unwrap();
    let (start, end) = range.split_once('-').unwrap();
    let end: u64 = end.parse().unwrap();
    let renamed = last.with_file_name(format!("ledger_{start}-{}.committed", end + 1));
    std::fs::rename(last, &renamed).unwrap();
    let err = ledger.verify_plain();
    assert!(err.to_string().contains(renamed.to_str().unwrap()), "{err}");
}

#[test]
fn tampered_receipts_are_rejected() {
    let ledger = Ledger::generate("receipts");
    let receipts = ledger.root.join("receipts");
    let mut json: Vec<PathBuf> = std::fs::read_dir(&receipts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    json.sort();
    let target = &json[0];
    let mut receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(target).unwrap()).unwrap();
    receipt["leaf_components"]["commit_evidence"] = "ce:2.1:00".into();
    std::fs::write(target, serde_json::to_vec(&receipt).unwrap()).unwrap();
    let options = || VerifyOptions {
        receipts_dir: Some(receipts.clone()),
        ..Default::default()
    };
    match ledger.verify(options()).unwrap_err() {
        LedgerError::ReceiptRejected { path, .. } => assert_eq!(&path, target),
        other => panic!("expected a receipt rejection, got {other}"),
    }
    std::fs::remove_file(target).unwrap();
    let cose = target.with_extension("cose");
    let len = std::fs::read(&cose).unwrap().len();
    flip(&cose, len - 5);
    match ledger.verify(options()).unwrap_err() {
        LedgerError::ReceiptRejected { path, .. } => assert_eq!(path, cose),
        other => panic!("expected a receipt rejection, got {other}"),
    }
}

#[test]
fn receipts_of_another_ledger_are_rejected() {
    let ledger = Ledger::generate("mine");
    let other = Ledger::generate("theirs");
    let err = ledger
        .verify(VerifyOptions {
            receipts_dir: Some(other.root.join("receipts")),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, LedgerError::ReceiptRejected { .. }), "{err}");
}

#[test]
fn damaged_tree_table_is_blamed_on_the_signature_not_an_entry() {
    let ledger = Ledger::generate("tree");
    let (path, offset) = ledger.locate(24);
    // The tree value follows its name, read version, read count, write count, the 8-byte key
    // with its length, and its own length.
    let value = find(&path, b"public:ccf.internal.tree", offset as usize) + 24 + 6 * 8;
    flip(&path, value + 16 + 5);
    let err = ledger.verify_plain();
    assert_names(&err, &path, offset, 24);
    assert!(
        err.to_string()
            .contains("does not match the recomputed tree"),
        "{err}"
    );
}
