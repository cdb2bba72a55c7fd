//! `quorate raft_scenario` (being written).

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct RaftScenarioArgs {}

pub fn run(_args: RaftScenarioArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
