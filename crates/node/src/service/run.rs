//! A node process from its configuration to shutdown:
//!
//! 1. Decide how it comes up: **restart** (its directory holds its secrets and a ledger),
//!    **start** (a new service: service identity, genesis, this node primary) or **join** (ask
//!    a running node, wait to be trusted, receive the service's secrets).
//! 2. Start the node-to-node transport, the driver thread and one TLS frontend per RPC
//!    interface, and write the output files (node and service certificates, addresses, PID).
//! 3. Serve until `shutdown` resolves or the driver stops, then stop the frontends (requests in
//!    flight finish), the driver and the transport, in that order.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::addresses::concrete;
use super::context::NodeContext;
use super::driver::Driver;
use super::error::NodeError;
use super::forwarding::Forwarder;
use super::inbound::demultiplex;
use super::js_pool::JsPool;
use super::metrics::Metrics;
use super::output_files::{PidFile, write_output_files};
use super::peers::PeerBook;
use super::startup::{come_up, node_dir, node_network};
use super::tables::{EndpointTables, follow_js_app};
use crate::app::App;
use crate::channel::{LocalIdentity, NodeId as ChannelId};
use crate::config::NodeConfig;
use crate::frontend::{
    FrontendLimits, FrontendOptions, FrontendServer, TransactionId, server_tls_config,
};
use crate::transport::{Transport, TransportConfig};

