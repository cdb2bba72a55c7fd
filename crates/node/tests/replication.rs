//! Three replicated nodes in one process, joined by an in-memory router that can cut a node
//! off: writes commit everywhere, failover invalidates the old primary's uncommitted writes,
//! a restarted node catches up, and every ledger verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use quorate_consensus::message::{self, AppendEntries};
use quorate_consensus::{ConsensusEngine, Entry, EntryKind, Message, NodeId, RaftConfig};
use quorate_crypto::{KeyPair, SubjectAltName, create_endorsed_certificate};
use quorate_kv::{LedgerSecret, TxId, WriteSet, encode_entry};
use quorate_ledger::generate::identities::{
    CERTIFICATE_VALIDITY, GeneratedIdentities, NODE_SUBJECT_CN,
};
use quorate_ledger::genesis::NodeInfo;
use quorate_ledger::signature::CoseSignatureConfig;
use quorate_ledger::tables;
use quorate_ledger::verify::{VerifyOptions, verify_ledger};
use quorate_node::replication::node::VIRTUAL_CODE_DIGEST_HEX;
use quorate_node::replication::{
    Genesis, NodeIdentity, ReplicatedNode, ReplicationConfig, ReplicationError, ServiceIdentity,
    SignaturePolicy, TxStatus,
};

const SEED: &str = "replication tests";
const STEP_MS: u64 = 5;
const PUBLIC_MAP: &str = "public:records";
const PRIVATE_MAP: &str = "records";

fn service() -> ServiceIdentity {
    let ids = GeneratedIdentities::from_seed(SEED).unwrap();
    ServiceIdentity {
        key: ids.service_key,
        cert: ids.service_cert,
        cose: CoseSignatureConfig {
            issuer: "quorate".into(),
            subject: "ledger.signature".into(),
        },
    }
}

fn secret() -> LedgerSecret {
    LedgerSecret::from_bytes(
        GeneratedIdentities::from_seed(SEED)
            .unwrap()
            .ledger_secret_bytes,
    )
}

/// Node 0 is the generated ledger's node; the others get seeded keys endorsed by the service.
fn node_identity(index: usize) -> NodeIdentity {
    let ids = GeneratedIdentities::from_seed(SEED).unwrap();
    if index == 0 {
        return NodeIdentity::new(ids.node_key, ids.node_cert);
    }
    let key = KeyPair::from_seed(&[u8::try_from(index).unwrap(); 32]).unwrap();
    let cert = create_endorsed_certificate(
        &key.public_key(),
        NODE_SUBJECT_CN,
        &[SubjectAltName::Ip(std::net::IpAddr::from([127, 0, 0, 1]))],
        &CERTIFICATE_VALIDITY,
        10 + index as u64,
        &ids.service_key,
        &ids.service_cert,
    )
    .unwrap();
    NodeIdentity::new(key, cert)
}

fn config(dir: &Path, index: usize) -> ReplicationConfig {
    let mut config = ReplicationConfig::in_dir(
        &dir.join(format!("n{index}")),
        RaftConfig {
            heartbeat_timeout_ms: 10,
            election_timeout_ms: 200,
            election_jitter_ms: 100,
            jitter_seed: index as u64 + 1,
            ..RaftConfig::new(NodeId(0))
        },
    );
    config.signatures = SignaturePolicy {
        tx_count: 10,
        delay_ms: 20,
    };
    config.chunk_size_bytes = 8 * 1024;
    config
}

/// Nodes by index, an in-memory router and a virtual clock.
struct Cluster {
    dir: tempfile::TempDir,
    nodes: Vec<Option<ReplicatedNode>>,
    ids: Vec<NodeId>,
    cut: HashSet<usize>,
    now_ms: u64,
}

