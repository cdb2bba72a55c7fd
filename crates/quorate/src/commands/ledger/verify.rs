//! `quorate ledger verify`: exit 0 only when the whole ledger (and the given receipts) verify;
//! otherwise print where and what is wrong and exit 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use quorate_crypto::Certificate;
use quorate_ledger::verify::{VerifyOptions, verify_ledger};

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Ledger directory (or a `generate` output directory holding `ledger/`).
    dir: PathBuf,
    /// The expected service certificate (PEM); the ledger's service.info must match it.
    #[arg(long)]
    service_cert: Option<PathBuf>,
    /// A directory of *.json and *.cose receipts to check against the ledger.
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// Ledger secret as 64 hex digits: also check every entry's GCM tag and decrypt its private
    /// domain. Without it those are not checked, but the Merkle tree still binds every byte of
    /// every signed entry, so any change to one is still caught (at its covering signature).
    #[arg(long)]
    ledger_secret: Option<String>,
}

/// A spinner counting seqnos, only when a person is watching stderr.
fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} verified seqno {pos} ({per_sec})") {
        bar.set_style(style);
    }
    Some(bar)
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let service_cert = match &args.service_cert {
        Some(path) => {
            let pem = std::fs::read_to_string(path)
                .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
            Some(
                Certificate::from_pem(&pem)
                    .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?,
            )
        }
        None => None,
    };
    let options = VerifyOptions {
        service_cert,
        ledger_secret: args
            .ledger_secret
            .as_deref()
            .map(super::parse_ledger_secret)
            .transpose()?,
        receipts_dir: args.receipts,
    };
    let bar = progress_bar();
    let mut progress = |seqno: u64| {
        if let Some(bar) = &bar
            && seqno.is_multiple_of(4096)
        {
            bar.set_position(seqno);
        }
    };
    let result = verify_ledger(&args.dir, &options, &mut progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match result {
        Ok(report) => {
            println!(
                "verified {} transactions in {} chunks: {} signatures, last {}{}; {} receipts",
                report.transactions,
                report.chunks,
                report.signatures,
                report.last_signature,
                if report.unsigned_tail > 0 {
                    format!(", {} unsigned after it", report.unsigned_tail)
                } else {
                    String::new()
                },
                report.receipts
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            println!("verification FAILED: {err}");
            Ok(ExitCode::FAILURE)
        }
    }
}
