#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `quorate ledger generate | verify | show` as a user runs them: exit codes and output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("quorate-ledger-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn quorate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quorate"))
        .args(args)
        .output()
        .unwrap()
}

fn generate(out: &Path) {
    let out = out.to_str().unwrap();
    let receipts = format!("{out}/receipts");
    let result = quorate(&[
        "ledger",
        "generate",
        "--out",
        out,
        "--txs",
        "50",
        "--seed",
        "cli",
        "--sig-every",
        "7",
        "--chunk-size",
        "3000",
        "--receipts",
        &receipts,
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn generate_then_verify_succeeds() {
    let scratch = Scratch::new("ok");
    generate(&scratch.0);
    let out = scratch.0.to_str().unwrap();
    let secret = std::fs::read_to_string(scratch.0.join("ledger_secret.hex")).unwrap();
    let result = quorate(&[
        "ledger",
        "verify",
        out,
        "--service-cert",
        &format!("{out}/service_cert.pem"),
        "--receipts",
        &format!("{out}/receipts"),
        "--ledger-secret",
        secret.trim(),
    ]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{stdout}");
    assert!(stdout.contains("verified 50 transactions"), "{stdout}");
}

#[test]
fn verify_fails_with_exit_1_naming_the_file() {
    let scratch = Scratch::new("bad");
    generate(&scratch.0);
    let ledger = scratch.0.join("ledger");
    let mut chunks: Vec<PathBuf> = std::fs::read_dir(&ledger)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    chunks.sort();
    let victim = &chunks[0];
    let mut bytes = std::fs::read(victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(victim, bytes).unwrap();
    let result = quorate(&["ledger", "verify", scratch.0.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert_eq!(result.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED") && stdout.contains(victim.to_str().unwrap()),
        "{stdout}"
    );
}

#[test]
fn show_prints_private_maps_only_with_the_secret() {
    let scratch = Scratch::new("show");
    generate(&scratch.0);
    let out = scratch.0.to_str().unwrap();
    let plain = quorate(&["ledger", "show", out]);
    assert!(plain.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(plain.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 50);
    assert_eq!(lines[9]["txid"], "2.10");
    assert_eq!(
        lines[9]["public"]["public:records"]["writes"]["record-10"],
        "public value 10"
    );
    assert!(lines[9]["private_size_bytes"].as_u64().unwrap() > 0);
    let secret = std::fs::read_to_string(scratch.0.join("ledger_secret.hex")).unwrap();
    let with_secret = quorate(&["ledger", "show", out, "--ledger-secret", secret.trim()]);
    let text = String::from_utf8(with_secret.stdout).unwrap();
    let line: serde_json::Value = serde_json::from_str(text.lines().nth(9).unwrap()).unwrap();
    assert_eq!(
        line["private"]["records"]["writes"]["secret-10"],
        "private value 10"
    );
}
