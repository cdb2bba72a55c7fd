//! `quorate dev sim`: runs the deterministic cluster simulator. `--seed S` replays one seed
//! (the same output, byte for byte, every time); `--seeds N [--start S]` soaks N seeds and
//! prints every failure, then a summary line.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use quorate_sim::simulation::{FaultIntensity, SimConfig, Tamper, run_seed, soak};

#[derive(clap::Args)]
pub struct SimArgs {
    /// Replay exactly this seed.
    #[arg(long, conflicts_with_all = ["seeds", "start"])]
    seed: Option<u64>,
    /// Run this many seeds.
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// The first seed of a soak.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Cluster size.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(3..=5))]
    nodes: u64,
    /// How hostile the safety phase is: packet loss, delays and partitions (one-way cuts,
    /// isolated nodes, minority/majority splits), slow disks, and crashes (most restart from
    /// disk, some are replaced by a new node).
    #[arg(long, value_enum, default_value_t = Faults::Low)]
    faults: Faults,
    /// Virtual length of the safety phase, before faults heal.
    #[arg(long, default_value_t = 2_000)]
    safety_ms: u64,
    /// Nodes run a pre-vote round before standing for election.
    #[arg(long)]
    pre_vote: bool,
    /// With --seed: print the run's last this many trace events even when it passes.
    #[arg(long, default_value_t = 0)]
    trace: usize,
    /// Plant a bug between the engine and its environment, to see the checks catch it.
    #[arg(long, value_enum)]
    plant_bug: Option<PlantedBug>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Faults {
    None,
    Low,
    High,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PlantedBug {
    /// The network forges a success ACK for every AppendEntries.
    FabricateAcks,
    /// The disk acknowledges log writes before they are durable.
    AckBeforeDurable,
    /// The network corrupts the entries it delivers to one node.
    CorruptEntries,
    /// The disk acknowledges a node's term and vote before writing them.
    LazyHardState,
    /// Nodes answer reads with the value from before the latest write.
    StaleReads,
}

pub fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let intensity = match args.faults {
        Faults::None => FaultIntensity::None,
        Faults::Low => FaultIntensity::Low,
        Faults::High => FaultIntensity::High,
    };
    let mut config = SimConfig::new(usize::try_from(args.nodes)?, intensity);
    config.safety_phase_ms = args.safety_ms;
    config.pre_vote = args.pre_vote;
    config.tamper = args.plant_bug.map(|bug| match bug {
        PlantedBug::FabricateAcks => Tamper::FabricateAcks,
        PlantedBug::AckBeforeDurable => Tamper::AckBeforeDurable,
        PlantedBug::CorruptEntries => Tamper::CorruptEntries,
        PlantedBug::LazyHardState => Tamper::LazyHardState,
        PlantedBug::StaleReads => Tamper::StaleReads,
    });
    // Write errors (e.g. a closed pipe) end the command with an error, never a panic.
    let mut out = std::io::stdout().lock();
    if let Some(seed) = args.seed {
        config.trace_tail_len = config.trace_tail_len.max(args.trace);
        let report = run_seed(&config, seed);
        if report.passed() {
            let skip = report.trace_tail.len().saturating_sub(args.trace);
            for line in &report.trace_tail[skip..] {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out, "{report}")?;
        return Ok(exit_code(report.passed()));
    }
    let started = Instant::now();
    let mut written = Ok(());
    let summary = soak(&config, args.start, args.seeds, |report| {
        if !report.passed() && written.is_ok() {
            written = writeln!(out, "{report}").and_then(|()| {
                let flags = replay_flags(&args);
                writeln!(
                    out,
                    "replay: quorate dev sim --seed {} {flags}",
                    report.seed
                )
            });
        }
    });
    written?;
    let seconds = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "{} passed, {} failed ({:.0} seeds/s)",
        summary.passed,
        summary.failures.len(),
        args.seeds as f64 / seconds.max(f64::EPSILON)
    )?;
    Ok(exit_code(summary.failures.is_empty()))
}

/// The flags that, with `--seed`, reproduce a run of this soak.
fn replay_flags(args: &SimArgs) -> String {
    let mut flags = format!(
        "--nodes {} --faults {} --safety-ms {}",
        args.nodes,
        value_name(args.faults),
        args.safety_ms
    );
    if args.pre_vote {
        flags.push_str(" --pre-vote");
    }
    if let Some(bug) = args.plant_bug {
        flags.push_str(&format!(" --plant-bug {}", value_name(bug)));
    }
    flags
}

/// How clap spells `value` on the command line.
fn value_name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

fn exit_code(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
