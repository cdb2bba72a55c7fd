//! `quorate ledger generate`.

use std::path::PathBuf;
use std::process::ExitCode;

use quorate_ledger::chunk::DEFAULT_CHUNK_SIZE_BYTES;
use quorate_ledger::generate::{GenerateOptions, generate_ledger};

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Output directory: chunks go to OUT/ledger, plus service_cert.pem and ledger_secret.hex.
    #[arg(long)]
    out: PathBuf,
    /// Number of transactions (seqnos 1..=N), genesis and signatures included.
    #[arg(long)]
    txs: u64,
    /// Any text; the same seed gives byte-identical files.
    #[arg(long)]
    seed: String,
    /// A signature transaction every K seqnos (and always last); CCF's own default is 5000.
    #[arg(long, default_value_t = 1000)]
    sig_every: u64,
    /// Complete a chunk at the first signature once it holds this many bytes.
    #[arg(long, default_value_t = DEFAULT_CHUNK_SIZE_BYTES)]
    chunk_size: u64,
    /// Also write JSON and COSE receipts for a sample of transactions here.
    #[arg(long)]
    receipts: Option<PathBuf>,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let summary = generate_ledger(&GenerateOptions {
        out_dir: args.out,
        transactions: args.txs,
        seed: args.seed,
        signature_interval: args.sig_every,
        chunk_size_bytes: args.chunk_size,
        receipts_dir: args.receipts,
    })?;
    println!(
        "generated {} transactions ({} signatures) in {}; {} receipts",
        summary.transactions,
        summary.signatures,
        summary.ledger_dir.display(),
        summary.receipts
    );
    Ok(ExitCode::SUCCESS)
}
