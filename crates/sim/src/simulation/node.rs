//! One simulated node: the real Raft engine, its disk, and the KV replica it applies committed
//! entries to.

use std::collections::{BTreeMap, BTreeSet};

use quorate_consensus::{ConsensusEngine, Index, NodeId, Raft, RaftConfig};

use super::config::SimConfig;
use super::disk::Disk;
use super::payload::{self, ClientOp};
use super::tamper::Tamper;
use crate::linearizability::{KvInput, KvModel, KvOutput};

pub struct SimNode {
    pub engine: Raft,
    pub disk: Disk,
    /// False while crashed. A crashed node either restarts from its disk at `restart_at_ms`
    /// or, if that is `None`, never returns (it is replaced); its disk stays either way, for
    /// the durability check.
    pub alive: bool,
    pub restart_at_ms: Option<u64>,
    /// The membership the node was given out of band at index 0, which a restart needs too.
    pub base_configuration: Option<BTreeSet<NodeId>>,
    /// When this node, as leader, last emitted a signature.
    pub last_signature_ms: u64,
    replica: BTreeMap<u64, u64>,
    applied_index: Index,
    /// Planted bug: answer reads with the value from before the key's latest write.
    stale_reads: bool,
    /// Each key's value before its latest write, for `stale_reads`.
    replica_before_write: BTreeMap<u64, Option<u64>>,
}

impl SimNode {
    pub fn new(config: &SimConfig, raft: RaftConfig) -> Self {
        Self {
            engine: Raft::new(raft),
            disk: Disk::new(config.disk_latency_ms),
            alive: true,
            restart_at_ms: None,
            base_configuration: None,
            last_signature_ms: 0,
            replica: BTreeMap::new(),
            applied_index: 0,
            stale_reads: config.tamper == Some(Tamper::StaleReads),
            replica_before_write: BTreeMap::new(),
        }
    }

    /// Restarts the crashed node from what its disk made durable, with an empty replica that
    /// the caller refills by applying the restored commit.
    pub fn restart(&mut self, raft: RaftConfig) -> Result<(), String> {
        let id = raft.id;
        self.engine = Raft::restore(
            raft,
            self.disk.durable_hard_state(),
            self.disk.durable().to_vec(),
            self.base_configuration.clone(),
        )
        .map_err(|e| format!("Restore: {id}: {e}"))?;
        self.alive = true;
        self.restart_at_ms = None;
        self.last_signature_ms = 0;
        self.replica.clear();
        self.applied_index = 0;
        self.replica_before_write.clear();
        Ok(())
    }

    /// Applies the newly committed entries in order; yields each entry's index with the client
    /// operation it carried and its result.
    pub fn apply_committed(&mut self) -> Vec<(Index, Option<(ClientOp, KvOutput)>)> {
        let commit = self.engine.commit_index();
        let mut applied = Vec::new();
        while self.applied_index < commit {
            self.applied_index += 1;
            let op = self
                .engine
                .entry(self.applied_index)
                .and_then(|entry| payload::decode(&entry.payload));
            let result = op.map(|op| (op, self.apply(&op.input)));
            applied.push((self.applied_index, result));
        }
        applied
    }

    fn apply(&mut self, input: &KvInput) -> KvOutput {
        let key = input.key();
        let current = self.replica.get(&key).copied();
        let (next, output) = KvModel::apply(current, input);
        if next != current {
            self.replica_before_write.insert(key, current);
        }
        match next {
            Some(value) => self.replica.insert(key, value),
            None => self.replica.remove(&key),
        };
        match (input, self.replica_before_write.get(&key)) {
            (KvInput::Get { .. }, Some(&before)) if self.stale_reads => KvOutput::Value(before),
            _ => output,
        }
    }
}
