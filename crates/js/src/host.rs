//! The state a handler's `ccf` calls act on, shared between the native functions of one call:
//! the KV transaction (moved in for the call and handed back after it), whether writes are
//! allowed, what governance code may use, and what the code asked of the node
//! (`setApplyWrites`, `setClaimsDigest`, governance's node actions).

use std::sync::Arc;

use quorate_kv::{Tx, TxId, WriteSet};

use crate::governance::{GovernanceContext, NodeAction};

/// What the node gives a call.
#[derive(Default)]
pub struct HostInput {
    /// The transaction `ccf.kv` reads and writes; `None` for handlers without one.
    pub tx: Option<Tx>,
    /// Whether `ccf.kv` may write (read-write endpoints).
    pub writable: bool,
    /// What `ccf.consensus` reports.
    pub consensus: ConsensusView,
    /// Historical endpoints: the transaction and its writes (`ccf.historicalState`).
    pub historical: Option<(TxId, WriteSet)>,
    /// The committed log, for `ccf.historical.getStateRange` and historical states' receipts.
    /// Only for handlers that may wait for the node (read-only and historical ones, off the
    /// thread that orders writes).
    pub history: Option<Arc<dyn History>>,
    /// Governance calls ([`call_governance`](crate::call_governance)): the service identity
    /// and node facts the gov-only API uses. Required there, ignored by app calls.
    pub governance: Option<GovernanceContext>,
}

/// What `ccf.historical.getStateRange` reads. Errors are messages for the handler's exception.
pub trait History: Send + Sync {
    /// Committed transactions `start_seqno..=end_seqno` with what each wrote.
    fn range(&self, start_seqno: u64, end_seqno: u64) -> Result<Vec<(TxId, WriteSet)>, String>;
    /// The receipt of committed transaction `txid`: JSON text of an object in the shape CCF's
    /// JS API gives it (`is_signature_transaction`; `leaf_components` and `proof`, or
    /// `root_hex`).
    fn receipt_json(&self, txid: TxId) -> Result<String, String>;
}

/// The node's consensus state as `ccf.consensus` reads it: the commit point, the end of the
/// log and where each view starts in it.
#[derive(Debug, Clone, Default)]
pub struct ConsensusView {
    pub last_committed: TxId,
    pub last_seqno: u64,
    /// `(view, first seqno)` for every view in the log, in order.
    pub view_history: Arc<Vec<(u64, u64)>>,
}

impl ConsensusView {
    /// The view of `seqno` in this node's log, if the log holds it.
    pub fn view_for_seqno(&self, seqno: u64) -> Option<u64> {
        if seqno == 0 || seqno > self.last_seqno {
            return None;
        }
        self.view_history
            .iter()
            .rev()
            .find(|(_, first)| *first <= seqno)
            .map(|(view, _)| *view)
    }

    /// CCF's status of `view.seqno`: `Committed` or `Invalid` up to the commit point,
    /// `Pending` if this node holds it after that, `Invalid` if a later view committed first,
    /// else `Unknown`.
    pub fn status_for(&self, view: u64, seqno: u64) -> &'static str {
        let held = self.view_for_seqno(seqno);
        if seqno == 0 {
            return "Invalid";
        }
        if seqno <= self.last_committed.seqno {
            return if held == Some(view) {
                "Committed"
            } else {
                "Invalid"
            };
        }
        if self
            .view_for_seqno(self.last_committed.seqno)
            .is_some_and(|committed| committed > view)
        {
            return "Invalid";
        }
        if held == Some(view) {
            "Pending"
        } else {
            "Unknown"
        }
    }
}

/// What a call leaves for the node.
#[derive(Default)]
pub struct HostOutput {
    /// The transaction, handed back.
    pub tx: Option<Tx>,
    /// `ccf.rpc.setApplyWrites(b)`: apply writes whatever the status (or never).
    pub apply_writes: Option<bool>,
    /// `ccf.rpc.setClaimsDigest(buf)`.
    pub claims_digest: Option<[u8; 32]>,
    /// What governance asked the node to do once the transaction commits, in call order.
    pub node_actions: Vec<NodeAction>,
}

/// Both, while the call runs.
#[derive(Default)]
pub(crate) struct HostState {
    pub input: HostInput,
    pub output: HostOutput,
    /// What `ccf.historical.getStateRange` fetched during the call, in fetch order.
    pub range: Vec<(TxId, WriteSet)>,
}
