//! Turning [`NodeEndpoint`]s into routers: where each request runs, and running it.

use std::sync::Arc;

use http::header::LOCATION;
use http::{HeaderValue, StatusCode};
use quorate_kv::TxId;

use super::{NodeEndpoint, Runner};
use crate::app::HistoricalState;
use crate::app::{AppAuth, AppHandler};
use crate::config::{RedirectionTarget, Redirections};
use crate::frontend::{
    AuthPolicy, Endpoint, EndpointRequest, EndpointResponse, ExecutionMode, ForwardingRule,
    FrontendError, Router, TRANSACTION_ID_HEADER, error_code,
};
use crate::replication::ReplicationError;
use crate::service::context::NodeContext;
use crate::service::driver::{ExecuteFn, Refused};
use crate::service::historical::{HistoricalError, committed_entry};
use crate::service::metrics::EndpointCounters;
use crate::service::peers::channel_id_of;
use crate::service::status::NodeStatus;

/// What one client interface does with requests that must run on the primary.
#[derive(Clone, Debug)]
pub struct InterfacePolicy {
    /// The interface's name in `rpc_interfaces`; redirects point at the primary's interface
    /// of the same name.
    pub name: String,
    /// With redirections, a backup answers 307 instead of forwarding.
    pub redirections: Option<Redirections>,
}

/// The table a client interface serves.
pub fn frontend_router(
    context: &Arc<NodeContext>,
    endpoints: &[NodeEndpoint],
    interface: &InterfacePolicy,
) -> Result<Router, FrontendError> {
    Router::new(endpoints.iter().map(|endpoint| {
        let counters = context
            .metrics
            .endpoint(endpoint.method.as_str(), &endpoint.path);
        let shared = Arc::clone(context);
        let spec = Arc::new(endpoint.clone());
        let interface = interface.clone();
        mounted(context, endpoint, move |request: EndpointRequest| {
            let context = &shared;
            let context = Arc::clone(context);
            let spec = Arc::clone(&spec);
            let counters = Arc::clone(&counters);
            let interface = interface.clone();
            async move { serve(&context, &spec, &interface, &counters, request).await }
        })
    }))
}

/// The table for requests forwarded by other nodes: always run here.
pub fn primary_router(
    context: &Arc<NodeContext>,
    endpoints: &[NodeEndpoint],
) -> Result<Router, FrontendError> {
    Router::new(endpoints.iter().map(|endpoint| {
        let shared = Arc::clone(context);
        let spec = Arc::new(endpoint.clone());
        mounted(context, endpoint, move |request: EndpointRequest| {
            let context = &shared;
            let context = Arc::clone(context);
            let spec = Arc::clone(&spec);
            async move { run_here(&context, &spec, request).await }
        })
    }))
}

