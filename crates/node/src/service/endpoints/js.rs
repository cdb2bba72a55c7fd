//! A deployed JS app's endpoints: each `app.json` entry becomes a [`NodeEndpoint`] under
//! `/app` whose handler runs on QuickJS (`quorate_js`). Read-write handlers run on the primary
//! inside the driver's transaction; read-only and historical ones run on any node, on the
//! node's JS threads so a slow handler never stalls the async workers. A handler that throws or
//! hits a limit is answered 500 and commits nothing.

use std::sync::Arc;

use http::StatusCode;
use http::header::{HeaderName, HeaderValue};
use quorate_js::{
    Bundle, ConsensusView, EndpointMode, Forwarding, Handler, History, HostInput, JsError,
    JsRequest, JsResponse, JsRuntimeOptions,
};
use quorate_kv::Tx;

use super::mount::{execute, historical_error, refused_response, requested_txid};
use super::{NodeEndpoint, Runner};
use crate::app::AppAuth;
use crate::frontend::{
    AuthnIdentity, Caller, CoseIdentity, EndpointRequest, EndpointResponse, ForwardingRule,
    error_code,
};
use crate::service::context::NodeContext;
use crate::service::historical::committed_entry;
use crate::service::js_history::DriverHistory;

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

/// The policy an `authn_policies` entry names: one of CCF's names, or `{"all_of": [names]}`.
/// Anything else (an unknown name, a malformed entry, an `all_of` that is empty or repeats a
/// name) becomes [`AppAuth::Unsupported`], which refuses every caller: dropping it instead
/// would leave an endpoint with fewer checks than declared (with none, open to anyone).
fn app_auth(policy: &serde_json::Value, path: &str) -> AppAuth {
    let mapped = match policy {
        serde_json::Value::String(name) => named_auth(name),
        serde_json::Value::Object(object) => object
            .get("all_of")
            .and_then(serde_json::Value::as_array)
            .and_then(|names| {
                let mut seen = Vec::with_capacity(names.len());
                let mut policies = Vec::with_capacity(names.len());
                for name in names {
                    let name = name.as_str()?;
                    if seen.contains(&name) {
                        return None;
                    }
                    seen.push(name);
                    policies.push(named_auth(name)?);
                }
                (!policies.is_empty()).then_some(AppAuth::AllOf(policies))
            }),
        _ => None,
    };
    mapped.unwrap_or_else(|| {
        let declared = policy
            .as_str()
            .map_or_else(|| policy.to_string(), str::to_owned);
        tracing::warn!(
            policy = %declared,
            %path,
            "authentication policy not supported; the endpoint refuses every caller"
        );
        AppAuth::Unsupported(declared)
    })
}

