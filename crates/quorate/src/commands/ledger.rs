//! `quorate ledger`: generate, verify and show CCF-format ledgers.

mod generate;
mod show;
mod verify;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(clap::Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Write a deterministic, valid ledger (same seed, same bytes).
    Generate(generate::GenerateArgs),
    /// Check every entry, signature, certificate and chunk of a ledger; exit 1 on any fault.
    Verify(verify::VerifyArgs),
    /// Print one JSON line per transaction.
    Show(show::ShowArgs),
}

pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        LedgerCommand::Generate(args) => generate::run(args),
        LedgerCommand::Verify(args) => verify::run(args),
        LedgerCommand::Show(args) => show::run(args),
    }
}

/// Parses a ledger secret given as 64 hex digits.
fn parse_ledger_secret(text: &str) -> anyhow::Result<quorate_kv::LedgerSecret> {
    let bytes = hex::decode(text.trim())
        .map_err(|err| anyhow::anyhow!("ledger secret is not hex: {err}"))?;
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("ledger secret must be 32 bytes (64 hex digits)"))?;
    Ok(quorate_kv::LedgerSecret::from_bytes(raw))
}
