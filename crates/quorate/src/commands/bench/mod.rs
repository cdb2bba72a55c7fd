//! `quorate bench`: the benchmark suite. In one run on loopback it starts the 3-node Quorate
//! sandbox (durable; native app, then the JS logging app), a 3-member etcd with TLS, Redis and
//! nginx (the HTTPS ceiling) one after the other, drives each with the same load generator at the same connection counts, and
//! prints one table (throughput, p50/p99/p99.9, server CPU) and the goals' PASS/MISS. Results
//! go to `bench/results/<date>/`: `points.jsonl`, `summary.md`, `throughput_p99.png`.
//!
//! One concept per file: `generator` (closed and open loop), `latency` (HDR histograms),
//! `workload`, `target` (how each system is asked), `resp` (Redis's protocol), `systems` (start
//! and stop each), `cpu` (/proc accounting), `report`, `goals`, `plot`, `suite` (the order of
//! things) and `load` (`quorate dev load`, the generator against a running sandbox).

mod cpu;
mod generator;
mod goals;
mod latency;
pub mod load;
mod plot;
mod report;
mod resp;
mod suite;
mod systems;
mod target;
mod workload;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use suite::{Settings, Suite};
use systems::install;
use workload::Workload;

const SYSTEMS: [&str; 5] = ["nginx", "quorate", "quorate-js", "etcd", "redis"];

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Seconds per measured point.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of unrecorded 16-connection writes after each system starts.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Connection counts (each connection has one request in flight).
    #[arg(long, value_delimiter = ',', default_value = "1,16,64,256")]
    connections: Vec<usize>,
    /// Systems to run, of nginx, quorate, quorate-js (the same 3-node sandbox serving the JS
    /// logging app, `--js-app`; write-20B, write-1KiB and read only), etcd, redis.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "nginx,quorate,quorate-js,etcd,redis"
    )]
    systems: Vec<String>,
    /// The JS app bundle (CCF's layout) the quorate-js system deploys.
    #[arg(long, default_value = "apps/logging-js")]
    js_app: PathBuf,
    /// Workloads, of write-20B, write-1KiB, read, mixed-90r10w, write-committed.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "write-20B,write-1KiB,read,mixed-90r10w,write-committed"
    )]
    workloads: Vec<String>,
    /// Quorate node counts for the scaling points (20-byte writes at the most connections).
    #[arg(long, value_delimiter = ',', default_value = "1,3,5")]
    scale_nodes: Vec<usize>,
    /// After the default-configuration points, restart the 3-node service with this
    /// `ledger_signatures.delay` (ms) and measure commit waits again; 0 skips it.
    #[arg(long, default_value_t = 1)]
    signature_delay_ms: u64,
    /// The `consensus.message_timeout` (heartbeat, ms) of that restarted service: the primary
    /// sends small batches of entries only on heartbeats.
    #[arg(long, default_value_t = 10)]
    heartbeat_ms: u64,
    /// Also run 20-byte writes open loop at this fraction of the closed-loop peak; 0 skips it.
    #[arg(long, default_value_t = 0.5)]
    open_loop_fraction: f64,
    /// Skip the HTTP/2 points (Quorate writes and reads, nginx reads, at the most connections).
    #[arg(long)]
    no_http2: bool,
    /// Ports used on 127.0.0.1: Quorate base (+100 peers), etcd +200, Redis +300, nginx +400.
    /// Keep them below the ephemeral range (32768 and up on Linux): a client connection's
    /// local port there makes a listener's bind fail.
    #[arg(long, default_value_t = 27000)]
    port_base: u16,
    /// Where `<date>/` with the results is created.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Scratch directory for the systems' data (default: a fresh one under the temp dir).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Do not apt-get install missing packages; print what to install and skip those systems.
    #[arg(long)]
    no_install: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpu::cores())
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(bench(args, settings))
}

