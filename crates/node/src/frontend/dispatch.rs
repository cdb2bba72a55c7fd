//! One request from hyper to a handler and back: read the body within the size limit and the
//! request deadline, route with the current table, authenticate, call the handler, stamp the
//! transaction id. Every failure on the way is a CCF error response, never a panic or a dropped
//! connection.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;

use super::caller::Caller;
use super::error_code;
use super::registry::EndpointRegistry;
use super::response::EndpointResponse;
use super::router::RoutedRequest;
use super::transaction_id::ResponseDecorator;

/// What every request on an interface shares.
pub(crate) struct Dispatcher {
    pub(crate) registry: Arc<EndpointRegistry>,
    pub(crate) response_decorator: Option<Arc<dyn ResponseDecorator>>,
    pub(crate) max_header_size_bytes: usize,
    pub(crate) max_headers_count: usize,
    pub(crate) max_body_size_bytes: usize,
    pub(crate) request_timeout: Duration,
}

impl Dispatcher {
    /// Serves one request from a connection whose TLS caller is `caller`.
    pub(crate) async fn dispatch(
        &self,
        request: Request<Incoming>,
        caller: Arc<Caller>,
    ) -> Response<Full<Bytes>> {
        self.respond(request, caller)
            .await
            .into_http(self.response_decorator.as_deref())
    }

    /// The frontend's own answer when it refuses a session past the soft cap.
    pub(crate) fn session_cap_exhausted(&self) -> Response<Full<Bytes>> {
        EndpointResponse::error(
            StatusCode::SERVICE_UNAVAILABLE,
            error_code::SESSION_CAP_EXHAUSTED,
            "Service is currently busy and unable to serve new connections",
        )
        .into_http(self.response_decorator.as_deref())
    }

    async fn respond(&self, request: Request<Incoming>, caller: Arc<Caller>) -> EndpointResponse {
        let (parts, body) = request.into_parts();
        if let Err(response) = self.check_headers(&parts.headers) {
            return response;
        }
        // Like CCF's parser, the whole request is read before routing, so an oversized body is
        // 413 whatever its path.
        let body = match self.read_body(&parts.headers, body).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        let router = self.registry.current();
        router
            .call(
                RoutedRequest {
                    method: parts.method,
                    uri: parts.uri,
                    version: parts.version,
                    headers: parts.headers,
                    body,
                },
                caller,
            )
            .await
    }

    /// CCF's head limits: at most `max_headers_count` headers, none of whose names or values
    /// is longer than `max_header_size_bytes`.
    fn check_headers(&self, headers: &http::HeaderMap) -> Result<(), EndpointResponse> {
        let too_large = |message: String| {
            Err(EndpointResponse::error(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                error_code::REQUEST_HEADER_TOO_LARGE,
                message,
            ))
        };
        if headers.len() > self.max_headers_count {
            return too_large(format!(
                "Too many headers: {} is more than the maximum of {}.",
                headers.len(),
                self.max_headers_count
            ));
        }
        let limit = self.max_header_size_bytes;
        for (name, value) in headers {
            if name.as_str().len() > limit {
                return too_large(format!(
                    "Header name of {} bytes is larger than the maximum of {limit} bytes.",
                    name.as_str().len()
                ));
            }
            if value.len() > limit {
                return too_large(format!(
                    "Value of header '{name}' ({} bytes) is larger than the maximum of {limit} \
                     bytes.",
                    value.len()
                ));
            }
        }
        Ok(())
    }

    /// The body, at most `max_body_size_bytes`, within the request deadline.
    async fn read_body(
        &self,
        headers: &http::HeaderMap,
        body: Incoming,
    ) -> Result<Bytes, EndpointResponse> {
        let too_large = || {
            EndpointResponse::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                error_code::REQUEST_BODY_TOO_LARGE,
                format!(
                    "The request body is larger than the maximum of {} bytes.",
                    self.max_body_size_bytes
                ),
            )
        };
        let declared_length_bytes = headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared_length_bytes.is_some_and(|length| {
            usize::try_from(length).map_or(true, |length| length > self.max_body_size_bytes)
        }) {
            return Err(too_large());
        }
        let limited = Limited::new(body, self.max_body_size_bytes);
        match tokio::time::timeout(self.request_timeout, limited.collect()).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
                Err(too_large())
            }
            Ok(Err(_)) => Err(EndpointResponse::error(
                StatusCode::BAD_REQUEST,
                error_code::INVALID_INPUT,
                "The request body could not be read.",
            )),
            Err(_) => Err(EndpointResponse::error(
                StatusCode::REQUEST_TIMEOUT,
                error_code::REQUEST_TIMEOUT,
                format!(
                    "The request body did not arrive within {} ms.",
                    self.request_timeout.as_millis()
                ),
            )),
        }
    }
}

/// CCF's answer for a known path with another method: 405 `UnsupportedHttpVerb` listing the
/// allowed methods in the body and in `Allow`; an `OPTIONS` request gets 204 with `Allow`.
pub(crate) fn method_not_allowed(
    method: &Method,
    path: &str,
    allowed: &[Method],
) -> EndpointResponse {
    let allowed = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let response = if method == Method::OPTIONS {
        EndpointResponse::new(StatusCode::NO_CONTENT)
    } else {
        EndpointResponse::error(
            StatusCode::METHOD_NOT_ALLOWED,
            error_code::UNSUPPORTED_HTTP_VERB,
            format!("Allowed methods for '{path}' are: {allowed}."),
        )
    };
    match HeaderValue::try_from(allowed) {
        Ok(value) => response.with_header(ALLOW, value),
        Err(_) => response,
    }
}
