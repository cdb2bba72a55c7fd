//! [`ReplicatedNode`]: one node's KV store, ledger, Merkle tree and consensus engine joined into
//! the single write path (DESIGN.md principle 2), with the durability host contract of the
//! consensus crate. Single-threaded: the IO shell owns it and feeds it time, peer messages and
//! client transactions; what it sends waits in an outbox for the transport.

use std::sync::Arc;

use bytes::Bytes;
use quorate_consensus::raft::FIRST_TERM;
use quorate_consensus::{ConsensusEngine, Input, NodeId, Raft, RaftConfig, Role};
use quorate_kv::{LedgerSecret, Store, TxId, WriteSet, encode_entry};
use quorate_ledger::genesis::{GenesisNode, NodeNetwork, genesis_write_set};

use super::config::ReplicationConfig;
use super::durable_log::DurableLog;
use super::error::ReplicationError;
use super::hard_state_file::HardStateFile;
use super::hard_state_writer::HardStateWriter;
use super::identity::{NodeIdentity, ServiceIdentity};
use super::signature_policy::SignatureClock;
use super::tx_status::{TxStatus, tx_status};

/// The measurement recorded for nodes on the virtual (development) platform.
pub const VIRTUAL_CODE_DIGEST_HEX: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// What a new service's genesis transaction holds besides the service and its first node.
#[derive(Debug, Default)]
pub struct Genesis {
    /// Members, constitution, service configuration and any other governance tables.
    pub governance: WriteSet,
    /// Where the first node can be reached.
    pub network: NodeNetwork,
}

/// One node of a replicated service (see the module docs).
pub struct ReplicatedNode {
    pub(super) raft: Raft,
    /// Shared so read-only requests read snapshots without going through the driver.
    pub(super) store: Arc<Store>,
    pub(super) secret: LedgerSecret,
    pub(super) log: DurableLog,
    pub(super) hard_state: HardStateWriter,
    pub(super) node: NodeIdentity,
    pub(super) service: ServiceIdentity,
    pub(super) config: ReplicationConfig,
    /// Encoded messages for the transport: (destination, bytes).
    pub(super) outbox: Vec<(NodeId, Vec<u8>)>,
    pub(super) signatures: SignatureClock,
    pub(super) now_ms: u64,
}

impl ReplicatedNode {
    /// Assembles a node from its parts.
    pub(super) fn assemble(
        raft: Raft,
        store: Store,
        log: DurableLog,
        config: ReplicationConfig,
        node: NodeIdentity,
        service: ServiceIdentity,
        secret: LedgerSecret,
    ) -> Self {
        Self {
            raft,
            store: Arc::new(store),
            secret,
            log,
            hard_state: HardStateWriter::new(HardStateFile::new(&config.hard_state_path)),
            node,
            service,
            config,
            outbox: Vec::new(),
            signatures: SignatureClock::default(),
            now_ms: 0,
        }
    }

    pub(super) fn raft_config(
        config: &ReplicationConfig,
        node: &NodeIdentity,
    ) -> Result<RaftConfig, ReplicationError> {
        let id = node.raft_id()?;
        Ok(RaftConfig {
            id,
            ..config.raft.clone()
        })
    }

    /// Creates a new service with this node as its only member, as CCF does: the node leads
    /// the first view (2) at once, its genesis transaction (service info, this node Trusted,
    /// its endorsed certificate) is the service's first configuration entry at 2.1, and its
    /// signature follows at 2.2. Both are durable and committed when `start` returns.
    /// `governance` (members, constitution, service configuration) joins the genesis writes;
    /// `network` is where this node can be reached.
    pub fn start(
        config: ReplicationConfig,
        node: NodeIdentity,
        service: ServiceIdentity,
        secret: LedgerSecret,
        genesis: Genesis,
    ) -> Result<Self, ReplicationError> {
        let raft_config = Self::raft_config(&config, &node)?;
        let log = DurableLog::open(&config.ledger_dir, config.chunk_size_bytes)?;
        if log.last_seqno() != 0 {
            return Err(ReplicationError::Identity(format!(
                "{} already holds a ledger; restart the node instead",
                config.ledger_dir.display()
            )));
        }
        let txid = TxId::new(FIRST_TERM, 1);
        let public_key_pem = node.key.public_key().to_pem();
        let mut write_set = genesis_write_set(
            txid,
            service.cert.pem(),
            &GenesisNode {
                node_id: &node.node_id_hex,
                public_key_pem: &public_key_pem,
                endorsed_cert_pem: node.endorsed_cert.pem(),
                code_digest_hex: VIRTUAL_CODE_DIGEST_HEX,
                network: genesis.network,
            },
        )?;
        write_set.extend(genesis.governance);
        let genesis = encode_entry(txid, &write_set, &[0; 32], 0, &secret)?;
        let raft = Raft::new(raft_config);
        let mut started = Self::assemble(raft, Store::new(), log, config, node, service, secret);
        started.step(Input::Bootstrap {
            payload: Bytes::from(genesis.bytes),
        })?;
        started.flush()?;
        Ok(started)
    }

