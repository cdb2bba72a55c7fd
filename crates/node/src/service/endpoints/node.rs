//! The operator's `/node/*` endpoints (unauthenticated, answered by any node from its own
//! view): state, version, network and nodes, primary and backup probes, readiness, the
//! (virtual) attestation, consensus details and metrics.

use std::sync::Arc;

use http::header::LOCATION;
use http::{HeaderValue, Method, StatusCode};
use quorate_consensus::Role;
use serde_json::{Value, json};

use super::NodeEndpoint;
use crate::app::AppAuth;
use crate::frontend::{EndpointRequest, EndpointResponse, error_code};
use crate::service::context::NodeContext;
use crate::service::status::{KnownNode, NodeStatus};
use quorate_ledger::genesis::VIRTUAL_ATTESTATION_FORMAT;

/// The version string `/node/version` reports.
const VERSION: &str = concat!("quorate-", env!("CARGO_PKG_VERSION"));

pub fn endpoints() -> Vec<NodeEndpoint> {
    let get = |path: &str, handler| builtin(Method::GET, path, handler);
    vec![
        get("/node/state", state),
        get("/node/version", version),
        get("/node/network", network),
        get("/node/network/nodes", nodes),
        get("/node/network/nodes/{node_id}", one_node),
        get("/node/primary", primary),
        builtin(Method::HEAD, "/node/primary", primary),
        get("/node/backup", backup),
        get("/node/ready/app", ready_app),
        get("/node/ready/gov", ready_gov),
        get("/node/quotes/self", quote),
        get("/node/consensus", consensus),
        get("/node/metrics", metrics),
    ]
}

/// These handlers answer at once from the published status, so they are plain functions.
type Answer = fn(&NodeContext, &EndpointRequest) -> EndpointResponse;

fn builtin(method: Method, path: &str, answer: Answer) -> NodeEndpoint {
    NodeEndpoint::builtin(
        method,
        path,
        &[AppAuth::NoAuth],
        move |context: Arc<NodeContext>, request| async move { answer(&context, &request) },
    )
}

fn ok(body: &Value) -> EndpointResponse {
    EndpointResponse::json(StatusCode::OK, body)
}

fn state(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    ok(&json!({
        "node_id": status.node_id_hex,
        "state": "PartOfNetwork",
        "last_signed_seqno": status.last_committed.seqno,
        "startup_seqno": 0,
        "stop_notice": false,
    }))
}

fn version(_context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    ok(&json!({
        "ccf_version": VERSION,
        "quickjs_version": Value::Null,
        "unsafe": false,
    }))
}

fn network(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let service = status.service.as_ref();
    ok(&json!({
        "service_status": service.map(|s| s.status),
        "service_certificate": service.map(|s| s.cert.clone()),
        "current_view": status.view,
        "primary_id": status.primary_hex,
        "recovery_count": service.and_then(|s| s.recovery_count).unwrap_or(0),
        "service_data": service.and_then(|s| s.service_data.clone()),
        "current_service_create_txid": service.and_then(|s| s.current_service_create_txid.clone()),
    }))
}

fn node_json(status: &NodeStatus, node: &KnownNode) -> Value {
    json!({
        "node_id": node.node_id_hex,
        "status": node.info.status,
        "primary": status.primary_hex.as_deref() == Some(node.node_id_hex.as_str()),
        "rpc_interfaces": node.info.network.rpc_interfaces,
        "node_data": node.info.node_data,
        "last_written": node.last_written,
    })
}

fn nodes(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let nodes: Vec<Value> = status
        .nodes
        .values()
        .map(|node| node_json(&status, node))
        .collect();
    ok(&json!({ "nodes": nodes }))
}