impl Cluster {
    /// Node 0 starts the service; nodes 1 and 2 join and are trusted by it.
    fn three_nodes() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let first = ReplicatedNode::start(
            config(dir.path(), 0),
            node_identity(0),
            service(),
            secret(),
            Genesis::default(),
        )
        .unwrap();
        let mut cluster = Self {
            ids: vec![first.id()],
            nodes: vec![Some(first)],
            dir,
            cut: HashSet::new(),
            now_ms: 0,
        };
        assert_eq!(cluster.node(0).last_committed_txid(), TxId::new(2, 2));
        for index in 1..3 {
            let identity = node_identity(index);
            let public_key_pem = identity.key.public_key().to_pem();
            // What governance's transition_node_to_trusted writes; the primary proposes it as
            // a reconfiguration because the set of Trusted nodes changes.
            let info = serde_json::to_vec(&NodeInfo::trusted_virtual(
                VIRTUAL_CODE_DIGEST_HEX,
                &public_key_pem,
            ))
            .unwrap();
            let node_id = identity.node_id_hex.clone();
            let cert = identity.endorsed_cert.pem().to_owned();
            cluster
                .node_mut(0)
                .execute(|tx| {
                    tx.put(
                        tables::NODES_INFO,
                        node_id.clone().into_bytes(),
                        info.clone(),
                    );
                    tx.put(
                        tables::NODES_ENDORSED_CERTIFICATES,
                        node_id.clone().into_bytes(),
                        cert.clone().into_bytes(),
                    );
                })
                .unwrap();
            let joiner = ReplicatedNode::join(
                config(cluster.dir.path(), index),
                identity,
                service(),
                secret(),
            )
            .unwrap();
            cluster.ids.push(joiner.id());
            cluster.nodes.push(Some(joiner));
        }
        assert!(cluster.run_until(5_000, Cluster::converged));
        cluster
    }

    fn node(&self, index: usize) -> &ReplicatedNode {
        self.nodes[index].as_ref().unwrap()
    }

    fn node_mut(&mut self, index: usize) -> &mut ReplicatedNode {
        self.nodes[index].as_mut().unwrap()
    }

    fn live(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].is_some())
            .collect()
    }

    fn primary(&self) -> Option<usize> {
        self.live()
            .into_iter()
            .find(|i| !self.cut.contains(i) && self.node(*i).is_primary())
    }

    /// Every reachable node has committed everything the primary holds.
    fn converged(&self) -> bool {
        let Some(primary) = self.primary() else {
            return false;
        };
        let last = self.node(primary).last_seqno();
        self.live()
            .into_iter()
            .filter(|i| !self.cut.contains(i))
            .all(|i| self.node(i).last_committed_txid().seqno == last)
    }

    /// Delivers messages until none are left, flushing every node after each round (group
    /// commit), then advances the clock one step.
    fn step(&mut self) {
        for _ in 0..50 {
            let mut in_flight = Vec::new();
            for from in self.live() {
                let messages = self.node_mut(from).take_messages();
                if self.cut.contains(&from) {
                    continue;
                }
                for (to, bytes) in messages {
                    let to = self.ids.iter().position(|id| *id == to).unwrap();
                    in_flight.push((from, to, bytes));
                }
            }
            for (from, to, bytes) in &in_flight {
                if self.cut.contains(to) || self.nodes[*to].is_none() {
                    continue;
                }
                let from_id = self.ids[*from];
                self.node_mut(*to).receive(from_id, bytes).unwrap();
            }
            for index in self.live() {
                self.node_mut(index).flush().unwrap();
                self.node(index).check_invariants().unwrap();
            }
            if in_flight.is_empty() {
                break;
            }
        }
        self.now_ms += STEP_MS;
        for index in self.live() {
            let now_ms = self.now_ms;
            self.node_mut(index).tick(now_ms).unwrap();
            self.node(index).check_invariants().unwrap();
        }
    }

    fn run_until(&mut self, max_ms: u64, done: impl Fn(&Cluster) -> bool) -> bool {
        let deadline_ms = self.now_ms + max_ms;
        while self.now_ms < deadline_ms {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    fn write(&mut self, index: usize, key: &str, value: &str) -> TxId {
        let (txid, ()) = self
            .node_mut(index)
            .execute(|tx| {
                tx.put(
                    PUBLIC_MAP,
                    key.as_bytes().to_vec(),
                    value.as_bytes().to_vec(),
                );
                tx.put(
                    PRIVATE_MAP,
                    key.as_bytes().to_vec(),
                    value.as_bytes().to_vec(),
                );
            })
            .unwrap();
        txid
    }

    /// Delivers only what node `from` has sent so far (the replies stay queued), and makes it
    /// durable on the receivers.
    fn deliver_from(&mut self, from: usize) {
        let from_id = self.ids[from];
        for (to, bytes) in self.node_mut(from).take_messages() {
            let to = self.ids.iter().position(|id| *id == to).unwrap();
            self.node_mut(to).receive(from_id, &bytes).unwrap();
            self.node_mut(to).flush().unwrap();
        }
    }

    fn ledger_dir(&self, index: usize) -> PathBuf {
        config(self.dir.path(), index).ledger_dir
    }
}

/// Both application maps as the node's store holds them.
fn records(node: &ReplicatedNode) -> BTreeMap<(String, Vec<u8>), Vec<u8>> {
    let mut tx = node.store().begin();
    let mut all = BTreeMap::new();
    for map in [PUBLIC_MAP, PRIVATE_MAP] {
        tx.foreach(map, |k, v| {
            all.insert((map.to_owned(), k.to_vec()), v.to_vec());
            true
        });
    }
    all
}

fn read(node: &ReplicatedNode, map: &str, key: &str) -> Option<Vec<u8>> {
    node.store()
        .begin()
        .get(map, key.as_bytes())
        .map(|v| v.to_vec())
}

/// The ledger verifies against the service certificate and secret, and some chunk is
/// `.committed`.
fn assert_ledger_verifies(dir: &Path) {
    let report = verify_ledger(
        dir,
        &VerifyOptions {
            service_cert: Some(service().cert),
            ledger_secret: Some(secret()),
            receipts_dir: None,
        },
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert!(report.signatures >= 2, "{report:?}");
    let committed = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".committed")
        })
        .count();
    assert!(committed > 0, "no committed chunk in {}", dir.display());
}

