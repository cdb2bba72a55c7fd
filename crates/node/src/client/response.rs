//! A buffered response and readers for what CCF puts in it: JSON bodies, the transaction id
//! header clients use for session consistency, and the error body's code.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use super::error::ClientError;
use crate::frontend::TRANSACTION_ID_HEADER;

/// A complete response: status, headers and the whole body.
#[derive(Clone, Debug)]
pub struct ClientResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ClientResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            ClientError::InvalidResponse(format!("the body is not JSON ({}): {error}", self.status))
        })
    }

    /// `x-ms-ccf-transaction-id` as (view, seqno); `None` if absent or not `<view>.<seqno>`.
    pub fn transaction_id(&self) -> Option<(u64, u64)> {
        let value = self.headers.get(TRANSACTION_ID_HEADER)?.to_str().ok()?;
        let (view, seqno) = value.split_once('.')?;
        Some((parse_decimal(view)?, parse_decimal(seqno)?))
    }

    /// The `code` of CCF's error body `{"error": {"code": ..., "message": ...}}`.
    pub fn error_code(&self) -> Option<String> {
        self.error_field("code")
    }

    /// The `message` of CCF's error body.
    pub fn error_message(&self) -> Option<String> {
        self.error_field("message")
    }

    fn error_field(&self, field: &str) -> Option<String> {
        let body: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        body.get("error")?.get(field)?.as_str().map(str::to_owned)
    }
}

/// Digits only: `u64::from_str` would also take a leading `+`, which CCF never sends.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
