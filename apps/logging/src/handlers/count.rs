//! `GET /log/private/count` and `GET /log/public/count`: how many records the (scoped) map
//! holds, as a bare JSON number.

use quorate_kv::Tx;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};
use serde_json::Value;

use crate::records::Domain;
use crate::responses;

/// `GET /log/private/count`.
pub fn count_private(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    count(Domain::Private, request, tx)
}

/// `GET /log/public/count`.
pub fn count_public(request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    count(Domain::Public, request, tx)
}

fn count(domain: Domain, request: &EndpointRequest, tx: &mut Tx) -> EndpointResponse {
    let size = tx.size(&domain.map_for(request));
    responses::ok_json(&Value::from(size))
}
