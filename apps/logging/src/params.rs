//! Reading the request the way CCF's logging app does: its JSON adapter's body rules, the
//! `id` and `scope` query parameters.

use http::Method;
use quorate_node::app::query_param;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};
use serde_json::Value;

use crate::responses;

/// The `scope` query parameter, if present (CCF uses it even when empty).
pub fn scope(request: &EndpointRequest) -> Option<String> {
    query_param(request, "scope")
}

/// The `id` query parameter as a record id, or CCF's 400 `InvalidQueryParameterValue` with
/// CCF's reason (`ccf::http::get_query_value<size_t>`).
pub fn id_from_query(request: &EndpointRequest) -> Result<u64, EndpointResponse> {
    let Some(value) = query_param(request, "id") else {
        return Err(responses::invalid_query_parameter(
            "Missing query parameter 'id'",
        ));
    };
    parse_u64(&value).ok_or_else(|| {
        responses::invalid_query_parameter(format!(
            "Unable to parse value '{value}' in parameter 'id'"
        ))
    })
}

/// An unsigned decimal as `std::from_chars` reads one in full: one or more ASCII digits, no
/// sign or space, within 64 bits.
pub fn parse_u64(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The parameters CCF's `json_adapter` hands its handlers: the body parsed as JSON, or `{}`
/// for a GET or an empty body. CCF does not look at the request's content type here, so
/// neither does this. Unparseable JSON is 400 `InvalidInput`, as CCF's frontend answers
/// nlohmann's parse errors (whose exact text is nlohmann's own and not reproduced).
pub fn json_params(request: &EndpointRequest) -> Result<Value, EndpointResponse> {
    if request.method == Method::GET || request.body.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    parse_json(&request.body)
}

/// The body parsed as JSON, whatever it is (an empty body is an error), as
/// `nlohmann::json::parse` is used by CCF's non-adapted handlers.
pub fn parse_json(body: &[u8]) -> Result<Value, EndpointResponse> {
    serde_json::from_slice(body)
        .map_err(|error| responses::invalid_input(format!("Invalid JSON body: {error}.")))
}
