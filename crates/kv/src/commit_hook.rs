//! The commit hook: how the consensus/ledger layer learns about each committed write set, in
//! exact seqno order, without the store knowing about ledgers.

use crate::tx::ClaimsDigest;
use crate::txid::TxId;
use crate::write_set::WriteSet;

/// Called by [`crate::Store::commit`] for every committed write transaction, while the store's
/// commit lock is held, so calls arrive in seqno order with no gaps. It must not call back into
/// the same store (that would deadlock) and should be quick: every commit waits for it.
pub trait CommitHook: Send {
    fn on_commit(&mut self, txid: TxId, write_set: &WriteSet, claims_digest: &ClaimsDigest);
}

impl<F> CommitHook for F
where
    F: FnMut(TxId, &WriteSet, &ClaimsDigest) + Send,
{
    fn on_commit(&mut self, txid: TxId, write_set: &WriteSet, claims_digest: &ClaimsDigest) {
        self(txid, write_set, claims_digest)
    }
}
