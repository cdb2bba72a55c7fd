//! `quorate sandbox` as the README runs it: from a directory, with the default relative
//! workspace. The service opens, the printed commands name files that exist, and Ctrl-C
//! (SIGINT) stops it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{QUORATE, free_base_port, signal};

/// Runs the sandbox in `dir` until it prints its banner; returns the lines it printed.
fn run_until_open(dir: &std::path::Path, port: u16) -> Vec<String> {
    let mut child = Command::new(QUORATE)
        .args(["sandbox", "--nodes", "1", "--port", &port.to_string()])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut printed = Vec::new();
    loop {
        let Ok(line) = received.recv_timeout(Duration::from_secs(90)) else {
            let log = |name: &str| {
                std::fs::read_to_string(dir.join("workspace/sandbox_0").join(name))
                    .unwrap_or_default()
            };
            panic!(
                "the sandbox printed nothing more for 90 s after {printed:?}\nnode out:\n{}\nnode err:\n{}",
                log("out"),
                log("err")
            );
        };
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    signal(child.id(), "-INT");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    while let Ok(line) = received.recv_timeout(Duration::from_secs(5)) {
        printed.push(line);
    }
    printed
}

#[test]
fn the_readme_command_works_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_base_port(1);
    let first = run_until_open(dir.path(), port);
    assert!(
        first.iter().any(|l| l.contains("service open")),
        "{first:?}"
    );
    let curl = first
        .iter()
        .find(|l| l.contains("curl") && l.contains("--cert"))
        .unwrap();
    for word in curl.split_whitespace().filter(|w| w.ends_with(".pem")) {
        assert!(std::path::Path::new(word).is_absolute(), "{word}");
        assert!(std::path::Path::new(word).exists(), "{word}");
    }
    assert!(first.iter().any(|l| l.starts_with("Stopped.")), "{first:?}");
    assert!(dir.path().join("workspace/sandbox_0/ledger").is_dir());
}

/// Resuming a one-node sandbox hung once in about ten local runs (and once in CI): the
/// sandbox printed "Resuming" and the node never became ready within 90 s. Three-node resumes
/// (sandbox_network.rs) have not failed. Kept, ignored, until the cause is found.
#[test]
#[ignore = "intermittent: a one-node sandbox resume sometimes never becomes ready (under investigation)"]
fn the_readme_command_resumes_a_one_node_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_base_port(1);
    run_until_open(dir.path(), port);
    let second = run_until_open(dir.path(), port);
    assert!(second.iter().any(|l| l.contains("Resuming")), "{second:?}");
    assert!(second.iter().any(|l| l.contains("resumed")), "{second:?}");
}
