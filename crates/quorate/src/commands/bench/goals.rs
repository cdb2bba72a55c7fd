//! The targets, judged from one run's points (goals that drive optimisation, not CI
//! gates):
//!
//! - **W1** writes, 3 nodes, durable, 256 connections: ≥ 4× etcd-with-TLS writes in the same
//!   run, and p99 ≤ 20 ms.
//! - **R1** reads: ≥ 60% of the nginx HTTPS ceiling in the same run (best over connection
//!   counts on both sides).
//! - **L1** one connection: a write answered in p50 ≤ 0.5 ms; a write until committed in
//!   p50 ≤ 5 ms.
//! - **S1** from 1 to 5 nodes, write throughput drops ≤ 25%.
//! - **J1** the JS logging app's writes ≥ 0.5× the native app's, both 3-node sandboxes of the
//!   same run at the most connections (CCF's JS apps run 3.5–10× slower than its C++ ones).

use std::fmt::Write as _;

use super::report::Point;
use super::workload::{SMALL_MESSAGE, Workload};

/// The setup names the suite gives Quorate's configurations.
pub fn quorate_setup(nodes: usize) -> String {
    format!("{nodes} node{}", if nodes == 1 { "" } else { "s" })
}

/// The 3-node sandbox serving the JS logging app (`apps/logging-js`) instead of the native one.
pub fn quorate_js_setup(nodes: usize) -> String {
    format!("{}, JS logging app", quorate_setup(nodes))
}

/// The commit-latency configuration: frequent signatures and heartbeats.
pub fn quorate_commit_setup(nodes: usize, delay_ms: u64, heartbeat_ms: u64) -> String {
    format!(
        "{}, signatures {delay_ms} ms, heartbeat {heartbeat_ms} ms",
        quorate_setup(nodes)
    )
}

/// One judged goal.
pub struct Verdict {
    pub goal: &'static str,
    pub what: String,
    pub measured: String,
    pub pass: Option<bool>,
}

const SMALL_WRITE: Workload = Workload::Write {
    bytes: SMALL_MESSAGE,
};

fn find<'a>(
    points: &'a [Point],
    system: &str,
    setup: &str,
    workload: Workload,
    connections: usize,
) -> Option<&'a Point> {
    points.iter().find(|p| {
        p.system == system
            && p.setup == setup
            && p.workload == workload
            && p.connections == connections
            && p.is_closed_loop()
            && p.protocol != "h2"
    })
}

fn best<'a>(points: &'a [Point], system: &str, workload: Workload) -> Option<&'a Point> {
    points
        .iter()
        .filter(|p| {
            p.system == system && p.workload == workload && p.is_closed_loop() && p.protocol == "h1"
        })
        .filter(|p| system != "quorate" || p.setup == quorate_setup(3))
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput))
}

/// Judges every goal the points allow; the others are reported as not measured.
pub fn judge(points: &[Point], max_connections: usize, commit_setup: &str) -> Vec<Verdict> {
    let three = quorate_setup(3);
    let mut verdicts = Vec::new();

    let quorate = find(points, "quorate", &three, SMALL_WRITE, max_connections);
    let etcd = points.iter().find(|p| {
        p.system == "etcd"
            && p.workload == SMALL_WRITE
            && p.connections == max_connections
            && p.is_closed_loop()
    });
    verdicts.push(match (quorate, etcd) {
        (Some(q), Some(e)) => {
            let ratio = q.throughput / e.throughput.max(1e-9);
            Verdict {
                goal: "W1",
                what: format!(
                    "3-node durable writes at {max_connections} connections ≥ 4× etcd (TLS), p99 ≤ 20 ms"
                ),
                measured: format!(
                    "{:.0} vs {:.0} writes/s = {ratio:.2}×; p99 {:.1} ms",
                    q.throughput, e.throughput, q.p99_ms
                ),
                pass: Some(ratio >= 4.0 && q.p99_ms <= 20.0),
            }
        }
        _ => not_measured("W1", "writes vs etcd"),
    });

    verdicts.push(
        match (
            best(points, "quorate", Workload::Read),
            best(points, "nginx", Workload::Read),
        ) {
            (Some(q), Some(n)) => {
                let ratio = q.throughput / n.throughput.max(1e-9);
                Verdict {
                    goal: "R1",
                    what: "reads ≥ 60% of the nginx HTTPS ceiling (best over connection counts)"
                        .into(),
                    measured: format!(
                        "{:.0} ({} conns) vs {:.0} ({} conns) = {:.0}%",
                        q.throughput,
                        q.connections,
                        n.throughput,
                        n.connections,
                        ratio * 100.0
                    ),
                    pass: Some(ratio >= 0.6),
                }
            }
            _ => not_measured("R1", "reads vs nginx"),
        },
    );

    verdicts.push(match find(points, "quorate", &three, SMALL_WRITE, 1) {
        Some(q) => Verdict {
            goal: "L1a",
            what: "one connection: a write answered in p50 ≤ 0.5 ms".into(),
            measured: format!("p50 {:.3} ms (p99 {:.2} ms)", q.p50_ms, q.p99_ms),
            pass: Some(q.p50_ms <= 0.5),
        },
        None => not_measured("L1a", "single-connection write"),
    });

    let committed_default = find(points, "quorate", &three, Workload::WriteCommitted, 1);
    let committed_fast = find(points, "quorate", commit_setup, Workload::WriteCommitted, 1);
    verdicts.push(match committed_fast.or(committed_default) {
        Some(q) => {
            let mut measured = format!("p50 {:.2} ms with {}", q.p50_ms, q.setup);
            if let (Some(default), Some(_)) = (committed_default, committed_fast) {
                let _ = write!(
                    measured,
                    "; {:.2} ms with the sandbox's defaults (100 ms, 100 ms)",
                    default.p50_ms
                );
            }
            Verdict {
                goal: "L1b",
                what: "one connection: a write until committed in p50 ≤ 5 ms".into(),
                measured,
                pass: Some(q.p50_ms <= 5.0),
            }
        }
        None => not_measured("L1b", "single-connection commit wait"),
    });

    let one = find(
        points,
        "quorate",
        &quorate_setup(1),
        SMALL_WRITE,
        max_connections,
    );
    let five = find(
        points,
        "quorate",
        &quorate_setup(5),
        SMALL_WRITE,
        max_connections,
    );
    verdicts.push(match (one, five) {
        (Some(one), Some(five)) => {
            let drop = 1.0 - five.throughput / one.throughput.max(1e-9);
            Verdict {
                goal: "S1",
                what: format!(
                    "writes at {max_connections} connections drop ≤ 25% from 1 to 5 nodes"
                ),
                measured: format!(
                    "{:.0} → {:.0} writes/s ({:+.0}%)",
                    one.throughput,
                    five.throughput,
                    -drop * 100.0
                ),
                pass: Some(drop <= 0.25),
            }
        }
        _ => not_measured("S1", "1- and 5-node writes"),
    });
    verdicts.push(js_versus_native(points, max_connections));
    verdicts
}

