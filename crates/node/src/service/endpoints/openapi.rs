//! `GET /app/api`: an OpenAPI 3 document of every endpoint the node serves, generated from
//! the same list the routers are built from, so it cannot drift from what is served.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::NodeEndpoint;
use crate::app::AppAuth;
use crate::frontend::EndpointResponse;

pub fn endpoint(endpoints: Vec<NodeEndpoint>, app_name: Option<String>) -> NodeEndpoint {
    let document = Arc::new(document(&endpoints, app_name.as_deref()));
    NodeEndpoint::builtin(
        Method::GET,
        "/app/api",
        &[AppAuth::NoAuth],
        move |_context, _request| {
            let document = Arc::clone(&document);
            async move { EndpointResponse::json(StatusCode::OK, &document) }
        },
    )
}

/// CCF's security scheme for a COSE Sign1 policy.
fn cose_scheme(signer: &str) -> Value {
    json!({
        "type": "http",
        "scheme": "cose_sign1",
        "description": format!(
            "Request payload must be a COSE Sign1 document, with expected protected headers. \
             Signer must be a {signer} identity registered with this service."
        ),
    })
}

fn document(endpoints: &[NodeEndpoint], app_name: Option<&str>) -> Value {
    let mut paths = Map::new();
    for endpoint in endpoints {
        let security: Vec<Value> = endpoint
            .auth
            .iter()
            // As in CCF: only policies with a security scheme (not no_auth, all_of, or one
            // the node does not support).
            .filter(|auth| {
                !matches!(
                    auth,
                    AppAuth::NoAuth | AppAuth::AllOf(_) | AppAuth::Unsupported(_)
                )
            })
            .map(|auth| json!({ auth.name(): [] }))
            .collect();
        let mut operation = json!({
            "responses": { "default": { "description": "Default response" } },
            "x-ccf-forwarding": format!("{:?}", endpoint.forwarding).to_lowercase(),
        });
        if !security.is_empty() {
            operation["security"] = Value::Array(security);
        }
        let path = paths
            .entry(endpoint.path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        path[endpoint.method.as_str().to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.0.0",
        "info": {
            "title": app_name.unwrap_or("Quorate"),
            "description": "Endpoints served by this Quorate node",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "components": {
            "securitySchemes": {
                "user_cert": { "type": "http", "scheme": "mutual" },
                "member_cert": { "type": "http", "scheme": "mutual" },
                "any_cert": { "type": "http", "scheme": "mutual" },
                "jwt": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "user_cose_sign1": cose_scheme("user"),
                "typed_user_cose_sign1": cose_scheme("user"),
                "member_cose_sign1": cose_scheme("member"),
                "active_member_cose_sign1": cose_scheme("member"),
            }
        },
        "paths": paths,
    })
}