#[test]
fn a_new_service_leads_view_2_with_genesis_at_2_1_and_its_signature_at_2_2() {
    let dir = tempfile::tempdir().unwrap();
    let first = ReplicatedNode::start(
        config(dir.path(), 0),
        node_identity(0),
        service(),
        secret(),
        Genesis::default(),
    )
    .unwrap();
    assert!(first.is_primary());
    assert_eq!(first.view(), 2);
    assert_eq!(first.primary(), Some(first.id()));
    assert_eq!(first.last_seqno(), 2);
    assert_eq!(first.last_committed_txid(), TxId::new(2, 2));
    assert_eq!(first.tx_status(TxId::new(2, 1)), TxStatus::Committed);
    assert_eq!(first.tx_status(TxId::new(2, 2)), TxStatus::Committed);
    assert_eq!(first.store().current_txid(), TxId::new(2, 2));
    let genesis = first.consensus().entry(1).unwrap();
    assert_eq!(
        genesis.kind,
        EntryKind::Reconfiguration([first.id()].into())
    );
    assert!(!genesis.committable);
    assert!(first.consensus().entry(2).unwrap().committable);
    let report = verify_ledger(
        first.ledger_dir(),
        &VerifyOptions {
            service_cert: Some(service().cert),
            ledger_secret: Some(secret()),
            receipts_dir: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.transactions, 2);
    assert_eq!(report.signatures, 1);
    assert_eq!(report.last_signature, TxId::new(2, 2));
    assert_eq!(report.unsigned_tail, 0);
}

#[test]
fn writes_at_the_primary_commit_on_every_node_and_ledgers_verify() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let txids: Vec<TxId> = (0..60)
        .map(|i| cluster.write(primary, &format!("k{i}"), &format!("v{i}")))
        .collect();
    assert!(cluster.run_until(5_000, Cluster::converged));
    for index in 0..3 {
        for txid in &txids {
            assert_eq!(cluster.node(index).tx_status(*txid), TxStatus::Committed);
        }
        assert_eq!(
            read(cluster.node(index), PRIVATE_MAP, "k59"),
            Some(b"v59".to_vec())
        );
    }
    let expected = records(cluster.node(primary));
    assert_eq!(expected.len(), 120);
    for index in 0..3 {
        assert_eq!(records(cluster.node(index)), expected, "node {index}");
        assert_eq!(
            cluster.node(index).store().current_txid(),
            cluster.node(primary).store().current_txid()
        );
        assert_ledger_verifies(&cluster.ledger_dir(index));
    }
}

#[test]
fn tx_status_goes_from_unknown_to_pending_to_committed() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let backup = (primary + 1) % 3;
    let txid = cluster.write(primary, "k", "v");
    assert_eq!(cluster.node(backup).tx_status(txid), TxStatus::Unknown);
    assert_eq!(cluster.node(primary).tx_status(txid), TxStatus::Pending);
    let later = TxId::new(txid.view, txid.seqno + 100);
    assert_eq!(cluster.node(primary).tx_status(later), TxStatus::Unknown);
    assert!(cluster.run_until(2_000, |c| {
        c.node(primary).tx_status(txid) == TxStatus::Committed
    }));
    assert!(cluster.run_until(2_000, |c| {
        c.node(backup).tx_status(txid) == TxStatus::Committed
    }));
    let wrong_view = TxId::new(txid.view - 1, txid.seqno);
    assert_eq!(
        cluster.node(backup).tx_status(wrong_view),
        TxStatus::Invalid
    );
}

