//! CCF's versioned governance API (`/gov/*?api-version=2024-07-01`): members' signed
//! requests (proposals, ballots, withdrawals, state-digest acks) run in a transaction on the
//! primary through `quorate_gov`; the service views are read on any node.
//!
//! Paths whose last segment carries an action after a colon (`{proposalId}:withdraw`,
//! `{memberId}:ack`) are routed on the parameter (named as the GET route at the same place
//! names it) and the action split off here.

use std::sync::Arc;

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use quorate_crypto::cose::GovMsgType;
use quorate_crypto::sha256;
use quorate_gov::{GovError, GovOutcome, MemberRequest, Signer, views};
use quorate_kv::Tx;
use serde_json::Value;

use super::NodeEndpoint;
use super::mount::{execute, parse_txid, refused_response};
use crate::app::{AppAuth, query_param};
use crate::frontend::{EndpointRequest, EndpointResponse, ForwardingRule, error_code};
use crate::service::context::NodeContext;

/// The API versions served (CCF's GA version and its preview).
const API_VERSIONS: [&str; 2] = ["2023-06-01-preview", "2024-07-01"];

pub fn endpoints() -> Vec<NodeEndpoint> {
    let read = |path: &str, view: fn(&mut Tx, &EndpointRequest) -> Result<Body, GovError>| {
        NodeEndpoint::builtin(
            Method::GET,
            path,
            &[AppAuth::NoAuth],
            move |context, request| async move { serve_view(&context, &request, view) },
        )
    };
    let write = |path: &str, operation: Operation| NodeEndpoint {
        forwarding: ForwardingRule::Always,
        writes: true,
        ..NodeEndpoint::builtin(
            Method::POST,
            path,
            &[AppAuth::NoAuth],
            move |context, request| async move { serve_signed(&context, request, operation).await },
        )
    };
    vec![
        write("/gov/members/proposals:create", Operation::Propose),
        write("/gov/members/proposals/{proposalId}", Operation::Withdraw),
        write(
            "/gov/members/proposals/{proposalId}/ballots/{memberId}",
            Operation::Vote,
        ),
        write(
            "/gov/members/state-digests/{memberId}",
            Operation::StateDigest,
        ),
        read("/gov/members/proposals", |tx, _| {
            Ok(Body::Json(list_proposals(tx)))
        }),
        read("/gov/members/proposals/{proposalId}", |tx, request| {
            let id = param(request, "proposalId");
            quorate_gov::parse_proposal_id(&id)?;
            let info = quorate_gov::proposal_info(tx, &id)?.ok_or_else(|| {
                GovError::ProposalNotFound(format!("Could not find proposal {id}."))
            })?;
            Ok(Body::Json(info.to_api(&id)))
        }),
        read(
            "/gov/members/proposals/{proposalId}/actions",
            |tx, request| {
                let id = param(request, "proposalId");
                quorate_gov::parse_proposal_id(&id)?;
                let raw = tx
                    .get(quorate_ledger::tables::PROPOSALS, id.as_bytes())
                    .ok_or_else(|| {
                        GovError::ProposalNotFound(format!("Could not find proposal {id}."))
                    })?;
                Ok(Body::Raw("application/json", raw.to_vec()))
            },
        ),
        read(
            "/gov/members/proposals/{proposalId}/ballots/{memberId}",
            |tx, request| {
                let source = quorate_gov::ballot_source(
                    tx,
                    &param(request, "proposalId"),
                    &param(request, "memberId"),
                )?;
                Ok(Body::Raw("text/javascript", source.into_bytes()))
            },
        ),
        read("/gov/members/state-digests/{memberId}", |tx, request| {
            quorate_gov::state_digest(tx, &param(request, "memberId")).map(Body::Json)
        }),
        read("/gov/service/info", |tx, _| {
            views::service_info(tx).map(Body::Json)
        }),
        read("/gov/service/constitution", |tx, _| {
            views::constitution(tx).map(|text| Body::Raw("text/javascript", text.into_bytes()))
        }),
        read("/gov/service/javascript-app", |tx, request| {
            let original = query_param(request, "case").as_deref() == Some("original");
            Ok(Body::Json(views::javascript_app(tx, original)))
        }),
        read("/gov/service/javascript-modules", |tx, _| {
            Ok(Body::Json(views::javascript_modules(tx)))
        }),
        read(
            "/gov/service/javascript-modules/{moduleName}",
            |tx, request| {
                views::javascript_module(tx, &param(request, "moduleName"))
                    .map(|text| Body::Raw("text/javascript", text.into_bytes()))
            },
        ),
        read("/gov/service/join-policy", |tx, _| {
            Ok(Body::Json(views::join_policy(tx)))
        }),
        read("/gov/service/jwk", |tx, _| Ok(Body::Json(views::jwk(tx)))),
        read("/gov/service/members", |tx, _| {
            Ok(Body::Json(views::members(tx)))
        }),
        read("/gov/service/members/{memberId}", |tx, request| {
            views::member_by_id(tx, &param(request, "memberId")).map(Body::Json)
        }),
        read("/gov/service/users", |tx, _| {
            Ok(Body::Json(views::users(tx)))
        }),
        read("/gov/service/users/{userId}", |tx, request| {
            views::user_by_id(tx, &param(request, "userId")).map(Body::Json)
        }),
        NodeEndpoint::builtin(
            Method::GET,
            "/gov/service/transactions/{transactionId}",
            &[AppAuth::NoAuth],
            transaction_status,
        ),
        read("/gov/service/nodes", |tx, _| {
            Ok(Body::Json(views::nodes(tx)))
        }),
        read("/gov/service/nodes/{nodeId}", |tx, request| {
            views::node_by_id(tx, &param(request, "nodeId")).map(Body::Json)
        }),
    ]
}

