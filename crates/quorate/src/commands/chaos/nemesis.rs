//! The nemesis: a seeded schedule of faults, applied one at a time to the running service,
//! each held for a few seconds and then healed, after which the service must accept writes
//! again within the recovery bound and every node must catch up before the next fault.
//!
//! Kinds: `kill` (SIGKILL the primary or a backup, restart it at the heal), `partition`
//! (majority/minority, the primary alone, or one node cut one way), `pause` (SIGSTOP, then
//! SIGCONT), `loss` (loss and delay on every node), `restart` (SIGTERM and start again) and
//! `disk-full` (fill the small-disk node's tmpfs; free it and restart the node at the heal).
//! Each cycle of the schedule is a fresh shuffle of the chosen kinds, so every kind comes once
//! before any comes twice; targets are picked by the same seeded generator, "the primary" or
//! "a backup" being resolved against the service's state when the fault is applied.

use std::net::SocketAddr;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use quorate_node::client::ClientTls;
use tokio::sync::watch;
use tokio::time::Instant;

use super::cluster::Cluster;
use super::disk::SmallDisk;
use super::history::Clock;
use super::impairment::{self, Impairment, Mechanism};
use super::network::Network;
use super::observer::Observer;
use super::recovery::{probe_write, wait_caught_up};
use super::rng::Rng;

/// A kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Kind {
    Kill,
    Partition,
    Pause,
    Loss,
    Restart,
    DiskFull,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kill => "kill",
            Kind::Partition => "partition",
            Kind::Pause => "pause",
            Kind::Loss => "loss",
            Kind::Restart => "restart",
            Kind::DiskFull => "disk-full",
        }
    }
}

/// What the schedule decided for one event; the rest is decided against the live service.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kind: Kind,
    pub quiet: Duration,
    pub hold: Duration,
    pub aim_at_primary: bool,
    /// Seeds the choice of nodes and variants.
    pub pick: u64,
    pub impairment: Impairment,
}

/// The seeded sequence of plans.
pub struct Schedule {
    rng: Rng,
    kinds: Vec<Kind>,
    cycle: Vec<Kind>,
}

impl Schedule {
    pub fn new(seed: u64, kinds: &[Kind]) -> Schedule {
        Schedule {
            rng: Rng::derived(seed, 1),
            kinds: kinds.to_vec(),
            cycle: Vec::new(),
        }
    }

    pub fn next_plan(&mut self, hold_s: (u64, u64), quiet_s: (u64, u64)) -> Option<Plan> {
        if self.cycle.is_empty() {
            self.cycle = self.kinds.clone();
            self.rng.shuffle(&mut self.cycle);
            self.cycle.reverse();
        }
        let kind = self.cycle.pop()?;
        let ms = |rng: &mut Rng, (low, high): (u64, u64)| {
            Duration::from_millis(rng.between(low * 1000, high * 1000))
        };
        Some(Plan {
            kind,
            quiet: ms(&mut self.rng, quiet_s),
            hold: ms(&mut self.rng, hold_s),
            aim_at_primary: self.rng.chance(1, 2),
            pick: self.rng.next_u64(),
            impairment: Impairment {
                loss_percent: u32::try_from(self.rng.between(2, 10)).unwrap_or(5),
                delay_ms: u32::try_from(self.rng.between(20, 200)).unwrap_or(100),
                rate_kbit: u32::try_from(self.rng.between(512, 2048)).unwrap_or(1024),
            },
        })
    }
}

/// One fault as it happened.
#[derive(Clone, Debug)]
pub struct EventRecord {
    pub number: usize,
    pub kind: Kind,
    pub detail: String,
    pub start_ms: u64,
    pub heal_ms: u64,
    /// From the heal to the first write committed after it.
    pub recovery_ms: Option<u64>,
    /// The highest view seen at the heal.
    pub heal_view: u64,
    /// Views that began after the heal, until the next event (or the end): each is an
    /// election. A heal the service absorbs quietly shows none; a node that comes back with a
    /// higher term and deposes a healthy primary shows one or more.
    pub elections_after_heal: u64,
    pub notes: Vec<String>,
    pub violations: Vec<String>,
}

/// What has to be undone at the heal.
enum Fault {
    Killed(usize),
    Paused(usize),
    Cut,
    Impaired(Vec<usize>),
    Restarted,
    DiskFilled(usize),
}

/// What the nemesis works with.
pub struct Nemesis<'a> {
    pub cluster: &'a mut Cluster,
    pub network: Arc<Network>,
    /// The small-disk node and its tmpfs.
    pub disk: Option<(usize, SmallDisk)>,
    pub observer: Observer,
    pub tls: ClientTls,
    pub addresses: Vec<SocketAddr>,
    pub clock: Clock,
    pub recovery_limit: Duration,
    pub catch_up_limit: Duration,
    pub hold_s: (u64, u64),
    pub quiet_s: (u64, u64),
    /// How loss and delay were made, once they have been.
    pub mechanism: Option<Mechanism>,
    /// Node exits nobody caused, with what was done about them.
    pub unexpected: Vec<String>,
}

