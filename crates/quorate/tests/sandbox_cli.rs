//! `quorate sandbox` as the README runs it: from a directory, with the default relative
//! workspace. The service opens, the printed commands name files that exist, and Ctrl-C
//! (SIGINT) stops it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{QUORATE, Sandbox, free_base_port, processes_under, signal, wait_bounded};

const STARTUP: Duration = Duration::from_secs(90);

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

/// Resuming a one-node sandbox once hung in about ten runs: "Resuming" was printed and the node
/// never became ready. Ctrl-C could then reach the sandbox before it listened for it, which
/// killed the sandbox alone and left its node holding the ports; the sandbox now listens from
/// its first line and refuses ports that are taken.
#[test]
fn the_readme_command_resumes_a_one_node_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_base_port(1);
    run_until_open(dir.path(), port);
    let second = run_until_open(dir.path(), port);
    assert!(second.iter().any(|l| l.contains("Resuming")), "{second:?}");
    assert!(second.iter().any(|l| l.contains("resumed")), "{second:?}");
}

/// Ctrl-C while the sandbox is still starting stops the nodes it has started and ends the
/// sandbox with an error of its own. It used to reach the default action (no listener yet),
/// which killed the sandbox alone and left its nodes serving.
#[test]
fn an_interrupt_during_startup_stops_the_nodes_already_started() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_base_port(3);
    let mut child = Command::new(QUORATE)
        .args(["sandbox", "--nodes", "3", "--port", &port.to_string()])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("Creating"), "{first}");
    // The first node is being started or already runs: interrupt now.
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id(), "-INT");
    // Within the sandbox's 15 s SIGTERM grace: a node still joining stops at once too.
    let status = wait_bounded(&mut child, Duration::from_secs(10)).unwrap();
    assert!(
        status.code().is_some_and(|code| code != 0),
        "the sandbox must end with an error of its own, not die of the signal: {status:?}"
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("interrupted while starting"), "{stderr}");
    let left = processes_under(dir.path());
    assert!(left.is_empty(), "node processes left running: {left:?}");
}

/// A second sandbox on a workspace whose nodes still run refuses at once, naming the taken
/// port, instead of taking the running nodes for the ones it starts.
#[test]
fn a_second_sandbox_on_a_running_workspace_names_the_taken_port() {
    let mut running = Sandbox::start(1, STARTUP);
    let mut second = Command::new(QUORATE)
        .args(["sandbox", "--port", &running.rpc_ports[0].to_string()])
        .arg("--workspace")
        .arg(running.workspace.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut second, Duration::from_secs(30)).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{} is taken", running.rpc_ports[0])),
        "{stderr}"
    );
    running.stop();
}
