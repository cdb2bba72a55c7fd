//! `quorate ledger show`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use quorate_ledger::show::show_ledger;

#[derive(clap::Args)]
pub struct ShowArgs {
    /// Ledger directory (or a `generate` output directory holding `ledger/`).
    dir: PathBuf,
    /// Ledger secret as 64 hex digits, to show private maps.
    #[arg(long)]
    ledger_secret: Option<String>,
}

pub fn run(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let secret = args
        .ledger_secret
        .as_deref()
        .map(super::parse_ledger_secret)
        .transpose()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    show_ledger(&args.dir, secret.as_ref(), &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
