//! Forwarding: a backup sends a request that must run on the primary over the encrypted
//! node-to-node channel and answers its client with the primary's response. The primary runs
//! forwarded requests through its local table (never forwarding again), re-running the
//! endpoint's auth with the certificate the client showed the backup.
//!
//! Session consistency, as in CCF: once a session has forwarded a request, its later
//! requests are forwarded too, so a client that wrote through a backup reads its own write.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode, Uri};
use tokio::sync::oneshot;

use super::forwarded_codec::{Forwarded, ForwardedRequest, ForwardedResponse};
use crate::channel::{MessageKind, NodeId as ChannelId};
use crate::frontend::{
    Caller, EndpointRequest, EndpointResponse, RoutedRequest, Router, TransactionId, error_code,
};
use crate::transport::TransportHandle;

/// Sessions remembered before dead ones are swept.
const SESSION_SWEEP_THRESHOLD: usize = 4096;

/// The backup's side: requests in flight to the primary and sessions that forwarded.
pub struct Forwarder {
    transport: TransportHandle,
    pending: Mutex<HashMap<u64, oneshot::Sender<ForwardedResponse>>>,
    next_id: AtomicU64,
    timeout: Duration,
    /// Sessions (by their caller's address) that forwarded; weak, so a closed session's entry
    /// is recognised as dead and swept.
    forwarded_sessions: Mutex<HashMap<usize, Weak<Caller>>>,
}

impl Forwarder {
    pub fn new(transport: TransportHandle, timeout: Duration) -> Self {
        Self {
            transport,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            timeout,
            forwarded_sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the session of `caller` forwarded before.
    pub fn session_forwarded(&self, caller: &Arc<Caller>) -> bool {
        let sessions = self
            .forwarded_sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions
            .get(&session_key(caller))
            .and_then(Weak::upgrade)
            .is_some_and(|known| Arc::ptr_eq(&known, caller))
    }

    fn mark_session(&self, caller: &Arc<Caller>) {
        let mut sessions = self
            .forwarded_sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if sessions.len() >= SESSION_SWEEP_THRESHOLD {
            sessions.retain(|_, session| session.strong_count() > 0);
        }
        sessions.insert(session_key(caller), Arc::downgrade(caller));
    }

    /// Sends `request` to `primary` and waits for its answer.
    pub async fn forward(&self, primary: ChannelId, request: &EndpointRequest) -> EndpointResponse {
        self.mark_session(&request.caller);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, reply);
        let message = Forwarded::Request(ForwardedRequest {
            id,
            caller_der: match request.caller.as_ref() {
                Caller::Certificate { der, .. } => Some(der.clone()),
                Caller::Anonymous => None,
            },
            method: request.method.as_str().to_owned(),
            uri: request.uri.path_and_query().map_or_else(
                || request.uri.path().to_owned(),
                |pq| pq.as_str().to_owned(),
            ),
            headers: header_pairs(&request.headers),
            body: request.body.clone(),
        });
        let sent = self
            .transport
            .send(primary, MessageKind::Forwarded, message.encode());
        let outcome = match sent {
            Ok(()) => tokio::time::timeout(self.timeout, answer).await,
            Err(error) => {
                self.forget(id);
                return EndpointResponse::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    error_code::PRIMARY_NOT_FOUND,
                    format!("The request could not be forwarded to the primary: {error}."),
                );
            }
        };
        match outcome {
            Ok(Ok(response)) => into_endpoint_response(response),
            _ => {
                self.forget(id);
                EndpointResponse::error(
                    StatusCode::GATEWAY_TIMEOUT,
                    error_code::REQUEST_FORWARDING_TIMEOUT,
                    format!(
                        "The primary did not answer the forwarded request within {} ms.",
                        self.timeout.as_millis()
                    ),
                )
            }
        }
    }

    /// The primary's answer to one of our requests.
    pub fn deliver(&self, response: ForwardedResponse) {
        let waiting = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&response.id);
        if let Some(reply) = waiting {
            let _ = reply.send(response);
        }
    }

    fn forget(&self, id: u64) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

fn session_key(caller: &Arc<Caller>) -> usize {
    Arc::as_ptr(caller) as usize
}

/// The primary's side: runs a forwarded request through `local` and sends the answer back to
/// the backup `from`.
pub async fn serve_forwarded(
    local: Arc<Router>,
    transport: TransportHandle,
    from: ChannelId,
    request: ForwardedRequest,
) {
    let id = request.id;
    let response = match routed(&request) {
        Some(routed) => {
            let caller = Arc::new(match &request.caller_der {
                Some(der) => Caller::from_certificate_der(der),
                None => Caller::Anonymous,
            });
            local.call(routed, caller).await
        }
        None => EndpointResponse::error(
            StatusCode::BAD_REQUEST,
            error_code::INVALID_INPUT,
            "The forwarded request is malformed.",
        ),
    };
    let message = Forwarded::Response(ForwardedResponse {
        id,
        status: response.status.as_u16(),
        transaction_id: response.transaction_id.map(|t| (t.view, t.seqno)),
        headers: header_pairs(&response.headers),
        body: response.body,
    });
    if let Err(error) = transport.send(from, MessageKind::Forwarded, message.encode()) {
        tracing::debug!(peer = %from, %error, "forwarded response not sent");
    }
}

/// Headers as the codec carries them.
fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, Bytes)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                Bytes::copy_from_slice(value.as_bytes()),
            )
        })
        .collect()
}

fn routed(request: &ForwardedRequest) -> Option<RoutedRequest> {
    let mut headers = http::HeaderMap::new();
    for (name, value) in &request.headers {
        headers.append(
            HeaderName::try_from(name.as_str()).ok()?,
            HeaderValue::from_bytes(value).ok()?,
        );
    }
    Some(RoutedRequest {
        method: http::Method::from_bytes(request.method.as_bytes()).ok()?,
        uri: request.uri.parse::<Uri>().ok()?,
        version: http::Version::HTTP_11,
        headers,
        body: request.body.clone(),
    })
}

fn into_endpoint_response(response: ForwardedResponse) -> EndpointResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut answer = EndpointResponse::new(status).with_body(response.body);
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_bytes(&value),
        ) {
            answer.headers.append(name, value);
        }
    }
    if let Some((view, seqno)) = response.transaction_id {
        answer = answer.with_transaction_id(TransactionId { view, seqno });
    }
    answer
}