#[test]
fn failover_keeps_committed_writes_and_invalidates_the_old_primarys_uncommitted_ones() {
    let mut cluster = Cluster::three_nodes();
    let old = cluster.primary().unwrap();
    let committed = cluster.write(old, "before", "committed");
    assert!(cluster.run_until(2_000, |c| {
        c.node(old).tx_status(committed) == TxStatus::Committed
    }));

    cluster.cut.insert(old);
    let lost = cluster.write(old, "lost", "never committed");
    assert_eq!(cluster.node(old).tx_status(lost), TxStatus::Pending);
    assert!(cluster.run_until(5_000, |c| c.primary().is_some()));
    let new = cluster.primary().unwrap();
    assert_ne!(new, old);
    assert!(cluster.node(new).view() > committed.view);
    let after = cluster.write(new, "after", "failover");
    assert!(cluster.run_until(2_000, Cluster::converged));
    assert_eq!(cluster.node(new).tx_status(after), TxStatus::Committed);
    assert_eq!(cluster.node(new).tx_status(committed), TxStatus::Committed);
    assert_eq!(cluster.node(new).tx_status(lost), TxStatus::Invalid);
    assert_eq!(
        read(cluster.node(new), PUBLIC_MAP, "before"),
        Some(b"committed".to_vec())
    );

    cluster.cut.remove(&old);
    assert!(cluster.run_until(5_000, |c| {
        c.converged() && c.node(old).last_seqno() == c.node(new).last_seqno()
    }));
    assert!(!cluster.node(old).is_primary());
    assert_eq!(cluster.node(old).tx_status(lost), TxStatus::Invalid);
    assert_eq!(read(cluster.node(old), PRIVATE_MAP, "lost"), None);
    assert_eq!(
        read(cluster.node(old), PRIVATE_MAP, "after"),
        Some(b"failover".to_vec())
    );
    for index in 0..3 {
        assert_eq!(records(cluster.node(index)), records(cluster.node(new)));
        assert_ledger_verifies(&cluster.ledger_dir(index));
    }
    // The view history names where each view starts, the same on every node, and agrees
    // with every entry's view.
    let history = cluster.node(new).view_history();
    assert_eq!(history[0], (2, 1));
    assert!(history.len() >= 2, "{history:?}");
    assert!(
        history
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
    );
    for index in 0..3 {
        let node = cluster.node(index);
        assert_eq!(node.view_history(), history);
        for seqno in 1..=node.last_seqno() {
            let view = node.consensus().entry(seqno).unwrap().term;
            let from_history = history
                .iter()
                .rev()
                .find(|(_, first)| *first <= seqno)
                .unwrap()
                .0;
            assert_eq!(view, from_history, "seqno {seqno}");
        }
    }
}

#[test]
fn a_restarted_node_rebuilds_from_its_directory_and_catches_up() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let restarted = (primary + 1) % 3;
    for i in 0..15 {
        cluster.write(primary, &format!("a{i}"), "first");
    }
    assert!(cluster.run_until(2_000, Cluster::converged));
    // The durable commit point may lag the live one by COMMIT_POINT_LAG_MS: let it land.
    let lag_ms = quorate_node::replication::hard_state_writer::COMMIT_POINT_LAG_MS;
    cluster.run_until(lag_ms + 20, |_| false);
    let held = cluster.node(restarted).last_committed_txid();
    cluster.nodes[restarted] = None;
    for i in 0..25 {
        cluster.write(primary, &format!("b{i}"), "while down");
    }
    assert!(cluster.run_until(2_000, Cluster::converged));

    let node = ReplicatedNode::restart(
        config(cluster.dir.path(), restarted),
        node_identity(restarted),
        service(),
        secret(),
    )
    .unwrap();
    assert_eq!(node.last_committed_txid(), held);
    assert_eq!(read(&node, PRIVATE_MAP, "a14"), Some(b"first".to_vec()));
    cluster.nodes[restarted] = Some(node);
    assert!(cluster.run_until(5_000, |c| {
        c.converged() && c.node(restarted).last_seqno() == c.node(primary).last_seqno()
    }));
    assert_eq!(
        records(cluster.node(restarted)),
        records(cluster.node(primary))
    );
    assert_ledger_verifies(&cluster.ledger_dir(restarted));
}

