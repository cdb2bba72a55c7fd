//! `POST /node/join` (runs on the primary; backups forward it): a new node presents its own
//! certificate at TLS and its addresses in the body. The service endorses its key and trusts
//! it (for now only with the development switch `auto_trust_joining_nodes`: trusting is a
//! governance action). The node polls; once it is trusted, the answer carries what it needs
//! to serve: the service identity, the ledger secret, its endorsed certificate and
//! the nodes to connect to. TLS between the two nodes protects these secrets.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{Method, StatusCode};
use quorate_crypto::Certificate;
use quorate_ledger::genesis::{
    InterfaceAddresses, NodeNetwork, NodeStatus as TrustStatus, QuoteInfo,
    VIRTUAL_ATTESTATION_FORMAT,
};
use quorate_ledger::tables;
use serde::{Deserialize, Serialize};

use super::NodeEndpoint;
use super::mount::{refused_response, replication_error};
use crate::app::{AppAuth, json_body};
use crate::config::SubjectAltName;
use crate::frontend::{Caller, EndpointRequest, EndpointResponse, ForwardingRule, error_code};
use crate::service::context::NodeContext;
use crate::service::driver::NodeToTrust;
use crate::service::identity::{common_name, endorse};

/// Validity of the certificates the service endorses for joining nodes.
const JOINER_CERTIFICATE_VALIDITY_DAYS: u32 = 365;

/// The body of a join request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub node_info_network: JoinNetwork,
    /// The node's attestation evidence; only the virtual platform's exists so far.
    pub quote_info: QuoteInfo,
    /// SANs for the endorsed certificate, in CCF's `iPAddress:`/`dNSName:` syntax.
    #[serde(default)]
    pub subject_alt_names: Vec<String>,
    /// Subject of the endorsed certificate (default `CN=CCF Node`).
    #[serde(default)]
    pub subject_name: Option<String>,
    #[serde(default)]
    pub node_data: Option<serde_json::Value>,
}

/// Where the joining node can be reached.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinNetwork {
    pub node_to_node_interface: InterfaceAddresses,
    #[serde(default)]
    pub rpc_interfaces: BTreeMap<String, InterfaceAddresses>,
}

/// A node the joiner connects to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinPeer {
    pub node_id: String,
    pub node_to_node_address: String,
}

/// The secrets and settings a trusted joiner receives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinNetworkInfo {
    pub identity: JoinServiceIdentity,
    /// Hex of the 32-byte ledger secret.
    pub ledger_secret: String,
    pub cose_signatures_config: JoinCoseConfig,
    pub endorsed_certificate: String,
    pub peers: Vec<JoinPeer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinServiceIdentity {
    pub cert: String,
    pub priv_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinCoseConfig {
    pub issuer: String,
    pub subject: String,
}

/// The answer: `Pending` until trusted and committed, then `Trusted` with `network_info`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinResponse {
    pub node_status: TrustStatus,
    pub node_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_info: Option<JoinNetworkInfo>,
}

pub fn endpoint() -> NodeEndpoint {
    NodeEndpoint {
        forwarding: ForwardingRule::Always,
        writes: true,
        ..NodeEndpoint::builtin(Method::POST, "/node/join", &[AppAuth::AnyCert], join)
    }
}

