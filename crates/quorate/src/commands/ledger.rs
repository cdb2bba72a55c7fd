//! `quorate ledger` (being written).

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct LedgerArgs {}

pub fn run(_args: LedgerArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