#[test]
fn a_full_restart_keeps_every_committed_write_and_accepts_new_ones() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let txids: Vec<TxId> = (0..30)
        .map(|i| cluster.write(primary, &format!("k{i}"), "kept"))
        .collect();
    assert!(cluster.run_until(2_000, Cluster::converged));
    let before = records(cluster.node(primary));

    for index in 0..3 {
        cluster.nodes[index] = None;
    }
    for index in 0..3 {
        let node = ReplicatedNode::restart(
            config(cluster.dir.path(), index),
            node_identity(index),
            service(),
            secret(),
        )
        .unwrap();
        assert!(!node.is_primary());
        cluster.nodes[index] = Some(node);
    }
    assert!(cluster.run_until(5_000, |c| c.primary().is_some()));
    let new = cluster.primary().unwrap();
    let after = cluster.write(new, "after", "restart");
    assert!(cluster.run_until(2_000, Cluster::converged));
    for index in 0..3 {
        for txid in &txids {
            assert_eq!(cluster.node(index).tx_status(*txid), TxStatus::Committed);
        }
        assert_eq!(cluster.node(index).tx_status(after), TxStatus::Committed);
        let mut expected = before.clone();
        for map in [PUBLIC_MAP, PRIVATE_MAP] {
            expected.insert((map.to_owned(), b"after".to_vec()), b"restart".to_vec());
        }
        assert_eq!(records(cluster.node(index)), expected, "node {index}");
        assert_ledger_verifies(&cluster.ledger_dir(index));
    }
}

#[test]
fn a_backup_refuses_writes_and_garbage_or_misplaced_entries_from_peers() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let backup = (primary + 1) % 3;
    let primary_id = cluster.ids[primary];
    let refused = cluster
        .node_mut(backup)
        .execute(|tx| tx.put(PUBLIC_MAP, b"k".to_vec(), b"v".to_vec()));
    match refused {
        Err(ReplicationError::NotPrimary { primary }) => assert_eq!(primary, Some(primary_id)),
        other => panic!("expected NotPrimary, got {other:?}"),
    }
    assert!(
        cluster
            .node_mut(backup)
            .receive(primary_id, b"\xff\x00garbage")
            .is_err()
    );
    let view = cluster.node(backup).view();
    let last = cluster.node(backup).last_seqno();
    let misplaced = encode_entry(
        TxId::new(view, last + 5),
        &WriteSet::new(),
        &[0; 32],
        0,
        &secret(),
    )
    .unwrap()
    .bytes;
    for payload in [b"not a ledger entry".to_vec(), misplaced] {
        let forged = Message::AppendEntries(AppendEntries {
            term: view,
            prev_index: last,
            prev_term: view,
            leader_commit: last,
            entries: vec![Entry {
                term: view,
                committable: false,
                kind: EntryKind::Raw,
                payload: payload.into(),
            }],
        });
        let refused = cluster
            .node_mut(backup)
            .receive(primary_id, &message::encode(&forged));
        assert!(
            matches!(refused, Err(ReplicationError::BadEntry { .. })),
            "{refused:?}"
        );
        assert_eq!(cluster.node(backup).last_seqno(), last);
        cluster.node(backup).check_invariants().unwrap();
    }
    let txid = cluster.write(primary, "still", "working");
    assert!(cluster.run_until(2_000, |c| {
        c.node(backup).tx_status(txid) == TxStatus::Committed
    }));
}

