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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quorate_consensus::RaftConfig;
use quorate_crypto::random::fill_random;
use quorate_crypto::{Certificate, KeyPair};
use quorate_ledger::genesis::{
    InterfaceAddresses, NodeNetwork, QuoteInfo, ServiceStatus, VIRTUAL_ATTESTATION_FORMAT,
    put_service_info,
};
use quorate_ledger::signature::CoseSignatureConfig;
use tokio::sync::{mpsc, watch};
use zeroize::Zeroizing;

use super::addresses::{InterfaceAddress, concrete};
use super::context::NodeContext;
use super::driver::{Driver, DriverHandle, DriverInput};
use super::endpoints::join::{JoinNetwork, JoinRequest};
use super::endpoints::{InterfacePolicy, frontend_router, node_endpoints, primary_router};
use super::error::NodeError;
use super::forwarded_codec::Forwarded;
use super::forwarding::{Forwarder, serve_forwarded};
use super::genesis::governance_write_set;
use super::identity::{common_name, endorse, new_key, new_service, self_signed};
use super::join_client::join_service;
use super::js_pool::JsPool;
use super::metrics::Metrics;
use super::peers::{PeerBook, channel_id_of, raft_id_of_channel, resolve};
use super::secrets::{NodeSecrets, SECRETS_FILE_NAME, SecretTexts};
use crate::app::App;
use crate::channel::{LocalIdentity, MessageKind, NodeId as ChannelId};
use crate::config::{NodeConfig, StartMode, SubjectAltName};
use crate::frontend::{
    EndpointRegistry, FrontendLimits, FrontendOptions, FrontendServer, Router, TransactionId,
    server_tls_config,
};
use crate::replication::{Genesis, ReplicatedNode, ReplicationConfig, SignaturePolicy};
use crate::transport::{Inbound, Transport, TransportConfig, TransportHandle};

/// How often the driver ticks consensus when idle.
const TICK_INTERVAL: Duration = Duration::from_millis(10);
/// Inputs that may wait for the driver before clients are told to retry.
const DRIVER_QUEUE_CAPACITY: usize = 65_536;
/// How long requests in flight may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// Validity of a new service's own node certificate when the configuration says less (CCF's
/// default of one day would make a restarted development service unusable the next day).
const MIN_CERTIFICATE_VALIDITY_DAYS: u32 = 365;
/// The CWT claims of COSE ledger signatures when the configuration names none.
const DEFAULT_COSE_ISSUER: &str = "quorate";
const DEFAULT_COSE_SUBJECT: &str = "ledger.signature";

/// Runs a node until `shutdown` resolves (or it fails). `app` is mounted under `/app`.
pub async fn run_node(
    config: NodeConfig,
    app: Option<Arc<dyn App>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), NodeError> {
    let node_dir = node_dir(&config);
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
    let (node, secrets, bootstrap) = come_up(&config, &node_dir, &network).await?;
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
        secrets: Arc::clone(&secrets),
        development: config.development.clone(),
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
        () = shutdown => tracing::info!("stopping"),
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
    let _ = std::fs::remove_file(&config.output_files.pid_file);
    match driver_outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(NodeError::Replication(error)),
        Err(_) => Err(NodeError::DriverStopped(
            "the driver thread panicked".into(),
        )),
    }
}

