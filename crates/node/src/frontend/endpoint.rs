//! An endpoint definition: method, path template, auth policies, execution mode, forwarding
//! rule and the handler. The mode and forwarding rule are data the node acts on (run in a
//! read-only or read-write transaction; forward to the primary); the frontend only carries them
//! to the handler.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::Method;

use super::auth::AuthPolicy;
use super::request::EndpointRequest;
use super::response::EndpointResponse;

/// The future a handler returns: boxed so handlers of any shape live in one registry.
pub type HandlerFuture = Pin<Box<dyn Future<Output = EndpointResponse> + Send>>;

/// Serves one endpoint. Closures `Fn(EndpointRequest) -> impl Future<Output = EndpointResponse>`
/// are handlers.
pub trait Handler: Send + Sync {
    fn call(&self, request: EndpointRequest) -> HandlerFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(EndpointRequest) -> Fut + Send + Sync,
    Fut: Future<Output = EndpointResponse> + Send + 'static,
{
    fn call(&self, request: EndpointRequest) -> HandlerFuture {
        Box::pin(self(request))
    }
}

/// CCF's endpoint mode: whether the handler may write to the KV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionMode {
    /// Runs on any node in a read-only transaction.
    ReadOnly,
    /// Runs on the primary in a read-write transaction (CCF's default).
    ReadWrite,
}

/// CCF's `forwarding_required`: when a backup forwards the request to the primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ForwardingRule {
    /// Forward when the request turns out to write (CCF's default).
    Sometimes,
    /// Always forward.
    Always,
    /// Never forward; the node answers itself.
    Never,
}

/// One endpoint.
#[derive(Clone)]
pub struct Endpoint {
    pub(crate) method: Method,
    pub(crate) path_template: String,
    pub(crate) auth_policies: Vec<AuthPolicy>,
    pub(crate) mode: ExecutionMode,
    pub(crate) forwarding: ForwardingRule,
    pub(crate) handler: Arc<dyn Handler>,
}

impl Endpoint {
    /// A read-write endpoint with forwarding `Sometimes` (CCF's defaults). The template uses
    /// matchit syntax: `/log/private`, `/nodes/{node_id}`, `/modules/{*name}`. An empty policy
    /// list makes the endpoint unauthenticated, so the caller must choose it explicitly.
    pub fn new(
        method: Method,
        path_template: impl Into<String>,
        auth_policies: Vec<AuthPolicy>,
        handler: impl Handler + 'static,
    ) -> Endpoint {
        Endpoint {
            method,
            path_template: path_template.into(),
            auth_policies,
            mode: ExecutionMode::ReadWrite,
            forwarding: ForwardingRule::Sometimes,
            handler: Arc::new(handler),
        }
    }

    /// Sets the execution mode.
    pub fn with_mode(mut self, mode: ExecutionMode) -> Endpoint {
        self.mode = mode;
        self
    }

    /// Sets the forwarding rule.
    pub fn with_forwarding(mut self, forwarding: ForwardingRule) -> Endpoint {
        self.forwarding = forwarding;
        self
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    pub fn path_template(&self) -> &str {
        &self.path_template
    }

    pub fn auth_policies(&self) -> &[AuthPolicy] {
        &self.auth_policies
    }

    pub fn mode(&self) -> ExecutionMode {
        self.mode
    }

    pub fn forwarding(&self) -> ForwardingRule {
        self.forwarding
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("method", &self.method)
            .field("path_template", &self.path_template)
            .field("auth_policies", &self.auth_policies)
            .field("mode", &self.mode)
            .field("forwarding", &self.forwarding)
            .finish_non_exhaustive()
    }
}
