//! What a run found, printed for people and, on request, written as JSON for tools (the long
//! run's figures in `docs/reliability.md` come from it). Every violation is a sentence; the
//! run fails when there is any.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::checks::LedgerVerdict;
use super::history::Tally;
use super::nemesis::{EventRecord, Kind};

#[derive(Debug, Default)]
pub struct Report {
    pub nodes: usize,
    pub seed: u64,
    pub seconds: u64,
    pub kinds: Vec<Kind>,
    pub workspace: PathBuf,
    pub impairment: Option<String>,
    pub bring_up_s: f64,
    pub elapsed_s: f64,
    pub events: Vec<EventRecord>,
    pub unexpected_exits: Vec<String>,
    pub tally: Tally,
    pub unresolved_writes: usize,
    pub committed_checked: usize,
    pub nodes_checked: usize,
    pub committed_missing: Vec<String>,
    pub final_read_problems: Vec<String>,
    pub catch_up_problems: Vec<String>,
    pub operations_checked: usize,
    pub keys_checked: usize,
    pub linearizability: String,
    pub linearizable: bool,
    pub ledgers: Vec<LedgerVerdict>,
    pub stop_problems: Vec<String>,
    pub panics: Vec<String>,
    pub recovery_limit_ms: u64,
    /// Kinds asked for that never ran (only a violation with `--require-every-kind`).
    pub kinds_not_run: Vec<Kind>,
    pub require_every_kind: bool,
    pub teardown_problems: Vec<String>,
}

impl Report {
    /// Every violation, one sentence each.
    pub fn violations(&self) -> Vec<String> {
        let mut all = Vec::new();
        for event in &self.events {
            all.extend(event.violations.iter().map(|v| {
                format!(
                    "event {} ({}: {}): {v}",
                    event.number,
                    event.kind.name(),
                    event.detail
                )
            }));
        }
        all.extend(self.unexpected_exits.iter().cloned());
        all.extend(
            self.committed_missing
                .iter()
                .map(|m| format!("data lost: {m}")),
        );
        all.extend(self.final_read_problems.iter().cloned());
        all.extend(self.catch_up_problems.iter().cloned());
        if !self.linearizable {
            all.push(format!("linearizability: {}", self.linearizability));
        }
        for ledger in &self.ledgers {
            if let Err(error) = &ledger.quorate {
                all.push(format!(
                    "node {}: quorate ledger verify: {error}",
                    ledger.node
                ));
            }
            if let Some(Err(error)) = &ledger.read_ledger {
                all.push(format!("node {}: read_ledger.py: {error}", ledger.node));
            }
        }
        all.extend(self.stop_problems.iter().cloned());
        all.extend(self.panics.iter().map(|p| format!("panic: {p}")));
        if self.require_every_kind && !self.kinds_not_run.is_empty() {
            let names: Vec<&str> = self.kinds_not_run.iter().map(|k| k.name()).collect();
            all.push(format!(
                "nemesis kinds never applied: {} (run longer)",
                names.join(", ")
            ));
        }
        all.extend(
            self.teardown_problems
                .iter()
                .map(|p| format!("teardown: {p}")),
        );
        all
    }

    fn recoveries(&self) -> Vec<u64> {
        self.events.iter().filter_map(|e| e.recovery_ms).collect()
    }

