//! The JSON values of the governance tables a ledger's first transaction writes
//! (`service.info`, `nodes.info`), in the shapes CCF's `LedgerValidator` and `ledger_code.py` read.

use serde::{Deserialize, Serialize};

use quorate_kv::{TxId, WriteSet};

use crate::error::LedgerError;
use crate::signature::transaction::json_bytes;
use crate::tables;

/// Attestation format of development (virtual, non-TEE) nodes, in CCF's spelling.
pub const VIRTUAL_ATTESTATION_FORMAT: &str = "Insecure_Virtual";

/// `public:ccf.gov.service.info` status, in CCF's spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceStatus {
    /// Created, waiting for members to open it.
    Opening,
    /// Open to users.
    Open,
    /// Recovering: waiting for members' recovery shares.
    WaitingForRecoveryShares,
    /// Recovering: replaying the old ledger.
    Recovering,
}

impl ServiceStatus {
    /// Whether CCF's validator accepts moving from `self` to `next` (reference §8): anything may
    /// become Opening, a status may repeat, and otherwise only the recovery cycle's edges exist.
    pub fn may_become(self, next: Self) -> bool {
        use ServiceStatus::*;
        self == next
            || matches!(
                (self, next),
                (_, Opening)
                    | (Opening, Open | WaitingForRecoveryShares)
                    | (Recovering, WaitingForRecoveryShares)
                    | (WaitingForRecoveryShares, Open)
                    | (Open, Recovering)
            )
    }
}

/// The JSON value of `public:ccf.gov.service.info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// PEM of the service certificate.
    pub cert: String,
    /// Current status.
    pub status: ServiceStatus,
    /// Seqno of the previous identity, after a recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_service_identity_version: Option<u64>,
    /// How many recoveries this service went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_count: Option<u64>,
    /// Free-form data set by governance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_data: Option<serde_json::Value>,
    /// TxID (`view.seqno`) at which this service identity was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_service_create_txid: Option<String>,
}

/// `public:ccf.gov.nodes.info` status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeStatus {
    /// Joined, not yet trusted: may not sign.
    Pending,
    /// Trusted by governance.
    Trusted,
    /// Retired; its old signatures remain valid.
    Retired,
}

/// The attestation part of a node's info.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteInfo {
    /// Attestation format, e.g. `Insecure_Virtual` for development nodes.
    pub format: String,
    /// Hex or base64 quote, empty for virtual nodes.
    #[serde(default)]
    pub quote: String,
    /// Quote endorsements, empty for virtual nodes.
    #[serde(default)]
    pub endorsements: String,
}

/// A listening address as `nodes.info` records it (CCF's `NodeInfoNetwork` interfaces).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceAddresses {
    /// Where the node listens.
    pub bind_address: String,
    /// Where others reach it.
    pub published_address: String,
}

/// Where a node can be reached: its client interfaces by name and its node-to-node interface.
/// Peers connect to each other through these, so every node finds the others in its own store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeNetwork {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_interfaces: Option<std::collections::BTreeMap<String, InterfaceAddresses>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_to_node_interface: Option<InterfaceAddresses>,
}

/// The JSON value of `public:ccf.gov.nodes.info` (the fields the Python tools read, plus the
/// ones CCF always writes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Trust status.
    pub status: NodeStatus,
    /// Attestation.
    pub quote_info: QuoteInfo,
    /// PEM of the node's encryption key for ledger secrets.
    #[serde(default)]
    pub encryption_pub_key: String,
    /// Hex measurement of the node's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_digest: Option<String>,
    /// PEM of the node's identity public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// PEM PKCS#10 request a joining node sent; governance endorses it when it trusts the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_signing_request: Option<String>,
    /// Seqno of the ledger secret the node joined with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_secret_seqno: Option<u64>,
    /// Whether the node's retirement is committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_committed: Option<bool>,
    /// Its addresses.
    #[serde(flatten)]
    pub network: NodeNetwork,
    /// Free-form data the operator attached to the node (CCF `node_data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_data: Option<serde_json::Value>,
}

