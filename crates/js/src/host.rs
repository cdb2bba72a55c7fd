//! The state a handler's `ccf` calls act on, shared between the native functions of one call:
//! the KV transaction (moved in for the call and handed back after it), whether writes are
//! allowed, and what the handler asked of the node (`setApplyWrites`, `setClaimsDigest`).

use quorate_kv::{Tx, TxId, WriteSet};

/// What the node gives a call.
#[derive(Default)]
pub struct HostInput {
    /// The transaction `ccf.kv` reads and writes; `None` for handlers without one.
    pub tx: Option<Tx>,
    /// Whether `ccf.kv` may write (read-write endpoints).
    pub writable: bool,
    /// For `ccf.consensus.getLastCommittedTxId()`.
    pub last_committed: TxId,
    /// Historical endpoints: the transaction and its writes (`ccf.historicalState`).
    pub historical: Option<(TxId, WriteSet)>,
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
}

/// Both, while the call runs.
#[derive(Default)]
pub(crate) struct HostState {
    pub input: HostInput,
    pub output: HostOutput,
}
