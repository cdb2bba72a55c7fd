//! How a node comes up: restart from its own disk, start a new service, or join one (see
//! docs/node.md), and the settings each path derives from the configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quorate_consensus::RaftConfig;
use quorate_crypto::random::fill_random;
use quorate_crypto::{Certificate, KeyPair, create_certificate_signing_request};
use quorate_ledger::genesis::{
    InterfaceAddresses, NodeNetwork, QuoteInfo, VIRTUAL_ATTESTATION_FORMAT,
};
use quorate_ledger::signature::CoseSignatureConfig;
use zeroize::Zeroizing;

use super::addresses::InterfaceAddress;
use super::endpoints::join::{JoinNetwork, JoinRequest};
use super::error::NodeError;
use super::genesis::governance_write_set;
use super::identity::{common_name, endorse, new_key, new_service, self_signed};
use super::join_client::join_service;
use super::joining_frontend::JoiningFrontends;
use super::peers::{channel_id_of, resolve};
use super::secrets::{NodeSecrets, SECRETS_FILE_NAME, SecretTexts};
use crate::channel::NodeId as ChannelId;
use crate::config::{NodeConfig, StartMode, SubjectAltName};
use crate::replication::{Genesis, ReplicatedNode, ReplicationConfig, SignaturePolicy};

/// Validity of a new service's own node certificate when the configuration says less (CCF's
/// default of one day would make a restarted development service unusable the next day).
const MIN_CERTIFICATE_VALIDITY_DAYS: u32 = 365;
/// The CWT claims of COSE ledger signatures when the configuration names none.
const DEFAULT_COSE_ISSUER: &str = "quorate";
const DEFAULT_COSE_SUBJECT: &str = "ledger.signature";

/// The node's working directory: where its ledger directory lives. Its secrets and hard state
/// are kept there.
pub(super) fn node_dir(config: &NodeConfig) -> PathBuf {
    match config.ledger.directory.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(super) fn node_network(
    n2n: &InterfaceAddress,
    rpc: &BTreeMap<String, InterfaceAddress>,
) -> NodeNetwork {
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
            send_committable_at_once: true,
            // CCF sends 20 entries per message; at thousands of small writes per second that
            // is hundreds of messages (each encrypted, written, acknowledged) per backup.
            max_entries_per_append: 1000,
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

/// Restart, start or join; returns the node, its secrets and (joining) its first peers. A
/// joining node answers `/node/state` on `rpc_addresses` while it waits to be trusted.
pub(super) async fn come_up(
    config: &NodeConfig,
    node_dir: &Path,
    network: &NodeNetwork,
    rpc_addresses: &BTreeMap<String, InterfaceAddress>,
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
            let governance = governance_write_set(start)?;
            let node = ReplicatedNode::start(
                replication,
                secrets.node_identity()?,
                secrets.service_identity()?,
                secrets.ledger_secret(),
                Genesis {
                    governance,
                    network: network.clone(),
                },
            )?;
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
                certificate_signing_request: create_certificate_signing_request(
                    &node_key, &subject, &sans,
                )
                .map_err(|e| NodeError::Identity(format!("certificate signing request: {e}")))?,
                node_data: None,
            };
            let waiting = JoiningFrontends::start(
                rpc_addresses,
                &node_key.public_key().sha256_hex(),
                &own_certificate,
                &node_key,
            )
            .await?;
            let joined = join_service(
                &join.target_rpc_address.to_string(),
                &service_certificate,
                &own_certificate,
                &node_key,
                &request,
                join.retry_timeout,
            )
            .await;
            waiting.stop().await;
            let info = joined?;
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
