//! `quorate gov`: a member's governance from the command line. It signs requests as CCF's
//! `ccf_cose_sign1` does (`sign` prints the envelope for any other tool to send) and sends
//! proposals, ballots and withdrawals to a node; `list` and `show` read proposals.

pub mod client;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use quorate_crypto::Certificate;
use quorate_crypto::cose::GovMsgType;

use client::{BALLOT_ACCEPT, BALLOT_REJECT, GovClient, Member, now_s};

#[derive(clap::Args)]
pub struct GovArgs {
    /// The member's certificate (PEM).
    #[arg(long)]
    signing_cert: PathBuf,
    /// The member's private key (PEM).
    #[arg(long)]
    signing_key: PathBuf,
    /// A node's client address (any node: backups forward to the primary).
    #[arg(long, default_value = "127.0.0.1:8000")]
    rpc_address: SocketAddr,
    /// The service certificate the node must present.
    #[arg(long, default_value = "workspace/sandbox_common/service_cert.pem")]
    service_cert: PathBuf,
    #[command(subcommand)]
    command: GovCommand,
}

#[derive(clap::Subcommand)]
enum GovCommand {
    /// Submit a proposal (a JSON file `{"actions": [{"name": ..., "args": {...}}]}`).
    Propose { proposal: PathBuf },
    /// Vote on a proposal.
    Vote {
        proposal_id: String,
        /// Vote for.
        #[arg(long, conflicts_with_all = ["reject", "ballot"])]
        accept: bool,
        /// Vote against.
        #[arg(long, conflicts_with = "ballot")]
        reject: bool,
        /// A ballot file: a JS module exporting `vote(proposal, proposerId)`.
        #[arg(long)]
        ballot: Option<PathBuf>,
    },
    /// Withdraw one of this member's proposals.
    Withdraw { proposal_id: String },
    /// List the proposals the service keeps.
    List,
    /// Show one proposal, with its actions.
    Show { proposal_id: String },
    /// Acknowledge the service's state, which makes an Accepted member Active.
    Ack,
    /// Sign a request and write the COSE Sign1 envelope (CCF's `ccf_cose_sign1`).
    Sign {
        /// The payload to sign.
        #[arg(long)]
        content: PathBuf,
        /// `proposal`, `ballot`, `withdrawal`, `ack`, `state_digest`, `recovery_share` or
        /// `encrypted_recovery_share`.
        #[arg(long)]
        msg_type: String,
        /// For ballots and withdrawals.
        #[arg(long)]
        proposal_id: Option<String>,
        /// Seconds since the epoch (default: now).
        #[arg(long)]
        created_at: Option<u64>,
        /// Write the envelope here instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

pub fn run(args: GovArgs) -> anyhow::Result<ExitCode> {
    let member = Member::load(&args.signing_cert, &args.signing_key)?;
    if let GovCommand::Sign {
        content,
        msg_type,
        proposal_id,
        created_at,
        output,
    } = &args.command
    {
        let payload =
            std::fs::read(content).with_context(|| format!("reading {}", content.display()))?;
        let msg_type = GovMsgType::parse(msg_type)
            .with_context(|| format!("unknown message type {msg_type:?}"))?;
        let envelope = member.sign(
            msg_type,
            created_at.unwrap_or_else(now_s),
            proposal_id.as_deref(),
            &payload,
        )?;
        match output {
            Some(file) => std::fs::write(file, &envelope)
                .with_context(|| format!("writing {}", file.display()))?,
            None => std::io::Write::write_all(&mut std::io::stdout(), &envelope)?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let service_cert_pem = std::fs::read_to_string(&args.service_cert)
        .with_context(|| format!("reading {}", args.service_cert.display()))?;
    let service_cert = Certificate::from_pem(&service_cert_pem)
        .with_context(|| format!("{} is not a certificate", args.service_cert.display()))?;
    let client = GovClient::new(&service_cert, args.rpc_address, member)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let answer = runtime.block_on(async {
        match args.command {
            GovCommand::Propose { proposal } => {
                let body = std::fs::read(&proposal)
                    .with_context(|| format!("reading {}", proposal.display()))?;
                client.propose(&body).await
            }
            GovCommand::Vote {
                proposal_id,
                accept,
                reject,
                ballot,
            } => {
                let source = match (accept, reject, ballot) {
                    (true, _, _) => BALLOT_ACCEPT.to_owned(),
                    (_, true, _) => BALLOT_REJECT.to_owned(),
                    (_, _, Some(file)) => std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?,
                    _ => anyhow::bail!("say --accept, --reject or --ballot FILE"),
                };
                client.vote(&proposal_id, &source).await
            }
            GovCommand::Withdraw { proposal_id } => client.withdraw(&proposal_id).await,
            GovCommand::List => client.get("/gov/members/proposals").await,
            GovCommand::Show { proposal_id } => {
                let mut shown = client
                    .get(&format!("/gov/members/proposals/{proposal_id}"))
                    .await?;
                shown["actions"] = client
                    .get(&format!("/gov/members/proposals/{proposal_id}/actions"))
                    .await?;
                Ok(shown)
            }
            GovCommand::Ack => {
                client.activate().await?;
                client
                    .get(&format!("/gov/service/members/{}", client.member_id()))
                    .await
            }
            GovCommand::Sign { .. } => anyhow::bail!("sign is handled above"),
        }
    })?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(ExitCode::SUCCESS)
}
