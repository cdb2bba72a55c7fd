//! What the driver publishes after every batch for the endpoints to read without asking it:
//! role, view, primary, commit point, the service's status and the known nodes.

use std::collections::BTreeMap;
use std::sync::Arc;

use quorate_consensus::{NodeId, Role};
use quorate_js::{Bundle, JsRuntimeOptions};
use quorate_kv::TxId;
use quorate_ledger::genesis::{NodeInfo, ServiceInfo};

use crate::replication::ReplicatedNode;

/// One node as the store lists it.
#[derive(Debug, Clone)]
pub struct KnownNode {
    pub node_id_hex: String,
    pub info: NodeInfo,
    /// Seqno of the transaction that last wrote its `nodes.info` entry.
    pub last_written: u64,
}

/// A snapshot of the node's state.
#[derive(Debug, Clone)]
pub struct NodeStatus {
    pub node_id_hex: String,
    pub role: Role,
    pub view: u64,
    /// The primary this node follows, if known.
    pub primary: Option<NodeId>,
    pub primary_hex: Option<String>,
    pub last_committed: TxId,
    /// The last entry of the node's log.
    pub last_seqno: u64,
    /// The service's `service.info`, once the node holds it.
    pub service: Option<ServiceInfo>,
    /// `nodes.info` by consensus id.
    pub nodes: Arc<BTreeMap<NodeId, KnownNode>>,
    /// `(view, first seqno)` for every view in the log.
    pub view_history: Arc<Vec<(u64, u64)>>,
    /// `public:ccf.gov.js_runtime_options`: JS limits and error detail.
    pub js_options: JsRuntimeOptions,
    /// The deployed JS app and the seqno that last changed it (0: none ever).
    pub js_app: Option<Arc<Bundle>>,
    pub js_app_version: u64,
}

impl NodeStatus {
    /// What a node is before anything is read from its store.
    pub fn new(node: &ReplicatedNode) -> Self {
        Self {
            node_id_hex: node.node_id_hex().to_owned(),
            role: node.role(),
            view: node.view(),
            primary: None,
            primary_hex: None,
            last_committed: node.last_committed_txid(),
            last_seqno: 0,
            service: None,
            nodes: Arc::default(),
            view_history: Arc::default(),
            js_options: JsRuntimeOptions::default(),
            js_app: None,
            js_app_version: 0,
        }
    }

    pub fn is_primary(&self) -> bool {
        self.role == Role::Leader
    }

    /// Whether the service is open to users.
    pub fn service_is_open(&self) -> bool {
        self.service
            .as_ref()
            .is_some_and(|service| service.status == quorate_ledger::genesis::ServiceStatus::Open)
    }

    /// The primary's entry in `nodes.info`.
    pub fn primary_node(&self) -> Option<&KnownNode> {
        self.primary.and_then(|id| self.nodes.get(&id))
    }
}
