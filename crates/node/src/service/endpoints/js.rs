//! A deployed JS app's endpoints: each `app.json` entry becomes a [`NodeEndpoint`] under
//! `/app` whose handler runs on QuickJS (`quorate_js`). Read-write handlers run on the primary
//! inside the driver's transaction; read-only and historical ones run on any node, on the
//! node's JS threads so a slow handler never stalls the async workers. A handler that throws or
//! hits a limit is answered 500 and commits nothing.

use std::sync::Arc;

use http::StatusCode;
use http::header::{HeaderName, HeaderValue};
use quorate_js::{
    Bundle, ConsensusView, EndpointMode, Forwarding, Handler, HostInput, JsError, JsRequest,
    JsResponse, JsRuntimeOptions,
};
use quorate_kv::Tx;

use super::mount::{execute, historical_error, refused_response, requested_txid};
use super::{NodeEndpoint, Runner};
use crate::app::AppAuth;
use crate::frontend::{
    AuthnIdentity, Caller, EndpointRequest, EndpointResponse, ForwardingRule, error_code,
};
use crate::service::context::NodeContext;
use crate::service::historical::committed_entry;

/// One JS endpoint: where its handler is and how it runs.
#[derive(Debug, Clone)]
pub struct JsEndpoint {
    pub bundle: Arc<Bundle>,
    pub module: String,
    pub function: String,
    pub mode: EndpointMode,
    /// The `app.json` path template (`/log/{id}`), CCF's `request.route`.
    pub route: String,
}

/// The endpoints of `bundle`.
pub fn endpoints(bundle: &Arc<Bundle>) -> Vec<NodeEndpoint> {
    let mut endpoints = Vec::new();
    for (path, methods) in &bundle.metadata.endpoints {
        for (method, metadata) in methods {
            let Ok(method) = http::Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let auth = metadata
                .authn_policies
                .iter()
                .map(|policy| app_auth(policy, path))
                .collect();
            endpoints.push(NodeEndpoint {
                method,
                path: format!("/app{path}"),
                auth,
                runner: Runner::Js(Arc::new(JsEndpoint {
                    bundle: Arc::clone(bundle),
                    module: metadata.js_module.clone(),
                    function: metadata.js_function.clone(),
                    mode: metadata.mode,
                    route: path.clone(),
                })),
                forwarding: match metadata.forwarding_required {
                    Forwarding::Always => ForwardingRule::Always,
                    Forwarding::Sometimes => ForwardingRule::Sometimes,
                    Forwarding::Never => ForwardingRule::Never,
                },
                needs_open_service: true,
                writes: metadata.mode == EndpointMode::Readwrite,
            });
        }
    }
    endpoints
}

/// The policy an `authn_policies` entry names. One this node does not implement becomes
/// [`AppAuth::Unsupported`], which refuses every caller: dropping it instead would leave an
/// endpoint declared `["jwt"]` with no policies, i.e. open to anyone.
fn app_auth(policy: &serde_json::Value, path: &str) -> AppAuth {
    match policy.as_str() {
        Some("user_cert") => AppAuth::UserCert,
        Some("member_cert") => AppAuth::MemberCert,
        Some("any_cert") => AppAuth::AnyCert,
        Some("no_auth") => AppAuth::NoAuth,
        other => {
            let declared = other.map_or_else(|| policy.to_string(), str::to_owned);
            tracing::warn!(
                policy = %declared,
                %path,
                "authentication policy not supported; the endpoint refuses every caller"
            );
            AppAuth::Unsupported(declared)
        }
    }
}