impl Nemesis<'_> {
    /// Runs events until `until` or `stop`; everything is healed when it returns.
    pub async fn run(
        &mut self,
        schedule: &mut Schedule,
        until: Instant,
        stop: &watch::Receiver<bool>,
    ) -> Vec<EventRecord> {
        let mut events = Vec::new();
        while Instant::now() < until && !*stop.borrow() {
            let Some(plan) = schedule.next_plan(self.hold_s, self.quiet_s) else {
                break;
            };
            if sleep_unless(plan.quiet, until, stop).await || Instant::now() >= until {
                break;
            }
            self.check_exits(&[]).await;
            self.count_elections(events.last_mut());
            let record = self.event(events.len() + 1, &plan, until, stop).await;
            println!(
                "  event {:>3} {:<9} {:<48} recovery {}{}",
                record.number,
                record.kind.name(),
                record.detail,
                record
                    .recovery_ms
                    .map_or_else(|| "none".to_owned(), |ms| format!("{ms} ms")),
                if record.violations.is_empty() {
                    String::new()
                } else {
                    format!("  VIOLATION: {}", record.violations.join("; "))
                }
            );
            events.push(record);
        }
        self.count_elections(events.last_mut());
        events
    }

    /// Closes the previous event's count of elections after its heal.
    fn count_elections(&self, previous: Option<&mut EventRecord>) {
        if let Some(previous) = previous {
            previous.elections_after_heal = self.highest_view().saturating_sub(previous.heal_view);
        }
    }

    /// The highest view any node has reported.
    fn highest_view(&self) -> u64 {
        self.observer
            .views()
            .iter()
            .map(|v| v.view)
            .max()
            .unwrap_or(0)
    }

    async fn event(
        &mut self,
        number: usize,
        plan: &Plan,
        until: Instant,
        stop: &watch::Receiver<bool>,
    ) -> EventRecord {
        let mut record = EventRecord {
            number,
            kind: plan.kind,
            detail: String::new(),
            start_ms: self.clock.ms(),
            heal_ms: 0,
            recovery_ms: None,
            heal_view: 0,
            elections_after_heal: 0,
            notes: Vec::new(),
            violations: Vec::new(),
        };
        let before = self.leadership();
        let fault = match self.apply(plan, &mut record).await {
            Ok(fault) => fault,
            Err(error) => {
                record
                    .violations
                    .push(format!("the fault could not be applied: {error:#}"));
                None
            }
        };
        if let Some(Fault::DiskFilled(node)) = &fault {
            self.hold_disk_full(*node, plan.hold, until, stop, &mut record)
                .await;
        } else if !matches!(fault, Some(Fault::Restarted)) {
            sleep_unless(plan.hold, until, stop).await;
        }
        let mut expected_exits = Vec::new();
        if let Some(fault) = fault
            && let Err(error) = self.heal(fault, &mut record, &mut expected_exits).await
        {
            record
                .violations
                .push(format!("the fault could not be healed: {error:#}"));
        }
        record.heal_ms = self.clock.ms();
        record.heal_view = self.highest_view();
        record.recovery_ms = probe_write(
            &self.tls,
            &self.addresses,
            &self.observer,
            &self.clock,
            record.heal_ms,
            Duration::from_secs(30),
        )
        .await;
        match record.recovery_ms {
            Some(ms) if ms > millis(self.recovery_limit) => record.violations.push(format!(
                "writes were accepted again only {ms} ms after the heal (limit {} ms)",
                millis(self.recovery_limit)
            )),
            Some(_) => {}
            None => record
                .violations
                .push("no write was committed within 30 s of the heal".to_owned()),
        }
        let after = self.leadership();
        if after != before {
            record.notes.push(format!("leadership {before} -> {after}"));
        }
        self.check_exits(&expected_exits).await;
        let target = self.observer.max_commit();
        let all: Vec<usize> = (0..self.cluster.nodes()).collect();
        let behind = wait_caught_up(&mut self.observer, &all, target, self.catch_up_limit).await;
        if !behind.is_empty() {
            record.violations.push(format!(
                "node(s) {behind:?} had not caught up with commit {target} {} s after the heal",
                self.catch_up_limit.as_secs()
            ));
        }
        record
    }

    /// "node P in view V": who leads, as the observer last saw it (elections show as a new
    /// view, which is how a heal that disturbed the primary is told from one that did not).
    fn leadership(&self) -> String {
        let view = self.highest_view();
        match self.observer.primary() {
            Some(primary) => format!("node {primary} in view {view}"),
            None => format!("no primary in view {view}"),
        }
    }

    /// The primary, or a backup, as the plan aims; falls back to any node.
    fn target(&self, plan: &Plan) -> usize {
        let nodes = self.cluster.nodes();
        let primary = self.observer.primary();
        match primary {
            Some(primary) if plan.aim_at_primary => primary,
            Some(primary) => {
                let backups: Vec<usize> = (0..nodes).filter(|&n| n != primary).collect();
                backups
                    .get(Rng::new(plan.pick).index(backups.len()))
                    .copied()
                    .unwrap_or(primary)
            }
            None => Rng::new(plan.pick).index(nodes),
        }
    }

    fn role(&self, node: usize) -> &'static str {
        if self.observer.primary() == Some(node) {
            "primary"
        } else {
            "backup"
        }
    }

    async fn apply(
        &mut self,
        plan: &Plan,
        record: &mut EventRecord,
    ) -> anyhow::Result<Option<Fault>> {
        let nodes = self.cluster.nodes();
        let mut rng = Rng::new(plan.pick ^ 0x5A5A);
        Ok(Some(match plan.kind {
            Kind::Kill => {
                let node = self.target(plan);
                record.detail = format!("SIGKILL node {node} ({})", self.role(node));
                self.cluster.kill(node).await?;
                Fault::Killed(node)
            }
            Kind::Pause => {
                let node = self.target(plan);
                record.detail = format!("SIGSTOP node {node} ({})", self.role(node));
                self.cluster.pause(node)?;
                Fault::Paused(node)
            }
            Kind::Restart => {
                let node = self.target(plan);
                record.detail = format!("SIGTERM and restart node {node} ({})", self.role(node));
                let status = self.cluster.stop(node).await?;
                if !status.success() {
                    record.violations.push(format!(
                        "node {node} did not stop cleanly on SIGTERM: {status}"
                    ));
                }
                self.cluster.start(node)?;
                Fault::Restarted
            }
            Kind::Partition => {
                let primary = self.observer.primary();
                match rng.index(3) {
                    0 => {
                        let mut order: Vec<usize> = (0..nodes).collect();
                        rng.shuffle(&mut order);
                        let size = usize::try_from(rng.between(1, ((nodes - 1) / 2).max(1) as u64))
                            .unwrap_or(1);
                        let mut minority: Vec<usize> = order.into_iter().take(size).collect();
                        minority.sort_unstable();
                        record.detail = format!("split: minority {minority:?} from the rest");
                        self.network.split(&minority).await?;
                    }
                    1 => {
                        let node = primary.unwrap_or_else(|| rng.index(nodes));
                        record.detail = format!("isolate node {node} ({})", self.role(node));
                        self.network.split(&[node]).await?;
                    }
                    _ => {
                        let node = self.target(plan);
                        let role = self.role(node);
                        if rng.chance(1, 2) {
                            record.detail = format!("one-way: node {node} ({role}) cannot send");
                            for other in (0..nodes).filter(|&o| o != node) {
                                self.network.cut(node, other).await?;
                            }
                        } else {
                            record.detail = format!("one-way: node {node} ({role}) cannot receive");
                            for other in (0..nodes).filter(|&o| o != node) {
                                self.network.cut(other, node).await?;
                            }
                        }
                    }
                }
                Fault::Cut
            }
            Kind::Loss => {
                let mut impaired = Vec::new();
                let mut mechanism = Mechanism::Netem;
                for node in 0..nodes {
                    mechanism = impairment::impair(&self.network, node, plan.impairment).await?;
                    impaired.push(node);
                }
                self.mechanism = Some(mechanism);
                record.detail = format!("all nodes: {}", plan.impairment.describe(mechanism));
                Fault::Impaired(impaired)
            }
            Kind::DiskFull => {
                let Some((node, disk)) = &self.disk else {
                    anyhow::bail!("no node has a small disk");
                };
                let node = *node;
                let bytes = disk.fill()?;
                record.detail = format!(
                    "fill node {node}'s {} MiB disk ({}; {} MiB written)",
                    disk.size_mib,
                    self.role(node),
                    bytes >> 20
                );
                Fault::DiskFilled(node)
            }
        }))
    }

    /// Holds a full disk until the node stops or the hold ends; records how it stopped.
    async fn hold_disk_full(
        &mut self,
        node: usize,
        hold: Duration,
        until: Instant,
        stop: &watch::Receiver<bool>,
        record: &mut EventRecord,
    ) {
        let deadline = (Instant::now() + hold).min(until);
        while Instant::now() < deadline && !*stop.borrow() {
            if !self.cluster.is_running(node) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if self.cluster.is_running(node) {
            record
                .notes
                .push(format!("node {node} kept running on the full disk"));
        }
    }

    async fn heal(
        &mut self,
        fault: Fault,
        record: &mut EventRecord,
        expected_exits: &mut Vec<usize>,
    ) -> anyhow::Result<()> {
        match fault {
            Fault::Killed(node) => self.cluster.start(node),
            Fault::Paused(node) => self.cluster.resume(node),
            Fault::Cut => self.network.heal().await,
            Fault::Impaired(nodes) => {
                for node in nodes {
                    impairment::clear(&self.network, node).await?;
                }
                Ok(())
            }
            Fault::Restarted => Ok(()),
            Fault::DiskFilled(node) => {
                if let Some((_, disk)) = &self.disk {
                    disk.free()?;
                }
                expected_exits.push(node);
                let exited = self.cluster.exit_of(node);
                if exited.is_none() {
                    self.check_resumes(node, record).await;
                }
                let status = match exited {
                    Some(status) => status,
                    None => self.cluster.stop(node).await?,
                };
                judge_disk_full_exit(node, status, exited.is_some(), record);
                let reason = last_error_line(&self.cluster.node_dir(node).join("err"));
                if let Some(reason) = reason {
                    record.notes.push(format!("node {node} said: {reason}"));
                }
                self.cluster.start(node)
            }
        }
    }

    /// A node that kept running on a full disk must have refused what it could not store, and
    /// must store again once space is free: its ledger has to grow while the clients keep
    /// writing. (Neither the commit index it reports nor the version its reads are served at
    /// will do as evidence: both can run ahead of what its ledger holds.)
    async fn check_resumes(&mut self, node: usize, record: &mut EventRecord) {
        let ledger = self.cluster.ledger_dir(node);
        let before = ledger_bytes(&ledger);
        let deadline = Instant::now() + RESUME_LIMIT;
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let now = ledger_bytes(&ledger);
            if now > before {
                record.notes.push(format!(
                    "node {node} stored again once space was free (ledger {before} -> {now} bytes)"
                ));
                return;
            }
        }
        record.violations.push(format!(
            "node {node} kept running on the full disk but its ledger had not grown {} s after \
             space was freed ({before} bytes) while the service kept committing: it is stuck \
             until restarted",
            RESUME_LIMIT.as_secs()
        ));
    }

    /// Node processes that exited with nobody causing it (other than `expected`): each is a
    /// violation, and the node is started again so the run can go on.
    async fn check_exits(&mut self, expected: &[usize]) {
        for (node, status) in self.cluster.reap() {
            if expected.contains(&node) {
                continue;
            }
            let reason =
                last_error_line(&self.cluster.node_dir(node).join("err")).unwrap_or_default();
            let restarted = match self.cluster.start(node) {
                Ok(()) => "restarted".to_owned(),
                Err(error) => format!("could not be restarted: {error:#}"),
            };
            self.unexpected.push(format!(
                "node {node} exited on its own at {} ms ({status}): {reason}; {restarted}",
                self.clock.ms()
            ));
        }
    }
}

