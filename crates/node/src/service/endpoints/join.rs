//! `POST /node/join` (runs on the primary; backups forward it): a new node presents its own
//! certificate at TLS, and its addresses, attestation and a certificate signing request for
//! the same key in the body. The service records it Pending in `nodes.info`; members trust it
//! by proposal (`transition_node_to_trusted`, which also endorses the request). The node
//! polls; once it is trusted, the answer carries what it needs to serve: the service
//! identity, the ledger secret, its endorsed certificate and the nodes to connect to. TLS
//! between the two nodes protects these secrets.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{Method, StatusCode};
use quorate_crypto::Certificate;
use quorate_ledger::genesis::{
    InterfaceAddresses, NodeInfo, NodeNetwork, NodeStatus as TrustStatus, QuoteInfo,
    VIRTUAL_ATTESTATION_FORMAT,
};
use quorate_ledger::tables;
use serde::{Deserialize, Serialize};

use super::NodeEndpoint;
use super::mount::{refused_response, replication_error};
use crate::app::{AppAuth, json_body};
use crate::frontend::{Caller, EndpointRequest, EndpointResponse, ForwardingRule, error_code};
use crate::replication::node::VIRTUAL_CODE_DIGEST_HEX;
use crate::service::context::NodeContext;

/// The body of a join request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub node_info_network: JoinNetwork,
    /// The node's attestation evidence; only the virtual platform's exists so far.
    pub quote_info: QuoteInfo,
    /// PEM PKCS#10 request for the node's endorsed certificate (subject and SANs), signed
    /// with the node's key.
    pub certificate_signing_request: String,
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
    match quorate_crypto::certificate_signing_request_public_key(&body.certificate_signing_request)
    {
        Ok(requested) if requested == key => {}
        Ok(_) => {
            return EndpointResponse::error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_INPUT,
                "The certificate signing request is not for the key the node presented at TLS.",
            );
        }
        Err(error) => {
            return EndpointResponse::error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_INPUT,
                format!("Invalid certificate signing request: {error}."),
            );
        }
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
    let info = NodeInfo {
        status: TrustStatus::Pending,
        quote_info: body.quote_info,
        encryption_pub_key: String::new(),
        code_digest: Some(VIRTUAL_CODE_DIGEST_HEX.to_owned()),
        public_key: Some(key.to_pem()),
        certificate_signing_request: Some(body.certificate_signing_request),
        ledger_secret_seqno: None,
        retired_committed: None,
        network: NodeNetwork {
            rpc_interfaces: Some(body.node_info_network.rpc_interfaces),
            node_to_node_interface: Some(body.node_info_network.node_to_node_interface),
        },
        node_data: body.node_data,
    };
    let info_json = match serde_json::to_vec(&info) {
        Ok(json) => json,
        Err(error) => {
            return EndpointResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::INTERNAL_ERROR,
                format!("{error}"),
            );
        }
    };
    let key_bytes = node_id.clone().into_bytes();
    let recorded = context
        .driver
        .execute(Box::new(move |tx| {
            // A join retried before the first was seen by the status keeps its first record.
            if !tx.has(tables::NODES_INFO, &key_bytes) {
                tx.put(tables::NODES_INFO, key_bytes.clone(), info_json.clone());
            }
            EndpointResponse::new(StatusCode::OK)
        }))
        .await;
    match recorded {
        Ok(Ok((txid, _))) => {
            tracing::info!(node = %node_id, %txid, "a node asked to join: recorded Pending");
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
