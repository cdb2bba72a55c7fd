//! `GET /log/private/historical?id=` and `GET /log/public/historical?id=`: the message the
//! transaction named by the `x-ms-ccf-transaction-id` request header wrote at `id`. The node
//! resolves the header (and answers CCF's errors for pending, unknown or invalid ids); the
//! handler sees only that transaction's writes.

use http::StatusCode;
use quorate_node::app::HistoricalState;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};

use crate::params::id_from_query;
use crate::records::{Domain, decode_value, encode_key};
use crate::responses;

/// `GET /log/private/historical?id=N`.
pub fn historical_private(request: &EndpointRequest, state: &HistoricalState) -> EndpointResponse {
    historical(Domain::Private, request, state)
}

/// `GET /log/public/historical?id=N` (from CCF's JS app; answered like the private one).
pub fn historical_public(request: &EndpointRequest, state: &HistoricalState) -> EndpointResponse {
    historical(Domain::Public, request, state)
}

/// `{"msg": ...}` if the transaction wrote the id; otherwise 204 with no body, as CCF's C++
/// app answers (CCF's e2e infrastructure reads 204 as "no write to this id at this TxID",
/// while a 404 would make it wait for the frontend to open).
fn historical(
    domain: Domain,
    request: &EndpointRequest,
    state: &HistoricalState,
) -> EndpointResponse {
    let id = match id_from_query(request) {
        Ok(id) => id,
        Err(response) => return response,
    };
    match state.get(&domain.map_for(request), &encode_key(id)) {
        Some(value) => match decode_value(value) {
            Some(msg) => responses::ok_msg(&msg),
            None => responses::unreadable_record(id),
        },
        None => EndpointResponse::new(StatusCode::NO_CONTENT),
    }
}
