//! `quorate sandbox`: a local N-node service in one command. The first run creates the
//! workspace (member and user identities under CCF's file names, one directory per node),
//! starts node 0 (which creates the service), then the others, which ask to join it; as
//! member0 it then governs the service open (see `governance.rs`). A later run on the same
//! workspace restarts every node from its ledger. It prints the
//! addresses and ready-to-paste requests, and stops every node cleanly on Ctrl-C.

pub(crate) mod governance;
mod processes;
mod readiness;
pub(crate) mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use std::net::SocketAddr;

use governance::SandboxGovernance;
use processes::NodeProcess;
use quorate_crypto::Certificate;

use crate::commands::gov::client::{GovClient, Member};
use crate::shutdown::ShutdownSignal;
use readiness::Probe;
use workspace::{NodePorts, Workspace};

#[derive(clap::Args)]
pub struct SandboxArgs {
    /// Nodes in a new service (a resumed service keeps its own count).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=9))]
    nodes: u64,
    /// Directory holding the service's files.
    #[arg(long, default_value = "workspace")]
    workspace: PathBuf,
    /// Node i serves clients on this port + i and peers on this port + 100 + i.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Consensus election timeout; the sandbox's default fails over faster than CCF's 5 s.
    #[arg(long, default_value_t = 2000)]
    election_timeout_ms: u64,
    /// How long the service may take to come up.
    #[arg(long, default_value_t = 120)]
    startup_timeout_s: u64,
    /// Deploy this JS app bundle (CCF's layout: `app.json` and `src/`) instead of the native
    /// logging app. Only when the service is created; a resumed service keeps its app.
    #[arg(long)]
    js_app: Option<PathBuf>,
}

pub fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(sandbox(args))
}

async fn sandbox(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let shutdown = ShutdownSignal::listen()?;
    // Absolute, because each node runs in its own directory and is given paths into this one.
    std::fs::create_dir_all(&args.workspace)
        .with_context(|| format!("creating {}", args.workspace.display()))?;
    let workspace = Workspace {
        root: std::fs::canonicalize(&args.workspace)
            .with_context(|| format!("finding {}", args.workspace.display()))?,
    };
    workspace.ensure_identities()?;
    let deadline = Duration::from_secs(args.startup_timeout_s);
    let resuming = workspace.holds_service();
    let count = if resuming {
        workspace.configured_nodes()
    } else {
        usize::try_from(args.nodes).unwrap_or(1)
    };
    let mut ports = Vec::with_capacity(count);
    for index in 0..count {
        ports.push(if resuming {
            workspace.configured_ports(index)?
        } else {
            node_ports(args.port, index)?
        });
    }
    for (index, node) in ports.iter().enumerate() {
        node.ensure_free(index)?;
    }
    let mut nodes = Vec::with_capacity(count);
    let outcome = tokio::select! {
        outcome = bring_up(&workspace, &ports, resuming, &args, deadline, &mut nodes) => outcome,
        () = shutdown.received() => Err(anyhow::anyhow!("interrupted while starting")),
    };
    if let Err(error) = outcome {
        stop_all(nodes).await;
        return Err(error);
    }
    print_banner(&workspace, &ports, resuming);
    let stopped_early = wait(&mut nodes, &shutdown).await;
    println!("Stopping {} node(s)...", nodes.len());
    stop_all(nodes).await;
    println!("Stopped. Run the same command again to resume from the ledger.");
    Ok(if stopped_early {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn node_ports(base: u16, index: usize) -> anyhow::Result<NodePorts> {
    let offset = u16::try_from(index).context("too many nodes")?;
    Ok(NodePorts {
        rpc: base.checked_add(offset).context("port out of range")?,
        node_to_node: base
            .checked_add(100 + offset)
            .context("port out of range")?,
    })
}

async fn bring_up(
    workspace: &Workspace,
    ports: &[NodePorts],
    resuming: bool,
    args: &SandboxArgs,
    deadline: Duration,
    nodes: &mut Vec<NodeProcess>,
) -> anyhow::Result<()> {
    let first = *ports.first().context("no nodes")?;
    let js_app = match (&args.js_app, resuming) {
        (Some(_), true) => {
            println!("The service already has its app; --js-app applies to new services only.");
            None
        }
        (Some(dir), false) => Some(
            quorate_js::Bundle::from_dir(dir)
                .with_context(|| format!("JS app {}", dir.display()))?
                .to_json(),
        ),
        (None, _) => None,
    };
    if resuming {
        println!("Resuming the service in {}", workspace.root.display());
        for (index, _) in ports.iter().enumerate() {
            nodes.push(NodeProcess::spawn(
                index,
                &workspace.node_dir(index),
                &workspace.config_file(index),
            )?);
        }
        let probe = Probe::new(&workspace.service_cert(), deadline, nodes).await?;
        govern(workspace, ports, None, deadline, nodes).await?;
        return probe.wait_for_service(ports, nodes).await;
    }
    for (index, node_ports) in ports.iter().enumerate() {
        let dir = workspace.node_dir(index);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("removing the unfinished {}", dir.display()))?;
        }
        workspace.write_config(index, *node_ports, first, args.election_timeout_ms)?;
    }
    let _ = std::fs::remove_file(workspace.service_cert());
    println!(
        "Creating a {}-node service in {}",
        ports.len(),
        workspace.root.display()
    );
    nodes.push(NodeProcess::spawn(
        0,
        &workspace.node_dir(0),
        &workspace.config_file(0),
    )?);
    let probe = Probe::new(&workspace.service_cert(), deadline, nodes).await?;
    for index in 1..ports.len() {
        nodes.push(NodeProcess::spawn(
            index,
            &workspace.node_dir(index),
            &workspace.config_file(index),
        )?);
    }
    govern(workspace, ports, js_app, deadline, nodes).await?;
    probe.wait_for_service(ports, nodes).await
}

/// Governs the service open as member0, through node 0.
async fn govern(
    workspace: &Workspace,
    ports: &[NodePorts],
    js_app: Option<serde_json::Value>,
    within: Duration,
    nodes: &mut [NodeProcess],
) -> anyhow::Result<()> {
    let common = workspace.common();
    let read = |name: &str| {
        let file = common.join(name);
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))
    };
    let service_cert = read(workspace::SERVICE_CERT_FILE)?;
    let member = Member::load(
        &common.join("member0_cert.pem"),
        &common.join("member0_privk.pem"),
    )?;
    let first = ports.first().context("no nodes")?;
    let client = GovClient::new(
        &Certificate::from_pem(&service_cert).context("the service certificate")?,
        SocketAddr::from(([127, 0, 0, 1], first.rpc)),
        member,
    )?;
    let governance = SandboxGovernance {
        client,
        user_cert: read("user0_cert.pem")?,
        service_cert,
        js_app,
        expected_nodes: ports.len(),
    };
    governance.converge(within, nodes).await
}

