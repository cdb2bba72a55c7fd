//! The ledger audit: replays every transaction's public tables and Merkle leaf in seqno order and
//! checks what makes the ledger trustworthy — each signature's root against the recomputed tree,
//! the node signature against the signer's endorsed certificate (the signer Trusted or Retired,
//! never Pending), the COSE signature against the service certificate, node certificates issued
//! by the service, legal service-status transitions and gap-free seqnos.
//!
//! It knows nothing of files: the caller feeds decoded entries and turns a [`Fault`] into an
//! error naming the file, offset and seqno.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use quorate_crypto::{Certificate, PublicKey, Sha256Digest};
use quorate_kv::{MapWrites, TxId, WriteSet};

use crate::genesis::{NodeStatus, ServiceInfo, ServiceStatus};
use crate::merkle::{MerkleTree, ZERO_LEAF};
use crate::signature::{PrimarySignature, verify_root};
use crate::tables;

/// Why the audit stopped; the caller adds the place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What is wrong.
    pub reason: String,
    /// The seqno of the entry at fault when it is an earlier one than the entry being added: a
    /// signature whose tree shows which earlier entry changed.
    pub culprit_seqno: Option<u64>,
}

impl From<String> for Fault {
    fn from(reason: String) -> Self {
        Self {
            reason,
            culprit_seqno: None,
        }
    }
}

/// A check's failure, before the audit knows whom to blame.
type Problem = String;

/// One decoded transaction, as the audit needs it.
pub struct AuditedEntry<'a> {
    /// The TxID from the entry's IV.
    pub txid: TxId,
    /// The transaction's Merkle leaf.
    pub leaf: Sha256Digest,
    /// The public tables it writes.
    pub public: &'a WriteSet,
}

/// The public tables the audit reads; entries touching none of them need only their leaf.
pub const AUDITED_TABLES: [&str; 6] = [
    tables::SERVICE_INFO,
    tables::NODES_INFO,
    tables::NODES_ENDORSED_CERTIFICATES,
    tables::SIGNATURES,
    tables::COSE_SIGNATURES,
    tables::TREE,
];

/// Whether `public` touches a table the audit reads.
pub fn is_audited(public: &WriteSet) -> bool {
    AUDITED_TABLES
        .iter()
        .any(|table| public.map(table).is_some())
}

/// Only the status of a `nodes.info` value matters to the audit.
#[derive(Deserialize)]
struct NodeInfoStatus {
    status: NodeStatus,
}

/// A node's signing identity as recorded in the ledger.
struct KnownNode {
    status: Option<NodeStatus>,
    cert: Option<(Certificate, PublicKey)>,
}

/// The service identity currently in force.
struct Service {
    cert: Certificate,
    key: PublicKey,
    status: ServiceStatus,
}

/// Running state of the audit.
pub struct LedgerAudit {
    tree: MerkleTree,
    pinned_service_cert: Option<Certificate>,
    service: Option<Service>,
    nodes: HashMap<String, KnownNode>,
    signed_roots: HashSet<Sha256Digest>,
    signature_txids: HashSet<TxId>,
    last_seqno: u64,
    last_signature: Option<TxId>,
}

fn value_of<'a>(writes: &'a MapWrites, key: &[u8]) -> Option<&'a [u8]> {
    writes.get(key).flatten().map(|value| &value[..])
}

fn parse_cert(pem: &[u8], what: &str) -> Result<(Certificate, PublicKey), Problem> {
    let text = std::str::from_utf8(pem).map_err(|_| format!("{what} is not UTF-8 PEM"))?;
    let cert = Certificate::from_pem(text).map_err(|err| format!("{what}: {err}"))?;
    let key = cert
        .public_key()
        .map_err(|err| format!("{what} key: {err}"))?;
    Ok((cert, key))
}

impl LedgerAudit {
    /// A fresh audit from seqno 1; `pinned_service_cert` must then match every service identity
    /// the ledger records.
    pub fn new(pinned_service_cert: Option<Certificate>) -> Self {
        let mut tree = MerkleTree::new();
        tree.append(ZERO_LEAF);
        Self {
            tree,
            pinned_service_cert,
            service: None,
            nodes: HashMap::new(),
            signed_roots: HashSet::new(),
            signature_txids: HashSet::new(),
            last_seqno: 0,
            last_signature: None,
        }
    }

