#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Generated ledgers: valid by our verifier, chunked at signatures, committed, and byte-identical
//! for the same seed.

use std::collections::BTreeMap;
use std::path::Path;

use quorate_ledger::generate::{GenerateOptions, generate_ledger};
use quorate_ledger::verify::{VerifyOptions, verify_ledger};

fn options(out: &Path, seed: &str) -> GenerateOptions {
    GenerateOptions {
        out_dir: out.to_owned(),
        transactions: 120,
        seed: seed.into(),
        signature_interval: 10,
        chunk_size_bytes: 4096,
        receipts_dir: Some(out.join("receipts")),
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let name = entry.strip_prefix(dir).unwrap().display().to_string();
        out.insert(name, std::fs::read(&entry).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn generated_ledger_verifies_with_its_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate_ledger(&options(dir.path(), "alpha")).unwrap();
    assert_eq!(summary.transactions, 120);
    assert_eq!(summary.signatures, 13);
    assert!(summary.receipts >= 10, "{summary:?}");
    let chunks: Vec<String> = std::fs::read_dir(&summary.ledger_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(chunks.len() > 2, "{chunks:?}");
    assert!(
        chunks.iter().all(|name| name.ends_with(".committed")),
        "{chunks:?}"
    );
    let report = verify_ledger(
        dir.path(),
        &VerifyOptions {
            receipts_dir: Some(dir.path().join("receipts")),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.transactions, 120);
    assert_eq!(report.signatures, 13);
    assert_eq!(report.unsigned_tail, 0);
    assert_eq!(report.receipts, 2 * summary.receipts);
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    generate_ledger(&options(a.path(), "alpha")).unwrap();
    generate_ledger(&options(b.path(), "alpha")).unwrap();
    generate_ledger(&options(c.path(), "beta")).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa, fb);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fc.keys().collect::<Vec<_>>());
    assert_ne!(fa, fc);
}

#[test]
fn refuses_to_overwrite_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    generate_ledger(&options(dir.path(), "alpha")).unwrap();
    let err = generate_ledger(&options(dir.path(), "alpha")).unwrap_err();
    assert!(err.to_string().contains("fresh directory"), "{err}");
}
