//! `quorate node start --config node.json`: one node process, configured as CCF's `cchost` is.
//! Logs go to standard output with CCF's level tags; the process stops cleanly on SIGINT or
//! SIGTERM and exits non-zero if the node failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use quorate_app_logging::LoggingApp;
use quorate_node::config::NodeConfig;
use quorate_node::service::run_node;

use crate::shutdown::ShutdownSignal;

#[derive(clap::Args)]
pub struct NodeArgs {
    #[command(subcommand)]
    command: NodeCommand,
}

#[derive(clap::Subcommand)]
enum NodeCommand {
    /// Start, join or restart a node from its configuration file.
    Start {
        /// The node's JSON configuration (CCF's shape).
        #[arg(long)]
        config: PathBuf,
        /// Log filter (`error`, `warn`, `info`, `debug`, `trace`, or tracing directives).
        #[arg(long, default_value = "info")]
        log_level: String,
    },
}

pub fn run(args: NodeArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        NodeCommand::Start { config, log_level } => start(&config, &log_level),
    }
}

fn start(config_file: &std::path::Path, log_level: &str) -> anyhow::Result<ExitCode> {
    // Absolute, so every path in the configuration is too (they are relative to its file).
    let config_file = std::fs::canonicalize(config_file)
        .with_context(|| format!("reading {}", config_file.display()))?;
    let config = NodeConfig::load(&config_file)
        .with_context(|| format!("reading {}", config_file.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(log_level)
                .with_context(|| format!("log level {log_level:?}"))?,
        )
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .init();
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let workers = usize::try_from(config.worker_threads).unwrap_or(1).max(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = ShutdownSignal::listen()?;
        run_node(config, Some(Arc::new(LoggingApp)), async move {
            shutdown.received().await
        })
        .await
        .map_err(anyhow::Error::from)
    })?;
    Ok(ExitCode::SUCCESS)
}
