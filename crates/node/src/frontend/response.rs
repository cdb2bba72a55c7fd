//! What a handler returns, and the frontend's own error responses in CCF's shape
//! `{"error": {"code": "...", "message": "..."}}` with `content-type: application/json`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::transaction_id::{ResponseDecorator, TRANSACTION_ID_HEADER, TransactionId};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");

/// A response from an endpoint (or from the frontend on the endpoint's behalf).
#[derive(Clone, Debug)]
pub struct EndpointResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The transaction this request ran as, sent as `x-ms-ccf-transaction-id`. When `None`, the
    /// server's [`ResponseDecorator`] may supply one.
    pub transaction_id: Option<TransactionId>,
}

impl EndpointResponse {
    /// An empty response with this status.
    pub fn new(status: StatusCode) -> EndpointResponse {
        EndpointResponse {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            transaction_id: None,
        }
    }

    /// A JSON body.
    pub fn json(status: StatusCode, value: &serde_json::Value) -> EndpointResponse {
        EndpointResponse::new(status)
            .with_header(CONTENT_TYPE, APPLICATION_JSON)
            .with_body(value.to_string())
    }

    /// A plain-text body.
    pub fn text(status: StatusCode, text: impl Into<String>) -> EndpointResponse {
        EndpointResponse::new(status)
            .with_header(CONTENT_TYPE, TEXT_PLAIN)
            .with_body(text.into())
    }

    /// CCF's error body, with one of the codes in [`super::error_code`] or an app's own code.
    pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> EndpointResponse {
        let body = serde_json::json!({
            "error": { "code": code, "message": message.into() }
        });
        EndpointResponse::json(status, &body)
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> EndpointResponse {
        self.body = body.into();
        self
    }

    /// Sets a header, replacing any previous value.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> EndpointResponse {
        self.headers.insert(name, value);
        self
    }

    /// Records the transaction the request ran as.
    pub fn with_transaction_id(mut self, transaction_id: TransactionId) -> EndpointResponse {
        self.transaction_id = Some(transaction_id);
        self
    }

    /// The hyper response: the handler's transaction id, else the decorator's, as the header.
    pub(crate) fn into_http(
        self,
        decorator: Option<&dyn ResponseDecorator>,
    ) -> Response<Full<Bytes>> {
        let transaction_id = self
            .transaction_id
            .or_else(|| decorator.and_then(ResponseDecorator::transaction_id));
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        if let Some(transaction_id) = transaction_id
            && let Ok(value) = HeaderValue::try_from(transaction_id.to_string())
        {
            response.headers_mut().insert(TRANSACTION_ID_HEADER, value);
        }
        response
    }
}
