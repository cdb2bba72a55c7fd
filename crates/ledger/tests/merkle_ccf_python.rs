//! The tree against `shared/ccf-compat/ccf_merkle.py`, the independent Python tree whose roots,
//! paths and merklecpp serialisation CCF's own Python package accepts (`merkle_selftest.py`).
//! Needs `python3`; fails (never skips) when the script is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_crypto::sha256;
use quorate_ledger::merkle::{MerkleTree, Side};
use std::path::PathBuf;
use std::process::Command;

const SIZES: [u64; 9] = [1, 2, 3, 5, 8, 13, 17, 33, 64];

/// Prints, for each size, the root, every leaf's path and the serialisation from every index.
const SCRIPT: &str = r#"
import hashlib, struct, sys
sys.path.insert(0, sys.argv[1])
import ccf_merkle as M
for n in [int(a) for a in sys.argv[2:]]:
    leaves = [hashlib.sha256(struct.pack("<Q", i)).digest() for i in range(n)]
    print("root", n, M.root(leaves).hex())
    for i in range(n):
        steps = ",".join(("L" if left else "R") + s.hex() for left, s in M.path(leaves, i))
        print("path", n, i, steps)
    for frm in range(n):
        print("ser", n, frm, M.serialise_merklecpp(leaves, frm, n - 1).hex())
"#;

fn compat_dir() -> PathBuf {
    let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    repo_root.join("../shared/ccf-compat")
}

fn ours(sizes: &[u64]) -> Vec<String> {
    let mut lines = Vec::new();
    for &n in sizes {
        let mut tree = MerkleTree::new();
        (0..n).for_each(|i| tree.append(sha256(&i.to_le_bytes())));
        lines.push(format!("root {n} {}", hex::encode(tree.root().unwrap())));
        for i in 0..n {
            let steps: Vec<String> = tree
                .inclusion_proof(i)
                .unwrap()
                .iter()
                .map(|step| {
                    let side = if step.side == Side::Left { "L" } else { "R" };
                    format!("{side}{}", hex::encode(step.hash))
                })
                .collect();
            lines.push(format!("path {n} {i} {}", steps.join(",")));
        }
        for from in 0..n {
            let mut flushed = tree.clone();
            flushed.flush_to(from).unwrap();
            let blob = flushed.serialise(from, n - 1).unwrap();
            lines.push(format!("ser {n} {from} {}", hex::encode(blob)));
        }
    }
    lines
}

#[test]
fn matches_ccf_merkle_py() {
    let dir = compat_dir();
    assert!(
        dir.join("ccf_merkle.py").is_file(),
        "{} is missing",
        dir.join("ccf_merkle.py").display()
    );
    let output = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&dir)
        .args(SIZES.iter().map(u64::to_string))
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect();
    let ours: Vec<String> = ours(&SIZES)
        .iter()
        .map(|l| l.trim_end().to_owned())
        .collect();
    assert_eq!(ours.len(), theirs.len());
    for (ours, theirs) in ours.iter().zip(&theirs) {
        assert_eq!(ours, theirs);
    }
}
