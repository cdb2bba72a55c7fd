//! Small helpers handlers share for reading requests and answering bad input in CCF's shape.

use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::frontend::{EndpointRequest, EndpointResponse, error_code};

/// Every `name=value` pair of the query, percent-decoded, in order.
pub fn query_params(request: &EndpointRequest) -> Vec<(String, String)> {
    request
        .uri
        .query()
        .map(|query| {
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(name), percent_decode(value))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The first value of query parameter `name`.
pub fn query_param(request: &EndpointRequest, name: &str) -> Option<String> {
    query_params(request)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// 400 `InvalidInput` with `message`.
pub fn bad_request(message: impl Into<String>) -> EndpointResponse {
    EndpointResponse::error(StatusCode::BAD_REQUEST, error_code::INVALID_INPUT, message)
}

/// The body parsed as JSON into `T`; a body that is not JSON of that shape is 400
/// `InvalidInput` naming what was wrong. A content type other than JSON is 415
/// `UnsupportedContentType`.
pub fn json_body<T: DeserializeOwned>(request: &EndpointRequest) -> Result<T, EndpointResponse> {
    if let Some(content_type) = request.headers.get(http::header::CONTENT_TYPE) {
        let is_json = content_type
            .to_str()
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(EndpointResponse::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                error_code::UNSUPPORTED_CONTENT_TYPE,
                "Unsupported content type. Only application/json is supported.",
            ));
        }
    }
    serde_json::from_slice(&request.body)
        .map_err(|error| bad_request(format!("Invalid JSON body: {error}.")))
}

/// `%XX` escapes and `+` (a space in query strings) decoded; malformed escapes are kept as
/// written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}
