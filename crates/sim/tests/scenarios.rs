//! Replays CCF's example raft scenarios (read from the shared directory, never copied) and
//! our own scenarios against the Raft engine, with CCF's verdicts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use quorate_sim::scenario::{self, fields};

mod common;
use common::ALL_COMMANDS;

fn shared_examples_dir() -> PathBuf {
    // The repo root is two levels above this crate; `shared/` sits next to it.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/raft-scenarios/examples")
}

fn our_scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The regular files directly in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn assert_passes(path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    let verdict = scenario::run(&text);
    if let Some(f) = verdict.failure {
        panic!(
            "{}:{}: {}\n{}\n{}",
            path.display(),
            f.line_number,
            f.line,
            f.reason,
            f.node_states.join("\n")
        );
    }
}

#[test]
fn ccf_example_scenarios_pass() {
    let dir = shared_examples_dir();
    let files = files_in(&dir);
    let names: BTreeSet<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "append",
        "check_quorum",
        "election",
        "pre_vote",
        "reconfiguration",
        "replicate",
    ]
    .map(String::from)
    .into();
    assert!(
        expected.is_subset(&names),
        "missing CCF examples in {}",
        dir.display()
    );
    files.iter().for_each(|p| assert_passes(p));
}

#[test]
fn our_scenarios_pass() {
    let files = files_in(&our_scenarios_dir());
    assert!(!files.is_empty());
    files.iter().for_each(|p| assert_passes(p));
}

#[test]
fn our_scenarios_use_every_command() {
    let mut used = BTreeSet::new();
    let dirs = [our_scenarios_dir(), our_scenarios_dir().join("must_fail")];
    for path in dirs.iter().flat_map(|d| files_in(d)) {
        for line in fs::read_to_string(&path).unwrap().lines() {
            if let Some(command) = fields(line).first() {
                used.insert(command.to_string());
            }
        }
    }
    let missing: Vec<&&str> = ALL_COMMANDS
        .iter()
        .filter(|c| !used.contains(**c))
        .collect();
    assert!(missing.is_empty(), "commands no scenario uses: {missing:?}");
}

/// Each file under `must_fail/` names, in an `# expect-failure-line: N` header, the line the
/// driver must stop at.
#[test]
fn failing_scenarios_fail_at_the_named_line() {
    let files = files_in(&our_scenarios_dir().join("must_fail"));
    assert!(!files.is_empty());
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        let expected: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect-failure-line: "))
            .unwrap_or_else(|| panic!("{} has no expect-failure-line", path.display()))
            .trim()
            .parse()
            .unwrap();
        let failure = scenario::run(&text)
            .failure
            .unwrap_or_else(|| panic!("{} passed but must fail", path.display()));
        assert_eq!(
            failure.line_number,
            expected,
            "{}: {failure:?}",
            path.display()
        );
    }
}

#[test]
fn a_wrong_assertion_fails_with_its_line_and_node_states() {
    let text = "start_node,0\nemit_signature,2\n\n# comment\nassert_commit_idx,0,2\nassert_detail,0,leadership_state,Follower\nemit_signature,2\n";
    let verdict = scenario::run(text);
    let failure = verdict.failure.expect("the scenario must fail");
    assert_eq!(failure.line_number, 6);
    assert_eq!(failure.line, "assert_detail,0,leadership_state,Follower");
    assert!(failure.reason.contains("Leader"), "{}", failure.reason);
    assert!(
        failure
            .node_states
            .iter()
            .any(|s| s.contains("n[0]: 2.1, [2.2]")),
        "{:?}",
        failure.node_states
    );
}

#[test]
fn commit_waits_until_a_quorum_holds_the_signature() {
    // A 2-node cluster: the second signature commits only once the follower holds it.
    let text = "start_node,0\nemit_signature,2\ntrust_node,2,1\nemit_signature,2\nassert_commit_safety,0\nassert_commit_idx,0,2\ndispatch_all\nperiodic_all,10\ndispatch_all\nassert_commit_idx,0,4\nassert_commit_safety,1\n";
    assert!(scenario::run(text).passed());
}
