//! The node's endpoint tables. Every endpoint (built-in or an app's) is described once as a
//! [`NodeEndpoint`]; from the list the node builds two routers:
//!
//! - the **frontend** table each client interface serves: it decides where a request runs
//!   (here, or at the primary by forwarding or a 307 redirect) and counts it;
//! - the **primary** table for requests other nodes forwarded: it always runs them here.

mod app_builtins;
mod gov;
pub mod join;
mod js;
mod mount;
mod node;
mod openapi;

use std::future::Future;
use std::sync::Arc;

use http::Method;

use super::context::NodeContext;
use quorate_js::Bundle;

use crate::app::{App, AppAuth, AppHandler};
use crate::frontend::{EndpointRequest, EndpointResponse, ForwardingRule, HandlerFuture};

pub use gov::governance_env;
pub use mount::{InterfacePolicy, frontend_router, primary_router};

/// A built-in endpoint's handler: it gets the node's context.
pub type BuiltinFn = Arc<dyn Fn(Arc<NodeContext>, EndpointRequest) -> HandlerFuture + Send + Sync>;

/// How an endpoint runs.
#[derive(Clone)]
pub enum Runner {
    App(AppHandler),
    Js(Arc<js::JsEndpoint>),
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

/// Every endpoint the node serves: `/node/*`, the `/app` built-ins and the application's: the
/// deployed JS app when there is one (as in CCF, a service runs one app), else the native
/// `app`.
pub fn node_endpoints(app: Option<&dyn App>, js_app: Option<&Arc<Bundle>>) -> Vec<NodeEndpoint> {
    let mut endpoints = node::endpoints();
    endpoints.push(join::endpoint());
    endpoints.extend(gov::endpoints());
    endpoints.extend(app_builtins::endpoints());
    let app_name = match (js_app, app) {
        (Some(_), _) => Some("JavaScript application".to_owned()),
        (None, Some(app)) => Some(app.name().to_owned()),
        (None, None) => None,
    };
    if let Some(bundle) = js_app {
        endpoints.extend(js::endpoints(bundle));
    } else if let Some(app) = app {
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
    endpoints.push(openapi::endpoint(listed, app_name));
    endpoints
}