/// Runs `endpoint` for `request` on this node.
pub async fn run(
    context: &Arc<NodeContext>,
    endpoint: &Arc<JsEndpoint>,
    request: EndpointRequest,
) -> EndpointResponse {
    let js_request = js_request(&request, &endpoint.route);
    let status = context.status();
    let consensus = ConsensusView {
        last_committed: status.last_committed,
        last_seqno: status.last_seqno,
        view_history: Arc::clone(&status.view_history),
    };
    let options = status.js_options;
    let limits = options.limits;
    match endpoint.mode {
        EndpointMode::Readwrite => {
            let endpoint = Arc::clone(endpoint);
            execute(
                context,
                Box::new(move |tx: &mut Tx| {
                    let input = HostInput {
                        tx: Some(std::mem::take(tx)),
                        writable: true,
                        consensus: consensus.clone(),
                        historical: None,
                        governance: None,
                    };
                    let (output, outcome) = quorate_js::call(
                        &endpoint.bundle,
                        limits,
                        handler(&endpoint),
                        &js_request,
                        input,
                    );
                    if let Some(returned) = output.tx {
                        *tx = returned;
                    }
                    let response = answer(outcome, &options);
                    let apply = output
                        .apply_writes
                        .unwrap_or_else(|| response.status.is_success());
                    if apply {
                        if let Some(digest) = output.claims_digest {
                            tx.set_claims_digest(digest);
                        }
                    } else {
                        tx.discard_writes();
                    }
                    response
                }),
            )
            .await
        }
        EndpointMode::Readonly => {
            let store = Arc::clone(&context.store);
            let endpoint = Arc::clone(endpoint);
            blocking(context, move || {
                let tx = store.begin();
                let read = tx.read_version();
                let input = HostInput {
                    tx: Some(tx),
                    writable: false,
                    consensus,
                    historical: None,
                    governance: None,
                };
                let (_, outcome) = quorate_js::call(
                    &endpoint.bundle,
                    limits,
                    handler(&endpoint),
                    &js_request,
                    input,
                );
                answer(outcome, &options).with_transaction_id(read.into())
            })
            .await
        }
        EndpointMode::Historical => {
            let txid = match requested_txid(&request) {
                Ok(txid) => txid,
                Err(response) => return response,
            };
            let entry = context
                .driver
                .query(move |node| committed_entry(node, txid))
                .await;
            let entry = match entry {
                Ok(Ok(entry)) => entry,
                Ok(Err(error)) => return historical_error(txid, &error),
                Err(refused) => return refused_response(refused),
            };
            let endpoint = Arc::clone(endpoint);
            blocking(context, move || {
                let input = HostInput {
                    tx: None,
                    writable: false,
                    consensus,
                    historical: Some((txid, entry.into_write_set())),
                    governance: None,
                };
                let (_, outcome) = quorate_js::call(
                    &endpoint.bundle,
                    limits,
                    handler(&endpoint),
                    &js_request,
                    input,
                );
                answer(outcome, &options)
            })
            .await
        }
    }
}

fn handler(endpoint: &JsEndpoint) -> Handler<'_> {
    Handler {
        module: &endpoint.module,
        function: &endpoint.function,
    }
}

/// Runs `f` on the node's JS threads.
async fn blocking(
    context: &NodeContext,
    f: impl FnOnce() -> EndpointResponse + Send + 'static,
) -> EndpointResponse {
    context.js_pool.run(f).await.unwrap_or_else(|| {
        EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::NODE_CANNOT_HANDLE_REQUEST,
            "The node is stopping.",
        )
    })
}

/// The handler's response, or CCF's 500 for an exception or a limit. As in CCF, what an
/// exception said reaches the client and the log only when the runtime options ask for it;
/// a limit is always named.
fn answer(outcome: Result<JsResponse, JsError>, options: &JsRuntimeOptions) -> EndpointResponse {
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            let detailed = match &error {
                JsError::Exception { message, stack } => {
                    let mut detail = message.clone();
                    if let Some(stack) = stack {
                        detail = format!("{detail}\n{stack}");
                    }
                    Some(detail)
                }
                _ => None,
            };
            if options.log_exception_details || detailed.is_none() {
                tracing::warn!(%error, "JavaScript handler failed");
            } else {
                tracing::warn!("JavaScript handler threw (details not logged)");
            }
            let message = match detailed {
                Some(detail) if options.return_exception_details => {
                    format!("Exception thrown while executing: {detail}")
                }
                Some(_) => "Exception thrown while executing.".to_owned(),
                None => format!("Exception thrown while executing: {error}"),
            };
            return EndpointResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                error_code::JS_EXCEPTION,
                message,
            );
        }
    };
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = EndpointResponse::new(status).with_body(response.body);
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            answer.headers.insert(name, value);
        }
    }
    answer
}

