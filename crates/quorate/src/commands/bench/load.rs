//! `quorate dev load`: the suite's load generator against a service that is already running
//! (a sandbox workspace): user0's certificate, writes to the primary, reads spread over every
//! node, closed loop or open loop at `--rate`; prints one row per workload and connection count.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientOptions, ClientTls, HttpProtocol, request_once};

use super::generator::{self, Pacing, Phase};
use super::report::{Point, TABLE_HEADER, TABLE_RULE, table_row};
use super::systems::quorate::node_addresses;
use super::target::{Kind, Target};
use super::workload::{READ_KEYSPACE, Workload};

#[derive(clap::Args)]
pub struct LoadArgs {
    /// A sandbox workspace: its `sandbox_common` identities and its nodes' addresses are used.
    #[arg(long, default_value = "workspace")]
    workspace: PathBuf,
    /// Connection counts, one phase each.
    #[arg(long, value_delimiter = ',', default_value = "256")]
    connections: Vec<usize>,
    /// How long each phase runs.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Workloads, of write-20B, write-1KiB, read, mixed-90r10w, write-committed.
    #[arg(long, value_delimiter = ',', default_value = "write-20B,read")]
    workloads: Vec<String>,
    /// Open loop at this many requests per second in total (latency from the intended send
    /// time); closed loop when absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Use HTTP/2 (one stream at a time per connection).
    #[arg(long)]
    http2: bool,
    /// Send writes to every node, so backups forward theirs to the primary, instead of to the
    /// primary only.
    #[arg(long)]
    writes_everywhere: bool,
}

pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(load(args))
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

async fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let workloads = args
        .workloads
        .iter()
        .map(|name| Workload::parse(name).with_context(|| format!("unknown workload {name:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let common = args.workspace.join("sandbox_common");
    let service = Certificate::from_pem(&read(&common.join("service_cert.pem"))?)?;
    let user_cert = Certificate::from_pem(&read(&common.join("user0_cert.pem"))?)?;
    let user_key = KeyPair::from_pem(&read(&common.join("user0_privk.pem"))?)?;
    let protocol = if args.http2 {
        HttpProtocol::Http2
    } else {
        HttpProtocol::Http1
    };
    let options = ClientOptions {
        protocol,
        ..ClientOptions::default()
    };
    let tls = ClientTls::new(&service, Some((&user_cert, &user_key)))?.with_options(options);
    let nodes = node_addresses(&args.workspace)?;
    let mut primary = None;
    for node in &nodes {
        if let Ok(response) =
            request_once(&tls, *node, Method::GET, "/node/primary", Bytes::new()).await
            && response.status.is_success()
        {
            primary = Some(*node);
            break;
        }
    }
    let primary = primary.context("no node answers as primary")?;
    let mut target = Target::new(Kind::Quorate, Some(tls), primary, nodes.clone());
    target.spread_writes = args.writes_everywhere;
    println!(
        "{} node(s), primary {primary}, HTTP/{}, {} s per phase",
        nodes.len(),
        if args.http2 { "2" } else { "1.1" },
        args.seconds
    );
    let pacing = match args.rate {
        Some(rate) => Pacing::Open { rate },
        None => Pacing::Closed,
    };
    println!("{TABLE_HEADER}\n{TABLE_RULE}");
    if workloads.iter().any(|w| w.needs_preload()) {
        generator::preload(&target, READ_KEYSPACE, 16).await?;
    }
    for workload in workloads {
        for &connections in &args.connections {
            let phase = Phase {
                workload,
                connections,
                duration: Duration::from_secs_f64(args.seconds),
                pacing,
            };
            let measured = generator::run(&target, &phase, &[]).await?;
            let point = Point::new(
                "quorate",
                &format!("{} nodes, running", nodes.len()),
                nodes.len(),
                if args.http2 { "h2" } else { "h1" },
                &phase,
                &measured,
            );
            println!("{}", table_row(&point));
        }
    }
    Ok(ExitCode::SUCCESS)
}