fn mounted<F, Fut>(context: &Arc<NodeContext>, endpoint: &NodeEndpoint, handler: F) -> Endpoint
where
    F: Fn(EndpointRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = EndpointResponse> + Send + 'static,
{
    let policies = endpoint
        .auth
        .iter()
        .map(|auth| auth_policy(context, auth))
        .collect();
    let mode = if endpoint.writes {
        ExecutionMode::ReadWrite
    } else {
        ExecutionMode::ReadOnly
    };
    Endpoint::new(
        endpoint.method.clone(),
        endpoint.path.clone(),
        policies,
        handler,
    )
    .with_mode(mode)
    .with_forwarding(endpoint.forwarding)
}

/// The check behind a declared policy, over the node's store.
fn auth_policy(context: &NodeContext, auth: &AppAuth) -> AuthPolicy {
    match auth {
        AppAuth::UserCert => context.user_cert_policy(),
        AppAuth::MemberCert => context.member_cert_policy(),
        AppAuth::AnyCert => AuthPolicy::AnyCert,
        AppAuth::NoAuth => AuthPolicy::NoAuth,
        AppAuth::Jwt => context.jwt_policy(),
        AppAuth::UserCoseSign1 => context.user_cose_sign1_policy(None),
        AppAuth::TypedUserCoseSign1(msg_type) => {
            context.user_cose_sign1_policy(Some(msg_type.clone()))
        }
        AppAuth::MemberCoseSign1 => context.member_cose_sign1_policy(false),
        AppAuth::ActiveMemberCoseSign1 => context.member_cose_sign1_policy(true),
        AppAuth::AllOf(policies) => AuthPolicy::all_of(
            policies
                .iter()
                .map(|auth| auth_policy(context, auth))
                .collect(),
        ),
        AppAuth::Unsupported(declared) => AuthPolicy::Unsupported(declared.clone()),
    }
}

/// A request at the interface: answered here, forwarded, or redirected.
async fn serve(
    context: &Arc<NodeContext>,
    endpoint: &NodeEndpoint,
    interface: &InterfacePolicy,
    counters: &EndpointCounters,
    request: EndpointRequest,
) -> EndpointResponse {
    let status = context.status();
    if endpoint.needs_open_service && !status.service_is_open() {
        let response = EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::FRONTEND_NOT_OPEN,
            "Frontend is not open.",
        );
        counters.record(response.status, false);
        return response;
    }
    let elsewhere = !status.is_primary()
        && match endpoint.forwarding {
            ForwardingRule::Always => true,
            ForwardingRule::Never => false,
            ForwardingRule::Sometimes => {
                endpoint.writes || context.forwarder.session_forwarded(&request.caller)
            }
        };
    let response = if !elsewhere {
        run_here(context, endpoint, request).await
    } else if let Some(target) = interface
        .redirections
        .as_ref()
        .and_then(|r| r.to_primary.as_ref())
    {
        redirect(&status, interface, target, &request)
    } else {
        match status.primary_hex.as_deref().and_then(channel_id_of) {
            Some(primary) => context.forwarder.forward(primary, &request).await,
            None => no_primary(),
        }
    };
    counters.record(response.status, elsewhere);
    response
}

fn no_primary() -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::SERVICE_UNAVAILABLE,
        error_code::PRIMARY_NOT_FOUND,
        "Request must be served by the primary, which is not known at the moment. Try again \
         shortly.",
    )
}

/// CCF's redirect mode: 307 to the primary (or a fixed address) with the same path.
fn redirect(
    status: &NodeStatus,
    interface: &InterfacePolicy,
    target: &RedirectionTarget,
    request: &EndpointRequest,
) -> EndpointResponse {
    let address = match target {
        RedirectionTarget::StaticAddress { address } => {
            Some(format!("{}:{}", address.host, address.port))
        }
        RedirectionTarget::NodeByRole { .. } => status.primary_node().and_then(|primary| {
            let interfaces = primary.info.network.rpc_interfaces.as_ref()?;
            interfaces
                .get(&interface.name)
                .or_else(|| interfaces.values().next())
                .map(|i| i.published_address.clone())
        }),
    };
    let Some(address) = address else {
        return no_primary();
    };
    let path = request.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let location = format!("https://{address}{path}");
    match HeaderValue::try_from(location) {
        Ok(location) => {
            EndpointResponse::new(StatusCode::TEMPORARY_REDIRECT).with_header(LOCATION, location)
        }
        Err(_) => no_primary(),
    }
}

/// Runs the endpoint on this node.
async fn run_here(
    context: &Arc<NodeContext>,
    endpoint: &NodeEndpoint,
    request: EndpointRequest,
) -> EndpointResponse {
    match &endpoint.runner {
        Runner::Builtin(handler) => handler(Arc::clone(context), request).await,
        Runner::Js(endpoint) => super::js::run(context, endpoint, request).await,
        Runner::App(AppHandler::ReadOnly(handler)) => {
            let mut tx = context.store.begin();
            let response = handler(&request, &mut tx);
            response.with_transaction_id(tx.read_version().into())
        }
        Runner::App(AppHandler::ReadWrite(handler)) => {
            let handler = Arc::clone(handler);
            execute(
                context,
                Box::new(move |tx| {
                    let response = handler(&request, tx);
                    // As in CCF, a handler that answers with an error commits nothing.
                    if !response.status.is_success() {
                        tx.discard_writes();
                    }
                    response
                }),
            )
            .await
        }
        Runner::App(AppHandler::Historical(handler)) => {
            let txid = match requested_txid(&request) {
                Ok(txid) => txid,
                Err(response) => return response,
            };
            let handler = Arc::clone(handler);
            let entry = context
                .driver
                .query(move |node| committed_entry(node, txid))
                .await;
            match entry {
                Ok(Ok(entry)) => {
                    let state = HistoricalState {
                        txid,
                        write_set: entry.into_write_set(),
                    };
                    handler(&request, &state)
                }
                Ok(Err(error)) => historical_error(txid, &error),
                Err(refused) => refused_response(refused),
            }
        }
    }
}