/// CCF's request as a handler sees it.
fn js_request(request: &EndpointRequest, route: &str) -> JsRequest {
    JsRequest {
        method: request.method.as_str().to_owned(),
        url: request.uri.path_and_query().map_or_else(
            || request.uri.path().to_owned(),
            |pq| pq.as_str().to_owned(),
        ),
        path: request.uri.path().to_owned(),
        route: route.to_owned(),
        query: request.uri.query().unwrap_or_default().to_owned(),
        hostname: request
            .headers
            .get(http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        params: request
            .path_params
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        headers: request
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body: request.body.clone(),
        caller: caller(&request.identity, &request.caller),
    }
}

/// CCF's `request.caller`: `{policy, id, data, cert}`.
fn caller(identity: &AuthnIdentity, tls: &Caller) -> serde_json::Value {
    let cert = match tls {
        Caller::Certificate { der, .. } => quorate_crypto::Certificate::from_der(der)
            .ok()
            .map(|cert| cert.pem().to_owned()),
        Caller::Anonymous => None,
    };
    match identity {
        AuthnIdentity::User(user) => {
            serde_json::json!({"policy": "user_cert", "id": user.id, "data": user.data, "cert": cert})
        }
        AuthnIdentity::Member(member) => {
            serde_json::json!({"policy": "member_cert", "id": member.id, "data": member.data, "cert": cert})
        }
        AuthnIdentity::AnyCert {
            fingerprint_sha256_hex,
        } => serde_json::json!({"policy": "any_cert", "id": fingerprint_sha256_hex, "cert": cert}),
        AuthnIdentity::NoAuth => serde_json::json!({"policy": "no_auth"}),
        AuthnIdentity::Unauthenticated => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(policies: serde_json::Value) -> Arc<Bundle> {
        let metadata = json!({"endpoints": {"/e": {"get": {
            "js_module": "e.js",
            "js_function": "f",
            "authn_policies": policies,
            "forwarding_required": "never",
        }}}});
        Arc::new(
            Bundle::from_json(&json!({
                "metadata": metadata,
                "modules": [{"name": "e.js", "module": "export function f() {}"}],
            }))
            .unwrap(),
        )
    }

    fn auth_of(policies: serde_json::Value) -> Vec<AppAuth> {
        let endpoints = endpoints(&bundle(policies));
        assert_eq!(endpoints.len(), 1);
        endpoints[0].auth.clone()
    }

    #[test]
    fn known_policies_map_to_their_checks() {
        assert_eq!(
            auth_of(json!(["user_cert", "member_cert", "any_cert", "no_auth"])),
            [
                AppAuth::UserCert,
                AppAuth::MemberCert,
                AppAuth::AnyCert,
                AppAuth::NoAuth
            ]
        );
    }

    /// A policy the node cannot check is kept, as one that refuses: never dropped, which would
    /// leave the endpoint with fewer checks than declared (with none, open to anyone).
    #[test]
    fn unknown_or_malformed_policies_are_kept_as_refusing() {
        assert_eq!(
            auth_of(json!(["magic_token"])),
            [AppAuth::Unsupported("magic_token".into())]
        );
        assert_eq!(
            auth_of(json!([42, {"any_of": ["user_cert"]}])),
            [
                AppAuth::Unsupported("42".into()),
                AppAuth::Unsupported(r#"{"any_of":["user_cert"]}"#.into())
            ]
        );
    }
}
