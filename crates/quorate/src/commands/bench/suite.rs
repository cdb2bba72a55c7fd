//! The suite: each system started fresh, measured at every connection count for every
//! workload it supports, and stopped before the next starts, so only one system (and the load
//! generator) competes for the box at a time. Order: nginx (the ceiling), Quorate with 3 nodes
//! (then the same service with frequent signatures, for commit waits), the same 3-node sandbox
//! serving the JS logging app (right after the native one, so the two are measured minutes
//! apart under similar load), Quorate at the other node counts, etcd, Redis. A phase that fails is reported and skipped; a system that does not
//! start is skipped; Ctrl-C stops what is running and still writes the results.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;
use quorate_node::client::HttpProtocol;

use crate::shutdown::ShutdownSignal;

use super::generator::{self, Pacing, Phase};
use super::goals::{self, quorate_commit_setup, quorate_js_setup, quorate_setup};
use super::report::{self, JsonLines, Point, TABLE_HEADER, TABLE_RULE};
use super::systems::certs::Certs;
use super::systems::etcd::EtcdCluster;
use super::systems::install;
use super::systems::nginx::Nginx;
use super::systems::quorate::{App, QuorateSandbox};
use super::systems::redis::Redis;
use super::target::Target;
use super::workload::{LARGE_MESSAGE, READ_KEYSPACE, SMALL_MESSAGE, Workload};

/// Connections used to preload keys and to warm a system up.
const PRELOAD_CONNECTIONS: usize = 16;
/// Quiet time between phases (connections closing, buffers draining).
const SETTLE: Duration = Duration::from_millis(500);

/// What to run, from the command line.
pub struct Settings {
    pub seconds: f64,
    pub warmup_seconds: f64,
    pub connections: Vec<usize>,
    pub systems: Vec<String>,
    pub workloads: Vec<Workload>,
    pub scale_nodes: Vec<usize>,
    pub signature_delay_ms: u64,
    pub heartbeat_ms: u64,
    pub open_loop_fraction: f64,
    pub http2: bool,
    pub port_base: u16,
    pub work_dir: PathBuf,
    pub install: bool,
    /// The `quorate` binary the sandboxes run: a copy made when the suite starts, so a rebuild
    /// during the run (a shared target directory) changes nothing.
    pub quorate_binary: PathBuf,
    /// The JS app bundle the `quorate-js` system serves (`apps/logging-js`).
    pub js_app: PathBuf,
}

pub struct Suite {
    settings: Settings,
    points: Vec<Point>,
    /// What failed or was skipped, for the summary.
    notes: Vec<String>,
    jsonl: JsonLines,
    shutdown: ShutdownSignal,
}

const SMALL_WRITE: Workload = Workload::Write {
    bytes: SMALL_MESSAGE,
};

/// What etcd and Redis are measured on: their stores have no commit-wait request.
const KEY_VALUE_WORKLOADS: [Workload; 4] = [
    SMALL_WRITE,
    Workload::Write {
        bytes: LARGE_MESSAGE,
    },
    Workload::Read,
    Workload::Mixed,
];

/// What the JS app is measured on: the goal compares writes, and reads show the read-only
/// handler path. The mixed and commit-wait workloads would exercise the same handlers
/// (and the node's built-in `/app/commit`), so they are left out to keep the suite short.
const JS_WORKLOADS: [Workload; 3] = [
    SMALL_WRITE,
    Workload::Write {
        bytes: LARGE_MESSAGE,
    },
    Workload::Read,
];

/// Runs one stage; a failure is reported (and returned as a note) and the suite goes on, an
/// interruption stops it.
async fn stage(
    name: &str,
    stage: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<Option<String>> {
    match stage.await {
        Ok(()) => Ok(None),
        Err(error) if error.to_string() == "interrupted" => Err(error),
        Err(error) => {
            let note = format!("{name}: {error:#} (skipped)");
            eprintln!("{note}");
            Ok(Some(note))
        }
    }
}

/// `work`'s outcome, or "interrupted" once Ctrl-C or SIGTERM has arrived (however long ago).
async fn until_interrupted<T>(
    shutdown: ShutdownSignal,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        outcome = work => outcome,
        () = shutdown.received() => Err(anyhow!("interrupted")),
    }
}