    /// Audits the next transaction. Returns whether it was a signature transaction.
    pub fn add(&mut self, entry: &AuditedEntry<'_>) -> Result<bool, Fault> {
        let seqno = entry.txid.seqno;
        if seqno != self.last_seqno + 1 {
            return Err(format!("seqno {seqno} follows seqno {}", self.last_seqno).into());
        }
        self.apply_governance(entry.public)?;
        let is_signature = entry.public.map(tables::SIGNATURES).is_some()
            || entry.public.map(tables::COSE_SIGNATURES).is_some();
        if is_signature {
            self.check_signature(entry.txid, entry.public)?;
        }
        self.tree.append(entry.leaf);
        if is_signature {
            // Later roots need only the flushed prefix's peaks, so memory stays flat.
            self.tree.flush_to(seqno).map_err(|err| err.to_string())?;
        }
        self.last_seqno = seqno;
        Ok(is_signature)
    }

    fn apply_governance(&mut self, public: &WriteSet) -> Result<(), Problem> {
        if let Some(writes) = public.map(tables::SERVICE_INFO) {
            self.apply_service_info(writes)?;
        }
        if let Some(writes) = public.map(tables::NODES_INFO) {
            self.apply_nodes_info(writes)?;
        }
        if let Some(writes) = public.map(tables::NODES_ENDORSED_CERTIFICATES) {
            self.apply_endorsed_certificates(writes)?;
        }
        Ok(())
    }

    fn apply_service_info(&mut self, writes: &MapWrites) -> Result<(), Problem> {
        let value = value_of(writes, &tables::SINGLETON_KEY)
            .ok_or("service.info is touched without writing its singleton key")?;
        let info: ServiceInfo = serde_json::from_slice(value)
            .map_err(|err| format!("service.info is not valid JSON: {err}"))?;
        if let Some(previous) = &self.service
            && !previous.status.may_become(info.status)
        {
            return Err(format!(
                "service status may not go from {:?} to {:?}",
                previous.status, info.status
            ));
        }
        let (cert, key) = parse_cert(info.cert.as_bytes(), "service.info cert")?;
        if let Some(pinned) = &self.pinned_service_cert
            && pinned.der() != cert.der()
        {
            return Err(format!(
                "service.info cert (sha256 {}) is not the given service certificate (sha256 {})",
                cert.fingerprint_sha256_hex(),
                pinned.fingerprint_sha256_hex()
            ));
        }
        self.service = Some(Service {
            cert,
            key,
            status: info.status,
        });
        Ok(())
    }

