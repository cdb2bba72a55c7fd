//! What a handler is called with and what it answers, on the Rust side. The interpreter turns
//! a [`JsRequest`] into CCF's request object and the handler's return value into a
//! [`JsResponse`].

use bytes::Bytes;

/// A request as CCF gives it to a JS handler.
#[derive(Debug, Clone, Default)]
pub struct JsRequest {
    pub method: String,
    /// Path and query as received (`/app/log?id=1`).
    pub url: String,
    /// The path without the query.
    pub path: String,
    /// The endpoint's template (`/log/{id}`).
    pub route: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub hostname: String,
    /// Template parameters.
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// CCF's `request.caller`: `{policy, id?, data?, cert?}` (JSON).
    pub caller: serde_json::Value,
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}
