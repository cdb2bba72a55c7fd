//! Which nodes form the consensus configuration, read from the ledger's `nodes.info` table.
//!
//! Entries carry their configuration-change flag only in memory (consensus' `EntryKind`); the
//! ledger files hold CCF entries. A node restarting from its ledger therefore re-derives the
//! flag: an entry that changes `nodes.info` is a reconfiguration to the set of Trusted nodes
//! after it, which is exactly what the primary proposed (see [`trusted_members_after`]).

use std::collections::{BTreeMap, BTreeSet};

use quorate_consensus::{EntryKind, NodeId};
use quorate_kv::WriteSet;
use quorate_ledger::genesis::{NodeInfo, NodeStatus};
use quorate_ledger::tables;

use super::error::ReplicationError;
use super::identity::raft_id_of;

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
        for (key, value) in writes.changes() {
            let node_id = String::from_utf8_lossy(key).into_owned();
            match value {
                Some(value) => {
                    let info: NodeInfo =
                        serde_json::from_slice(value).map_err(|e| ReplicationError::BadEntry {
                            seqno,
                            detail: format!("nodes.info[{node_id}]: {e}"),
                        })?;
                    self.trusted
                        .insert(node_id, info.status == NodeStatus::Trusted);
                }
                None => {
                    self.trusted.remove(&node_id);
                }
            }
        }
        Ok(EntryKind::Reconfiguration(self.members()?))
    }

    fn members(&self) -> Result<BTreeSet<NodeId>, ReplicationError> {
        self.trusted
            .iter()
            .filter(|(_, trusted)| **trusted)
            .map(|(id, _)| raft_id_of(id))
            .collect()
    }
}

/// The members after adding `node` as Trusted to `current`: what the primary proposes when
/// it trusts a node, and what [`MembershipTracker`] re-derives from the same entry.
pub fn trusted_members_after(current: BTreeSet<NodeId>, node: NodeId) -> BTreeSet<NodeId> {
    let mut members = current;
    members.insert(node);
    members
}