    fn apply_nodes_info(&mut self, writes: &MapWrites) -> Result<(), Problem> {
        for (key, value) in writes.changes() {
            let node_id = String::from_utf8_lossy(key).into_owned();
            match value {
                Some(value) => {
                    let info: NodeInfoStatus = serde_json::from_slice(value)
                        .map_err(|err| format!("nodes.info[{node_id}] is not valid JSON: {err}"))?;
                    self.nodes
                        .entry(node_id)
                        .or_insert(KnownNode {
                            status: None,
                            cert: None,
                        })
                        .status = Some(info.status);
                }
                None => {
                    if self.nodes.remove(&node_id).is_none() {
                        return Err(format!("nodes.info removes unknown node {node_id}"));
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_endorsed_certificates(&mut self, writes: &MapWrites) -> Result<(), Problem> {
        for (key, value) in writes.changes() {
            let node_id = String::from_utf8_lossy(key).into_owned();
            let Some(pem) = value else {
                if let Some(node) = self.nodes.get_mut(&node_id) {
                    node.cert = None;
                }
                continue;
            };
            let (cert, key) = parse_cert(pem, &format!("endorsed certificate of {node_id}"))?;
            let service = self
                .service
                .as_ref()
                .ok_or_else(|| format!("node {node_id} is endorsed before service.info exists"))?;
            cert.verify_issued_by(&service.cert).map_err(|_| {
                format!("endorsed certificate of node {node_id} is not issued by the service")
            })?;
            self.nodes
                .entry(node_id)
                .or_insert(KnownNode {
                    status: None,
                    cert: None,
                })
                .cert = Some((cert, key));
        }
        Ok(())
    }

    fn check_signature(&mut self, txid: TxId, public: &WriteSet) -> Result<(), Fault> {
        let root = self.tree.root().map_err(|err| err.to_string())?;
        let singleton = |table: &str, what: &str| {
            public
                .map(table)
                .and_then(|writes| value_of(writes, &tables::SINGLETON_KEY))
                .ok_or_else(|| format!("signature transaction lacks the {what} ({table})"))
        };
        let raw = singleton(tables::SIGNATURES, "node signature")?;
        let cose = singleton(tables::COSE_SIGNATURES, "COSE signature")?;
        let tree = singleton(tables::TREE, "Merkle tree")?;
        let recorded = MerkleTree::deserialise(tree).map_err(|err| err.to_string())?;
        let recorded_root = recorded
            .root()
            .ok()
            .filter(|_| recorded.size() == txid.seqno);
        if recorded_root != Some(root) {
            // When the node signed the recorded tree, the entries changed since, and that tree
            // names the first one that differs; otherwise the tree table itself is wrong.
            let signed_root = serde_json::from_slice::<PrimarySignature>(raw)
                .ok()
                .map(|signature| signature.root);
            let signed_recorded =
                signed_root.is_some() && signed_root == recorded_root.map(hex::encode);
            if let Some(culprit) = signed_recorded
                .then(|| self.first_leaf_differing_from(&recorded))
                .flatten()
            {
                return Err(Fault {
                    reason: format!(
                        "entry does not match the leaf the signature at {txid} recorded for it \
                         (it was changed after signing)"
                    ),
                    culprit_seqno: Some(culprit),
                });
            }
            return Err(format!("{} does not match the recomputed tree", tables::TREE).into());
        }
        self.check_node_signature(txid, raw, &root)?;
        self.check_cose_signature(txid, cose, &root)?;
        self.signed_roots.insert(root);
        self.signature_txids.insert(txid);
        self.last_signature = Some(txid);
        Ok(())
    }

    /// The first leaf this audit and `recorded` both hold that differs, if that explains why
    /// their roots differ (the recorded tree must then agree with the root the node signed).
    fn first_leaf_differing_from(&self, recorded: &MerkleTree) -> Option<u64> {
        if recorded.size() != self.tree.size() {
            return None;
        }
        let first = recorded.first_held().max(self.tree.first_held());
        (first..self.tree.size())
            .find(|&index| recorded.leaf(index).ok() != self.tree.leaf(index).ok())
    }

    fn check_node_signature(
        &self,
        txid: TxId,
        raw: &[u8],
        root: &Sha256Digest,
    ) -> Result<(), Problem> {
        let signature: PrimarySignature = serde_json::from_slice(raw)
            .map_err(|err| format!("node signature is not valid JSON: {err}"))?;
        if signature.seqno != txid.seqno || signature.view != txid.view {
            return Err(format!(
                "node signature claims {}.{} but sits at {txid}",
                signature.view, signature.seqno
            ));
        }
        if signature.root != hex::encode(root) {
            return Err(format!(
                "signed root {} is not the recomputed root {}",
                signature.root,
                hex::encode(root)
            ));
        }
        let node = self
            .nodes
            .get(&signature.node)
            .ok_or_else(|| format!("signer {} is not a node of the service", signature.node))?;
        match node.status {
            Some(NodeStatus::Trusted | NodeStatus::Retired) => {}
            status => {
                return Err(format!("signer {} has status {status:?}", signature.node));
            }
        }
        let (cert, key) = node
            .cert
            .as_ref()
            .ok_or_else(|| format!("signer {} has no endorsed certificate", signature.node))?;
        if let Some(embedded) = &signature.cert {
            let (_, embedded_key) = parse_cert(embedded.as_bytes(), "signature cert")?;
            if embedded_key != *key {
                return Err(format!(
                    "signature cert's key is not the key of node {}'s endorsed certificate {}",
                    signature.node,
                    cert.fingerprint_sha256_hex()
                ));
            }
        }
        let der = BASE64
            .decode(&signature.sig)
            .map_err(|err| format!("node signature is not base64: {err}"))?;
        key.verify_prehashed_sha256(root, &der)
            .map_err(|_| format!("node signature by {} does not verify", signature.node))
    }

    fn check_cose_signature(
        &self,
        txid: TxId,
        cose: &[u8],
        root: &Sha256Digest,
    ) -> Result<(), Problem> {
        let service = self
            .service
            .as_ref()
            .ok_or("COSE signature before service.info exists")?;
        let encoded: String = serde_json::from_slice(cose)
            .map_err(|err| format!("COSE signature is not a JSON string: {err}"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|err| format!("COSE signature is not base64: {err}"))?;
        let claims = verify_root(&service.key, &bytes, root)
            .map_err(|err| format!("COSE signature: {err}"))?;
        if claims.txid != txid.to_string() {
            return Err(format!(
                "COSE signature covers {} but sits at {txid}",
                claims.txid
            ));
        }
        Ok(())
    }

    /// Seqno of the last transaction audited.
    pub fn last_seqno(&self) -> u64 {
        self.last_seqno
    }

    /// The last signature transaction audited.
    pub fn last_signature(&self) -> Option<TxId> {
        self.last_signature
    }

    /// The service certificate in force.
    pub fn service_cert(&self) -> Option<&Certificate> {
        self.service.as_ref().map(|service| &service.cert)
    }

    /// Whether `root` was signed by some signature transaction of the ledger.
    pub fn signed(&self, root: &Sha256Digest) -> bool {
        self.signed_roots.contains(root)
    }

    /// Whether `txid` is a signature transaction of the ledger.
    pub fn is_signature(&self, txid: TxId) -> bool {
        self.signature_txids.contains(&txid)
    }
}