/// `GET /gov/service/transactions/{transactionId}` (`commit` names the commit point):
/// `{status, transactionId}` in the API's camelCase.
async fn transaction_status(
    context: Arc<NodeContext>,
    request: EndpointRequest,
) -> EndpointResponse {
    if let Err(response) = check_api_version(&request) {
        return response;
    }
    let text = param(&request, "transactionId");
    let txid = if text == "commit" {
        context.status().last_committed
    } else {
        match parse_txid(&text) {
            Some(txid) => txid,
            None => {
                return EndpointResponse::error(
                    StatusCode::BAD_REQUEST,
                    error_code::INVALID_RESOURCE_NAME,
                    format!("'{text}' is not a valid transaction ID."),
                );
            }
        }
    };
    match context.driver.query(move |node| node.tx_status(txid)).await {
        Ok(status) => EndpointResponse::json(
            StatusCode::OK,
            &serde_json::json!({ "transactionId": txid.to_string(), "status": status.as_str() }),
        ),
        Err(refused) => refused_response(refused),
    }
}

/// What a view answers.
enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// A path parameter, percent-decoded (module names carry `/` as `%2F`).
fn param(request: &EndpointRequest, name: &str) -> String {
    let raw = request.path_param(name).unwrap_or_default();
    crate::app::percent_decode(raw)
}

fn list_proposals(tx: &mut Tx) -> Value {
    let mut list = Vec::new();
    tx.foreach(quorate_ledger::tables::PROPOSALS_INFO, |key, value| {
        if let Ok(info) = serde_json::from_slice::<quorate_gov::ProposalInfo>(value) {
            list.push(info.to_api(&String::from_utf8_lossy(key)));
        }
        true
    });
    serde_json::json!({ "value": list })
}

/// CCF's check of the mandatory `api-version` query parameter.
fn check_api_version(request: &EndpointRequest) -> Result<(), EndpointResponse> {
    let supported = format!(
        "The supported api-versions are: {}",
        API_VERSIONS.join(", ")
    );
    match query_param(request, "api-version") {
        None => Err(EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::MISSING_API_VERSION_PARAMETER,
            format!(
                "The api-version query parameter (?api-version=) is required for all requests. \
                 {supported}"
            ),
        )),
        Some(version) if !API_VERSIONS.contains(&version.as_str()) => Err(EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::UNSUPPORTED_API_VERSION_VALUE,
            format!("Unsupported api-version '{version}'. {supported}"),
        )),
        Some(_) => Ok(()),
    }
}

fn serve_view(
    context: &NodeContext,
    request: &EndpointRequest,
    view: fn(&mut Tx, &EndpointRequest) -> Result<Body, GovError>,
) -> EndpointResponse {
    if let Err(response) = check_api_version(request) {
        return response;
    }
    let mut tx = context.store.begin();
    let response = match view(&mut tx, request) {
        Ok(Body::Json(value)) => EndpointResponse::json(StatusCode::OK, &value),
        Ok(Body::Raw(content_type, bytes)) => EndpointResponse::new(StatusCode::OK)
            .with_header(CONTENT_TYPE, HeaderValue::from_static(content_type))
            .with_body(bytes),
        Err(error) => gov_error(&error),
    };
    response.with_transaction_id(tx.read_version().into())
}

/// The signed operations, by the route they arrive on.
#[derive(Clone, Copy)]
enum Operation {
    Propose,
    Withdraw,
    Vote,
    StateDigest,
}

/// The action after the colon of the last path segment, and the id before it.
fn split_action<'a>(segment: &'a str, actions: &[&str]) -> Option<(&'a str, &'a str)> {
    let (id, action) = segment.rsplit_once(':')?;
    actions.contains(&action).then_some((id, action))
}

