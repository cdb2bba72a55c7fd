//! `GET /log/private?id=` and `GET /log/public?id=`: read one record.

use quorate_kv::Tx;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};

use crate::etag::{MatchHeaders, Precondition, etag, with_etag};
use crate::params::{id_from_query, json_params};
use crate::records::{Domain, decode_value, encode_key};
use crate::responses;

/// `GET /log/private?id=N`: `{"msg": ...}` or 404.
pub fn get_private(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let (id, msg) = match lookup(Domain::Private, request, tx) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match msg {
        Some(msg) => responses::ok_msg(&msg),
        None => responses::no_such_record(id),
    }
}

/// `GET /log/public?id=N`: as the private one, plus `ETag` and CCF's conditional GET
/// (`If-Match` mismatch 412, `If-None-Match` match 304). A missing record is 404 whatever the
/// headers say.
pub fn get_public(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let (id, msg) = match lookup(Domain::Public, request, tx) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(msg) = msg else {
        return responses::no_such_record(id);
    };
    let match_headers = MatchHeaders::from_request(request);
    if let Err(response) = match_headers.refuse_conflict() {
        return response;
    }
    match match_headers.evaluate(&etag(&msg)) {
        Ok(Precondition::Holds) => with_etag(responses::ok_msg(&msg), &msg),
        Ok(Precondition::Failed) => responses::resource_changed(),
        Ok(Precondition::NoneMatched) => responses::not_modified(),
        Err(response) => response,
    }
}

/// The requested id and its message, if any.
fn lookup(
    domain: Domain,
    request: &EndpointRequest,
    tx: &mut Tx,
) -> Result<(u64, Option<String>), EndpointResponse> {
    json_params(request)?;
    let id = id_from_query(request)?;
    match tx.get(&domain.map_for(request), &encode_key(id)) {
        Some(value) => decode_value(&value)
            .map(|msg| (id, Some(msg)))
            .ok_or_else(|| responses::unreadable_record(id)),
        None => Ok((id, None)),
    }
}
