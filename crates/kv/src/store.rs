//! The store: the current committed state, an undo log back to the compaction point, and the
//! single ordered commit path.
//!
//! Concurrency model. One mutex guards the store's bookkeeping. `begin` holds it only to clone
//! the current state (O(1): the maps are persistent), so reads inside a transaction take no lock
//! at all. `commit` holds it while it validates the transaction's reads against the current
//! state, assigns the next seqno, applies the writes and calls the commit hook: commits are
//! therefore totally ordered, and the hook sees them in seqno order. A committing transaction
//! drops its snapshot before applying, so when no other transaction shares the maps the writes
//! update them in place instead of copying tree paths.
//!
//! Old versions are kept as an undo log (what each write replaced) rather than as one state per
//! version: a commit stays O(keys written), and `state_at`, `begin_at` and `rollback` rebuild an
//! older state by undoing newer writes until `compact` discards them.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use crate::commit_hook::CommitHook;
use crate::entry::{DecodedEntry, LedgerSecret, decode_entry};
use crate::error::KvError;
use crate::state::{State, VersionedValue};
use crate::tx::{ClaimsDigest, Tx};
use crate::txid::TxId;
use crate::write_set::{MapName, WriteSet};

/// What a successful commit did.
#[derive(Debug)]
pub enum CommitOutcome {
    /// A new version was created; the write set and claims digest are handed back after the
    /// hook has seen them, so the caller can encode the ledger entry outside the store lock.
    Committed {
        txid: TxId,
        write_set: WriteSet,
        claims_digest: ClaimsDigest,
    },
    /// Nothing was written, so no version was created; the transaction read `read_version`.
    ReadOnly { read_version: TxId },
}

/// What one write replaced, so it can be undone.
#[derive(Debug)]
struct Undo {
    seqno: u64,
    map: MapName,
    key: Bytes,
    previous: Option<VersionedValue>,
}

struct Inner {
    state: State,
    current: TxId,
    /// The view the next local commit gets.
    view: u64,
    compacted: TxId,
    /// TxIDs of seqnos `compacted.seqno + 1 ..= current.seqno`.
    txids: VecDeque<TxId>,
    undo: VecDeque<Undo>,
    rollback_epoch: u64,
    hook: Option<Box<dyn CommitHook>>,
}

