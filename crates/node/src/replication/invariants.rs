//! What must hold between the parts of a node after every step: the engine's and the store's
//! own invariants, and the store, the ledger files and the Merkle tree in step with the log.
//! Tests (and later the simulator) call it after each input.

use quorate_consensus::ConsensusEngine;

use super::error::ReplicationError;
use super::node::ReplicatedNode;

impl ReplicatedNode {
    /// Checks the node's cross-component invariants; an error names the first one broken.
    pub fn check_invariants(&self) -> Result<(), ReplicationError> {
        self.raft.check_invariants()?;
        self.store.check_invariants()?;
        let broken = |detail: String| Err(ReplicationError::Invariant(detail));
        let last = self.raft.last_index();
        let commit = self.raft.commit_index();
        let store_seqno = self.store.current_txid().seqno;
        if self.log.last_seqno() != last {
            return broken(format!(
                "the ledger ends at {} but the log at {last}",
                self.log.last_seqno()
            ));
        }
        if self.log.tree().size() != last + 1 {
            return broken(format!(
                "the Merkle tree has {} leaves for a log ending at {last}",
                self.log.tree().size()
            ));
        }
        if store_seqno < commit || store_seqno > last {
            return broken(format!(
                "the store is at {store_seqno}, outside commit {commit} ..= last {last}"
            ));
        }
        if self.is_primary() && store_seqno != last {
            return broken(format!(
                "the primary's store is at {store_seqno} but its log ends at {last}"
            ));
        }
        Ok(())
    }
}