impl NodeInfo {
    /// A Trusted node on the virtual platform (no attestation report yet), as genesis and node
    /// trust record it.
    pub fn trusted_virtual(code_digest_hex: &str, public_key_pem: &str) -> Self {
        Self {
            status: NodeStatus::Trusted,
            quote_info: QuoteInfo {
                format: VIRTUAL_ATTESTATION_FORMAT.to_owned(),
                quote: String::new(),
                endorsements: String::new(),
            },
            encryption_pub_key: String::new(),
            code_digest: Some(code_digest_hex.to_owned()),
            public_key: Some(public_key_pem.to_owned()),
            certificate_signing_request: None,
            ledger_secret_seqno: Some(0),
            retired_committed: Some(false),
            network: NodeNetwork::default(),
            node_data: None,
        }
    }
}

/// The first node of a service, as genesis records it.
#[derive(Clone, Debug)]
pub struct GenesisNode<'a> {
    /// Hex node id (SHA-256 of the node's SPKI).
    pub node_id: &'a str,
    /// PEM of the node's public key.
    pub public_key_pem: &'a str,
    /// PEM of the node's service-endorsed certificate.
    pub endorsed_cert_pem: &'a str,
    /// Hex measurement of the node's code.
    pub code_digest_hex: &'a str,
    /// Where the node can be reached.
    pub network: NodeNetwork,
}

/// Writes `service.info` with `status` for the service identity `service_cert_pem`, created at
/// `create_txid`.
pub fn put_service_info(
    write_set: &mut WriteSet,
    service_cert_pem: &str,
    status: ServiceStatus,
    create_txid: TxId,
) -> Result<(), LedgerError> {
    let info = ServiceInfo {
        cert: service_cert_pem.to_owned(),
        status,
        previous_service_identity_version: None,
        recovery_count: Some(0),
        service_data: None,
        current_service_create_txid: Some(create_txid.to_string()),
    };
    write_set.put(
        tables::SERVICE_INFO,
        tables::SINGLETON_KEY.to_vec(),
        json_bytes(&info)?,
    );
    Ok(())
}

/// The genesis transaction `txid`: the service identity (Opening), its first node Trusted, and
/// that node's endorsed certificate as raw PEM — what CCF's validator needs before the first
/// signature.
pub fn genesis_write_set(
    txid: TxId,
    service_cert_pem: &str,
    node: &GenesisNode<'_>,
) -> Result<WriteSet, LedgerError> {
    let mut write_set = WriteSet::new();
    put_service_info(
        &mut write_set,
        service_cert_pem,
        ServiceStatus::Opening,
        txid,
    )?;
    let info = NodeInfo {
        network: node.network.clone(),
        ..NodeInfo::trusted_virtual(node.code_digest_hex, node.public_key_pem)
    };
    let node_key = node.node_id.as_bytes().to_vec();
    write_set.put(tables::NODES_INFO, node_key.clone(), json_bytes(&info)?);
    write_set.put(
        tables::NODES_ENDORSED_CERTIFICATES,
        node_key,
        node.endorsed_cert_pem.as_bytes().to_vec(),
    );
    Ok(write_set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_transitions_follow_ccf() {
        use ServiceStatus::*;
        assert!(Opening.may_become(Open));
        assert!(Open.may_become(Open));
        assert!(Open.may_become(Recovering));
        assert!(Recovering.may_become(Opening));
        assert!(!Open.may_become(WaitingForRecoveryShares));
        assert!(!Recovering.may_become(Open));
        assert!(!Opening.may_become(Recovering));
    }

    #[test]
    fn service_info_uses_ccf_spelling() {
        let info = ServiceInfo {
            cert: "PEM".into(),
            status: ServiceStatus::WaitingForRecoveryShares,
            previous_service_identity_version: None,
            recovery_count: None,
            service_data: None,
            current_service_create_txid: Some("2.1".into()),
        };
        let json = serde_json::to_string(&info).unwrap();
        assert_eq!(
            json,
            r#"{"cert":"PEM","status":"WaitingForRecoveryShares","current_service_create_txid":"2.1"}"#
        );
    }
}
