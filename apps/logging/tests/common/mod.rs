//! Drives the app's endpoints as the node would, minus the network: look the endpoint up in
//! the app's list, build the request by hand, run the handler in a transaction, commit.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use quorate_app_logging::LoggingApp;
use quorate_kv::{ClaimsDigest, CommitOutcome, Store, TxId, WriteSet};
use quorate_node::app::{App, AppEndpoint, AppHandler, HistoricalState};
use quorate_node::frontend::{
    AuthnIdentity, Caller, CertificateIdentity, EndpointRequest, EndpointResponse, ExecutionMode,
};
use serde_json::Value;

/// The DER bytes standing in for the test user's certificate.
pub const USER_CERT_DER: &[u8] = b"test user certificate";

/// The test user's id: hex SHA-256 of its certificate, as the node computes it.
pub fn user_id() -> String {
    Caller::from_certificate_der(USER_CERT_DER)
        .fingerprint_sha256_hex()
        .unwrap()
        .to_owned()
}

/// A request to one endpoint, by its method and path template.
#[derive(Clone, Debug)]
pub struct Req {
    method: Method,
    template: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    path_params: BTreeMap<String, String>,
    anonymous: bool,
}

impl Req {
    pub fn new(method: Method, template: &str) -> Req {
        Req {
            method,
            template: template.to_owned(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            path_params: BTreeMap::new(),
            anonymous: false,
        }
    }

    pub fn get(template: &str) -> Req {
        Req::new(Method::GET, template)
    }

    pub fn post(template: &str) -> Req {
        Req::new(Method::POST, template)
    }

    pub fn delete(template: &str) -> Req {
        Req::new(Method::DELETE, template)
    }

    /// The raw query string, without `?`.
    pub fn query(mut self, query: &str) -> Req {
        self.query = Some(query.to_owned());
        self
    }

    /// A JSON body with CCF's client's content type.
    pub fn json(self, body: &Value) -> Req {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Req {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Req {
        self.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    pub fn path_param(mut self, name: &str, value: &str) -> Req {
        self.path_params.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sent without a client certificate, as to a `no_auth` endpoint.
    pub fn anonymous(mut self) -> Req {
        self.anonymous = true;
        self
    }

    fn uri(&self) -> Uri {
        let mut path = format!("/app{}", self.template);
        for (name, value) in &self.path_params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        if let Some(query) = &self.query {
            path = format!("{path}?{query}");
        }
        path.parse().unwrap()
    }

    fn build(&self, endpoint: &AppEndpoint) -> EndpointRequest {
        let (caller, identity) = if self.anonymous {
            (Caller::Anonymous, AuthnIdentity::NoAuth)
        } else {
            (
                Caller::from_certificate_der(USER_CERT_DER),
                AuthnIdentity::User(CertificateIdentity {
                    id: user_id(),
                    data: Value::Null,
                }),
            )
        };
        let mode = match endpoint.handler {
            AppHandler::ReadWrite(_) => ExecutionMode::ReadWrite,
            AppHandler::ReadOnly(_) | AppHandler::Historical(_) => ExecutionMode::ReadOnly,
        };
        EndpointRequest {
            method: self.method.clone(),
            uri: self.uri(),
            version: Version::HTTP_11,
            headers: self.headers.clone(),
            body: self.body.clone(),
            path_params: self.path_params.clone(),
            caller: Arc::new(caller),
            identity,
            mode,
            forwarding: endpoint.forwarding,
        }
    }
}

/// What one call did.
#[derive(Debug)]
pub struct Outcome {
    pub response: EndpointResponse,
    /// The transaction it committed, if it wrote anything.
    pub committed: Option<(TxId, WriteSet, ClaimsDigest)>,
}

impl Outcome {
    pub fn status(&self) -> StatusCode {
        self.response.status
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.response.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.response.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers
            .get(name)
            .map(|value| value.to_str().unwrap())
    }

    /// The committed transaction as a historical handler sees it.
    pub fn historical_state(&self) -> HistoricalState {
        let (txid, write_set, _) = self.committed.clone().expect("nothing committed");
        HistoricalState { txid, write_set }
    }

    pub fn claims_digest(&self) -> ClaimsDigest {
        self.committed.as_ref().expect("nothing committed").2
    }
}

/// The app's endpoints over one store.
pub struct Harness {
    pub store: Store,
    endpoints: Vec<AppEndpoint>,
}

impl Default for Harness {
    fn default() -> Harness {
        Harness::new()
    }
}

impl Harness {
    pub fn new() -> Harness {
        Harness {
            store: Store::new(),
            endpoints: LoggingApp.endpoints(),
        }
    }

    fn endpoint(&self, method: &Method, template: &str) -> &AppEndpoint {
        self.endpoints
            .iter()
            .find(|endpoint| endpoint.method == *method && endpoint.path == template)
            .unwrap_or_else(|| panic!("no endpoint {method} {template}"))
    }

    /// Runs a transactional endpoint and commits its transaction. A failed request must not
    /// have written anything, and a read-only endpoint never writes.
    pub fn call(&self, req: Req) -> Outcome {
        let endpoint = self.endpoint(&req.method, &req.template);
        let request = req.build(endpoint);
        let (handler, read_only) = match &endpoint.handler {
            AppHandler::ReadWrite(handler) => (handler, false),
            AppHandler::ReadOnly(handler) => (handler, true),
            AppHandler::Historical(_) => panic!("{} is historical", endpoint.path),
        };
        let mut tx = self.store.begin();
        let response = handler(&request, &mut tx);
        if !response.status.is_success() || read_only {
            assert!(
                tx.is_read_only(),
                "{} {} wrote with status {}",
                request.method,
                request.uri,
                response.status
            );
        }
        let committed = match self.store.commit(tx).unwrap() {
            CommitOutcome::Committed {
                txid,
                write_set,
                claims_digest,
            } => Some((txid, write_set, claims_digest)),
            CommitOutcome::ReadOnly { .. } => None,
        };
        Outcome {
            response,
            committed,
        }
    }

    /// Runs a historical endpoint over `state`.
    pub fn call_historical(&self, req: Req, state: &HistoricalState) -> Outcome {
        let endpoint = self.endpoint(&req.method, &req.template);
        let request = req.build(endpoint);
        let AppHandler::Historical(handler) = &endpoint.handler else {
            panic!("{} is not historical", endpoint.path);
        };
        Outcome {
            response: handler(&request, state),
            committed: None,
        }
    }

    /// The raw bytes committed at `key` of `map`.
    pub fn stored(&self, map: &str, key: &[u8]) -> Option<Bytes> {
        self.store.begin().get(map, key)
    }

    /// `POST /log/<domain>` with `{"id", "msg"}`, asserting success.
    pub fn post(&self, domain: &str, id: u64, msg: &str) -> Outcome {
        self.post_scoped(domain, id, msg, None)
    }

    pub fn post_scoped(&self, domain: &str, id: u64, msg: &str, scope: Option<&str>) -> Outcome {
        let mut req =
            Req::post(&format!("/log/{domain}")).json(&serde_json::json!({"id": id, "msg": msg}));
        if let Some(scope) = scope {
            req = req.query(&format!("scope={scope}"));
        }
        let outcome = self.call(req);
        assert_eq!(outcome.status(), StatusCode::OK, "{:?}", outcome.response);
        outcome
    }

    /// `GET /log/<domain>?id=<id>`.
    pub fn get(&self, domain: &str, id: u64) -> Outcome {
        self.call(Req::get(&format!("/log/{domain}")).query(&format!("id={id}")))
    }

    /// `GET /log/<domain>/count` as a number.
    pub fn count(&self, domain: &str, scope: Option<&str>) -> u64 {
        let mut req = Req::get(&format!("/log/{domain}/count"));
        if let Some(scope) = scope {
            req = req.query(&format!("scope={scope}"));
        }
        let outcome = self.call(req);
        assert_eq!(outcome.status(), StatusCode::OK);
        outcome.json().as_u64().unwrap()
    }
}

/// CCF's error body.
pub fn error_body(code: &str, message: &str) -> Value {
    serde_json::json!({"error": {"code": code, "message": message}})
}
