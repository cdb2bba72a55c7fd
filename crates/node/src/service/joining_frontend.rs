//! While a joining node waits to be trusted, its client interfaces answer `GET /node/state`
//! with `"state": "Pending"` (with its own self-signed certificate), as CCF's joining nodes
//! do, so an operator can see it waiting for members to trust it rather than a refused
//! connection. Nothing else is served until it has joined; then these listeners close and the
//! node's frontends take the same addresses.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use quorate_crypto::{Certificate, KeyPair};
use serde_json::json;

use super::addresses::InterfaceAddress;
use super::error::NodeError;
use crate::frontend::{
    AuthPolicy, Endpoint, EndpointRegistry, EndpointRequest, EndpointResponse, FrontendOptions,
    FrontendServer, Router, server_tls_config,
};

/// Requests in flight when the node has joined get this long to finish.
const GRACE: Duration = Duration::from_millis(500);

pub struct JoiningFrontends {
    servers: Vec<FrontendServer>,
}

impl JoiningFrontends {
    /// Listens on every client interface, answering `/node/state` for `node_id`.
    pub async fn start(
        rpc_addresses: &BTreeMap<String, InterfaceAddress>,
        node_id: &str,
        certificate: &Certificate,
        key: &KeyPair,
    ) -> Result<JoiningFrontends, NodeError> {
        let tls = server_tls_config(std::slice::from_ref(certificate), key)?;
        let body = json!({
            "node_id": node_id,
            "state": "Pending",
            "last_signed_seqno": 0,
            "startup_seqno": 0,
            "stop_notice": false,
        });
        let mut servers = Vec::new();
        for address in rpc_addresses.values() {
            let body = body.clone();
            let state = Endpoint::new(
                Method::GET,
                "/node/state",
                vec![AuthPolicy::NoAuth],
                move |_request: EndpointRequest| {
                    let body = body.clone();
                    async move { EndpointResponse::json(StatusCode::OK, &body) }
                },
            );
            let registry = Arc::new(EndpointRegistry::new(Router::new([state])?));
            servers.push(
                FrontendServer::bind(
                    address.bind,
                    Arc::clone(&tls),
                    registry,
                    FrontendOptions::default(),
                )
                .await?,
            );
        }
        Ok(JoiningFrontends { servers })
    }

    /// Closes the listeners, so the node's frontends can bind the same addresses.
    pub async fn stop(self) {
        for server in self.servers {
            server.shutdown(GRACE).await;
        }
    }
}
