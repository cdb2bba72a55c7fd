//! The joining node's side of `/node/join`: call the target (any node of the service; a backup
//! forwards to the primary) with this node's self-signed certificate at TLS, checking the
//! target against the service certificate, every `retry_timeout` until the answer is Trusted.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair};
use quorate_ledger::genesis::NodeStatus as TrustStatus;

use super::endpoints::join::{JoinNetworkInfo, JoinRequest, JoinResponse};
use super::error::NodeError;
use super::peers::resolve;
use crate::client::{ClientTls, request_once};

/// Calls `target` until this node is trusted; returns what the service handed over.
pub async fn join_service(
    target: &str,
    service_certificate: &Certificate,
    node_certificate: &Certificate,
    node_key: &KeyPair,
    request: &JoinRequest,
    retry: Duration,
) -> Result<JoinNetworkInfo, NodeError> {
    let error = |detail: String| NodeError::Join {
        target: target.to_owned(),
        detail,
    };
    let tls = ClientTls::new(service_certificate, Some((node_certificate, node_key)))
        .map_err(|e| error(e.to_string()))?;
    let body = serde_json::to_vec(request).map_err(|e| error(e.to_string()))?;
    let mut attempts = 0u64;
    loop {
        attempts += 1;
        let Some(address) = resolve(target) else {
            return Err(error("the address does not resolve".into()));
        };
        match request_once(
            &tls,
            address,
            Method::POST,
            "/node/join",
            Bytes::from(body.clone()),
        )
        .await
        {
            Ok(response) if response.status.is_success() => {
                let answer: JoinResponse = serde_json::from_slice(&response.body)
                    .map_err(|e| error(format!("unreadable answer: {e}")))?;
                match (answer.node_status, answer.network_info) {
                    (TrustStatus::Trusted, Some(info)) => return Ok(info),
                    (TrustStatus::Retired, _) => {
                        return Err(error("this node was retired by the service".into()));
                    }
                    (status, _) => tracing::info!(?status, attempts, "waiting to be trusted"),
                }
            }
            Ok(response) if response.status.is_client_error() => {
                return Err(error(format!(
                    "{}: {}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                )));
            }
            Ok(response) => {
                tracing::info!(status = %response.status, attempts, "join not answered yet");
            }
            Err(failure) => tracing::info!(error = %failure, attempts, "join call failed"),
        }
        tokio::time::sleep(retry).await;
    }
}