/// How long a node that survived a full disk has to resume once space is freed.
const RESUME_LIMIT: Duration = Duration::from_secs(10);

/// Bytes in the ledger files of `dir`.
fn ledger_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .map(|meta| meta.len())
                .sum()
        })
        .unwrap_or(0)
}

/// A node on a full disk must stop with an error of its own (or keep running and be stopped
/// by SIGTERM), never die of a signal it raised itself (abort, segfault).
fn judge_disk_full_exit(
    node: usize,
    status: ExitStatus,
    on_its_own: bool,
    record: &mut EventRecord,
) {
    use std::os::unix::process::ExitStatusExt as _;
    match (on_its_own, status.code(), status.signal()) {
        (true, Some(code), _) => record.notes.push(format!(
            "node {node} stopped on the full disk with exit code {code}"
        )),
        (true, None, signal) => record.violations.push(format!(
            "node {node} died of signal {signal:?} on the full disk"
        )),
        (false, _, _) if status.success() => record.notes.push(format!(
            "node {node} stopped cleanly on SIGTERM after the full disk"
        )),
        (false, _, _) => record.violations.push(format!(
            "node {node}, after running on a full disk, did not stop cleanly on SIGTERM: {status}"
        )),
    }
}

/// The last line of a log that looks like an error, for the report.
pub fn last_error_line(file: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .rev()
        .find(|line| {
            let lower = line.to_ascii_lowercase();
            lower.contains("error") || lower.contains("panicked") || lower.contains("fatal")
        })
        .map(|line| line.chars().take(300).collect())
}

/// Sleeps for `duration`, cut short by `until` or `stop`; `true` if stopped.
async fn sleep_unless(duration: Duration, until: Instant, stop: &watch::Receiver<bool>) -> bool {
    let mut stop = stop.clone();
    let end = (Instant::now() + duration).min(until);
    tokio::select! {
        () = tokio::time::sleep_until(end) => false,
        _ = stop.wait_for(|stopped| *stopped) => true,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
