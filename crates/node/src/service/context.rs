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
use crate::frontend::{
    AuthPolicy, CertificateLookup, IdentityLookup, JwtKeyLookup, JwtSigningKey, KnownIdentity,
};

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
        AuthPolicy::UserCert(Arc::new(self.users()))
    }

    /// `member_cert`: the caller's certificate fingerprint is a key of `members.certs`.
    pub fn member_cert_policy(&self) -> AuthPolicy {
        AuthPolicy::MemberCert(Arc::new(self.members()))
    }

    /// `jwt`: the token's key is in `jwt.public_signing_keys_metadata_v2`.
    pub fn jwt_policy(&self) -> AuthPolicy {
        AuthPolicy::jwt(JwtKeys {
            store: Arc::clone(&self.store),
        })
    }

    /// `user_cose_sign1` (or, with a message type, `typed_user_cose_sign1`): the body's `kid`
    /// is a key of `users.certs`.
    pub fn user_cose_sign1_policy(&self, msg_type: Option<String>) -> AuthPolicy {
        match msg_type {
            None => AuthPolicy::user_cose_sign1(self.users()),
            Some(msg_type) => AuthPolicy::typed_user_cose_sign1(self.users(), msg_type),
        }
    }

    /// `member_cose_sign1` (or `active_member_cose_sign1`): the body's `kid` is a key of
    /// `members.certs`.
    pub fn member_cose_sign1_policy(&self, active_only: bool) -> AuthPolicy {
        AuthPolicy::member_cose_sign1(self.members(), active_only)
    }

    fn users(&self) -> TableLookup {
        TableLookup {
            store: Arc::clone(&self.store),
            certs: tables::USERS_CERTS,
            info: tables::USERS_INFO,
            data_field: "user_data",
        }
    }

    fn members(&self) -> TableLookup {
        TableLookup {
            store: Arc::clone(&self.store),
            certs: tables::MEMBERS_CERTS,
            info: tables::MEMBERS_INFO,
            data_field: "member_data",
        }
    }
}

/// Finds users or members in the node's store; their data (and a member's status) comes from
/// the info table.
struct TableLookup {
    store: Arc<Store>,
    certs: &'static str,
    info: &'static str,
    data_field: &'static str,
}

impl TableLookup {
    fn info(&self, tx: &mut quorate_kv::Tx, id: &str) -> Option<serde_json::Value> {
        tx.get(self.info, id.as_bytes())
            .and_then(|info| serde_json::from_slice::<serde_json::Value>(&info).ok())
    }

    fn data(&self, info: Option<&serde_json::Value>) -> serde_json::Value {
        info.and_then(|info| info.get(self.data_field).cloned())
            .unwrap_or(serde_json::Value::Null)
    }
}

impl CertificateLookup for TableLookup {
    fn lookup(&self, fingerprint_sha256_hex: &str) -> Option<serde_json::Value> {
        let mut tx = self.store.begin();
        tx.get(self.certs, fingerprint_sha256_hex.as_bytes())?;
        let info = self.info(&mut tx, fingerprint_sha256_hex);
        Some(self.data(info.as_ref()))
    }
}

impl IdentityLookup for TableLookup {
    fn identity(&self, id: &str) -> Option<KnownIdentity> {
        let mut tx = self.store.begin();
        let cert = tx.get(self.certs, id.as_bytes())?;
        let info = self.info(&mut tx, id);
        let active = info
            .as_ref()
            .and_then(|info| info.get("status"))
            .and_then(serde_json::Value::as_str)
            == Some("Active");
        Some(KnownIdentity {
            cert_pem: String::from_utf8_lossy(&cert).into_owned(),
            data: self.data(info.as_ref()),
            active,
        })
    }
}

/// The JWT signing keys governance stored, by `kid`.
struct JwtKeys {
    store: Arc<Store>,
}

impl JwtKeyLookup for JwtKeys {
    fn signing_keys(&self, kid: &str) -> Result<Vec<JwtSigningKey>, String> {
        let mut tx = self.store.begin();
        match tx.get(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2, kid.as_bytes()) {
            None => Ok(Vec::new()),
            Some(value) => JwtSigningKey::list_from_kv(&value),
        }
    }
}
