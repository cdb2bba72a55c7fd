//! `quorate dev chaos`: the service on real processes and a real (virtual) network, under a
//! nemesis, with clients writing and reading throughout and checkers afterwards.
//!
//! A run makes a bridge and one network namespace per node (`network.rs`), puts one node's
//! state on a small tmpfs (`disk.rs`), starts and governs the service (`cluster.rs`), runs
//! clients (`workload.rs`) whose operations form a history (`history.rs`), applies seeded faults
//! one at a time and measures recovery after each heal (`nemesis.rs`, `recovery.rs`), then
//! checks the history and the ledgers (`checks.rs`) and prints a report (`report.rs`).
//! Everything it creates outside the workspace is named `qch<pid>…` and removed at the end, on
//! Ctrl-C, on a panic (`guard.rs`) and, should the process itself be killed, by the next run.
//! Needs root (namespaces, mounts).

mod checks;
mod cluster;
mod command;
mod disk;
mod guard;
mod history;
mod impairment;
mod names;
mod nemesis;
mod network;
mod observer;
mod recovery;
mod report;
mod rng;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail};
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientOptions, ClientTls};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::shutdown::ShutdownSignal;

use cluster::Cluster;
use disk::SmallDisk;
use guard::{Teardown, sweep_leftovers};
use history::{Clock, History, Resolver};
use names::RunNames;
use nemesis::{Kind, Nemesis, Schedule};
use network::Network;
use observer::Observer;
use report::Report;
use workload::Workload;

/// Marks a directory as a chaos workspace, which a later run may clear and reuse.
const WORKSPACE_MARKER: &str = "chaos-workspace";

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// Nodes in the service (3 or 5 make sense: a majority survives one or two faults).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(3..=9))]
    nodes: u64,
    /// How long the nemesis runs (bring-up and the final checks come on top).
    #[arg(long, default_value_t = 120)]
    seconds: u64,
    /// Seed of the nemesis schedule and the clients (default: from the clock; printed).
    #[arg(long)]
    seed: Option<u64>,
    /// The fault kinds to apply, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "kill,partition,pause,loss,restart,disk-full"
    )]
    nemesis: Vec<Kind>,
    /// Directory for the nodes' files (default: a fresh one under the temporary directory,
    /// removed after a run that passes).
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: u64,
    /// Each client's pause between two operations.
    #[arg(long, default_value_t = 10)]
    think_ms: u64,
    /// Keys the clients write and read.
    #[arg(long, default_value_t = 32)]
    keys: u64,
    /// The nodes' consensus election timeout.
    #[arg(long, default_value_t = 2000)]
    election_timeout_ms: u64,
    /// After each heal, the service must commit a write within this long.
    #[arg(long, default_value_t = 3000)]
    recovery_limit_ms: u64,
    /// Each fault is held for a random time in this range (seconds, `MIN-MAX`).
    #[arg(long, default_value = "3-8", value_parser = parse_range)]
    hold: (u64, u64),
    /// Between two faults, a random quiet time in this range (seconds, `MIN-MAX`).
    #[arg(long, default_value = "2-5", value_parser = parse_range)]
    quiet: (u64, u64),
    /// The nodes' log filter (`quorate node start --log-level`: `info`, `debug`, directives).
    #[arg(long, default_value = "info")]
    node_log_level: String,
    /// Size of the small disk (tmpfs) the disk-full fault fills.
    #[arg(long, default_value_t = 256)]
    disk_mib: u64,
    /// CCF's `read_ledger.py`, run on every ledger at the end (`none` to skip it).
    #[arg(long, default_value = "/tmp/ccfpy/bin/read_ledger.py")]
    read_ledger: String,
    /// Fail unless every kind in `--nemesis` was applied at least once.
    #[arg(long)]
    require_every_kind: bool,
    /// Check every read for linearizability, not only those a committed barrier write proves
    /// linearizable. CCF does not promise that (a deposed primary serves stale reads until it
    /// learns, a primary serves values that may be rolled back), so expect violations under
    /// partitions and pauses: this shows what the barrier rule leaves out, and that the
    /// checker finds it.
    #[arg(long)]
    check_every_read: bool,
    /// Keep the default workspace even when the run passes.
    #[arg(long)]
    keep: bool,
    /// Only remove what earlier runs that were killed left behind (namespaces, links, the
    /// tmpfs, their node processes), then exit. Every run does this first anyway.
    #[arg(long)]
    sweep: bool,
    /// Also write the report as JSON here.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (low, high) = text
        .split_once('-')
        .ok_or_else(|| format!("expected MIN-MAX, got {text:?}"))?;
    let low: u64 = low
        .trim()
        .parse()
        .map_err(|_| format!("bad number {low:?}"))?;
    let high: u64 = high
        .trim()
        .parse()
        .map_err(|_| format!("bad number {high:?}"))?;
    if low > high {
        return Err(format!("{low} is more than {high}"));
    }
    Ok((low, high))
}

