//! `quorate dev load`: drives a running service (a sandbox by default) with many concurrent
//! keep-alive HTTPS connections presenting user0's certificate, writing and reading logging
//! records, and prints throughput and latency percentiles per operation. Writes go to the
//! primary; reads are spread over every node.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair};
use quorate_node::client::{ClientOptions, ClientTls, Connection, HttpProtocol, request_once};

#[derive(clap::Args)]
pub struct LoadArgs {
    /// A sandbox workspace: its `sandbox_common` identities and its nodes' addresses are used.
    #[arg(long, default_value = "workspace")]
    workspace: PathBuf,
    /// Concurrent connections per phase.
    #[arg(long, default_value_t = 256)]
    connections: usize,
    /// How long each phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Use HTTP/2 (one stream at a time per connection).
    #[arg(long)]
    http2: bool,
    /// Send writes to every node, so backups forward theirs to the primary, instead of to the
    /// primary only.
    #[arg(long)]
    writes_everywhere: bool,
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
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
    let common = args.workspace.join("sandbox_common");
    let service = Certificate::from_pem(&read(&common.join("service_cert.pem"))?)?;
    let user_cert = Certificate::from_pem(&read(&common.join("user0_cert.pem"))?)?;
    let user_key = KeyPair::from_pem(&read(&common.join("user0_privk.pem"))?)?;
    let options = ClientOptions {
        protocol: if args.http2 {
            HttpProtocol::Http2
        } else {
            HttpProtocol::Http1
        },
        ..ClientOptions::default()
    };
    let tls = ClientTls::new(&service, Some((&user_cert, &user_key)))?.with_options(options);
    let nodes = node_addresses(&args.workspace)?;
    let primary = find_primary(&tls, &nodes).await?;
    let duration = Duration::from_secs(args.seconds);
    println!(
        "{} connections for {} s per phase, HTTP/{}, {} node(s), primary {primary}",
        args.connections,
        args.seconds,
        if args.http2 { "2" } else { "1.1" },
        nodes.len()
    );
    let (write_name, write_targets) = if args.writes_everywhere {
        ("write, all nodes (forwarded)", nodes.clone())
    } else {
        ("write (POST /app/log/private)", vec![primary])
    };
    let writes = phase(
        write_name,
        &tls,
        &write_targets,
        args.connections,
        duration,
        true,
    )
    .await?;
    let reads = phase(
        "read (GET /app/log/private)",
        &tls,
        &nodes,
        args.connections,
        duration,
        false,
    )
    .await?;
    print_table(&[writes, reads]);
    Ok(ExitCode::SUCCESS)
}

/// Every node's RPC address, from the sandbox's `rpc_addresses.json` files.
fn node_addresses(workspace: &std::path::Path) -> anyhow::Result<Vec<SocketAddr>> {
    let mut nodes = Vec::new();
    for index in 0.. {
        let file = workspace.join(format!("sandbox_{index}/rpc_addresses.json"));
        if !file.exists() {
            break;
        }
        let addresses: serde_json::Value = serde_json::from_str(&read(&file)?)?;
        let address = addresses
            .as_object()
            .and_then(|map| map.values().next())
            .and_then(|value| value.as_str())
            .with_context(|| format!("{}: no address", file.display()))?;
        nodes.push(
            address
                .parse()
                .with_context(|| format!("{}: {address}", file.display()))?,
        );
    }
    if nodes.is_empty() {
        bail!("no nodes found in {}", workspace.display());
    }
    Ok(nodes)
}

async fn find_primary(tls: &ClientTls, nodes: &[SocketAddr]) -> anyhow::Result<SocketAddr> {
    for node in nodes {
        if let Ok(response) =
            request_once(tls, *node, Method::GET, "/node/primary", Bytes::new()).await
            && response.status.is_success()
        {
            return Ok(*node);
        }
    }
    bail!("no node answers as primary")
}

/// `connections` tasks, each on its own connection to one of `targets`, for `duration`.
async fn phase(
    name: &'static str,
    tls: &ClientTls,
    targets: &[SocketAddr],
    connections: usize,
    duration: Duration,
    write: bool,
) -> anyhow::Result<Phase> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for task in 0..connections {
        let tls = tls.clone();
        let target = targets[task % targets.len()];
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::connect(&tls, target).await?;
            let mut latencies_us = Vec::new();
            let mut errors = 0u64;
            let mut sequence = 0u64;
            let id_base = u64::try_from(task).unwrap_or(0) * 1_000_000;
            while Instant::now() < deadline {
                let id = id_base + sequence % 1000;
                sequence += 1;
                let began = Instant::now();
                let result = if write {
                    let body = serde_json::json!({ "id": id, "msg": "load" });
                    connection.post_json("/app/log/private", &body).await
                } else {
                    connection.get(&format!("/app/log/private?id={id}")).await
                };
                match result {
                    Ok(response)
                        if response.status.is_success() || (!write && response.status == 404) =>
                    {
                        latencies_us
                            .push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        connection = Connection::connect(&tls, target).await?;
                    }
                }
            }
            anyhow::Ok((latencies_us, errors))
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task.await??;
        latencies_us.extend(latencies);
        errors += task_errors;
    }
    latencies_us.sort_unstable();
    Ok(Phase {
        name,
        requests: latencies_us.len() as u64,
        errors,
        elapsed: start.elapsed(),
        latencies_us,
    })
}

fn percentile_ms(sorted_us: &[u32], fraction: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let index = ((sorted_us.len() - 1) as f64 * fraction).round() as usize;
    f64::from(sorted_us[index.min(sorted_us.len() - 1)]) / 1000.0
}

fn print_table(phases: &[Phase]) {
    println!(
        "| {:<32} | {:>9} | {:>7} | {:>9} | {:>8} | {:>8} | {:>8} |",
        "operation", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    println!(
        "|{:-<34}|{:-<11}|{:-<9}|{:-<11}|{:-<10}|{:-<10}|{:-<10}|",
        "", "", "", "", "", "", ""
    );
    for phase in phases {
        println!(
            "| {:<32} | {:>9} | {:>7} | {:>9.0} | {:>8.2} | {:>8.2} | {:>8.2} |",
            phase.name,
            phase.requests,
            phase.errors,
            phase.requests as f64 / phase.elapsed.as_secs_f64(),
            percentile_ms(&phase.latencies_us, 0.50),
            percentile_ms(&phase.latencies_us, 0.99),
            percentile_ms(&phase.latencies_us, 1.0),
        );
    }
}
