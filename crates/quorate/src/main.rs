//! `quorate`: the command line of the Quorate confidential consortium framework.

mod commands;
mod shutdown;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "quorate",
    version,
    about = "Quorate: a confidential consortium framework"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A local N-node service in one command (resumes from its ledger when run again).
    Sandbox(commands::sandbox::SandboxArgs),
    /// Run one node from its configuration file.
    Node(commands::node::NodeArgs),
    /// A member's governance: propose, vote, withdraw, list, show, ack, sign.
    Gov(commands::gov::GovArgs),
    /// Inspect, verify and generate CCF-format ledgers.
    Ledger(commands::ledger::LedgerArgs),
    /// The benchmark suite: Quorate, etcd (TLS), Redis and nginx on loopback, one table.
    Bench(commands::bench::BenchArgs),
    /// Developer tools: the deterministic simulator and CCF raft-scenario replay.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Run the deterministic cluster simulator over one seed or many.
    Sim(commands::sim::SimArgs),
    /// Replay CCF raft-scenario files against the Raft engine.
    RaftScenario(commands::raft_scenario::RaftScenarioArgs),
    /// Drive a running sandbox with concurrent logging writes and reads; print a table.
    Load(commands::bench::load::LoadArgs),
    /// A service in network namespaces under a nemesis (kills, partitions, pauses, loss,
    /// restarts, a full disk) with clients and checkers; needs root.
    Chaos(commands::chaos::ChaosArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sandbox(args) => commands::sandbox::run(args),
        Command::Node(args) => commands::node::run(args),
        Command::Gov(args) => commands::gov::run(args),
        Command::Ledger(args) => commands::ledger::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Dev { command } => match command {
            DevCommand::Sim(args) => commands::sim::run(args),
            DevCommand::RaftScenario(args) => commands::raft_scenario::run(args),
            DevCommand::Load(args) => commands::bench::load::run(args),
            DevCommand::Chaos(args) => commands::chaos::run(args),
        },
    };
    match result {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A reader that stops early (`quorate ledger show | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
