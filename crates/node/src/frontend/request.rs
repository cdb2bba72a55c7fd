//! What a handler receives: the whole request (the body already read within the limits), the
//! TLS caller, the identity the endpoint's policies established, and the endpoint's data.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri, Version};

use super::auth::AuthnIdentity;
use super::caller::Caller;
use super::endpoint::{ExecutionMode, ForwardingRule};

/// A request routed to an endpoint.
#[derive(Clone, Debug)]
pub struct EndpointRequest {
    pub method: Method,
    pub uri: Uri,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Template parameters (`{node_id}` → its value), as they appear in the path.
    pub path_params: BTreeMap<String, String>,
    /// The TLS caller of the connection the request came on.
    pub caller: Arc<Caller>,
    /// The identity the first passing auth policy gave.
    pub identity: AuthnIdentity,
    pub mode: ExecutionMode,
    pub forwarding: ForwardingRule,
}

impl EndpointRequest {
    /// A template parameter by name.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params.get(name).map(String::as_str)
    }
}
