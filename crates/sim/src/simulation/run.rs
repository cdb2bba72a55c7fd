//! One seed, start to finish: a safety phase with faults, a liveness phase with the faults
//! healed, then whole-run checks (log matching, committed prefixes, linearizability).

use quorate_consensus::{ConsensusEngine, Entry, NodeId};

use super::cluster::Cluster;
use super::config::{NetworkFaults, SimConfig};
use super::invariants::check_logs_match;
use super::report::{Failure, RunReport};
use super::trace::Event;
use crate::linearizability::{KvModel, Verdict, check_operations};

/// Search steps the linearizability checker may spend per key.
const LINEARIZABILITY_STEP_BUDGET: u64 = 200_000;

/// Runs `seed` under `config`. Deterministic: the same arguments give the same report.
pub fn run_seed(config: &SimConfig, seed: u64) -> RunReport {
    let mut cluster = Cluster::new(config, seed);
    let outcome = run_phases(&mut cluster).and_then(|()| check_whole_run(&cluster));
    let failure = outcome.err().map(|reason| Failure {
        reason,
        at_ms: cluster.now_ms,
    });
    let operations_returned = cluster.clients.returned_count();
    let Cluster {
        trace,
        clients,
        elections,
        committed,
        now_ms,
        crash_count,
        restart_count,
        outage_count,
        join_count,
        split_count,
        ..
    } = cluster;
    let history = clients.finish();
    let (failure, linearizability) = match failure {
        Some(failure) => (Some(failure), "not checked".to_owned()),
        None => match check_operations(&KvModel, &history, LINEARIZABILITY_STEP_BUDGET) {
            Ok(Verdict::NotLinearizable(violation)) => (
                Some(Failure {
                    reason: format!("Linearizability: {violation}"),
                    at_ms: now_ms,
                }),
                "not linearizable".to_owned(),
            ),
            Ok(verdict) => (None, verdict.to_string()),
            Err(error) => (
                Some(Failure {
                    reason: error.to_string(),
                    at_ms: now_ms,
                }),
                "not checked".to_owned(),
            ),
        },
    };
    RunReport {
        seed,
        failure,
        trace_hash: trace.hash(),
        event_count: trace.event_count(),
        trace_tail: trace.tail_lines(),
        end_ms: now_ms,
        committed: committed.len(),
        leaders_elected: elections.leader_count(),
        crashes: crash_count,
        restarts: restart_count,
        outages: outage_count,
        joins: join_count,
        splits: split_count,
        operations: history.len(),
        operations_returned,
        linearizability,
    }
}

fn run_phases(cluster: &mut Cluster) -> Result<(), String> {
    while cluster.now_ms < cluster.config.safety_phase_ms {
        cluster.step(true)?;
    }
    cluster.trace.record(cluster.now_ms, Event::LivenessPhase);
    cluster.network.heal();
    cluster.network.set_faults(NetworkFaults::HEALED);
    let committed_at_heal = cluster.committed.len();
    let deadline_ms = cluster.now_ms + cluster.config.liveness_bound_ms;
    while !made_progress(cluster, committed_at_heal) {
        if cluster.now_ms >= deadline_ms {
            return Err(format!(
                "Liveness: no leader committed in its own term past {committed_at_heal} within \
                 {} ms of healing (leader: {})",
                cluster.config.liveness_bound_ms,
                cluster
                    .leader()
                    .map_or("none".to_owned(), |l| l.to_string())
            ));
        }
        cluster.step(false)?;
    }
    Ok(())
}

/// A live leader has committed in its own term something new since healing (or, when no
/// clients submit anything, everything it holds).
fn made_progress(cluster: &Cluster, committed_at_heal: u64) -> bool {
    cluster
        .leader()
        .and_then(|id| cluster.nodes.get(&id))
        .is_some_and(|node| {
            let engine = &node.engine;
            let commit = engine.commit_index();
            let own_term = engine
                .entry(commit)
                .is_some_and(|e| e.term == engine.term());
            let idle = cluster.config.client_count == 0 && commit == engine.last_index();
            own_term && (commit > committed_at_heal || idle)
        })
}

/// Checks that are too slow for every step: full pairwise log matching and every node's
/// committed prefix against the global committed log.
fn check_whole_run(cluster: &Cluster) -> Result<(), String> {
    let logs: Vec<(NodeId, &[Entry])> = cluster
        .nodes
        .iter()
        .filter(|(_, n)| n.alive)
        .map(|(id, n)| (*id, n.engine.entries()))
        .collect();
    check_logs_match(&logs)?;
    for (id, log) in &logs {
        cluster.committed.check_node_prefix(*id, log)?;
    }
    Ok(())
}