/// One node by id; `self` and `primary` answer 308 to the node's own path, as in CCF.
fn one_node(context: &NodeContext, request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let wanted = request.path_param("node_id").unwrap_or_default();
    let alias = match wanted {
        "self" => Some(status.node_id_hex.clone()),
        "primary" => match &status.primary_hex {
            Some(primary) => Some(primary.clone()),
            None => {
                return EndpointResponse::error(
                    StatusCode::NOT_FOUND,
                    error_code::PRIMARY_NOT_FOUND,
                    "Primary unknown.",
                );
            }
        },
        _ => None,
    };
    if let Some(id) = alias {
        let location = format!("/node/network/nodes/{id}");
        return match HeaderValue::try_from(location) {
            Ok(location) => EndpointResponse::new(StatusCode::PERMANENT_REDIRECT)
                .with_header(LOCATION, location),
            Err(_) => EndpointResponse::new(StatusCode::INTERNAL_SERVER_ERROR),
        };
    }
    match status
        .nodes
        .values()
        .find(|node| node.node_id_hex == wanted)
    {
        Some(node) => ok(&node_json(&status, node)),
        None => EndpointResponse::error(
            StatusCode::NOT_FOUND,
            error_code::RESOURCE_NOT_FOUND,
            format!("Node {wanted} does not exist."),
        ),
    }
}

fn primary(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    probe(context.status().is_primary())
}

fn backup(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    probe(context.status().role == Role::Follower)
}

fn probe(yes: bool) -> EndpointResponse {
    EndpointResponse::new(if yes {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    })
}

fn ready(yes: bool) -> EndpointResponse {
    EndpointResponse::new(if yes {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    })
}

/// Ready for users once the service is open and this node knows a primary.
fn ready_app(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    ready(status.service_is_open() && status.primary.is_some())
}

/// Ready for members once this node is part of the network and knows a primary.
fn ready_gov(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    ready(status.service.is_some() && status.primary.is_some())
}

/// The virtual platform's (empty) attestation evidence.
fn quote(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let own = status
        .nodes
        .values()
        .find(|node| node.node_id_hex == status.node_id_hex);
    ok(&json!({
        "node_id": status.node_id_hex,
        "format": VIRTUAL_ATTESTATION_FORMAT,
        "raw": "",
        "endorsements": "",
        "measurement": own.and_then(|node| node.info.code_digest.clone()),
    }))
}

fn consensus(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let leadership = match status.role {
        Role::Leader => "Leader",
        Role::Follower => "Follower",
        Role::Candidate => "Candidate",
        Role::PreVoteCandidate => "PreVoteCandidate",
        Role::None => "None",
    };
    let configuration: serde_json::Map<String, Value> = status
        .nodes
        .values()
        .map(|node| {
            let address = node
                .info
                .network
                .node_to_node_interface
                .as_ref()
                .map(|i| i.published_address.clone());
            (node.node_id_hex.clone(), json!({ "address": address }))
        })
        .collect();
    ok(&json!({
        "details": {
            "configs": [{ "idx": status.last_committed.seqno, "nodes": configuration }],
            "leadership_state": leadership,
            "membership_state": "Active",
            "primary_id": status.primary_hex,
            "current_view": status.view,
            "ticking": true,
        }
    }))
}

fn metrics(context: &NodeContext, _request: &EndpointRequest) -> EndpointResponse {
    let status = context.status();
    let gauges = [
        (
            "quorate_commit_seqno",
            "Seqno of the last committed transaction.",
            status.last_committed.seqno,
        ),
        (
            "quorate_last_seqno",
            "Seqno of the last entry in this node's log.",
            status.last_seqno,
        ),
        ("quorate_view", "Current consensus view.", status.view),
        (
            "quorate_is_primary",
            "1 on the primary, 0 elsewhere.",
            u64::from(status.is_primary()),
        ),
        (
            "quorate_uptime_seconds",
            "Seconds since the node started.",
            context.started.elapsed().as_secs(),
        ),
    ];
    EndpointResponse::text(StatusCode::OK, context.metrics.render(&gauges))
}