/// The policies a JS app may name: CCF's (`user_cert`, `member_cert`, `any_cert`, `jwt`,
/// `user_cose_sign1`, `no_auth`) and the member COSE ones.
fn named_auth(name: &str) -> Option<AppAuth> {
    Some(match name {
        "user_cert" => AppAuth::UserCert,
        "member_cert" => AppAuth::MemberCert,
        "any_cert" => AppAuth::AnyCert,
        "no_auth" => AppAuth::NoAuth,
        "jwt" => AppAuth::Jwt,
        "user_cose_sign1" => AppAuth::UserCoseSign1,
        "member_cose_sign1" => AppAuth::MemberCoseSign1,
        "active_member_cose_sign1" => AppAuth::ActiveMemberCoseSign1,
        _ => return None,
    })
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
                        history: None,
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
            let history = driver_history(context);
            blocking(context, move || {
                let tx = store.begin();
                let read = tx.read_version();
                let input = HostInput {
                    tx: Some(tx),
                    writable: false,
                    consensus,
                    history: Some(history),
                    ..HostInput::default()
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
            let history = driver_history(context);
            blocking(context, move || {
                let input = HostInput {
                    consensus,
                    historical: Some((txid, entry.into_write_set())),
                    history: Some(history),
                    ..HostInput::default()
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

/// `ccf.historical` for a handler on the JS threads.
fn driver_history(context: &NodeContext) -> Arc<dyn History> {
    Arc::new(DriverHistory::new(context.driver.clone()))
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

/// CCF's `request.caller`: `{policy, id, data, cert}` for certificates, `{policy: "jwt", jwt:
/// {keyIssuer, header, payload}}` for tokens, `{policy, id, data, cert, cose: {content}}` for
/// signed bodies, `{policy: [names], <name>: caller...}` for `all_of`. COSE content travels as
/// a string of one char per byte; the prelude hands it to the handler as an ArrayBuffer.
fn caller(identity: &AuthnIdentity, tls: &Caller) -> serde_json::Value {
    let cert = tls.certificate_pem();
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
        AuthnIdentity::Jwt(jwt) => serde_json::json!({
            "policy": "jwt",
            "jwt": {"keyIssuer": jwt.key_issuer, "header": jwt.header, "payload": jwt.payload},
        }),
        AuthnIdentity::UserCose(signed) => cose_caller("user_cose_sign1", signed),
        AuthnIdentity::MemberCose(signed) => cose_caller("member_cose_sign1", signed),
        AuthnIdentity::AllOf(identities) => {
            let mut object = serde_json::Map::new();
            let names = identities
                .iter()
                .map(|(name, _)| serde_json::Value::from(name.as_str()))
                .collect();
            object.insert("policy".into(), serde_json::Value::Array(names));
            for (name, identity) in identities {
                object.insert(name.clone(), caller(identity, tls));
            }
            serde_json::Value::Object(object)
        }
        AuthnIdentity::Unauthenticated => serde_json::Value::Null,
    }
}

fn cose_caller(policy: &str, signed: &CoseIdentity) -> serde_json::Value {
    let content: String = signed.content.iter().copied().map(char::from).collect();
    serde_json::json!({
        "policy": policy,
        "id": signed.id,
        "data": signed.data,
        "cert": signed.cert_pem,
        "cose": {"content": content},
    })
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
            auth_of(json!([
                "user_cert",
                "member_cert",
                "any_cert",
                "no_auth",
                "jwt",
                "user_cose_sign1",
                "member_cose_sign1",
                "active_member_cose_sign1",
                {"all_of": ["user_cert", "jwt"]}
            ])),
            [
                AppAuth::UserCert,
                AppAuth::MemberCert,
                AppAuth::AnyCert,
                AppAuth::NoAuth,
                AppAuth::Jwt,
                AppAuth::UserCoseSign1,
                AppAuth::MemberCoseSign1,
                AppAuth::ActiveMemberCoseSign1,
                AppAuth::AllOf(vec![AppAuth::UserCert, AppAuth::Jwt]),
            ]
        );
    }

    /// A policy the node cannot check is kept, as one that refuses: never dropped, which would
    /// leave the endpoint with fewer checks than declared (with none, open to anyone).
    #[test]
    fn unknown_or_malformed_policies_are_kept_as_refusing() {
        assert_eq!(
            auth_of(json!(["magic_token", "typed_user_cose_sign1"])),
            [
                AppAuth::Unsupported("magic_token".into()),
                AppAuth::Unsupported("typed_user_cose_sign1".into())
            ]
        );
        for malformed in [
            json!(42),
            json!({"any_of": ["user_cert"]}),
            json!({"all_of": []}),
            json!({"all_of": ["user_cert", "user_cert"]}),
            json!({"all_of": ["user_cert", "magic_token"]}),
            json!({"all_of": ["user_cert", ["jwt"]]}),
            json!({"all_of": "jwt"}),
        ] {
            assert_eq!(
                auth_of(json!([malformed])),
                [AppAuth::Unsupported(malformed.to_string())]
            );
        }
    }

    #[test]
    fn callers_have_ccfs_shape() {
        let jwt = AuthnIdentity::Jwt(crate::frontend::JwtIdentity {
            key_issuer: "https://issuer".into(),
            header: json!({"alg": "RS256"}),
            payload: json!({"sub": "alice"}),
        });
        assert_eq!(
            caller(&jwt, &Caller::Anonymous),
            json!({"policy": "jwt", "jwt": {
                "keyIssuer": "https://issuer",
                "header": {"alg": "RS256"},
                "payload": {"sub": "alice"},
            }})
        );
        let signed = CoseIdentity {
            id: "ab".into(),
            data: json!({"x": 1}),
            cert_pem: "PEM".into(),
            content: bytes::Bytes::from_static(&[0x68, 0x69, 0xff]),
            msg_type: None,
            created_at: None,
            proposal_id: None,
        };
        let user = json!({
            "policy": "user_cose_sign1",
            "id": "ab",
            "data": {"x": 1},
            "cert": "PEM",
            "cose": {"content": "hi\u{ff}"},
        });
        assert_eq!(
            caller(&AuthnIdentity::UserCose(signed.clone()), &Caller::Anonymous),
            user
        );
        let both = AuthnIdentity::AllOf(vec![
            ("jwt".into(), jwt),
            ("user_cose_sign1".into(), AuthnIdentity::UserCose(signed)),
        ]);
        let value = caller(&both, &Caller::Anonymous);
        assert_eq!(value["policy"], json!(["jwt", "user_cose_sign1"]));
        assert_eq!(value["jwt"]["policy"], "jwt");
        assert_eq!(value["user_cose_sign1"], user);
    }
}
