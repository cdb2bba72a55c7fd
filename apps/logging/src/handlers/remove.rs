//! `DELETE /log/{private,public}?id=` and `DELETE /log/{private,public}/all`.

use quorate_kv::Tx;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};
use serde_json::Value;

use crate::etag::{MatchHeaders, Precondition, etag};
use crate::params::{id_from_query, json_params};
use crate::records::{Domain, decode_value, encode_key};
use crate::responses;

/// `DELETE /log/private?id=N`: 200 with whether there was a record (CCF's `LoggingRemove`),
/// so deleting a missing id is not an error.
pub fn delete_private(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let (map, id) = match target(Domain::Private, request) {
        Ok(target) => target,
        Err(response) => return response,
    };
    let key = encode_key(id);
    let had = tx.has(&map, &key);
    tx.remove(&map, key);
    responses::ok_json(&Value::Bool(had))
}

/// `DELETE /log/public?id=N`: as the private one, but an existing record is only removed if
/// the conditional headers allow it (`If-Match` mismatch 412, `If-None-Match` match 304).
pub fn delete_public(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let (map, id) = match target(Domain::Public, request) {
        Ok(target) => target,
        Err(response) => return response,
    };
    let key = encode_key(id);
    let current = tx.get(&map, &key);
    if let Some(current) = &current {
        let match_headers = MatchHeaders::from_request(request);
        if let Err(response) = match_headers.refuse_conflict() {
            return response;
        }
        if !match_headers.is_empty() {
            let Some(current) = decode_value(current) else {
                return responses::unreadable_record(id);
            };
            match match_headers.evaluate(&etag(&current)) {
                Ok(Precondition::Holds) => {}
                Ok(Precondition::Failed) => return responses::resource_changed(),
                Ok(Precondition::NoneMatched) => return responses::not_modified(),
                Err(response) => return response,
            }
        }
    }
    tx.remove(&map, key);
    responses::ok_json(&Value::Bool(current.is_some()))
}

/// `DELETE /log/private/all`: removes every record of the (scoped) map; 200 `true`.
pub fn clear_private(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    clear(Domain::Private, request, tx)
}

/// `DELETE /log/public/all`.
pub fn clear_public(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    clear(Domain::Public, request, tx)
}

/// CCF's `clear()`: every key removed, in one transaction.
fn clear(domain: Domain, request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    if let Err(response) = json_params(request) {
        return response;
    }
    tx.clear(&domain.map_for(request));
    responses::ok_true()
}

/// The map and id a single-record DELETE names. CCF's JSON adapter parses a DELETE's body
/// too, so a body that is not JSON is refused here as well.
fn target(domain: Domain, request: &EndpointRequest) -> Result<(String, u64), EndpointResponse> {
    json_params(request)?;
    let id = id_from_query(request)?;
    Ok((domain.map_for(request), id))
}