/// Whether this process runs as root (effective uid 0), from `/proc/self/status`.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

pub fn run(args: ChaosArgs) -> anyhow::Result<ExitCode> {
    if !is_root() {
        bail!("quorate dev chaos needs root: it creates network namespaces and mounts a tmpfs");
    }
    if args.nemesis.is_empty() || args.keys == 0 || args.clients == 0 {
        bail!("--nemesis, --keys and --clients must not be empty or zero");
    }
    let read_ledger = match args.read_ledger.as_str() {
        "none" => None,
        path => {
            let path = PathBuf::from(path);
            if !path.exists() {
                bail!(
                    "{} is missing (run ../shared/ccf-compat/setup_venv.sh, or pass --read-ledger none)",
                    path.display()
                );
            }
            Some(path)
        }
    };
    let pid = std::process::id();
    for line in sweep_leftovers(pid) {
        println!("{line}");
    }
    if args.sweep {
        return Ok(ExitCode::SUCCESS);
    }
    let names = RunNames::new(pid);
    let (workspace, default_workspace) = match &args.workspace {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("quorate-chaos-{pid}")),
            true,
        ),
    };
    let workspace = prepare_workspace(&workspace)?;
    let guard = Teardown::new(names.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // Generous: a run that hangs past this is a harness bug, and must still end and clean up.
    let bound = Duration::from_secs(args.seconds.saturating_mul(2).saturating_add(600));
    let outcome = runtime.block_on(async {
        let shutdown = ShutdownSignal::listen()?;
        tokio::select! {
            outcome = tokio::time::timeout(bound, chaos(&args, &names, &workspace, read_ledger.as_deref())) => {
                outcome.unwrap_or_else(|_| Err(anyhow::anyhow!("the run exceeded its time bound of {} s", bound.as_secs())))
            }
            () = shutdown.received() => Err(anyhow::anyhow!("interrupted")),
        }
    });
    // Dropping the runtime drops the clients and the node processes (killed on drop) first.
    drop(runtime);
    let teardown_problems = guard.run();
    let mut report = match outcome {
        Ok(report) => report,
        Err(error) => {
            for problem in &teardown_problems {
                eprintln!("teardown: {problem}");
            }
            eprintln!("workspace kept: {}", workspace.display());
            return Err(error);
        }
    };
    report.teardown_problems = teardown_problems;
    report.print();
    if let Some(file) = &args.report_json {
        std::fs::write(file, serde_json::to_string_pretty(&report.to_json())?)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let passed = report.violations().is_empty();
    if passed && default_workspace && !args.keep {
        let _ = std::fs::remove_dir_all(&workspace);
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Creates the workspace (or clears an earlier chaos workspace); its absolute path.
fn prepare_workspace(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            if !dir.join(WORKSPACE_MARKER).exists() {
                bail!(
                    "{} is not empty and is not a chaos workspace; choose another",
                    dir.display()
                );
            }
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("clearing the earlier workspace {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(WORKSPACE_MARKER), b"")
        .with_context(|| format!("writing into {}", dir.display()))?;
    std::fs::canonicalize(dir).with_context(|| format!("finding {}", dir.display()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

async fn chaos(
    args: &ChaosArgs,
    names: &RunNames,
    workspace: &Path,
    read_ledger: Option<&Path>,
) -> anyhow::Result<Report> {
    let began = Instant::now();
    let clock = Clock::start();
    let nodes = usize::try_from(args.nodes).context("--nodes")?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos()))
    });
    let mut kinds = args.nemesis.clone();
    kinds.sort_unstable();
    kinds.dedup();
    let kind_names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    println!(
        "Chaos run {}: {nodes} nodes, seed {seed}, nemesis {} for {} s; workspace {}",
        names.tag(),
        kind_names.join(","),
        args.seconds,
        workspace.display()
    );
    println!(
        "  replay: quorate dev chaos --nodes {nodes} --seed {seed} --seconds {} --nemesis {} \
         --hold {}-{} --quiet {}-{} --clients {} --keys {} --think-ms {} --election-timeout-ms {}",
        args.seconds,
        kind_names.join(","),
        args.hold.0,
        args.hold.1,
        args.quiet.0,
        args.quiet.1,
        args.clients,
        args.keys,
        args.think_ms,
        args.election_timeout_ms
    );

    let network = Arc::new(Network::create(names, nodes)?);
    let mut cluster = Cluster::prepare(
        workspace,
        Arc::clone(&network),
        args.election_timeout_ms,
        &args.node_log_level,
    )?;
    let disk = if kinds.contains(&Kind::DiskFull) {
        let node = nodes - 1;
        Some((
            node,
            SmallDisk::mount(&names.disk_source(), &cluster.data_dir(node), args.disk_mib)?,
        ))
    } else {
        None
    };
    cluster.bring_up(Duration::from_secs(120)).await?;
    let bring_up_s = began.elapsed().as_secs_f64();
    println!("Service open after {bring_up_s:.1} s; clients and nemesis start.");

    let common = cluster.common();
    let service = Certificate::from_pem(&read(&cluster.service_cert_file())?)?;
    let user_cert = Certificate::from_pem(&read(&common.join("user0_cert.pem"))?)?;
    let user_key = KeyPair::from_pem(&read(&common.join("user0_privk.pem"))?)?;
    let with_timeout = |timeout| ClientOptions {
        timeout,
        ..ClientOptions::default()
    };
    let user_tls = ClientTls::new(&service, Some((&user_cert, &user_key)))?
        .with_options(with_timeout(Duration::from_secs(2)));
    let observer_tls =
        ClientTls::new(&service, None)?.with_options(with_timeout(Duration::from_millis(700)));
    let addresses = cluster.client_addresses();

    let (stop_observer, observer_stopped) = watch::channel(false);
    let (mut observer, observer_tasks) =
        Observer::spawn(&observer_tls, &addresses, &observer_stopped);
    let history = Arc::new(Mutex::new(History::default()));
    let resolver = Resolver {
        history: Arc::clone(&history),
        tls: user_tls.clone(),
        addresses: addresses.clone(),
        observer: observer.clone(),
        clock,
    };
    let (stop_resolver, resolver_stopped) = watch::channel(false);
    let resolver_task = tokio::spawn(resolver.clone().run(resolver_stopped));
    let workload = Arc::new(Workload {
        tls: user_tls.clone(),
        addresses: addresses.clone(),
        network: Arc::clone(&network),
        observer: observer.clone(),
        history: Arc::clone(&history),
        clock,
        keys: args.keys,
        seed,
        think: Duration::from_millis(args.think_ms),
    });
    let (stop_clients, clients_stopped) = watch::channel(false);
    let clients: Vec<_> = (0..args.clients)
        .map(|client| tokio::spawn(Arc::clone(&workload).client(client, clients_stopped.clone())))
        .collect();

    let until = Instant::now() + Duration::from_secs(args.seconds);
    let mut schedule = Schedule::new(seed, &kinds);
    let (_never, not_stopped) = watch::channel(false);
    let mut nemesis = Nemesis {
        cluster: &mut cluster,
        network: Arc::clone(&network),
        disk,
        observer: observer.clone(),
        tls: user_tls.clone(),
        addresses: addresses.clone(),
        clock,
        recovery_limit: Duration::from_millis(args.recovery_limit_ms),
        catch_up_limit: Duration::from_secs(60),
        hold_s: args.hold,
        quiet_s: args.quiet,
        mechanism: None,
        unexpected: Vec::new(),
    };
    let events = nemesis.run(&mut schedule, until, &not_stopped).await;
    let impairment = nemesis.mechanism.map(|m| match m {
        impairment::Mechanism::Netem => "tc netem".to_owned(),
        impairment::Mechanism::Shaping => {
            "HTB rate limit + classic-BPF random drop (this kernel has no netem)".to_owned()
        }
    });
    let mut unexpected_exits = std::mem::take(&mut nemesis.unexpected);
    let disk = nemesis.disk.take();
    drop(nemesis);
    println!(
        "Nemesis done ({} events); stopping the clients and checking.",
        events.len()
    );

    let _ = stop_clients.send(true);
    for client in clients {
        let _ = client.await;
    }
    for (node, status) in cluster.reap() {
        unexpected_exits.push(format!(
            "node {node} exited on its own after the nemesis ({status})"
        ));
        let _ = cluster.start(node);
    }
    let mut catch_up_problems = Vec::new();
    let all: Vec<usize> = (0..nodes).collect();
    let target = observer.max_commit();
    let behind =
        recovery::wait_caught_up(&mut observer, &all, target, Duration::from_secs(60)).await;
    if !behind.is_empty() {
        catch_up_problems.push(format!(
            "after the run, node(s) {behind:?} had not caught up with commit {target} within 60 s"
        ));
    }
    let _ = stop_resolver.send(true);
    let _ = resolver_task.await;
    let unresolved = resolver.finish(Duration::from_secs(30)).await;
    // Committed at the primary means on a majority: the final reads wait for every node.
    let last_seqno = history
        .lock()
        .map(|h| {
            h.writes
                .iter()
                .filter_map(|w| w.committed_txid().map(|(_, seqno)| seqno))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let behind =
        recovery::wait_caught_up(&mut observer, &all, last_seqno, Duration::from_secs(60)).await;
    if !behind.is_empty() {
        catch_up_problems.push(format!(
            "node(s) {behind:?} had not committed the last committed write ({last_seqno}) within 60 s"
        ));
    }
    let final_read_problems = checks::final_reads(
        &history, &user_tls, &addresses, &clock, args.keys, last_seqno,
    )
    .await;
    let (committed_checked, committed_missing) =
        checks::committed_present(&history, &user_tls, &addresses).await;
    let _ = stop_observer.send(true);
    for task in observer_tasks {
        let _ = task.await;
    }

    let mut stop_problems = Vec::new();
    for node in 0..nodes {
        if !cluster.is_running(node) {
            continue;
        }
        match cluster.stop(node).await {
            Ok(status) if status.success() => {}
            Ok(status) => stop_problems.push(format!("node {node} did not stop cleanly: {status}")),
            Err(error) => {
                stop_problems.push(format!("node {node} could not be stopped: {error:#}"))
            }
        }
    }
    let ledgers = checks::ledgers(&cluster, read_ledger)?;
    let panics = checks::panics(&cluster);
    let history_for_check = Arc::clone(&history);
    let every_read = args.check_every_read;
    let (operations_checked, keys_checked, linearizability, linearizable) =
        tokio::task::spawn_blocking(move || {
            checks::linearizability(&history_for_check, every_read)
        })
        .await
        .context("the linearizability checker failed")?;
    let tally = history.lock().map(|h| h.tally()).unwrap_or_default();
    let applied: Vec<Kind> = events.iter().map(|e| e.kind).collect();
    let mut report = Report {
        nodes,
        seed,
        seconds: args.seconds,
        kinds: kinds.clone(),
        workspace: workspace.to_path_buf(),
        impairment,
        bring_up_s,
        elapsed_s: 0.0,
        events,
        unexpected_exits,
        tally,
        unresolved_writes: unresolved,
        committed_checked,
        nodes_checked: nodes,
        committed_missing,
        final_read_problems,
        catch_up_problems,
        operations_checked,
        keys_checked,
        linearizability,
        linearizable,
        ledgers,
        stop_problems,
        panics,
        recovery_limit_ms: args.recovery_limit_ms,
        kinds_not_run: kinds
            .iter()
            .copied()
            .filter(|k| !applied.contains(k))
            .collect(),
        require_every_kind: args.require_every_kind,
        teardown_problems: Vec::new(),
    };
    if (!report.violations().is_empty() || args.keep)
        && let Ok(history) = history.lock()
    {
        let file = workspace.join("history.jsonl");
        if let Err(error) = std::fs::write(&file, history.to_json_lines()) {
            eprintln!("could not write {}: {error}", file.display());
        }
    }
    if !report.violations().is_empty()
        && let Some((node, disk)) = &disk
    {
        // The tmpfs goes with the teardown; keep its files for whoever looks into the failure.
        let saved = cluster.node_dir(*node).join("data.saved");
        let _ = command::run(
            "cp",
            &[
                "-a",
                &disk.mount_point.to_string_lossy(),
                &saved.to_string_lossy(),
            ],
        );
    }
    report.elapsed_s = began.elapsed().as_secs_f64();
    Ok(report)
}