/// Runs `handler` in a read-write transaction on the primary's driver; the response names the
/// transaction it ran as.
pub(super) async fn execute(context: &NodeContext, handler: ExecuteFn) -> EndpointResponse {
    match context.driver.execute(handler).await {
        Ok(Ok((txid, response))) => response.with_transaction_id(txid.into()),
        Ok(Err(error)) => replication_error(&error),
        Err(refused) => refused_response(refused),
    }
}

/// The TxID in the request's `x-ms-ccf-transaction-id` header (historical endpoints).
pub(super) fn requested_txid(request: &EndpointRequest) -> Result<TxId, EndpointResponse> {
    let header = request.headers.get(TRANSACTION_ID_HEADER).ok_or_else(|| {
        EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_HEADER_VALUE,
            format!("Missing transaction ID header '{TRANSACTION_ID_HEADER}'."),
        )
    })?;
    header.to_str().ok().and_then(parse_txid).ok_or_else(|| {
        EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_HEADER_VALUE,
            format!(
                "The value '{}' in header '{TRANSACTION_ID_HEADER}' could not be converted \
                     to a valid Tx ID.",
                String::from_utf8_lossy(header.as_bytes())
            ),
        )
    })
}

/// `view.seqno`, as CCF writes transaction ids: decimal digits only on both sides.
pub fn parse_txid(text: &str) -> Option<TxId> {
    let (view, seqno) = text.split_once('.')?;
    let number = |part: &str| {
        (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    Some(TxId::new(number(view)?, number(seqno)?))
}

/// CCF's answers for a transaction that cannot be read historically.
pub fn historical_error(txid: TxId, error: &HistoricalError) -> EndpointResponse {
    match error {
        HistoricalError::PendingOrUnknown => EndpointResponse::error(
            StatusCode::NOT_FOUND,
            error_code::TRANSACTION_PENDING_OR_UNKNOWN,
            format!("Transaction {txid} is pending or unknown."),
        ),
        HistoricalError::Invalid => EndpointResponse::error(
            StatusCode::NOT_FOUND,
            error_code::TRANSACTION_INVALID,
            format!("Transaction {txid} is invalid."),
        ),
        HistoricalError::Internal(detail) => {
            tracing::error!(%txid, %detail, "historical read failed");
            EndpointResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::INTERNAL_ERROR,
                format!("Transaction {txid} could not be read."),
            )
        }
    }
}

pub fn replication_error(error: &ReplicationError) -> EndpointResponse {
    match error {
        ReplicationError::NotPrimary { .. } => EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::NODE_CANNOT_HANDLE_REQUEST,
            "This node is no longer the primary. Try again.",
        ),
        ReplicationError::TooManyUncommitted { uncommitted, limit } => EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::TOO_MANY_PENDING_TRANSACTIONS,
            format!(
                "{uncommitted} transactions are waiting to commit (the limit is {limit}). Try \
                 again shortly."
            ),
        ),
        ReplicationError::TooManyConflicts { attempts } => EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::TOO_MANY_PENDING_TRANSACTIONS,
            format!("The transaction kept conflicting after {attempts} attempts. Try again."),
        ),
        other => {
            tracing::error!(error = %other, "transaction failed");
            EndpointResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::INTERNAL_ERROR,
                "The transaction could not be executed.",
            )
        }
    }
}

pub fn refused_response(refused: Refused) -> EndpointResponse {
    match refused {
        Refused::Busy => EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::TOO_MANY_PENDING_TRANSACTIONS,
            "Too many transactions are waiting. Try again.",
        ),
        Refused::Stopped => EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::NODE_CANNOT_HANDLE_REQUEST,
            "The node is stopping.",
        ),
    }
}
