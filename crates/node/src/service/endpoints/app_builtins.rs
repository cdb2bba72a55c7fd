//! CCF's common endpoints, served under `/app`, `/node` and `/gov`: the commit point, a
//! transaction's status and a committed transaction's receipt.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::json;

use super::NodeEndpoint;
use super::mount::{historical_error, parse_txid, refused_response};
use crate::app::{AppAuth, query_param};
use crate::frontend::{EndpointRequest, EndpointResponse, error_code};
use crate::service::context::NodeContext;
use crate::service::historical::receipt;

/// `/app/commit`, `/app/tx`, `/app/receipt` and their `/node` and `/gov` twins.
pub fn endpoints() -> Vec<NodeEndpoint> {
    let mut endpoints = Vec::new();
    for prefix in ["/app", "/node", "/gov"] {
        endpoints.push(NodeEndpoint::builtin(
            Method::GET,
            &format!("{prefix}/commit"),
            &[AppAuth::NoAuth],
            commit,
        ));
        endpoints.push(NodeEndpoint::builtin(
            Method::GET,
            &format!("{prefix}/tx"),
            &[AppAuth::NoAuth],
            tx_status,
        ));
        endpoints.push(NodeEndpoint::builtin(
            Method::GET,
            &format!("{prefix}/receipt"),
            &[AppAuth::NoAuth],
            tx_receipt,
        ));
    }
    endpoints
}

async fn commit(context: Arc<NodeContext>, _request: EndpointRequest) -> EndpointResponse {
    let committed = context.status().last_committed;
    EndpointResponse::json(
        StatusCode::OK,
        &json!({ "transaction_id": committed.to_string() }),
    )
    .with_transaction_id(committed.into())
}

/// The `transaction_id` query parameter, or CCF's 400.
fn requested(request: &EndpointRequest) -> Result<quorate_kv::TxId, EndpointResponse> {
    let Some(text) = query_param(request, "transaction_id") else {
        return Err(EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_QUERY_PARAMETER_VALUE,
            "Missing required query parameter 'transaction_id'.",
        ));
    };
    parse_txid(&text).ok_or_else(|| {
        EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_QUERY_PARAMETER_VALUE,
            format!("The value '{text}' passed as 'transaction_id' is not a valid Tx ID."),
        )
    })
}

async fn tx_status(context: Arc<NodeContext>, request: EndpointRequest) -> EndpointResponse {
    let txid = match requested(&request) {
        Ok(txid) => txid,
        Err(response) => return response,
    };
    match context.driver.query(move |node| node.tx_status(txid)).await {
        Ok(status) => EndpointResponse::json(
            StatusCode::OK,
            &json!({ "transaction_id": txid.to_string(), "status": status.as_str() }),
        ),
        Err(refused) => refused_response(refused),
    }
}

async fn tx_receipt(context: Arc<NodeContext>, request: EndpointRequest) -> EndpointResponse {
    let txid = match requested(&request) {
        Ok(txid) => txid,
        Err(response) => return response,
    };
    match context.driver.query(move |node| receipt(node, txid)).await {
        Ok(Ok(receipt)) => match serde_json::to_value(&receipt) {
            Ok(body) => EndpointResponse::json(StatusCode::OK, &body),
            Err(error) => EndpointResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::INTERNAL_ERROR,
                format!("The receipt could not be encoded: {error}."),
            ),
        },
        Ok(Err(error)) => historical_error(txid, &error),
        Err(refused) => refused_response(refused),
    }
}
