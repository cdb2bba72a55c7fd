//! `quorate gov` against a live sandbox: a member proposes, votes, lists, shows and withdraws
//! from the command line, and each command's output is the service's answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{QUORATE, Sandbox};

const STARTUP: Duration = Duration::from_secs(90);

/// Runs `quorate gov` as member0 against node 0; returns (success, stdout as JSON, stderr).
fn gov(sandbox: &Sandbox, args: &[&str]) -> (bool, Value, String) {
    let common = sandbox.common();
    let output = Command::new(QUORATE)
        .arg("gov")
        .arg("--signing-cert")
        .arg(common.join("member0_cert.pem"))
        .arg("--signing-key")
        .arg(common.join("member0_privk.pem"))
        .arg("--service-cert")
        .arg(common.join("service_cert.pem"))
        .arg("--rpc-address")
        .arg(sandbox.address(0).to_string())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    (
        output.status.success(),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_member_governs_from_the_command_line() {
    let sandbox = Sandbox::start(1, STARTUP);
    let proposal = sandbox.workspace.path().join("proposal.json");
    let user_cert = std::fs::read_to_string(sandbox.common().join("user0_cert.pem")).unwrap();
    let user_id = {
        let cert = quorate_crypto::Certificate::from_pem(&user_cert).unwrap();
        cert.fingerprint_sha256_hex()
    };
    let actions = serde_json::json!({"actions": [{
        "name": "set_user_data",
        "args": {"user_id": user_id, "user_data": {"desk": "settlements"}},
    }]});
    std::fs::write(&proposal, actions.to_string()).unwrap();

    // Propose: Open until member0 (the only member) votes.
    let (ok, created, err) = gov(&sandbox, &["propose", proposal.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(created["proposalState"], "Open");
    let id = created["proposalId"].as_str().unwrap().to_owned();

    let (ok, shown, err) = gov(&sandbox, &["show", &id]);
    assert!(ok, "{err}");
    assert_eq!(shown["proposalState"], "Open");
    assert_eq!(shown["actions"], actions);
    let (ok, listed, _) = gov(&sandbox, &["list"]);
    assert!(ok);
    assert!(
        listed["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["proposalId"] == id.as_str())
    );

    // Vote: accepted, and the effect is visible in the service's users view.
    let (ok, voted, err) = gov(&sandbox, &["vote", &id, "--accept"]);
    assert!(ok, "{err}");
    assert_eq!(voted["proposalState"], "Accepted");
    assert_eq!(voted["finalVotes"].as_object().unwrap().len(), 1);
    let path = format!("/gov/service/users/{user_id}?api-version=2024-07-01");
    let user = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(support::try_get(
            &sandbox.tls(None),
            sandbox.address(0),
            &path,
        ))
        .unwrap()
        .json()
        .unwrap();
    // As in CCF, `userData` is the `users.info` value, `{"user_data": ...}`.
    assert_eq!(
        user["userData"]["user_data"]["desk"], "settlements",
        "{user}"
    );

    // A second proposal, withdrawn by its proposer, refuses votes.
    std::fs::write(
        &proposal,
        actions.to_string().replace("settlements", "audit"),
    )
    .unwrap();
    let (ok, second, _) = gov(&sandbox, &["propose", proposal.to_str().unwrap()]);
    assert!(ok);
    let second_id = second["proposalId"].as_str().unwrap().to_owned();
    let (ok, withdrawn, err) = gov(&sandbox, &["withdraw", &second_id]);
    assert!(ok, "{err}");
    assert_eq!(withdrawn["proposalState"], "Withdrawn");
    let (ok, _, err) = gov(&sandbox, &["vote", &second_id, "--reject"]);
    assert!(!ok);
    assert!(err.contains("ProposalNotOpen"), "{err}");

    // A ballot file: a vote against.
    let (ok, third, _) = gov(&sandbox, &["propose", proposal.to_str().unwrap()]);
    assert!(ok);
    let third_id = third["proposalId"].as_str().unwrap().to_owned();
    let ballot = sandbox.workspace.path().join("ballot.js");
    std::fs::write(
        &ballot,
        "export function vote(proposal, proposerId) { return false; }",
    )
    .unwrap();
    let (ok, voted, err) = gov(
        &sandbox,
        &["vote", &third_id, "--ballot", ballot.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert_eq!(voted["proposalState"], "Open");
    assert_eq!(voted["ballotCount"], 1);

    // `ack` on an already Active member leaves it Active.
    let (ok, member, err) = gov(&sandbox, &["ack"]);
    assert!(ok, "{err}");
    assert_eq!(member["status"], "Active");

    let (ok, _, err) = gov(&sandbox, &["show", "not-an-id"]);
    assert!(!ok);
    assert!(err.contains("InvalidResourceName"), "{err}");
}