    pub fn print(&self) {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        println!();
        println!("== Chaos report ==");
        println!(
            "{} nodes, seed {}, nemesis {} for {} s (bring-up {:.1} s, whole run {:.1} s)",
            self.nodes,
            self.seed,
            kinds.join(","),
            self.seconds,
            self.bring_up_s,
            self.elapsed_s
        );
        if let Some(impairment) = &self.impairment {
            println!("loss and delay made with: {impairment}");
        }
        println!();
        println!(
            "{:>4} {:>8} {:<10} {:<56} {:>9} {:>9}  result",
            "#", "at s", "kind", "fault", "recovery", "elections"
        );
        for event in &self.events {
            println!(
                "{:>4} {:>8.1} {:<10} {:<56} {:>9} {:>9}  {}",
                event.number,
                event.start_ms as f64 / 1000.0,
                event.kind.name(),
                event.detail,
                event
                    .recovery_ms
                    .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms")),
                event.elections_after_heal,
                if event.violations.is_empty() {
                    "ok".to_owned()
                } else {
                    event.violations.join("; ")
                }
            );
            for note in &event.notes {
                println!("{:>14} {note}", "");
            }
        }
        let survived = self
            .events
            .iter()
            .filter(|e| e.violations.is_empty())
            .count();
        let recoveries = self.recoveries();
        let elections: u64 = self.events.iter().map(|e| e.elections_after_heal).sum();
        let disturbed = self
            .events
            .iter()
            .filter(|e| e.elections_after_heal > 0)
            .count();
        println!();
        println!(
            "nemesis events: {} applied, {survived} survived without a violation",
            self.events.len()
        );
        if !recoveries.is_empty() {
            let mut sorted = recoveries.clone();
            sorted.sort_unstable();
            println!(
                "recovery after heal: median {} ms, max {} ms (limit {} ms)",
                sorted[sorted.len() / 2],
                sorted[sorted.len() - 1],
                self.recovery_limit_ms
            );
        }
        println!(
            "elections after heals: {elections} in all; {disturbed} of {} heals were followed by \
             at least one",
            self.events.len()
        );
        let t = &self.tally;
        println!(
            "writes: {} committed, {} failed (redirected or invalid), {} unknown outcome ({} acknowledged but unresolved)",
            t.writes_committed, t.writes_failed, t.writes_unknown, self.unresolved_writes
        );
        println!(
            "reads: {} checked (committed barrier in their view), {} not checkable, {} failed",
            t.reads_checked, t.reads_unchecked, t.reads_failed
        );
        println!(
            "acknowledged-committed writes checked present: {} on each of {} node(s), {} missing",
            self.committed_checked,
            self.nodes_checked,
            self.committed_missing.len()
        );
        println!(
            "linearizability: {} ({} operations over {} keys)",
            self.linearizability, self.operations_checked, self.keys_checked
        );
        for ledger in &self.ledgers {
            let verdict = |r: &Result<String, String>| match r {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("FAILED: {e}"),
            };
            println!(
                "ledger of node {}: quorate ledger verify {}; read_ledger.py {}",
                ledger.node,
                verdict(&ledger.quorate),
                ledger
                    .read_ledger
                    .as_ref()
                    .map_or_else(|| "not run".to_owned(), verdict)
            );
        }
        println!("panics in node logs: {}", self.panics.len());
        let violations = self.violations();
        println!();
        if violations.is_empty() {
            println!("PASS: no violation");
        } else {
            println!("FAIL: {} violation(s)", violations.len());
            for violation in &violations {
                println!("  - {violation}");
            }
            println!(
                "workspace kept for inspection: {}",
                self.workspace.display()
            );
        }
    }

    pub fn to_json(&self) -> Value {
        let t = &self.tally;
        json!({
            "nodes": self.nodes,
            "seed": self.seed,
            "seconds": self.seconds,
            "nemesis": self.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "impairment": self.impairment,
            "bring_up_s": self.bring_up_s,
            "elapsed_s": self.elapsed_s,
            "events": self.events.iter().map(|e| json!({
                "number": e.number,
                "kind": e.kind.name(),
                "detail": e.detail,
                "start_ms": e.start_ms,
                "heal_ms": e.heal_ms,
                "recovery_ms": e.recovery_ms,
                "elections_after_heal": e.elections_after_heal,
                "notes": e.notes,
                "violations": e.violations,
            })).collect::<Vec<_>>(),
            "events_survived": self.events.iter().filter(|e| e.violations.is_empty()).count(),
            "recovery_ms_max": self.recoveries().into_iter().max(),
            "writes_committed": t.writes_committed,
            "writes_failed": t.writes_failed,
            "writes_unknown": t.writes_unknown,
            "writes_unresolved": self.unresolved_writes,
            "reads_checked": t.reads_checked,
            "reads_unchecked": t.reads_unchecked,
            "reads_failed": t.reads_failed,
            "committed_checked_present": self.committed_checked,
            "nodes_checked": self.nodes_checked,
            "data_lost": self.committed_missing.len(),
            "operations_checked": self.operations_checked,
            "keys_checked": self.keys_checked,
            "linearizability": self.linearizability,
            "ledgers": self.ledgers.iter().map(|l| json!({
                "node": l.node,
                "quorate_verify": l.quorate.is_ok(),
                "read_ledger": l.read_ledger.as_ref().map(Result::is_ok),
            })).collect::<Vec<_>>(),
            "panics": self.panics,
            "violations": self.violations(),
        })
    }
}