fn settings(args: &BenchArgs) -> anyhow::Result<Settings> {
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        bail!("--seconds must be in (0, 600]");
    }
    if args.connections.is_empty() || args.connections.iter().any(|c| *c == 0 || *c > 10_000) {
        bail!("--connections must be counts between 1 and 10000");
    }
    for system in &args.systems {
        if !SYSTEMS.contains(&system.as_str()) {
            bail!("unknown system {system:?}; known: {}", SYSTEMS.join(", "));
        }
    }
    let workloads = args
        .workloads
        .iter()
        .map(|name| {
            Workload::parse(name).with_context(|| {
                let known: Vec<String> = Workload::ALL.iter().map(|w| w.name()).collect();
                format!("unknown workload {name:?}; known: {}", known.join(", "))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.scale_nodes.iter().any(|n| *n == 0 || *n > 9) {
        bail!("--scale-nodes must be node counts between 1 and 9");
    }
    if args.port_base > 65_000 || args.port_base < 1024 {
        bail!("--port-base must be in 1024..=65000 (500 ports are used)");
    }
    let mut connections = args.connections.clone();
    connections.sort_unstable();
    connections.dedup();
    let work_dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("quorate-bench-{}", std::process::id())),
    };
    let work_dir = std::path::absolute(work_dir)?;
    Ok(Settings {
        seconds: args.seconds,
        warmup_seconds: args.warmup,
        connections,
        systems: args.systems.clone(),
        workloads,
        scale_nodes: args.scale_nodes.clone(),
        signature_delay_ms: args.signature_delay_ms,
        heartbeat_ms: args.heartbeat_ms.max(1),
        open_loop_fraction: args.open_loop_fraction,
        http2: !args.no_http2,
        port_base: args.port_base,
        quorate_binary: work_dir.join("bin/quorate"),
        js_app: std::path::absolute(&args.js_app)?,
        work_dir,
        install: !args.no_install,
    })
}

async fn bench(args: BenchArgs, settings: Settings) -> anyhow::Result<ExitCode> {
    let mut needed = vec![install::FONT];
    for (system, requirement) in [
        ("etcd", install::ETCD),
        ("redis", install::REDIS),
        ("nginx", install::NGINX),
    ] {
        if settings.systems.iter().any(|s| s == system) {
            needed.push(requirement);
        }
    }
    install::ensure(&needed, settings.install);
    let work_dir = settings.work_dir.clone();
    std::fs::create_dir_all(work_dir.join("bin"))
        .with_context(|| format!("creating {}", work_dir.display()))?;
    let executable = std::env::current_exe().context("finding the quorate executable")?;
    std::fs::copy(&executable, &settings.quorate_binary).with_context(|| {
        format!(
            "copying {} to {}",
            executable.display(),
            settings.quorate_binary.display()
        )
    })?;
    let results = report::results_dir(&args.out)?;
    let started_load = cpu::load_average();
    let started = std::time::Instant::now();
    println!(
        "quorate bench: {} s per point, connections {:?}, results in {}",
        settings.seconds,
        settings.connections,
        results.display()
    );
    println!("{}", machine_description(started_load));
    let mut suite = Suite::new(settings, &results)?;
    let outcome = suite.run().await;
    let _ = std::fs::remove_dir_all(&work_dir);

    let verdicts = suite.verdicts();
    let goals_table = goals::markdown(&verdicts);
    let header = summary_header(&args, started_load, started.elapsed());
    let summary = report::markdown(&header, suite.points(), &goals_table, suite.notes());
    let summary_file = results.join("summary.md");
    std::fs::write(&summary_file, &summary)
        .with_context(|| format!("writing {}", summary_file.display()))?;
    let plot_file = results.join("throughput_p99.png");
    if let Err(error) = plot::draw(
        suite.points(),
        &plot_file,
        "p99 latency against throughput (closed loop, 1/16/64/256 connections)",
    ) {
        eprintln!("plot: {error:#}");
    }
    println!();
    println!("{}", report::TABLE_HEADER);
    println!("{}", report::TABLE_RULE);
    for point in suite.points() {
        println!("{}", report::table_row(point));
    }
    println!();
    println!("{goals_table}");
    for note in suite.notes() {
        println!("note: {note}");
    }
    println!(
        "Results: {} (points.jsonl, summary.md, throughput_p99.png)",
        results.display()
    );
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("stopped early: {error:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn first_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|out| {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "not installed".into())
}

/// The machine, and the load average `load` (taken when the suite started: the summary is
/// written at the end, when the load is the suite's own).
fn machine_description(load: f64) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "machine: {} × {model}, {memory}, Linux {}; load average {:.2} at start",
        cpu::cores(),
        kernel.trim(),
        load
    )
}

fn summary_header(args: &BenchArgs, started_load: f64, took: std::time::Duration) -> String {
    let mut out = String::new();
    let command: Vec<String> = std::env::args().collect();
    let _ = writeln!(out, "# quorate bench results\n");
    let _ = writeln!(out, "- command: `{}`", command.join(" "));
    let _ = writeln!(
        out,
        "- {} s per point, {} s warm-up per system, connections {:?}, took {:.0} s",
        args.seconds,
        args.warmup,
        args.connections,
        took.as_secs_f64()
    );
    let _ = writeln!(out, "- {}", machine_description(started_load));
    let _ = writeln!(
        out,
        "- load average (1 min): {started_load:.2} at start, {:.2} at the end; every point \
         records the machine's busy share and the cores used by other processes",
        cpu::load_average()
    );
    let _ = writeln!(
        out,
        "- {}; {}; {}",
        first_line("etcd", &["--version"]),
        first_line("redis-server", &["--version"]),
        first_line("nginx", &["-v"])
    );
    let _ = writeln!(
        out,
        "- Quorate: `quorate sandbox` (release build), durable ledgers (fsync per group \
         commit), native logging app (quorate-js: the same sandbox with `--js-app {}`), \
         user0's client certificate; etcd: data on disk, HTTPS \
         clients, mutual TLS between peers, writes to the leader, serializable reads spread over \
         members; Redis: `appendfsync always`; nginx: constant 200 over TLS 1.3",
        args.js_app.display()
    );
    let _ = writeln!(
        out,
        "- one load generator for all (this command, in-process): keep-alive connections, one \
         request in flight each, closed loop unless `pacing` says open (latency from the \
         intended send time); HDR histograms"
    );
    out
}