/// The node's working directory: where its ledger directory lives. Its secrets and hard state
/// are kept there.
fn node_dir(config: &NodeConfig) -> PathBuf {
    match config.ledger.directory.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn node_network(n2n: &InterfaceAddress, rpc: &BTreeMap<String, InterfaceAddress>) -> NodeNetwork {
    let addresses = |address: &InterfaceAddress| InterfaceAddresses {
        bind_address: address.bind.to_string(),
        published_address: address.published.clone(),
    };
    NodeNetwork {
        rpc_interfaces: Some(
            rpc.iter()
                .map(|(name, address)| (name.clone(), addresses(address)))
                .collect(),
        ),
        node_to_node_interface: Some(addresses(n2n)),
    }
}

fn replication_config(config: &NodeConfig, node_dir: &Path) -> ReplicationConfig {
    let consensus = &config.consensus;
    let election_timeout_ms =
        u64::try_from(consensus.election_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut seed = [0u8; 8];
    let _ = fill_random(&mut seed);
    ReplicationConfig {
        ledger_dir: config.ledger.directory.clone(),
        hard_state_path: node_dir.join("hard_state"),
        raft: RaftConfig {
            heartbeat_timeout_ms: u64::try_from(consensus.message_timeout.as_millis())
                .unwrap_or(u64::MAX),
            election_timeout_ms,
            election_jitter_ms: election_timeout_ms / 2,
            jitter_seed: u64::from_le_bytes(seed),
            ..RaftConfig::new(quorate_consensus::NodeId(0))
        },
        signatures: SignaturePolicy {
            tx_count: config.ledger_signatures.tx_count,
            delay_ms: u64::try_from(config.ledger_signatures.delay.as_millis()).unwrap_or(u64::MAX),
        },
        chunk_size_bytes: config.ledger.chunk_size_bytes,
        max_tx_attempts: 10,
        max_uncommitted_tx_count: consensus.max_uncommitted_tx_count,
    }
}

/// Restart, start or join; returns the node, its secrets and (joining) its first peers.
async fn come_up(
    config: &NodeConfig,
    node_dir: &Path,
    network: &NodeNetwork,
) -> Result<
    (
        ReplicatedNode,
        NodeSecrets,
        Vec<(ChannelId, std::net::SocketAddr)>,
    ),
    NodeError,
> {
    let secrets_path = node_dir.join(SECRETS_FILE_NAME);
    let replication = replication_config(config, node_dir);
    if let Some(secrets) = NodeSecrets::load(&secrets_path)? {
        tracing::info!(dir = %node_dir.display(), "restarting from disk");
        let node = ReplicatedNode::restart(
            replication,
            secrets.node_identity()?,
            secrets.service_identity()?,
            secrets.ledger_secret(),
        )?;
        return Ok((node, secrets, Vec::new()));
    }
    match &config.command.mode {
        StartMode::Start(start) => {
            start.check("command.start")?;
            let secrets = new_service_secrets(config, start)?;
            secrets.save(&secrets_path)?;
            let governance = governance_write_set(start, &config.development)?;
            let mut node = ReplicatedNode::start(
                replication,
                secrets.node_identity()?,
                secrets.service_identity()?,
                secrets.ledger_secret(),
                Genesis {
                    governance,
                    network: network.clone(),
                },
            )?;
            if config.development.open_service_at_start {
                let cert_pem = secrets.service_certificate.pem().to_owned();
                let created = node.last_committed_txid();
                node.execute(|tx| {
                    let mut writes = quorate_kv::WriteSet::new();
                    if put_service_info(
                        &mut writes,
                        &cert_pem,
                        ServiceStatus::Open,
                        quorate_kv::TxId::new(created.view, 1),
                    )
                    .is_ok()
                    {
                        for (map, changes) in writes.maps() {
                            for (key, value) in changes.writes() {
                                tx.put(map.as_ref(), key.clone(), value.clone());
                            }
                        }
                    }
                })?;
                node.flush()?;
            }
            tracing::info!(node_id = %node.node_id_hex(), "started a new service");
            Ok((node, secrets, Vec::new()))
        }
        StartMode::Join(join) => {
            let node_key = new_key()?;
            let sans = subject_alt_names(config);
            let subject = common_name(&config.node_certificate.subject_name).to_owned();
            let own_certificate =
                self_signed(&node_key, &subject, &sans, MIN_CERTIFICATE_VALIDITY_DAYS)?;
            let service_file = &config.command.service_certificate_file;
            let service_certificate = Certificate::from_pem(
                &std::fs::read_to_string(service_file)
                    .map_err(|e| NodeError::file(service_file, e))?,
            )
            .map_err(|e| NodeError::file(service_file, e))?;
            let request = JoinRequest {
                node_info_network: JoinNetwork {
                    node_to_node_interface: network
                        .node_to_node_interface
                        .clone()
                        .ok_or_else(|| NodeError::Identity("no node-to-node interface".into()))?,
                    rpc_interfaces: network.rpc_interfaces.clone().unwrap_or_default(),
                },
                quote_info: QuoteInfo {
                    format: VIRTUAL_ATTESTATION_FORMAT.to_owned(),
                    quote: String::new(),
                    endorsements: String::new(),
                },
                subject_alt_names: config
                    .node_certificate
                    .subject_alt_names
                    .iter()
                    .map(SubjectAltName::to_config_string)
                    .collect(),
                subject_name: Some(config.node_certificate.subject_name.clone()),
                node_data: None,
            };
            let info = join_service(
                &join.target_rpc_address.to_string(),
                &service_certificate,
                &own_certificate,
                &node_key,
                &request,
                join.retry_timeout,
            )
            .await?;
            let secrets = joined_secrets(node_key, &info)?;
            secrets.save(&secrets_path)?;
            let bootstrap = info
                .peers
                .iter()
                .filter_map(|peer| {
                    Some((
                        channel_id_of(&peer.node_id)?,
                        resolve(&peer.node_to_node_address)?,
                    ))
                })
                .collect();
            let node = ReplicatedNode::join(
                replication,
                secrets.node_identity()?,
                secrets.service_identity()?,
                secrets.ledger_secret(),
            )?;
            tracing::info!(node_id = %node.node_id_hex(), "joined the service");
            Ok((node, secrets, bootstrap))
        }
    }
}

/// The SANs of this node's certificate: the configured ones, else its published RPC hosts.
fn subject_alt_names(config: &NodeConfig) -> Vec<quorate_crypto::SubjectAltName> {
    let configured: Vec<_> = config
        .node_certificate
        .subject_alt_names
        .iter()
        .filter_map(SubjectAltName::to_certificate_san)
        .collect();
    if !configured.is_empty() {
        return configured;
    }
    config
        .network
        .rpc_interfaces
        .values()
        .map(|interface| {
            let host = &interface.published_address.host;
            match host.parse() {
                Ok(ip) => quorate_crypto::SubjectAltName::Ip(ip),
                Err(_) => quorate_crypto::SubjectAltName::Dns(host.clone()),
            }
        })
        .collect()
}

fn new_service_secrets(
    config: &NodeConfig,
    start: &crate::config::StartConfig,
) -> Result<NodeSecrets, NodeError> {
    let days = start
        .initial_service_certificate_validity_days
        .max(MIN_CERTIFICATE_VALIDITY_DAYS);
    let (service_key, service_certificate) =
        new_service(common_name(&start.service_subject_name), days)?;
    let node_key = new_key()?;
    let node_certificate = endorse(
        &node_key.public_key(),
        common_name(&config.node_certificate.subject_name),
        &subject_alt_names(config),
        config
            .node_certificate
            .initial_validity_days
            .max(MIN_CERTIFICATE_VALIDITY_DAYS),
        &service_key,
        &service_certificate,
    )?;
    let mut ledger_secret = Zeroizing::new([0u8; 32]);
    fill_random(ledger_secret.as_mut()).map_err(|e| NodeError::Identity(e.to_string()))?;
    let cose = start.cose_signatures.as_ref();
    Ok(NodeSecrets {
        node_key,
        node_certificate,
        service_key,
        service_certificate,
        ledger_secret,
        cose: CoseSignatureConfig {
            issuer: cose
                .and_then(|c| c.issuer.clone())
                .unwrap_or_else(|| DEFAULT_COSE_ISSUER.to_owned()),
            subject: cose
                .and_then(|c| c.subject.clone())
                .unwrap_or_else(|| DEFAULT_COSE_SUBJECT.to_owned()),
        },
    })
}

fn joined_secrets(
    node_key: KeyPair,
    info: &super::endpoints::join::JoinNetworkInfo,
) -> Result<NodeSecrets, NodeError> {
    let texts = SecretTexts {
        node_certificate: &info.endorsed_certificate,
        service_private_key: &info.identity.priv_key,
        service_certificate: &info.identity.cert,
        ledger_secret_hex: &info.ledger_secret,
        cose: CoseSignatureConfig {
            issuer: info.cose_signatures_config.issuer.clone(),
            subject: info.cose_signatures_config.subject.clone(),
        },
    };
    NodeSecrets::from_texts(node_key, &texts, |what, detail| {
        NodeError::Identity(format!("join answer {what}: {detail}"))
    })
}

/// The node certificate, the service certificate (every node writes it, so scripts find it
/// next to any node), the PID and the bound addresses.
fn write_output_files(
    config: &NodeConfig,
    secrets: &NodeSecrets,
    n2n: &InterfaceAddress,
    rpc: &BTreeMap<String, InterfaceAddress>,
) -> Result<(), NodeError> {
    let files = &config.output_files;
    write_file(&files.node_certificate_file, secrets.node_certificate.pem())?;
    write_file(
        &config.command.service_certificate_file,
        secrets.service_certificate.pem(),
    )?;
    write_file(&files.pid_file, &std::process::id().to_string())?;
    if let Some(file) = &files.node_to_node_address_file {
        let addresses = serde_json::json!({ "node_to_node": n2n.published });
        write_file(file, &addresses.to_string())?;
    }
    if let Some(file) = &files.rpc_addresses_file {
        let addresses: serde_json::Map<String, serde_json::Value> = rpc
            .iter()
            .map(|(name, address)| (name.clone(), address.published.clone().into()))
            .collect();
        write_file(file, &serde_json::Value::Object(addresses).to_string())?;
    }
    Ok(())
}

/// Written whole under a temporary name and renamed, so readers never see half a file.
fn write_file(path: &Path, text: &str) -> Result<(), NodeError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::file(dir, e))?;
    }
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).map_err(|e| NodeError::file(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| NodeError::file(path, e))
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

/// The routing tables the node serves through: one per client interface and the primary's
/// table for forwarded requests. They are rebuilt whole when the deployed JS app changes.
struct EndpointTables {
    interfaces: Vec<(InterfacePolicy, Arc<EndpointRegistry>)>,
    primary: Arc<EndpointRegistry>,
}

impl EndpointTables {
    fn new(config: &NodeConfig) -> Self {
        Self {
            interfaces: config
                .network
                .rpc_interfaces
                .iter()
                .map(|(name, interface)| {
                    (
                        InterfacePolicy {
                            name: name.clone(),
                            redirections: interface.redirections.clone(),
                        },
                        Arc::new(EndpointRegistry::new(Router::empty())),
                    )
                })
                .collect(),
            primary: Arc::new(EndpointRegistry::new(Router::empty())),
        }
    }

    /// Builds every table from the node's current app; returns the JS app version it used.
    fn rebuild(&self, context: &Arc<NodeContext>, app: Option<&dyn App>) -> Result<u64, NodeError> {
        let status = context.status();
        let endpoints = node_endpoints(app, status.js_app.as_ref());
        for (policy, registry) in &self.interfaces {
            registry.replace(frontend_router(context, &endpoints, policy)?);
        }
        self.primary.replace(primary_router(context, &endpoints)?);
        Ok(status.js_app_version)
    }
}

/// Rebuilds the tables whenever the deployed JS app changes.
async fn follow_js_app(
    context: Arc<NodeContext>,
    tables: Arc<EndpointTables>,
    app: Option<Arc<dyn App>>,
    mut version: u64,
) {
    let mut status = context.status.clone();
    while status.changed().await.is_ok() {
        let current = status.borrow_and_update().js_app_version;
        if current == version {
            continue;
        }
        match tables.rebuild(&context, app.as_deref()) {
            Ok(rebuilt) => {
                tracing::info!(version = rebuilt, "serving the deployed JavaScript app");
                version = rebuilt;
            }
            Err(error) => tracing::error!(%error, "the JavaScript app's endpoints do not mount"),
        }
    }
}

/// Routes authenticated peer messages: consensus to the driver, forwarded requests to the
/// primary table, forwarded responses to their waiting clients.
async fn demultiplex(
    mut inbound: mpsc::Receiver<Inbound>,
    driver: DriverHandle,
    context: Arc<NodeContext>,
    primary_table: Arc<EndpointRegistry>,
    transport: TransportHandle,
) {
    while let Some(message) = inbound.recv().await {
        match message.kind {
            MessageKind::Consensus => {
                let input = DriverInput::Peer {
                    from: raft_id_of_channel(&message.from),
                    bytes: message.payload,
                };
                if driver.submit(input).is_err() {
                    tracing::debug!("driver busy: a consensus message was dropped");
                }
            }
            MessageKind::Forwarded => match Forwarded::decode(&message.payload) {
                Ok(Forwarded::Request(request)) => {
                    tokio::spawn(serve_forwarded(
                        primary_table.current(),
                        transport.clone(),
                        message.from,
                        request,
                    ));
                }
                Ok(Forwarded::Response(response)) => context.forwarder.deliver(response),
                Err(error) => {
                    tracing::debug!(peer = %message.from, %error, "forwarded message refused")
                }
            },
        }
    }
}
