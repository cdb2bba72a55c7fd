//! The responses the logging app's handlers share, with CCF's statuses, codes and texts.

use http::StatusCode;
use quorate_node::frontend::{EndpointResponse, error_code};
use serde_json::{Value, json};

/// CCF's `PreconditionFailed` (412); the node's own error codes do not need it.
pub const PRECONDITION_FAILED: &str = "PreconditionFailed";

/// The empty-message error of the JSON endpoints.
pub const EMPTY_MESSAGE: &str = "Cannot record an empty log message.";
/// The same error from `prefix_cert`, which CCF spells without the full stop.
pub const EMPTY_MESSAGE_PREFIX_CERT: &str = "Cannot record an empty log message";

/// 200 with a JSON body.
pub fn ok_json(value: &Value) -> EndpointResponse {
    EndpointResponse::json(StatusCode::OK, value)
}

/// 200 `true`: what every write endpoint answers.
pub fn ok_true() -> EndpointResponse {
    ok_json(&Value::Bool(true))
}

/// 200 `{"msg": ...}`.
pub fn ok_msg(msg: &str) -> EndpointResponse {
    ok_json(&json!({ "msg": msg }))
}

/// 400 `InvalidInput`.
pub fn invalid_input(message: impl Into<String>) -> EndpointResponse {
    EndpointResponse::error(StatusCode::BAD_REQUEST, error_code::INVALID_INPUT, message)
}

/// 400 `InvalidQueryParameterValue`.
pub fn invalid_query_parameter(message: impl Into<String>) -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::BAD_REQUEST,
        error_code::INVALID_QUERY_PARAMETER_VALUE,
        message,
    )
}

/// 400 `InvalidHeaderValue`.
pub fn invalid_header(message: impl Into<String>) -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::BAD_REQUEST,
        error_code::INVALID_HEADER_VALUE,
        message,
    )
}

/// 404 `ResourceNotFound` for an id with no record.
pub fn no_such_record(id: u64) -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::NOT_FOUND,
        error_code::RESOURCE_NOT_FOUND,
        format!("No such record: {id}."),
    )
}

/// 412 `PreconditionFailed`: an `If-Match` / `If-None-Match` condition did not hold.
pub fn resource_changed() -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::PRECONDITION_FAILED,
        PRECONDITION_FAILED,
        "Resource has changed.",
    )
}

/// 304 with no body: `If-None-Match` matched on a GET or DELETE.
pub fn not_modified() -> EndpointResponse {
    EndpointResponse::new(StatusCode::NOT_MODIFIED)
}

/// 500 for a stored value this app cannot have written (CCF would fail to deserialise it too).
pub fn unreadable_record(id: u64) -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        error_code::INTERNAL_ERROR,
        format!("Record {id} is not a JSON-serialised string."),
    )
}