/// How often the driver ticks consensus when idle.
const TICK_INTERVAL: Duration = Duration::from_millis(10);
/// Inputs that may wait for the driver before clients are told to retry.
const DRIVER_QUEUE_CAPACITY: usize = 65_536;
/// How long requests in flight may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Runs a node until `shutdown` resolves (or it fails). `app` is mounted under `/app`.
pub async fn run_node(
    config: NodeConfig,
    app: Option<Arc<dyn App>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError> {
    let node_dir = node_dir(&config);
    let _pid_file = PidFile::write(&config)?;
    std::fs::create_dir_all(&config.ledger.directory)
        .map_err(|e| NodeError::file(&config.ledger.directory, e))?;
    let n2n = &config.network.node_to_node_interface;
    let n2n_address = concrete(&n2n.bind_address, &n2n.published_address)?;
    let mut rpc_addresses = BTreeMap::new();
    for (name, interface) in &config.network.rpc_interfaces {
        rpc_addresses.insert(
            name.clone(),
            concrete(&interface.bind_address, &interface.published_address)?,
        );
    }
    let network = node_network(&n2n_address, &rpc_addresses);
    // A node waiting to be trusted may wait long: a stop request ends that wait too. Stopping
    // at one of its await points leaves no more behind than a SIGKILL there would.
    let mut shutdown = std::pin::pin!(shutdown);
    let (node, secrets, bootstrap) = tokio::select! {
        came_up = come_up(&config, &node_dir, &network, &rpc_addresses) => came_up?,
        () = &mut shutdown => {
            tracing::info!("stopped while starting");
            return Ok(());
        }
    };
    let secrets = Arc::new(secrets);
    write_output_files(&config, &secrets, &n2n_address, &rpc_addresses)?;

    let identity = LocalIdentity::new(
        ChannelId::of(&secrets.node_key.public_key()),
        super::secrets::copy_key(&secrets.node_key)?,
        secrets.node_certificate.clone(),
        secrets.service_certificate.clone(),
    )
    .map_err(|e| NodeError::Identity(e.to_string()))?;
    let (transport, inbound) = Transport::start(
        Arc::new(identity),
        n2n_address.bind,
        [],
        TransportConfig::default(),
    )
    .await?;
    let peers = PeerBook::bootstrap(bootstrap, &transport);
    let store = node.shared_store();
    let (stop_sender, stop) = watch::channel(false);
    let (driver, driver_handle, status) = Driver::new(
        node,
        transport.clone(),
        peers,
        TICK_INTERVAL,
        DRIVER_QUEUE_CAPACITY,
        stop,
    );
    let (driver_done_sender, mut driver_done) = watch::channel(false);
    let driver_thread = std::thread::Builder::new()
        .name("quorate-driver".into())
        .spawn(move || {
            let outcome = driver.run();
            let _ = driver_done_sender.send(true);
            outcome
        })
        .map_err(|e| NodeError::DriverStopped(e.to_string()))?;

    let forwarding_timeout = config
        .network
        .rpc_interfaces
        .values()
        .map(|interface| interface.forwarding_timeout)
        .max()
        .unwrap_or(Duration::from_secs(3));
    let context = Arc::new(NodeContext {
        driver: driver_handle.clone(),
        store,
        status,
        forwarder: Arc::new(Forwarder::new(transport.clone(), forwarding_timeout)),
        governance: super::endpoints::governance_env(&secrets)
            .map_err(|e| NodeError::DriverStopped(format!("governance identity: {e}")))?,
        secrets: Arc::clone(&secrets),
        metrics: Arc::new(Metrics::default()),
        started: Instant::now(),
        js_pool: JsPool::start(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        )
        .map_err(|e| NodeError::DriverStopped(format!("JS threads: {e}")))?,
    });
    let tables = Arc::new(EndpointTables::new(&config));
    let js_app_version = tables.rebuild(&context, app.as_deref())?;
    let demux = tokio::spawn(demultiplex(
        inbound,
        driver_handle,
        Arc::clone(&context),
        Arc::clone(&tables.primary),
        transport.clone(),
    ));
    let app_watch = tokio::spawn(follow_js_app(
        Arc::clone(&context),
        Arc::clone(&tables),
        app.clone(),
        js_app_version,
    ));

    let tls = server_tls_config(
        std::slice::from_ref(&secrets.node_certificate),
        &secrets.node_key,
    )?;
    let mut frontends = Vec::new();
    for ((name, interface), (_, registry)) in config
        .network
        .rpc_interfaces
        .iter()
        .zip(tables.interfaces.iter())
    {
        let registry = Arc::clone(registry);
        let limits = limits(interface)?;
        let Some(address) = rpc_addresses.get(name) else {
            continue;
        };
        let status = context.status.clone();
        let decorator = move || Some(TransactionId::from(status.borrow().last_committed));
        let options = FrontendOptions {
            limits,
            response_decorator: Some(Arc::new(decorator)),
        };
        frontends
            .push(FrontendServer::bind(address.bind, Arc::clone(&tls), registry, options).await?);
        tracing::info!(interface = %name, address = %address.bind, "serving clients");
    }
    tracing::info!(node_id = %secrets.node_key.public_key().sha256_hex(), "node is up");

    tokio::select! {
        () = &mut shutdown => tracing::info!("stopping"),
        _ = driver_done.wait_for(|done| *done) => tracing::error!("the driver stopped"),
    }
    for frontend in frontends {
        frontend.shutdown(SHUTDOWN_GRACE).await;
    }
    let _ = stop_sender.send(true);
    demux.abort();
    app_watch.abort();
    let driver_outcome = tokio::task::spawn_blocking(move || driver_thread.join())
        .await
        .map_err(|e| NodeError::DriverStopped(e.to_string()))?;
    if let Err(error) = transport.shutdown().await {
        tracing::warn!(%error, "transport shutdown");
    }
    match driver_outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(NodeError::Replication(error)),
        Err(_) => Err(NodeError::DriverStopped(
            "the driver thread panicked".into(),
        )),
    }
}

fn limits(interface: &crate::config::RpcInterface) -> Result<FrontendLimits, NodeError> {
    let http = &interface.http_configuration;
    let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    Ok(FrontendLimits {
        max_open_sessions_soft: size(interface.max_open_sessions_soft),
        max_open_sessions_hard: size(interface.max_open_sessions_hard),
        max_body_size_bytes: size(http.max_body_size_bytes),
        max_header_size_bytes: size(http.max_header_size_bytes),
        max_headers_count: size(http.max_headers_count),
        http2_max_concurrent_streams: http.max_concurrent_streams_count,
        http2_initial_window_size_bytes: http.initial_window_size_bytes,
        http2_max_frame_size_bytes: http.max_frame_size_bytes,
        ..FrontendLimits::default()
    })
}