async fn join(context: Arc<NodeContext>, request: EndpointRequest) -> EndpointResponse {
    let Caller::Certificate { der, .. } = request.caller.as_ref() else {
        return EndpointResponse::error(
            StatusCode::UNAUTHORIZED,
            error_code::INVALID_AUTHENTICATION_INFO,
            "A joining node must present its certificate.",
        );
    };
    let key = match Certificate::from_der(der).and_then(|cert| cert.public_key()) {
        Ok(key) => key,
        Err(error) => {
            return EndpointResponse::error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_INPUT,
                format!("The node certificate is unusable: {error}."),
            );
        }
    };
    let body: JoinRequest = match json_body(&request) {
        Ok(body) => body,
        Err(response) => return response,
    };
    if body.quote_info.format != VIRTUAL_ATTESTATION_FORMAT {
        return EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_QUOTE,
            format!(
                "Quote format {:?} is not supported: this service runs on the virtual \
                 platform ({VIRTUAL_ATTESTATION_FORMAT}).",
                body.quote_info.format
            ),
        );
    }
    let node_id = key.sha256_hex();
    let status = context.status();
    if let Some(known) = status.nodes.values().find(|n| n.node_id_hex == node_id) {
        if known.info.status != TrustStatus::Trusted {
            return answer(&JoinResponse {
                node_status: known.info.status,
                node_id,
                network_info: None,
            });
        }
        // Not waiting for the trust to commit: the configuration that includes the joiner
        // needs the joiner's acknowledgement to commit, so it must start now. Were the trust
        // lost in a failover, the joiner would wait in vain and be started again.
        return trusted(&context, &status, node_id);
    }
    if !context.development.auto_trust_joining_nodes {
        return EndpointResponse::error(
            StatusCode::FORBIDDEN,
            error_code::NODE_CANNOT_HANDLE_REQUEST,
            "Trusting a joining node is a governance action, which this service cannot take \
             yet; start the service with development.auto_trust_joining_nodes to trust \
             joining nodes automatically.",
        );
    }
    let mut sans = Vec::new();
    for text in &body.subject_alt_names {
        match SubjectAltName::parse(text).and_then(|san| san.to_certificate_san()) {
            Some(san) => sans.push(san),
            None => {
                return EndpointResponse::error(
                    StatusCode::BAD_REQUEST,
                    error_code::INVALID_INPUT,
                    format!("Invalid subject alternative name {text:?}."),
                );
            }
        }
    }
    let subject = body.subject_name.as_deref().unwrap_or("CN=CCF Node");
    let secrets = &context.secrets;
    let endorsed = match endorse(
        &key,
        common_name(subject),
        &sans,
        JOINER_CERTIFICATE_VALIDITY_DAYS,
        &secrets.service_key,
        &secrets.service_certificate,
    ) {
        Ok(cert) => cert,
        Err(error) => {
            return EndpointResponse::error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_INPUT,
                format!("The node certificate could not be endorsed: {error}."),
            );
        }
    };
    let node = NodeToTrust {
        node_id_hex: node_id.clone(),
        public_key_pem: key.to_pem(),
        endorsed_cert_pem: endorsed.pem().to_owned(),
        network: NodeNetwork {
            rpc_interfaces: Some(body.node_info_network.rpc_interfaces),
            node_to_node_interface: Some(body.node_info_network.node_to_node_interface),
        },
    };
    match context.driver.trust(node).await {
        Ok(Ok(txid)) => {
            tracing::info!(node = %node_id, %txid, "trusted a joining node");
            pending(node_id)
        }
        Ok(Err(error)) => replication_error(&error),
        Err(refused) => refused_response(refused),
    }
}

fn pending(node_id: String) -> EndpointResponse {
    answer(&JoinResponse {
        node_status: TrustStatus::Pending,
        node_id,
        network_info: None,
    })
}

fn trusted(
    context: &NodeContext,
    status: &crate::service::status::NodeStatus,
    node_id: String,
) -> EndpointResponse {
    let secrets = &context.secrets;
    let Some(endorsed) = context
        .store
        .begin()
        .get(tables::NODES_ENDORSED_CERTIFICATES, node_id.as_bytes())
    else {
        return pending(node_id);
    };
    let peers = status
        .nodes
        .values()
        .filter(|node| node.info.status == TrustStatus::Trusted && node.node_id_hex != node_id)
        .filter_map(|node| {
            let interface = node.info.network.node_to_node_interface.as_ref()?;
            Some(JoinPeer {
                node_id: node.node_id_hex.clone(),
                node_to_node_address: interface.published_address.clone(),
            })
        })
        .collect();
    answer(&JoinResponse {
        node_status: TrustStatus::Trusted,
        node_id,
        network_info: Some(JoinNetworkInfo {
            identity: JoinServiceIdentity {
                cert: secrets.service_certificate.pem().to_owned(),
                priv_key: secrets.service_key.to_pem().to_string(),
            },
            ledger_secret: hex::encode(*secrets.ledger_secret),
            cose_signatures_config: JoinCoseConfig {
                issuer: secrets.cose.issuer.clone(),
                subject: secrets.cose.subject.clone(),
            },
            endorsed_certificate: String::from_utf8_lossy(&endorsed).into_owned(),
            peers,
        }),
    })
}

fn answer(response: &JoinResponse) -> EndpointResponse {
    match serde_json::to_value(response) {
        Ok(body) => EndpointResponse::json(StatusCode::OK, &body),
        Err(error) => EndpointResponse::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL_ERROR,
            format!("{error}"),
        ),
    }
}
