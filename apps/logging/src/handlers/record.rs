//! `POST /log/private` and `POST /log/public`: store a message at an id.

use quorate_kv::Tx;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};

use crate::etag::{MatchHeaders, Precondition, etag, with_etag};
use crate::params::json_params;
use crate::record_in::RecordIn;
use crate::records::{Domain, decode_value, encode_key, encode_value};
use crate::responses;

/// `POST /log/private`. CCF's private endpoint parses `record_claim` but ignores it; only the
/// public one sets a claims digest.
pub fn post_private(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let input = match read_input(request) {
        Ok(input) => input,
        Err(response) => return response,
    };
    tx.put(
        &Domain::Private.map_for(request),
        encode_key(input.id),
        encode_value(&input.msg),
    );
    responses::ok_true()
}

/// `POST /log/public`: also honours `If-Match` / `If-None-Match` against the current record,
/// sets `ETag` to the new message's tag, and with `record_claim` makes SHA-256 of the message
/// the transaction's claims digest (CCF's `ClaimsDigest::Digest(msg)`), so receipts can prove
/// the message.
pub fn post_public(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let input = match read_input(request) {
        Ok(input) => input,
        Err(response) => return response,
    };
    let map = Domain::Public.map_for(request);
    let key = encode_key(input.id);
    let match_headers = MatchHeaders::from_request(request);
    if let Err(response) = match_headers.refuse_conflict() {
        return response;
    }
    // Only a conditional request reads the record, so only it conflicts with other writers.
    if !match_headers.is_empty()
        && let Some(current) = tx.get(&map, &key)
    {
        let Some(current) = decode_value(&current) else {
            return responses::unreadable_record(input.id);
        };
        match match_headers.evaluate(&etag(&current)) {
            Ok(Precondition::Holds) => {}
            Ok(Precondition::Failed | Precondition::NoneMatched) => {
                return responses::resource_changed();
            }
            Err(response) => return response,
        }
    }
    tx.put(&map, key, encode_value(&input.msg));
    if input.record_claim {
        tx.set_claims_digest(quorate_crypto::sha256(input.msg.as_bytes()));
    }
    with_etag(responses::ok_true(), &input.msg)
}

/// The body as a record with a non-empty message, else CCF's 400.
fn read_input(request: &EndpointRequest) -> Result<RecordIn, EndpointResponse> {
    let input = RecordIn::from_json(&json_params(request)?)?;
    if input.msg.is_empty() {
        return Err(responses::invalid_input(responses::EMPTY_MESSAGE));
    }
    Ok(input)
}
