//! `POST /log/private/raw_text/{id}`: the body, sent as `text/plain`, is the message.

use http::StatusCode;
use http::header::CONTENT_TYPE;
use quorate_kv::Tx;
use quorate_node::frontend::{EndpointRequest, EndpointResponse, error_code};

use crate::params::parse_u64;
use crate::records::{Domain, encode_key, encode_value, message_from_bytes};
use crate::responses;

const TEXT_PLAIN: &str = "text/plain";

/// Stores the body at the path's id; 200 with an empty body. CCF compares the content type
/// with `text/plain` exactly (no parameters) and answers 415 `InvalidHeaderValue` otherwise.
pub fn post_raw_text(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let actual = request
        .headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    if actual != TEXT_PLAIN {
        return EndpointResponse::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error_code::INVALID_HEADER_VALUE,
            format!("Expected content-type '{TEXT_PLAIN}'. Got '{actual}'."),
        );
    }
    let Some(raw_id) = request.path_param("id") else {
        return responses::invalid_input("Missing ID component in request path");
    };
    // CCF reads the id with `strtoul`, which takes `abc` as 0 and `12abc` as 12; a path id
    // that is not a whole number is refused instead.
    let Some(id) = parse_u64(raw_id) else {
        return responses::invalid_input(format!(
            "Unable to parse value '{raw_id}' in path parameter 'id'"
        ));
    };
    let msg = match message_from_bytes(&request.body) {
        Ok(msg) => msg,
        Err(message) => return responses::invalid_input(message),
    };
    tx.put(
        &Domain::Private.map_for(request),
        encode_key(id),
        encode_value(msg),
    );
    EndpointResponse::new(StatusCode::OK)
}