/// Until Ctrl-C / SIGTERM (`false`) or every node has exited on its own (`true`). A node that
/// exits is reported and the others keep serving: the service survives a minority of failures,
/// and the node can be started again by hand from its directory.
async fn wait(nodes: &mut Vec<NodeProcess>, shutdown: &ShutdownSignal) -> bool {
    loop {
        let exited = tokio::select! {
            () = shutdown.received() => return false,
            exited = futures_first_exit(nodes) => exited,
        };
        let (index, status) = exited;
        eprintln!(
            "node {index} exited ({status}); the others keep serving. Its logs are \
             sandbox_{index}/out and err in the workspace; to restart it, run \
             `quorate node start --config config.json` in that directory."
        );
        nodes.retain(|node| node.index != index);
        if nodes.is_empty() {
            return true;
        }
    }
}

async fn futures_first_exit(nodes: &mut [NodeProcess]) -> (usize, String) {
    let mut waits: Vec<_> = nodes
        .iter_mut()
        .map(|node| {
            let index = node.index;
            Box::pin(async move {
                let status = node.exited().await;
                (
                    index,
                    status.map_or_else(|e| e.to_string(), |s| s.to_string()),
                )
            })
        })
        .collect();
    std::future::poll_fn(move |context| {
        for wait in &mut waits {
            if let std::task::Poll::Ready(outcome) = wait.as_mut().poll(context) {
                return std::task::Poll::Ready(outcome);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

async fn stop_all(nodes: Vec<NodeProcess>) {
    let stops: Vec<_> = nodes
        .into_iter()
        .map(|node| tokio::spawn(node.stop()))
        .collect();
    for stop in stops {
        let _ = stop.await;
    }
}

fn print_banner(workspace: &Workspace, ports: &[NodePorts], resuming: bool) {
    let common = workspace.common();
    let common = common.display();
    println!();
    println!(
        "Quorate sandbox {}: {} node(s), service open.",
        if resuming { "resumed" } else { "started" },
        ports.len()
    );
    for (index, node) in ports.iter().enumerate() {
        println!("  Node [{index}] = https://127.0.0.1:{}", node.rpc);
    }
    println!("  Keys and certificates: {common}");
    let url = format!("https://127.0.0.1:{}", ports[0].rpc);
    let tls = format!(
        "--cacert {common}/service_cert.pem --cert {common}/user0_cert.pem --key {common}/user0_privk.pem"
    );
    println!();
    println!("Try:");
    println!(
        "  curl {tls} -X POST {url}/app/log/private -H 'content-type: application/json' -d '{{\"id\": 1, \"msg\": \"hello\"}}'"
    );
    println!("  curl {tls} '{url}/app/log/private?id=1'");
    println!("  curl --cacert {common}/service_cert.pem {url}/node/network");
    println!();
    println!("Press Ctrl-C to stop; running the same command again resumes from the ledger.");
}
