//! Our merklecpp serialisation read by CCF's own Python package (`ccf.merkletree.MerkleTree
//! .deserialise`, what `read_ledger.py` uses at MERKLE level): the rebuilt root must be ours, and
//! appending more leaves afterwards must keep matching. Needs the venv `/tmp/ccfpy` (see
//! `shared/ccf-compat/setup_venv.sh`); fails, never skips, without it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_crypto::{Sha256Digest, sha256};
use quorate_ledger::merkle::MerkleTree;
use std::io::Write;
use std::process::{Command, Stdio};

const PYTHON: &str = "/tmp/ccfpy/bin/python";
const EXTRA_LEAVES: u64 = 5;

/// Reads lines `<serialised tree hex> <extra leaves hex, comma-separated>` and prints, per line,
/// the deserialised root and the root after each extra leaf.
const SCRIPT: &str = r#"
import sys
from ccf.merkletree import MerkleTree
for line in sys.stdin:
    blob, extra = line.split()
    t = MerkleTree()
    data = bytes.fromhex(blob)
    assert t.deserialise(data) == len(data)
    roots = [t.get_merkle_root().hex()]
    for leaf in extra.split(","):
        t.add_leaf(bytes.fromhex(leaf), do_hash=False)
        roots.append(t.get_merkle_root().hex())
    print(",".join(roots))
"#;

fn leaf(i: u64) -> Sha256Digest {
    sha256(&i.to_le_bytes())
}

#[test]
fn ccf_deserialises_our_trees() {
    let mut input = String::new();
    let mut expected = Vec::new();
    for n in [1u64, 2, 3, 7, 8, 9, 31, 64, 100] {
        let mut tree = MerkleTree::new();
        (0..n).for_each(|i| tree.append(leaf(i)));
        for from in (0..n).step_by(3) {
            let mut flushed = tree.clone();
            flushed.flush_to(from).unwrap();
            let blob = flushed.serialise(from, n - 1).unwrap();
            let extra: Vec<String> = (n..n + EXTRA_LEAVES)
                .map(|i| hex::encode(leaf(i)))
                .collect();
            input.push_str(&format!("{} {}\n", hex::encode(&blob), extra.join(",")));
            let mut roots = vec![hex::encode(flushed.root().unwrap())];
            for i in n..n + EXTRA_LEAVES {
                flushed.append(leaf(i));
                roots.push(hex::encode(flushed.root().unwrap()));
            }
            expected.push(roots.join(","));
        }
    }
    let mut child = Command::new(PYTHON)
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{PYTHON}: {e} (run shared/ccf-compat/setup_venv.sh)"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "ccf.merkletree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs, expected);
}
