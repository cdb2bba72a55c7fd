//! Static settings of one replicated node.

use std::path::PathBuf;

use quorate_consensus::RaftConfig;
use quorate_ledger::chunk::DEFAULT_CHUNK_SIZE_BYTES;

use super::signature_policy::SignaturePolicy;

/// Where a node keeps its state and how it paces consensus and signatures.
#[derive(Debug, Clone)]
pub struct ReplicationConfig {
    /// The ledger chunk directory.
    pub ledger_dir: PathBuf,
    /// The hard-state file (term, vote, known commit point).
    pub hard_state_path: PathBuf,
    /// Consensus timeouts; the id is replaced by the one derived from the node identity.
    pub raft: RaftConfig,
    pub signatures: SignaturePolicy,
    /// A chunk is completed at the first signature once it is at least this big.
    pub chunk_size_bytes: u64,
    /// A transaction that keeps conflicting is given up after this many executions.
    pub max_tx_attempts: u32,
    /// The primary refuses new transactions while this many are uncommitted (0: no limit),
    /// so a primary cut off from its backups stops accepting work it cannot commit.
    pub max_uncommitted_tx_count: u64,
}

impl ReplicationConfig {
    /// CCF's defaults, the ledger in `<dir>/ledger` and the hard state in `<dir>/hard_state`.
    pub fn in_dir(dir: &std::path::Path, raft: RaftConfig) -> Self {
        Self {
            ledger_dir: dir.join("ledger"),
            hard_state_path: dir.join("hard_state"),
            raft,
            signatures: SignaturePolicy::default(),
            chunk_size_bytes: DEFAULT_CHUNK_SIZE_BYTES,
            max_tx_attempts: 10,
            max_uncommitted_tx_count: 10_000,
        }
    }
}
