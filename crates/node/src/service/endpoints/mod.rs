//! The node's endpoint tables. Every endpoint (built-in or an app's) is described once as a
//! [`NodeEndpoint`]; from the list the node builds two routers:
//!
//! - the **frontend** table each client interface serves: it decides where a request runs
//!   (here, or at the primary by forwarding or a 307 redirect) and counts it;
//! - the **primary** table for requests other nodes forwarded: it always runs them here.

mod app_builtins;
pub mod join;
mod mount;
mod node;
mod openapi;

use std::future::Future;
use std::sync::Arc;

use http::Method;

use super::context::NodeContext;
use crate::app::{App, AppAuth, AppHandler};
use crate::frontend::{EndpointRequest, EndpointResponse, ForwardingRule, HandlerFuture};

pub use mount::{InterfacePolicy, frontend_router, primary_router};

/// A built-in endpoint's handler: it gets the node's context.
pub type BuiltinFn = Arc<dyn Fn(Arc<NodeContext>, EndpointRequest) -> HandlerFuture + Send + Sync>;

/// How an endpoint runs.
#[derive(Clone)]
pub enum Runner {
    App(AppHandler),
    Builtin(BuiltinFn),
}

/// One endpoint of the node.
#[derive(Clone)]
pub struct NodeEndpoint {
    pub method: Method,
    /// The full path template (`/app/log/private`, `/node/network/nodes/{node_id}`).
    pub path: String,
    pub auth: Vec<AppAuth>,
    pub runner: Runner,
    pub forwarding: ForwardingRule,
    /// Only served once the service is open (application endpoints).
    pub needs_open_service: bool,
    /// Writes to the store, so it must run on the primary.
    pub writes: bool,
}

impl NodeEndpoint {
    /// A built-in endpoint that reads (served by any node).
    pub fn builtin<F, Fut>(method: Method, path: &str, auth: &[AppAuth], handler: F) -> Self
    where
        F: Fn(Arc<NodeContext>, EndpointRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = EndpointResponse> + Send + 'static,
    {
        Self {
            method,
            path: path.to_owned(),
            auth: auth.to_vec(),
            runner: Runner::Builtin(Arc::new(move |context, request| {
                Box::pin(handler(context, request))
            })),
            forwarding: ForwardingRule::Never,
            needs_open_service: false,
            writes: false,
        }
    }
}

/// Every endpoint the node serves: `/node/*`, the `/app` built-ins and `app`'s endpoints.
pub fn node_endpoints(app: Option<&dyn App>) -> Vec<NodeEndpoint> {
    let mut endpoints = node::endpoints();
    endpoints.push(join::endpoint());
    endpoints.extend(app_builtins::endpoints());
    if let Some(app) = app {
        for endpoint in app.endpoints() {
            let writes = matches!(endpoint.handler, AppHandler::ReadWrite(_));
            endpoints.push(NodeEndpoint {
                method: endpoint.method,
                path: format!("/app{}", endpoint.path),
                auth: endpoint.auth,
                runner: Runner::App(endpoint.handler),
                forwarding: endpoint.forwarding,
                needs_open_service: true,
                writes,
            });
        }
    }
    let listed = endpoints.clone();
    endpoints.push(openapi::endpoint(listed, app.map(|a| a.name().to_owned())));
    endpoints
}
