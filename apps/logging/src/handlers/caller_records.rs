//! Records that name their writer: `POST /log/private/anonymous` (no auth, stored as
//! `Anonymous: <msg>`) and `POST /log/private/prefix_cert` (stored as `<user id>: <msg>`).

use http::StatusCode;
use quorate_kv::Tx;
use quorate_node::frontend::{AuthnIdentity, EndpointRequest, EndpointResponse, error_code};

use crate::params::{json_params, parse_json};
use crate::record_in::RecordIn;
use crate::records::{Domain, encode_key, encode_value};
use crate::responses;

/// `POST /log/private/anonymous`: open to anyone, so the line says who cannot be known.
pub fn post_anonymous(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let input = match json_params(request).and_then(|params| RecordIn::from_json(&params)) {
        Ok(input) => input,
        Err(response) => return response,
    };
    if input.msg.is_empty() {
        return responses::invalid_input(responses::EMPTY_MESSAGE);
    }
    store(request, tx, input.id, &format!("Anonymous: {}", input.msg))
}

/// `POST /log/private/prefix_cert`: the line starts with the caller's user id (hex SHA-256 of
/// its certificate). CCF parses this body directly rather than through its JSON adapter, so an
/// empty body is a parse error here rather than a missing field.
pub fn post_prefix_cert(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let AuthnIdentity::User(user) = &request.identity else {
        // Unreachable behind `user_cert`; CCF's `get_caller` throws (500) in this case.
        return EndpointResponse::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL_ERROR,
            "The caller is not authenticated as a user.",
        );
    };
    let input = match parse_json(&request.body).and_then(|params| RecordIn::from_json(&params)) {
        Ok(input) => input,
        Err(response) => return response,
    };
    if input.msg.is_empty() {
        return responses::invalid_input(responses::EMPTY_MESSAGE_PREFIX_CERT);
    }
    store(
        request,
        tx,
        input.id,
        &format!("{}: {}", user.id, input.msg),
    )
}

fn store(request: &EndpointRequest, tx: &mut Tx, id: u64, line: &str) -> EndpointResponse {
    tx.put(
        &Domain::Private.map_for(request),
        encode_key(id),
        encode_value(line),
    );
    responses::ok_true()
}
