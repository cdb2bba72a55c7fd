//! What every endpoint handler of a running node shares.

use std::sync::Arc;
use std::time::Instant;

use quorate_kv::Store;
use quorate_ledger::tables;
use tokio::sync::watch;

use super::driver::DriverHandle;
use super::forwarding::Forwarder;
use super::js_pool::JsPool;
use super::metrics::Metrics;
use super::secrets::NodeSecrets;
use super::status::NodeStatus;
use crate::frontend::{AuthPolicy, CertificateLookup};

/// The node as its endpoints see it.
pub struct NodeContext {
    pub driver: DriverHandle,
    /// The node's store, for read-only requests (snapshots; no driver round trip).
    pub store: Arc<Store>,
    pub status: watch::Receiver<Arc<NodeStatus>>,
    pub forwarder: Arc<Forwarder>,
    pub secrets: Arc<NodeSecrets>,
    /// What governance code runs with (the service identity).
    pub governance: quorate_gov::GovernanceEnv,
    pub metrics: Arc<Metrics>,
    pub started: Instant,
    /// Threads for read-only and historical JS handlers.
    pub js_pool: JsPool,
}

impl NodeContext {
    /// The latest published status.
    pub fn status(&self) -> Arc<NodeStatus> {
        Arc::clone(&self.status.borrow())
    }

    /// `user_cert`: the caller's certificate fingerprint is a key of `users.certs`.
    pub fn user_cert_policy(&self) -> AuthPolicy {
        AuthPolicy::UserCert(Arc::new(TableLookup {
            store: Arc::clone(&self.store),
            certs: tables::USERS_CERTS,
            info: tables::USERS_INFO,
            data_field: "user_data",
        }))
    }

    /// `member_cert`: the caller's certificate fingerprint is a key of `members.certs`.
    pub fn member_cert_policy(&self) -> AuthPolicy {
        AuthPolicy::MemberCert(Arc::new(TableLookup {
            store: Arc::clone(&self.store),
            certs: tables::MEMBERS_CERTS,
            info: tables::MEMBERS_INFO,
            data_field: "member_data",
        }))
    }
}

/// Finds users or members in the node's store; their data comes from the info table.
struct TableLookup {
    store: Arc<Store>,
    certs: &'static str,
    info: &'static str,
    data_field: &'static str,
}

impl CertificateLookup for TableLookup {
    fn lookup(&self, fingerprint_sha256_hex: &str) -> Option<serde_json::Value> {
        let mut tx = self.store.begin();
        tx.get(self.certs, fingerprint_sha256_hex.as_bytes())?;
        let data = tx
            .get(self.info, fingerprint_sha256_hex.as_bytes())
            .and_then(|info| serde_json::from_slice::<serde_json::Value>(&info).ok())
            .and_then(|info| info.get(self.data_field).cloned())
            .unwrap_or(serde_json::Value::Null);
        Some(data)
    }
}