#[test]
fn a_new_primary_commits_signed_entries_the_old_one_replicated_but_never_committed() {
    let mut cluster = Cluster::three_nodes();
    let old = cluster.primary().unwrap();
    let replicated: Vec<TxId> = (0..5)
        .map(|i| cluster.write(old, &format!("r{i}"), "replicated"))
        .collect();
    // Past `delay_ms` the primary signs them; the next heartbeat carries the signature too.
    for wait_ms in [25, 40] {
        cluster.node_mut(old).flush().unwrap();
        let now_ms = cluster.now_ms + wait_ms;
        cluster.node_mut(old).tick(now_ms).unwrap();
    }
    cluster.deliver_from(old);
    let signed = cluster.node(old).last_seqno();
    assert!(signed > replicated[4].seqno);
    for index in 0..3 {
        assert_eq!(cluster.node(index).last_seqno(), signed);
    }
    cluster.cut.insert(old);
    assert_eq!(
        cluster.node(old).tx_status(replicated[0]),
        TxStatus::Pending
    );

    assert!(cluster.run_until(5_000, |c| c.primary().is_some()));
    let new = cluster.primary().unwrap();
    assert!(cluster.run_until(2_000, Cluster::converged));
    for txid in &replicated {
        assert_eq!(cluster.node(new).tx_status(*txid), TxStatus::Committed);
    }
    assert_eq!(
        read(cluster.node(new), PRIVATE_MAP, "r4"),
        Some(b"replicated".to_vec())
    );
    let after = cluster.write(new, "after", "new primary");
    cluster.cut.remove(&old);
    assert!(cluster.run_until(5_000, |c| {
        c.converged() && c.node(old).last_seqno() == c.node(new).last_seqno()
    }));
    assert_eq!(cluster.node(old).tx_status(after), TxStatus::Committed);
    for index in 0..3 {
        assert_eq!(records(cluster.node(index)), records(cluster.node(new)));
        assert_ledger_verifies(&cluster.ledger_dir(index));
    }
}

#[test]
fn a_node_restarts_past_a_torn_write_at_the_end_of_its_ledger() {
    let mut cluster = Cluster::three_nodes();
    let primary = cluster.primary().unwrap();
    let crashed = (primary + 2) % 3;
    for i in 0..12 {
        cluster.write(primary, &format!("k{i}"), "v");
    }
    assert!(cluster.run_until(2_000, Cluster::converged));
    // Writes until one lands after the last completed chunk, opening a new one still in
    // progress (where chunks end depends on where signatures fall).
    let in_progress_chunk = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with("ledger_") && !name.contains('-')
            })
    };
    let in_progress = (0..20)
        .find_map(|i| {
            cluster.write(primary, &format!("open{i}"), "chunk");
            assert!(cluster.run_until(2_000, Cluster::converged));
            in_progress_chunk(&cluster.ledger_dir(crashed))
        })
        .expect("an in-progress chunk");
    cluster.nodes[crashed] = None;
    // Half an entry: a header announcing more bytes than follow, as a crash mid-write leaves.
    let mut bytes = std::fs::read(&in_progress).unwrap();
    bytes.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 7, 7, 7]);
    std::fs::write(&in_progress, bytes).unwrap();

    let node = ReplicatedNode::restart(
        config(cluster.dir.path(), crashed),
        node_identity(crashed),
        service(),
        secret(),
    )
    .unwrap();
    cluster.nodes[crashed] = Some(node);
    let txid = cluster.write(primary, "after", "crash");
    assert!(cluster.run_until(5_000, |c| {
        c.node(crashed).tx_status(txid) == TxStatus::Committed
    }));
    assert_eq!(
        records(cluster.node(crashed)),
        records(cluster.node(primary))
    );
    assert_ledger_verifies(&cluster.ledger_dir(crashed));
}

#[test]
fn the_primary_refuses_writes_past_the_uncommitted_limit_until_they_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut limited = config(dir.path(), 0);
    limited.max_uncommitted_tx_count = 3;
    let mut node = ReplicatedNode::start(
        limited,
        node_identity(0),
        service(),
        secret(),
        Genesis::default(),
    )
    .unwrap();
    // Nothing is flushed, so nothing new commits.
    for key in 0..3u8 {
        node.execute(|tx| tx.put(PUBLIC_MAP, vec![key], vec![key]))
            .unwrap();
    }
    let refused = node.execute(|tx| tx.put(PUBLIC_MAP, vec![9], vec![9]));
    assert!(
        matches!(
            refused,
            Err(ReplicationError::TooManyUncommitted {
                uncommitted: 3,
                limit: 3
            })
        ),
        "{refused:?}"
    );
    node.check_invariants().unwrap();
    // A signature and a flush commit them; writes are taken again.
    node.tick(STEP_MS * 1000).unwrap();
    node.flush().unwrap();
    node.execute(|tx| tx.put(PUBLIC_MAP, vec![9], vec![9]))
        .unwrap();
    node.check_invariants().unwrap();
}