/// A transactional key-value store (see the module docs for the concurrency model).
pub struct Store {
    inner: Mutex<Inner>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Store")
            .field("current", &inner.current)
            .field("compacted", &inner.compacted)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// An empty store at version 0.0.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                state: State::default(),
                current: TxId::default(),
                view: 0,
                compacted: TxId::default(),
                txids: VecDeque::new(),
                undo: VecDeque::new(),
                rollback_epoch: 0,
                hook: None,
            }),
        }
    }

    /// Installs the hook called for every local commit (replacing any previous one).
    pub fn set_commit_hook(&self, hook: impl CommitHook + 'static) {
        self.lock().hook = Some(Box::new(hook));
    }

    /// Sets the view given to subsequent commits. Views never go backwards.
    pub fn set_view(&self, view: u64) -> Result<(), KvError> {
        let mut inner = self.lock();
        if view < inner.view {
            return Err(KvError::InvalidView {
                view,
                current: inner.view,
            });
        }
        inner.view = view;
        Ok(())
    }

    /// The TxID of the latest committed version.
    pub fn current_txid(&self) -> TxId {
        self.lock().current
    }

    /// The TxID of the oldest version still addressable.
    pub fn compacted_txid(&self) -> TxId {
        self.lock().compacted
    }

    /// A transaction over the current version.
    pub fn begin(&self) -> Tx {
        let inner = self.lock();
        Tx::new(inner.state.clone(), inner.current, inner.rollback_epoch)
    }

    /// A transaction over an older version, from the compaction point to the current one.
    pub fn begin_at(&self, seqno: u64) -> Result<Tx, KvError> {
        let inner = self.lock();
        let (state, txid) = inner.state_at(seqno)?;
        Ok(Tx::new(state, txid, inner.rollback_epoch))
    }

    /// The whole state at the current version, e.g. for writing a snapshot.
    pub fn state(&self) -> (State, TxId) {
        let inner = self.lock();
        (inner.state.clone(), inner.current)
    }

    /// The whole state at `seqno`, from the compaction point to the current version.
    pub fn state_at(&self, seqno: u64) -> Result<(State, TxId), KvError> {
        self.lock().state_at(seqno)
    }

    /// Commits `tx`: fails with [`KvError::Conflict`] if anything it read changed since its
    /// snapshot; otherwise applies its writes as the next seqno and calls the commit hook.
    /// A read-only transaction creates no version; it fails only if the version it read was
    /// rolled back.
    pub fn commit(&self, tx: Tx) -> Result<CommitOutcome, KvError> {
        let mut inner = self.lock();
        if tx.rollback_epoch() != inner.rollback_epoch {
            return Err(KvError::RolledBack);
        }
        if tx.is_read_only() {
            return Ok(CommitOutcome::ReadOnly {
                read_version: tx.read_version(),
            });
        }
        tx.validate(&inner.state)?;
        let (write_set, claims_digest) = tx.into_parts();
        let txid = TxId::new(inner.view, inner.current.seqno + 1);
        inner.apply(txid, &[&write_set]);
        if let Some(hook) = inner.hook.as_mut() {
            hook.on_commit(txid, &write_set, &claims_digest);
        }
        Ok(CommitOutcome::Committed {
            txid,
            write_set,
            claims_digest,
        })
    }

    /// Applies a write set that was committed elsewhere (a backup following the primary, or
    /// recovery replaying a ledger). It must be the next seqno and must not lower the view. The
    /// commit hook is not called: the entry is already in a ledger.
    pub fn apply_write_set(&self, txid: TxId, write_set: &WriteSet) -> Result<(), KvError> {
        let mut inner = self.lock();
        inner.check_next(txid)?;
        inner.apply(txid, &[write_set]);
        inner.view = inner.view.max(txid.view);
        Ok(())
    }

    /// Decodes a ledger entry and applies it as [`Store::apply_write_set`] does. Without the
    /// ledger secret only the public maps are applied (CCF's public recovery); with it the tag is
    /// checked first. Returns the decoded entry (claims and evidence digests, write sets).
    pub fn apply_entry(
        &self,
        entry: &[u8],
        secret: Option<&LedgerSecret>,
    ) -> Result<DecodedEntry, KvError> {
        let decoded = decode_entry(entry, secret)?;
        let mut inner = self.lock();
        inner.check_next(decoded.txid)?;
        let mut write_sets = vec![&decoded.public_write_set];
        write_sets.extend(decoded.private_write_set.as_ref());
        inner.apply(decoded.txid, &write_sets);
        inner.view = inner.view.max(decoded.txid.view);
        Ok(decoded)
    }

    /// Drops every version after `seqno` (uncommitted suffix after an election). Transactions
    /// begun before the rollback can no longer commit.
    pub fn rollback(&self, seqno: u64) -> Result<(), KvError> {
        let mut inner = self.lock();
        inner.check_addressable(seqno)?;
        if seqno == inner.current.seqno {
            return Ok(());
        }
        let inner = &mut *inner;
        while inner.undo.back().is_some_and(|u| u.seqno > seqno) {
            if let Some(undo) = inner.undo.pop_back() {
                inner.state.restore(&undo.map, undo.key, undo.previous);
            }
        }
        inner.txids.truncate(inner.txid_index(seqno));
        inner.current = inner.txids.back().copied().unwrap_or(inner.compacted);
        inner.rollback_epoch += 1;
        Ok(())
    }

    /// Forgets versions before `seqno`: they can no longer be read or rolled back to.
    pub fn compact(&self, seqno: u64) -> Result<(), KvError> {
        let mut inner = self.lock();
        inner.check_addressable(seqno)?;
        while inner.undo.front().is_some_and(|u| u.seqno <= seqno) {
            inner.undo.pop_front();
        }
        let drop_count = inner.txid_index(seqno);
        if let Some(&txid) = drop_count.checked_sub(1).and_then(|i| inner.txids.get(i)) {
            inner.compacted = txid;
        }
        inner.txids.drain(..drop_count);
        Ok(())
    }

    /// Checks the store's internal invariants; used by tests and the simulator.
    pub fn check_invariants(&self) -> Result<(), KvError> {
        self.lock().check_invariants()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking hook cannot leave the store half-updated: it runs after the apply.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// Only the next seqno, in a view no lower than the current one, can be applied.
    fn check_next(&self, txid: TxId) -> Result<(), KvError> {
        let expected = self.current.seqno + 1;
        if txid.seqno != expected {
            return Err(KvError::OutOfOrder {
                expected,
                got: txid.seqno,
            });
        }
        if txid.view < self.current.view {
            return Err(KvError::InvalidView {
                view: txid.view,
                current: self.current.view,
            });
        }
        Ok(())
    }

    /// Applies the write sets (disjoint maps, e.g. an entry's two domains) as version `txid`.
    fn apply(&mut self, txid: TxId, write_sets: &[&WriteSet]) {
        for (map, writes) in write_sets.iter().flat_map(|ws| ws.maps()) {
            for (key, change) in writes.changes() {
                let previous = match change {
                    Some(value) => {
                        let value = VersionedValue {
                            version: txid.seqno,
                            value: value.clone(),
                        };
                        self.state.insert(map, key.clone(), value)
                    }
                    None => self.state.remove(map, key),
                };
                let undo = Undo {
                    seqno: txid.seqno,
                    map: MapName::clone(map),
                    key: key.clone(),
                    previous,
                };
                self.undo.push_back(undo);
            }
        }
        self.txids.push_back(txid);
        self.current = txid;
    }

    fn check_addressable(&self, seqno: u64) -> Result<(), KvError> {
        if seqno < self.compacted.seqno || seqno > self.current.seqno {
            return Err(KvError::VersionNotAddressable {
                requested: seqno,
                compacted: self.compacted.seqno,
                current: self.current.seqno,
            });
        }
        Ok(())
    }

    /// How many retained TxIDs are at or below `seqno` (which must be addressable).
    fn txid_index(&self, seqno: u64) -> usize {
        usize::try_from(seqno - self.compacted.seqno).unwrap_or(usize::MAX)
    }

    fn state_at(&self, seqno: u64) -> Result<(State, TxId), KvError> {
        self.check_addressable(seqno)?;
        let mut state = self.state.clone();
        for undo in self.undo.iter().rev().take_while(|u| u.seqno > seqno) {
            state.restore(&undo.map, undo.key.clone(), undo.previous.clone());
        }
        let txid = self
            .txid_index(seqno)
            .checked_sub(1)
            .and_then(|i| self.txids.get(i).copied())
            .unwrap_or(self.compacted);
        Ok((state, txid))
    }

    fn check_invariants(&self) -> Result<(), KvError> {
        let fail = |what: String| Err(KvError::InvariantViolated(what));
        if self.view < self.current.view {
            return fail(format!(
                "next view {} below current {}",
                self.view, self.current
            ));
        }
        let retained = self.current.seqno.checked_sub(self.compacted.seqno);
        if retained != Some(self.txids.len() as u64) {
            return fail(format!(
                "{} TxIDs retained between {} and {}",
                self.txids.len(),
                self.compacted,
                self.current
            ));
        }
        let mut previous = self.compacted;
        for &txid in &self.txids {
            if txid.seqno != previous.seqno + 1 || txid.view < previous.view {
                return fail(format!("TxID {txid} follows {previous}"));
            }
            previous = txid;
        }
        let mut last_undo = self.compacted.seqno;
        for undo in &self.undo {
            if undo.seqno < last_undo
                || undo.seqno <= self.compacted.seqno
                || undo.seqno > self.current.seqno
            {
                return fail(format!("undo record for seqno {} out of order", undo.seqno));
            }
            last_undo = undo.seqno;
        }
        for (name, map) in self.state.maps() {
            if map.is_empty() {
                return fail(format!("empty map {name:?} retained"));
            }
            if let Some((key, v)) = map
                .iter()
                .find(|(_, v)| v.version == 0 || v.version > self.current.seqno)
            {
                return fail(format!(
                    "{name:?}[{key:?}] has version {} at {}",
                    v.version, self.current
                ));
            }
        }
        Ok(())
    }
}