    /// A node joining an existing service: empty, holding the service identity and ledger
    /// secret (which the join protocol will hand over), catching up from the primary once a
    /// configuration includes it.
    pub fn join(
        config: ReplicationConfig,
        node: NodeIdentity,
        service: ServiceIdentity,
        secret: LedgerSecret,
    ) -> Result<Self, ReplicationError> {
        let raft = Raft::new(Self::raft_config(&config, &node)?);
        let log = DurableLog::open(&config.ledger_dir, config.chunk_size_bytes)?;
        if log.last_seqno() != 0 {
            return Err(ReplicationError::Identity(format!(
                "{} already holds a ledger; restart the node instead",
                config.ledger_dir.display()
            )));
        }
        Ok(Self::assemble(
            raft,
            Store::new(),
            log,
            config,
            node,
            service,
            secret,
        ))
    }

    /// This node's consensus id.
    pub fn id(&self) -> NodeId {
        self.raft.id()
    }

    pub fn node_id_hex(&self) -> &str {
        &self.node.node_id_hex
    }

    pub fn role(&self) -> Role {
        self.raft.role()
    }

    /// The current view (consensus term).
    pub fn view(&self) -> u64 {
        self.raft.term()
    }

    /// The primary this node follows (itself when primary), if known.
    pub fn primary(&self) -> Option<NodeId> {
        self.raft.leader()
    }

    pub fn is_primary(&self) -> bool {
        self.raft.role() == Role::Leader
    }

    /// The TxID of the last committed transaction (always a signature).
    pub fn last_committed_txid(&self) -> TxId {
        let seqno = self.raft.commit_index();
        let view = self.raft.entry(seqno).map_or(0, |e| e.term);
        TxId::new(view, seqno)
    }

    /// CCF's `/app/tx` status of `txid` as this node knows it.
    pub fn tx_status(&self, txid: TxId) -> TxStatus {
        tx_status(&self.raft, txid)
    }

    /// The store, for reads. On a backup it holds the committed state; on the primary it also
    /// holds what is replicated but not yet committed.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared: readers on other threads take snapshots of it.
    pub fn shared_store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// The ledger secret that encrypts private maps.
    pub fn ledger_secret(&self) -> &LedgerSecret {
        &self.secret
    }

    /// The service-endorsed certificate this node signs with.
    pub fn endorsed_certificate_pem(&self) -> &str {
        self.node.endorsed_cert.pem()
    }

    /// The last seqno in this node's log.
    pub fn last_seqno(&self) -> u64 {
        self.raft.last_index()
    }

    pub fn ledger_dir(&self) -> &std::path::Path {
        self.log.dir()
    }

    /// `(view, first seqno)` for every view in the log (see [`super::view_history`]).
    pub fn view_history(&self) -> Vec<(u64, u64)> {
        super::view_history::view_history(&self.raft)
    }

    /// The consensus engine, for inspection (peers, invariants).
    pub fn consensus(&self) -> &Raft {
        &self.raft
    }

    /// The messages produced since the last call, for the transport: (destination, bytes).
    pub fn take_messages(&mut self) -> Vec<(NodeId, Vec<u8>)> {
        std::mem::take(&mut self.outbox)
    }
}