async fn serve_signed(
    context: &NodeContext,
    request: EndpointRequest,
    operation: Operation,
) -> EndpointResponse {
    if let Err(response) = check_api_version(&request) {
        return response;
    }
    let segment = match operation {
        Operation::Propose => String::new(),
        Operation::Withdraw => param(&request, "proposalId"),
        Operation::Vote | Operation::StateDigest => param(&request, "memberId"),
    };
    // Ballots name the proposal in the path; withdrawals carry it in the split segment.
    let action = match operation {
        Operation::Propose => Some(("", "create")),
        Operation::Withdraw => split_action(&segment, &["withdraw"]),
        Operation::Vote => split_action(&segment, &["submit"]),
        Operation::StateDigest => split_action(&segment, &["update", "ack"]),
    };
    let Some((id, action)) = action else {
        return EndpointResponse::error(
            StatusCode::NOT_FOUND,
            error_code::RESOURCE_NOT_FOUND,
            format!("Unknown path: {}.", request.uri.path()),
        );
    };
    let id = id.to_owned();
    let action = action.to_owned();
    let proposal_id = param(&request, "proposalId");
    let content_type = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = request.body.clone();
    let env = context.governance.clone();
    execute(
        context,
        Box::new(move |tx| {
            let (msg_type, signer) = match (operation, action.as_str()) {
                (Operation::Propose, _) => (GovMsgType::Proposal, Signer::ActiveMember),
                (Operation::Withdraw, _) => (GovMsgType::Withdrawal, Signer::ActiveMember),
                (Operation::Vote, _) => (GovMsgType::Ballot, Signer::ActiveMember),
                (_, "update") => (GovMsgType::StateDigest, Signer::AnyMember),
                _ => (GovMsgType::Ack, Signer::AnyMember),
            };
            let outcome =
                quorate_gov::authenticate(tx, content_type.as_deref(), &body, msg_type, signer)
                    .and_then(|signed| match operation {
                        Operation::Propose => {
                            let binding = sha256(tx.read_version().to_string().as_bytes());
                            quorate_gov::create_proposal(tx, &env, &signed, &binding)
                                .map(Answer::Outcome)
                        }
                        Operation::Withdraw => {
                            quorate_gov::withdraw_proposal(tx, &signed, &id).map(Answer::Maybe)
                        }
                        Operation::Vote => {
                            quorate_gov::submit_ballot(tx, &env, &signed, &proposal_id, &id)
                                .map(Answer::Outcome)
                        }
                        Operation::StateDigest => state_digest(tx, &signed, &id, &action),
                    });
            match outcome {
                Ok(answer) => answer.into_response(),
                Err(error) => {
                    if !error.keeps_writes() {
                        tx.discard_writes();
                    }
                    gov_error(&error)
                }
            }
        }),
    )
    .await
}

fn state_digest(
    tx: &mut Tx,
    signed: &MemberRequest,
    member_id: &str,
    action: &str,
) -> Result<Answer, GovError> {
    if action == "update" {
        quorate_gov::update_state_digest(tx, signed, member_id)
            .map(|body| Answer::Maybe(Some(body)))
    } else {
        quorate_gov::ack_state_digest(tx, signed, member_id).map(|()| Answer::Maybe(None))
    }
}

/// What a signed operation answers: a proposal with the node actions it triggered, a body,
/// or nothing (204).
enum Answer {
    Outcome(GovOutcome),
    Maybe(Option<Value>),
}

impl Answer {
    fn into_response(self) -> EndpointResponse {
        match self {
            Answer::Outcome(outcome) => {
                for action in &outcome.node_actions {
                    tracing::warn!(
                        ?action,
                        "governance asked for a node action this node does not perform yet"
                    );
                }
                EndpointResponse::json(StatusCode::OK, &outcome.body)
            }
            Answer::Maybe(Some(body)) => EndpointResponse::json(StatusCode::OK, &body),
            Answer::Maybe(None) => EndpointResponse::new(StatusCode::NO_CONTENT),
        }
    }
}

/// A governance error as CCF answers it; an unauthenticated request also gets CCF's
/// `WWW-Authenticate` challenge.
fn gov_error(error: &GovError) -> EndpointResponse {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let response = EndpointResponse::error(status, error.code(), error.to_string());
    if status == StatusCode::UNAUTHORIZED {
        response.with_header(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("COSE-SIGN1 realm=\"Signed request access\""),
        )
    } else {
        response
    }
}

/// The governance environment of a node: its service identity.
pub fn governance_env(
    secrets: &crate::service::secrets::NodeSecrets,
) -> Result<quorate_gov::GovernanceEnv, quorate_crypto::CryptoError> {
    let service_key = quorate_crypto::KeyPair::from_pem(&secrets.service_key.to_pem())?;
    Ok(quorate_gov::GovernanceEnv {
        context: quorate_js::GovernanceContext {
            service_key: Arc::new(service_key),
            service_certificate: secrets.service_certificate.clone(),
            latest_ledger_secret_seqno: 0,
        },
    })
}
