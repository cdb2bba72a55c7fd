//! The routing tables a node serves through, rebuilt whole when the deployed JS app changes.

use std::sync::Arc;

use super::context::NodeContext;
use super::endpoints::{InterfacePolicy, frontend_router, node_endpoints, primary_router};
use super::error::NodeError;
use crate::app::App;
use crate::config::NodeConfig;
use crate::frontend::{EndpointRegistry, Router};

/// The routing tables the node serves through: one per client interface and the primary's
/// table for forwarded requests. They are rebuilt whole when the deployed JS app changes.
pub(super) struct EndpointTables {
    pub(super) interfaces: Vec<(InterfacePolicy, Arc<EndpointRegistry>)>,
    pub(super) primary: Arc<EndpointRegistry>,
}

impl EndpointTables {
    pub(super) fn new(config: &NodeConfig) -> Self {
        Self {
            interfaces: config
                .network
                .rpc_interfaces
                .iter()
                .map(|(name, interface)| {
                    (
                        InterfacePolicy {
                            name: name.clone(),
                            redirections: interface.redirections.clone(),
                        },
                        Arc::new(EndpointRegistry::new(Router::empty())),
                    )
                })
                .collect(),
            primary: Arc::new(EndpointRegistry::new(Router::empty())),
        }
    }

    /// Builds every table from the node's current app; returns the JS app version it used.
    pub(super) fn rebuild(
        &self,
        context: &Arc<NodeContext>,
        app: Option<&dyn App>,
    ) -> Result<u64, NodeError> {
        let status = context.status();
        let endpoints = node_endpoints(app, status.js_app.as_ref());
        for (policy, registry) in &self.interfaces {
            registry.replace(frontend_router(context, &endpoints, policy)?);
        }
        self.primary.replace(primary_router(context, &endpoints)?);
        Ok(status.js_app_version)
    }
}

/// Rebuilds the tables whenever the deployed JS app changes.
pub(super) async fn follow_js_app(
    context: Arc<NodeContext>,
    tables: Arc<EndpointTables>,
    app: Option<Arc<dyn App>>,
    mut version: u64,
) {
    let mut status = context.status.clone();
    while status.changed().await.is_ok() {
        let current = status.borrow_and_update().js_app_version;
        if current == version {
            continue;
        }
        match tables.rebuild(&context, app.as_deref()) {
            Ok(rebuilt) => {
                tracing::info!(version = rebuilt, "serving the deployed JavaScript app");
                version = rebuilt;
            }
            Err(error) => tracing::error!(%error, "the JavaScript app's endpoints do not mount"),
        }
    }
}