impl Suite {
    pub fn new(settings: Settings, results: &Path) -> anyhow::Result<Suite> {
        let jsonl = JsonLines::create(&results.join("points.jsonl"))?;
        Ok(Suite {
            settings,
            points: Vec::new(),
            notes: Vec::new(),
            jsonl,
            shutdown: ShutdownSignal::listen()?,
        })
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    fn note(&mut self, note: Option<String>) {
        self.notes.extend(note);
    }

    fn max_connections(&self) -> usize {
        self.settings.connections.iter().copied().max().unwrap_or(1)
    }

    fn wants(&self, system: &str) -> bool {
        self.settings.systems.iter().any(|s| s == system)
    }

    fn phase(&self, workload: Workload, connections: usize) -> Phase {
        Phase {
            workload,
            connections,
            duration: Duration::from_secs_f64(self.settings.seconds),
            pacing: Pacing::Closed,
        }
    }

    /// Runs every stage; returns an error only when interrupted.
    pub async fn run(&mut self) -> anyhow::Result<()> {
        println!("{TABLE_HEADER}\n{TABLE_RULE}");
        let certs_needed = self.wants("etcd") || self.wants("nginx");
        let certs = if certs_needed {
            Some(Certs::create(&self.settings.work_dir.join("certs"))?)
        } else {
            None
        };
        if let Some(certs) = &certs
            && self.wants("nginx")
        {
            let note = stage("nginx", self.nginx(certs)).await?;
            self.note(note);
        }
        if self.wants("quorate") {
            let note = stage("quorate", self.quorate()).await?;
            self.note(note);
        }
        if self.wants("quorate-js") {
            let note = stage("quorate-js", self.quorate_js()).await?;
            self.note(note);
        }
        if self.wants("quorate") {
            let note = stage("quorate scaling", self.quorate_scaling()).await?;
            self.note(note);
        }
        if let Some(certs) = &certs
            && self.wants("etcd")
        {
            let note = stage("etcd", self.etcd(certs)).await?;
            self.note(note);
        }
        if self.wants("redis") {
            let note = stage("redis", self.redis()).await?;
            self.note(note);
        }
        Ok(())
    }

    /// Measures one phase, prints and records its point; a failed phase is reported only.
    async fn measure(
        &mut self,
        system: &str,
        setup: &str,
        nodes: usize,
        target: &Target,
        pids: &[u32],
        phase: Phase,
    ) -> Option<Point> {
        tokio::time::sleep(SETTLE).await;
        let protocol = match target.protocol() {
            Some(HttpProtocol::Http1) => "h1",
            Some(HttpProtocol::Http2) => "h2",
            None => "resp",
        };
        match generator::run(target, &phase, pids).await {
            Ok(measured) => {
                let point = Point::new(system, setup, nodes, protocol, &phase, &measured);
                println!("{}", report::table_row(&point));
                if let Err(error) = self.jsonl.append(&point.to_json()) {
                    eprintln!("recording a point: {error:#}");
                }
                self.points.push(point.clone());
                Some(point)
            }
            Err(error) => {
                let note = format!(
                    "{system} ({setup}) {} at {} connections failed: {error:#}",
                    phase.workload, phase.connections
                );
                eprintln!("{note}");
                self.notes.push(note);
                None
            }
        }
    }

    async fn warm_up(&self, target: &Target) {
        if self.settings.warmup_seconds <= 0.0 {
            return;
        }
        let phase = Phase {
            workload: SMALL_WRITE,
            connections: PRELOAD_CONNECTIONS,
            duration: Duration::from_secs_f64(self.settings.warmup_seconds),
            pacing: Pacing::Closed,
        };
        if let Err(error) = generator::run(target, &phase, &[]).await {
            eprintln!("warm-up: {error:#}");
        }
    }

    /// Every selected workload `system` supports, at every connection count.
    async fn sweep(
        &mut self,
        system: &str,
        setup: &str,
        nodes: usize,
        target: &Target,
        pids: &[u32],
        supported: &[Workload],
    ) -> anyhow::Result<()> {
        let workloads: Vec<Workload> = self
            .settings
            .workloads
            .iter()
            .copied()
            .filter(|w| supported.contains(w))
            .collect();
        let mut preloaded = false;
        for workload in workloads {
            if workload.needs_preload() && !preloaded {
                generator::preload(target, READ_KEYSPACE, PRELOAD_CONNECTIONS).await?;
                preloaded = true;
            }
            for connections in self.settings.connections.clone() {
                let phase = self.phase(workload, connections);
                self.measure(system, setup, nodes, target, pids, phase)
                    .await;
            }
        }
        Ok(())
    }

    /// An open-loop write point at a fraction of the closed-loop peak at the most connections.
    async fn open_loop_write(
        &mut self,
        system: &str,
        setup: &str,
        nodes: usize,
        target: &Target,
        pids: &[u32],
    ) {
        let fraction = self.settings.open_loop_fraction;
        let max = self.max_connections();
        let peak = self.points.iter().find(|p| {
            p.system == system
                && p.setup == setup
                && p.workload == SMALL_WRITE
                && p.connections == max
                && p.is_closed_loop()
        });
        if fraction <= 0.0 {
            return;
        }
        if let Some(peak) = peak.map(|p| p.throughput).filter(|t| *t > 0.0) {
            let phase = Phase {
                pacing: Pacing::Open {
                    rate: (peak * fraction).max(1.0),
                },
                ..self.phase(SMALL_WRITE, max)
            };
            self.measure(system, setup, nodes, target, pids, phase)
                .await;
        }
    }

    async fn nginx(&mut self, certs: &Certs) -> anyhow::Result<()> {
        if !install::ensure(&[install::NGINX], self.settings.install).is_empty() {
            return Ok(());
        }
        let nginx = Nginx::start(
            &self.settings.work_dir.join("nginx"),
            self.settings.port_base + 400,
            certs,
        )
        .await?;
        let outcome = until_interrupted(self.shutdown.clone(), self.nginx_phases(&nginx)).await;
        nginx.stop().await;
        outcome
    }

    async fn nginx_phases(&mut self, nginx: &Nginx) -> anyhow::Result<()> {
        let setup = "HTTPS, constant 200";
        let target = nginx.target(HttpProtocol::Http1);
        let pids = nginx.pids();
        self.warm_up(&target).await;
        self.sweep("nginx", setup, 1, &target, &pids, &[Workload::Read])
            .await?;
        if self.settings.http2 && self.settings.workloads.contains(&Workload::Read) {
            let target = nginx.target(HttpProtocol::Http2);
            let phase = self.phase(Workload::Read, self.max_connections());
            self.measure("nginx", setup, 1, &target, &pids, phase).await;
        }
        Ok(())
    }

    async fn quorate(&mut self) -> anyhow::Result<()> {
        let sandbox = QuorateSandbox::start(
            &self.settings.quorate_binary,
            &self.settings.work_dir.join("quorate-3"),
            3,
            self.settings.port_base,
            &App::Native,
        )
        .await?;
        let outcome = until_interrupted(self.shutdown.clone(), self.quorate_phases(&sandbox)).await;
        let delay = self.settings.signature_delay_ms;
        if outcome.is_err()
            || delay == 0
            || !self.settings.workloads.contains(&Workload::WriteCommitted)
        {
            sandbox.stop().await;
            return outcome;
        }
        let sandbox = sandbox
            .restart_with_commit_settings(delay, self.settings.heartbeat_ms)
            .await?;
        let outcome =
            until_interrupted(self.shutdown.clone(), self.quorate_commit_phases(&sandbox)).await;
        sandbox.stop().await;
        outcome
    }

    async fn quorate_phases(&mut self, sandbox: &QuorateSandbox) -> anyhow::Result<()> {
        let setup = quorate_setup(3);
        let target = sandbox.target(HttpProtocol::Http1)?;
        let pids = sandbox.node_pids.clone();
        self.warm_up(&target).await;
        self.sweep("quorate", &setup, 3, &target, &pids, &Workload::ALL)
            .await?;
        if self.settings.http2 {
            let target = sandbox.target(HttpProtocol::Http2)?;
            for workload in [SMALL_WRITE, Workload::Read] {
                if self.settings.workloads.contains(&workload) {
                    let phase = self.phase(workload, self.max_connections());
                    self.measure("quorate", &setup, 3, &target, &pids, phase)
                        .await;
                }
            }
        }
        if self.settings.workloads.contains(&SMALL_WRITE) {
            self.open_loop_write("quorate", &setup, 3, &target, &pids)
                .await;
        }
        Ok(())
    }

    fn commit_setup(&self) -> String {
        quorate_commit_setup(
            3,
            self.settings.signature_delay_ms,
            self.settings.heartbeat_ms,
        )
    }

    async fn quorate_commit_phases(&mut self, sandbox: &QuorateSandbox) -> anyhow::Result<()> {
        let setup = self.commit_setup();
        let target = sandbox.target(HttpProtocol::Http1)?;
        let pids = sandbox.node_pids.clone();
        self.warm_up(&target).await;
        self.sweep(
            "quorate",
            &setup,
            3,
            &target,
            &pids,
            &[Workload::WriteCommitted],
        )
        .await?;
        if self.settings.workloads.contains(&SMALL_WRITE) {
            for connections in [1, self.max_connections()] {
                let phase = self.phase(SMALL_WRITE, connections);
                self.measure("quorate", &setup, 3, &target, &pids, phase)
                    .await;
            }
        }
        Ok(())
    }

    /// The 3-node sandbox of [`Self::quorate`] serving the JS logging app instead of the
    /// native one: same durability, ports, client and workloads, so the goal J1 compares
    /// only the app.
    async fn quorate_js(&mut self) -> anyhow::Result<()> {
        let app = &self.settings.js_app;
        if !app.join("app.json").is_file() {
            anyhow::bail!(
                "no JS app bundle at {} (run from the repository root, or pass --js-app)",
                app.display()
            );
        }
        let sandbox = QuorateSandbox::start(
            &self.settings.quorate_binary,
            &self.settings.work_dir.join("quorate-js-3"),
            3,
            self.settings.port_base,
            &App::Js(app.clone()),
        )
        .await?;
        let outcome = until_interrupted(self.shutdown.clone(), async {
            let setup = quorate_js_setup(3);
            let target = sandbox.target(HttpProtocol::Http1)?;
            let pids = sandbox.node_pids.clone();
            self.warm_up(&target).await;
            self.sweep("quorate-js", &setup, 3, &target, &pids, &JS_WORKLOADS)
                .await
        })
        .await;
        sandbox.stop().await;
        outcome
    }

    async fn quorate_scaling(&mut self) -> anyhow::Result<()> {
        if !self.settings.workloads.contains(&SMALL_WRITE) {
            return Ok(());
        }
        let max = self.max_connections();
        for nodes in self.settings.scale_nodes.clone() {
            let setup = quorate_setup(nodes);
            let measured = self
                .points
                .iter()
                .any(|p| p.setup == setup && p.workload == SMALL_WRITE && p.connections == max);
            if measured {
                continue;
            }
            let sandbox = match QuorateSandbox::start(
                &self.settings.quorate_binary,
                &self.settings.work_dir.join(format!("quorate-{nodes}")),
                nodes,
                self.settings.port_base,
                &App::Native,
            )
            .await
            {
                Ok(sandbox) => sandbox,
                Err(error) => {
                    let note = format!("quorate with {nodes} nodes: {error:#} (skipped)");
                    eprintln!("{note}");
                    self.notes.push(note);
                    continue;
                }
            };
            let outcome = until_interrupted(self.shutdown.clone(), async {
                let target = sandbox.target(HttpProtocol::Http1)?;
                self.warm_up(&target).await;
                let phase = self.phase(SMALL_WRITE, max);
                self.measure("quorate", &setup, nodes, &target, &sandbox.node_pids, phase)
                    .await;
                anyhow::Ok(())
            })
            .await;
            sandbox.stop().await;
            outcome?;
        }
        Ok(())
    }

    async fn etcd(&mut self, certs: &Certs) -> anyhow::Result<()> {
        if !install::ensure(&[install::ETCD], self.settings.install).is_empty() {
            return Ok(());
        }
        let cluster = EtcdCluster::start(
            &self.settings.work_dir.join("etcd"),
            3,
            self.settings.port_base + 200,
            certs,
        )
        .await?;
        let outcome = until_interrupted(self.shutdown.clone(), async {
            let setup = "3 members, TLS, disk";
            let target = cluster.target();
            let pids = cluster.pids();
            self.warm_up(&target).await;
            self.sweep("etcd", setup, 3, &target, &pids, &KEY_VALUE_WORKLOADS)
                .await?;
            if self.settings.workloads.contains(&SMALL_WRITE) {
                self.open_loop_write("etcd", setup, 3, &target, &pids).await;
            }
            anyhow::Ok(())
        })
        .await;
        cluster.stop().await;
        outcome
    }

    async fn redis(&mut self) -> anyhow::Result<()> {
        if !install::ensure(&[install::REDIS], self.settings.install).is_empty() {
            return Ok(());
        }
        let redis = Redis::start(
            &self.settings.work_dir.join("redis"),
            self.settings.port_base + 300,
        )
        .await?;
        let outcome = until_interrupted(self.shutdown.clone(), async {
            let target = redis.target();
            let pids = redis.pids();
            self.warm_up(&target).await;
            self.sweep(
                "redis",
                "1 process, AOF fsync always",
                1,
                &target,
                &pids,
                &KEY_VALUE_WORKLOADS,
            )
            .await
        })
        .await;
        redis.stop().await;
        outcome
    }

    /// The goals' verdicts for this run.
    pub fn verdicts(&self) -> Vec<goals::Verdict> {
        goals::judge(&self.points, self.max_connections(), &self.commit_setup())
    }
}
