//! A driver for CCF's raft-scenario files (`tests/raft_scenarios/*`), with CCF's driver
//! semantics (see `shared/raft-scenarios/README.md`): one command per line, a commit-safety
//! check after every state-changing command, an implicit final `loop_until_sync`, and the
//! first failure ending the run.
//!
//! Where we differ from CCF's driver, on purpose:
//! - election-timer jitter is a fixed 0 ms (CCF draws 0..=50 ms from an unseeded generator;
//!   every verdict is the same for any fixed value in that range), and `shuffle_one` /
//!   `shuffle_all` use a fixed seed, so every run is reproducible;
//! - entries attached to an AppendEntries at delivery keep their own terms (CCF stamps them
//!   with the message's `term_of_idx`; the two differ only if the sender rolled back and
//!   re-appended between sending and delivery);
//! - the transcript holds only the driver's `<RaftDriver>` lines, not the engine's debug log.

mod checks;
mod cluster;
mod commands;
mod details;
mod dispatch;
mod parse;
mod render;

use bytes::Bytes;

pub use parse::fields;

use cluster::Cluster;
use commands::Check;

/// Why a scenario failed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioFailure {
    /// 1-based line number; for the implicit final `loop_until_sync`, the line after the
    /// last one read (as CCF reports it).
    pub line_number: usize,
    /// The line as written, or `(implicit loop_until_sync)`.
    pub line: String,
    pub reason: String,
    /// One state line and one log summary per node at the moment of failure.
    pub node_states: Vec<String>,
}

/// The result of one run: the driver's printed lines, and the failure if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub transcript: Vec<String>,
    pub failure: Option<ScenarioFailure>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The payload of the stand-in signature transaction.
fn signature() -> Bytes {
    Bytes::from_static(b"signature")
}

/// Runs a scenario given as text.
pub fn run(text: &str) -> Verdict {
    let mut cluster = Cluster::default();
    let mut line_number = 1;
    for line in text.lines() {
        let fields = parse::fields(line);
        if fields.first().is_some_and(|f| f.starts_with("====")) {
            break;
        }
        if let Some((command, args)) = fields.split_first()
            && !command.is_empty()
        {
            let outcome = commands::run(&mut cluster, command, args).and_then(|check| {
                if check == Check::CommitSafety {
                    cluster.assert_commit_safety_all()
                } else {
                    Ok(())
                }
            });
            if let Err(reason) = outcome {
                return fail(cluster, line_number, line, reason);
            }
        }
        line_number += 1;
    }
    match cluster.loop_until_sync() {
        Ok(()) => Verdict {
            transcript: cluster.transcript,
            failure: None,
        },
        Err(reason) => fail(cluster, line_number, "(implicit loop_until_sync)", reason),
    }
}

fn fail(cluster: Cluster, line_number: usize, line: &str, reason: String) -> Verdict {
    let node_states = cluster
        .nodes
        .iter()
        .flat_map(|(name, n)| {
            [
                render::state_line(name, &n.raft),
                render::log_summary(name, &n.raft),
            ]
        })
        .collect();
    Verdict {
        transcript: cluster.transcript,
        failure: Some(ScenarioFailure {
            line_number,
            line: line.to_string(),
            reason,
            node_states,
        }),
    }
}
