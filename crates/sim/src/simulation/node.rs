//! One simulated node: the real Raft engine, its disk, and the KV replica it applies committed
//! entries to.

use std::collections::BTreeMap;

use quorate_consensus::{ConsensusEngine, Index, Raft, RaftConfig};

use super::config::SimConfig;
use super::disk::Disk;
use super::payload::{self, ClientOp};
use crate::linearizability::{KvModel, KvOutput};

pub struct SimNode {
    pub engine: Raft,
    pub disk: Disk,
    /// False once crashed: CCF binds a node's identity to its process, so a crashed node never
    /// comes back; its disk stays, for the durability check.
    pub alive: bool,
    /// When this node, as leader, last emitted a signature.
    pub last_signature_ms: u64,
    replica: BTreeMap<u64, u64>,
    applied_index: Index,
}

impl SimNode {
    pub fn new(config: &SimConfig, raft: RaftConfig) -> Self {
        Self {
            engine: Raft::new(raft),
            disk: Disk::new(config.disk_latency_ms),
            alive: true,
            last_signature_ms: 0,
            replica: BTreeMap::new(),
            applied_index: 0,
        }
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
            let result = op.map(|op| {
                let key = op.input.key();
                let (next, output) = KvModel::apply(self.replica.get(&key).copied(), &op.input);
                match next {
                    Some(value) => self.replica.insert(key, value),
                    None => self.replica.remove(&key),
                };
                (op, output)
            });
            applied.push((self.applied_index, result));
        }
        applied
    }
}