/// J1: the JS app's writes against the native app's at the most connections; the reads at the
/// same count are shown beside them for context (not judged).
fn js_versus_native(points: &[Point], max_connections: usize) -> Verdict {
    let (native, js) = (quorate_setup(3), quorate_js_setup(3));
    let at_max = |system: &str, setup: &str, workload: Workload| {
        find(points, system, setup, workload, max_connections)
    };
    let (Some(native_writes), Some(js_writes)) = (
        at_max("quorate", &native, SMALL_WRITE),
        at_max("quorate-js", &js, SMALL_WRITE),
    ) else {
        return not_measured("J1", "JS vs native writes");
    };
    let ratio = js_writes.throughput / native_writes.throughput.max(1e-9);
    let mut measured = format!(
        "{:.0} vs {:.0} writes/s = {ratio:.2}×",
        js_writes.throughput, native_writes.throughput
    );
    if let (Some(native_reads), Some(js_reads)) = (
        at_max("quorate", &native, Workload::Read),
        at_max("quorate-js", &js, Workload::Read),
    ) {
        let _ = write!(
            measured,
            "; reads {:.0} vs {:.0} = {:.2}×",
            js_reads.throughput,
            native_reads.throughput,
            js_reads.throughput / native_reads.throughput.max(1e-9)
        );
    }
    Verdict {
        goal: "J1",
        what: format!(
            "JS logging app writes ≥ 0.5× native writes (same run, {max_connections} connections)"
        ),
        measured,
        pass: Some(ratio >= 0.5),
    }
}

fn not_measured(goal: &'static str, what: &str) -> Verdict {
    Verdict {
        goal,
        what: what.to_owned(),
        measured: "not measured in this run".into(),
        pass: None,
    }
}

pub fn markdown(verdicts: &[Verdict]) -> String {
    let mut out = String::from("| goal | target | measured | verdict |\n|---|---|---|---|\n");
    for verdict in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            verdict.goal,
            verdict.what,
            verdict.measured,
            match verdict.pass {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "n/a",
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(system: &str, setup: &str, workload: Workload, throughput: f64) -> Point {
        Point {
            system: system.into(),
            setup: setup.into(),
            nodes: 3,
            workload,
            protocol: "h1".into(),
            pacing: "closed".into(),
            connections: 256,
            seconds: 10.0,
            successes: 1,
            failures: 0,
            throughput,
            p50_ms: 1.0,
            p99_ms: 2.0,
            p999_ms: 3.0,
            max_ms: 4.0,
            mean_ms: 1.0,
            server_cores: 1.0,
            generator_cores: 0.5,
            machine_busy_pct: 100.0,
            other_cores: 0.0,
            load_average: 2.0,
            first_error: None,
        }
    }

    fn j1(points: &[Point]) -> Verdict {
        judge(points, 256, "unused")
            .into_iter()
            .find(|verdict| verdict.goal == "J1")
            .expect("J1 is always judged")
    }

    #[test]
    fn j1_compares_js_with_native_writes_of_the_same_run() {
        let (native, js) = (quorate_setup(3), quorate_js_setup(3));
        let mut points = vec![point("quorate", &native, SMALL_WRITE, 10_000.0)];
        assert_eq!(j1(&points).pass, None, "no JS point: not measured");
        points.push(point("quorate-js", &js, SMALL_WRITE, 4_000.0));
        let verdict = j1(&points);
        assert_eq!(verdict.pass, Some(false));
        assert_eq!(verdict.measured, "4000 vs 10000 writes/s = 0.40×");
        points.push(point("quorate-js", &js, SMALL_WRITE, 6_000.0));
        points.remove(1);
        points.push(point("quorate", &native, Workload::Read, 20_000.0));
        points.push(point("quorate-js", &js, Workload::Read, 15_000.0));
        let verdict = j1(&points);
        assert_eq!(verdict.pass, Some(true));
        assert_eq!(
            verdict.measured,
            "6000 vs 10000 writes/s = 0.60×; reads 15000 vs 20000 = 0.75×"
        );
    }
}
