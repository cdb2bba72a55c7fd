//! Which nodes form the consensus configuration: the Trusted nodes of the ledger's
//! `nodes.info` table. Any transaction that changes that set (a join recorded Pending does
//! not; a governance `transition_node_to_trusted` or `remove_node` does) is proposed as a
//! reconfiguration to the new set.
//!
//! Entries carry their configuration-change flag only in memory (consensus' `EntryKind`); the
//! ledger files hold CCF entries. A node restarting from its ledger therefore re-derives the
//! flag with [`MembershipTracker`], by the same rule the primary applied.

use std::collections::{BTreeMap, BTreeSet};

use quorate_consensus::{EntryKind, NodeId};
use quorate_kv::{Tx, WriteSet};
use quorate_ledger::tables;
use serde::Deserialize;

use super::error::ReplicationError;
use super::identity::raft_id_of;

/// The one field of a `nodes.info` value that decides membership (governance code may add
/// others).
#[derive(Deserialize)]
struct NodeTrust {
    status: String,
}

/// Whether a `nodes.info` value says Trusted.
fn is_trusted(node_id: &str, value: &[u8]) -> Result<bool, String> {
    serde_json::from_slice::<NodeTrust>(value)
        .map(|info| info.status == "Trusted")
        .map_err(|e| format!("nodes.info[{node_id}]: {e}"))
}

/// The Trusted nodes in `tx`'s state.
pub fn trusted_members(tx: &mut Tx) -> Result<BTreeSet<NodeId>, ReplicationError> {
    let mut trusted = Vec::new();
    let mut failure = None;
    tx.foreach(tables::NODES_INFO, |key, value| {
        let node_id = String::from_utf8_lossy(key).into_owned();
        match is_trusted(&node_id, value) {
            Ok(true) => trusted.push(node_id),
            Ok(false) => {}
            Err(detail) => failure = Some(detail),
        }
        failure.is_none()
    });
    if let Some(detail) = failure {
        return Err(ReplicationError::Identity(detail));
    }
    trusted.iter().map(|id| raft_id_of(id)).collect()
}

/// The Trusted nodes known so far along the log.
#[derive(Debug, Default, Clone)]
pub struct MembershipTracker {
    trusted: BTreeMap<String, bool>,
}

impl MembershipTracker {
    /// The consensus meaning of entry `seqno` with public write set `public`, advancing the
    /// tracker past it.
    pub fn kind_of(
        &mut self,
        seqno: u64,
        public: &WriteSet,
    ) -> Result<EntryKind, ReplicationError> {
        let Some(writes) = public.map(tables::NODES_INFO) else {
            return Ok(EntryKind::Raw);
        };
        let before = self.members()?;
        for (key, value) in writes.changes() {
            let node_id = String::from_utf8_lossy(key).into_owned();
            match value {
                Some(value) => {
                    let trusted = is_trusted(&node_id, value)
                        .map_err(|detail| ReplicationError::BadEntry { seqno, detail })?;
                    self.trusted.insert(node_id, trusted);
                }
                None => {
                    self.trusted.remove(&node_id);
                }
            }
        }
        let after = self.members()?;
        Ok(if after == before {
            EntryKind::Raw
        } else {
            EntryKind::Reconfiguration(after)
        })
    }

    fn members(&self) -> Result<BTreeSet<NodeId>, ReplicationError> {
        self.trusted
            .iter()
            .filter(|(_, trusted)| **trusted)
            .map(|(id, _)| raft_id_of(id))
            .collect()
    }
}
