//! Chunk files against an independent CCF-format writer: `shared/ccf-compat/make_sample_ledger.py`
//! builds a 17-entry ledger (chunks `ledger_1-9.committed`, `ledger_10-14.committed`, open
//! `ledger_15`) and CCF's own Python package (`ccf.ledger`) lists its entries. Our reader must
//! see the same entries, and our writer, fed those entries, must reproduce the files byte for
//! byte. Needs the venv `/tmp/ccfpy` (see `shared/ccf-compat/setup_venv.sh`); fails, never
//! skips, without it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_crypto::sha256;
use quorate_ledger::chunk::{LedgerReader, LedgerWriter, WriterConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

const PYTHON: &str = "/tmp/ccfpy/bin/python";

/// Prints `seqno sha256(raw entry) is_signature` for every entry, as `ccf.ledger` reads them.
const LIST_ENTRIES: &str = r#"
import sys, hashlib
from ccf.ledger import Ledger
for chunk in Ledger([sys.argv[1]], committed_only=False):
    for tx in chunk:
        tables = tx.get_public_domain().get_tables()
        print(tx.gcm_header.seqno, hashlib.sha256(tx.get_raw_tx()).hexdigest(),
              int("public:ccf.internal.signatures" in tables))
"#;

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/ccf-compat")
}

fn run_python(args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(PYTHON)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{PYTHON}: {e} (run shared/ccf-compat/setup_venv.sh)"));
    assert!(
        output.status.success(),
        "{PYTHON} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn sample_ledger(out: &Path) -> PathBuf {
    let script = compat_dir().join("make_sample_ledger.py");
    assert!(script.is_file(), "{} is missing", script.display());
    run_python(&[
        script.as_os_str(),
        out.as_os_str(),
        "--variant".as_ref(),
        "good".as_ref(),
    ]);
    out.join("ledger")
}

#[test]
fn reads_and_rewrites_an_independent_ccf_ledger() {
    let work = tempfile::tempdir().unwrap();
    let ledger = sample_ledger(&work.path().join("sample"));
    let expected: Vec<(u64, String, bool)> =
        run_python(&["-c".as_ref(), LIST_ENTRIES.as_ref(), ledger.as_os_str()])
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                (
                    fields[0].parse().unwrap(),
                    fields[1].to_owned(),
                    fields[2] == "1",
                )
            })
            .collect();
    assert_eq!(expected.len(), 17);

    let reader = LedgerReader::open(&ledger, &[]).unwrap();
    let entries = reader.read_range(1, 17).unwrap();
    let ours: Vec<(u64, String)> = entries
        .iter()
        .map(|e| (e.seqno, hex::encode(sha256(&e.bytes))))
        .collect();
    let theirs: Vec<(u64, String)> = expected.iter().map(|(s, h, _)| (*s, h.clone())).collect();
    assert_eq!(ours, theirs);

    // The smallest size at which both closed chunks complete at their last signature, and
    // not at the earlier signature 2.
    let chunk_bytes = |name: &str| std::fs::metadata(ledger.join(name)).unwrap().len();
    let chunk_size_bytes = (chunk_bytes("ledger_1-9.committed") - 9 * 4)
        .min(chunk_bytes("ledger_10-14.committed") - 5 * 4);
    let rewritten = work.path().join("rewritten");
    let mut writer = LedgerWriter::open(
        &rewritten,
        WriterConfig {
            chunk_size_bytes,
            ..WriterConfig::default()
        },
    )
    .unwrap();
    for (entry, (_, _, is_signature)) in entries.iter().zip(&expected) {
        writer
            .append(entry.seqno, &entry.bytes, *is_signature)
            .unwrap();
    }
    writer.commit(14).unwrap();
    writer.sync().unwrap();
    for name in [
        "ledger_1-9.committed",
        "ledger_10-14.committed",
        "ledger_15",
    ] {
        assert_eq!(
            std::fs::read(rewritten.join(name)).unwrap(),
            std::fs::read(ledger.join(name)).unwrap(),
            "{name} differs from the independent writer's"
        );
    }
}
