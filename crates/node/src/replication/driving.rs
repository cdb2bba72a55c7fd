//! Driving the consensus engine and performing its outputs in order: the hard state durable
//! before anything is sent, entries into the ledger and the tree, truncations rolled back
//! through ledger, tree and store, commits applied to the store and marked on the chunks.

use quorate_consensus::message;
use quorate_consensus::{ConsensusEngine, Input, Message, NodeId, Output, Role};
use quorate_kv::TxId;

use super::error::ReplicationError;
use super::node::ReplicatedNode;
use super::peer_input::check_append_entries;

impl ReplicatedNode {
    /// Virtual time moved to `now_ms`: consensus timers, and on the primary a signature when
    /// transactions have waited `delay_ms`.
    pub fn tick(&mut self, now_ms: u64) -> Result<(), ReplicationError> {
        self.now_ms = self.now_ms.max(now_ms);
        self.step(Input::Tick { now_ms })?;
        self.hard_state.write_lagging(self.now_ms)?;
        if self.is_primary() && self.signatures.due(&self.config.signatures, self.now_ms) {
            self.emit_signature()?;
        }
        Ok(())
    }

    /// When the primary's next signature falls due by time (none on a backup, or when no
    /// transaction waits for one).
    pub fn signature_due_at_ms(&self) -> Option<u64> {
        if !self.is_primary() {
            return None;
        }
        self.signatures.due_at_ms(&self.config.signatures)
    }

    /// Writes a held-back commit point to the hard state: the node is stopping cleanly.
    pub fn write_commit_point(&mut self) -> Result<(), ReplicationError> {
        self.hard_state.write_pending(self.now_ms)
    }

    /// A message from peer `from` (authenticated by the channel). Garbage, and entries the
    /// ledger could not hold, are an error that leaves the node unchanged.
    pub fn receive(&mut self, from: NodeId, bytes: &[u8]) -> Result<(), ReplicationError> {
        let message = message::decode(bytes)?;
        if let Message::AppendEntries(append) = &message {
            check_append_entries(append)?;
        }
        self.step(Input::Receive { from, message })
    }

    /// Whether entries were appended since the last [`Self::flush`].
    pub fn has_unflushed_entries(&self) -> bool {
        self.log.synced_seqno() < self.log.last_seqno()
    }

    /// Group commit: makes every entry appended since the last flush durable with one sync,
    /// then tells consensus, which may then acknowledge (backup) or advance commit (primary).
    pub fn flush(&mut self) -> Result<(), ReplicationError> {
        if self.has_unflushed_entries() {
            let index = self.log.sync()?;
            self.step(Input::Persisted { index })?;
        }
        self.log.commit(self.raft.commit_index())
    }

    pub(super) fn step(&mut self, input: Input<Message>) -> Result<(), ReplicationError> {
        let outputs = self.raft.handle(input)?;
        let mut became_primary = false;
        for output in outputs {
            match output {
                Output::PersistHardState(state) => self.hard_state.persist(state, self.now_ms)?,
                Output::Send { to, message } => {
                    self.outbox.push((to, message::encode(&message)));
                }
                Output::Persist {
                    first_index,
                    entries,
                } => {
                    for (seqno, entry) in (first_index..).zip(&entries) {
                        self.log.append(
                            TxId::new(entry.term, seqno),
                            &entry.payload,
                            entry.committable,
                        )?;
                    }
                }
                Output::Truncate { index } => self.truncate(index)?,
                Output::Commit { index } => self.commit(index)?,
                Output::RoleChanged { role, .. } => became_primary = role == Role::Leader,
            }
        }
        if became_primary && self.is_primary() {
            self.become_primary()?;
        }
        Ok(())
    }

    /// The uncommitted suffix after `index` lost an election: out of ledger, tree and store.
    fn truncate(&mut self, index: u64) -> Result<(), ReplicationError> {
        self.log.truncate(index)?;
        if self.store.current_txid().seqno > index {
            self.store.rollback(index)?;
        }
        Ok(())
    }

    /// Everything up to `index` is committed: apply it and mark the chunks it completes.
    fn commit(&mut self, index: u64) -> Result<(), ReplicationError> {
        self.apply_log_up_to(index)?;
        self.log.commit(index)?;
        // Rollbacks never go below the commit point, so older undo records can go.
        let compact_to = index.min(self.store.current_txid().seqno);
        if compact_to > self.store.compacted_txid().seqno {
            self.store.compact(compact_to)?;
        }
        Ok(())
    }

    /// Applies log entries the store does not hold yet, up to `index`, decrypting private
    /// maps with the ledger secret. Backups never re-execute: they apply write sets.
    pub(super) fn apply_log_up_to(&mut self, index: u64) -> Result<(), ReplicationError> {
        let from = self.store.current_txid().seqno + 1;
        for seqno in from..=index {
            let entry = self
                .raft
                .entry(seqno)
                .ok_or_else(|| ReplicationError::BadEntry {
                    seqno,
                    detail: "committed but not held".into(),
                })?;
            let decoded = self.store.apply_entry(&entry.payload, Some(&self.secret))?;
            if decoded.txid != TxId::new(entry.term, seqno) {
                return Err(ReplicationError::BadEntry {
                    seqno,
                    detail: format!("applied entry names {}", decoded.txid),
                });
            }
        }
        Ok(())
    }

    /// A new primary first brings its store up to its whole log (which, as leader, it will
    /// commit), moves the store to its view and signs, so its own entries can commit.
    fn become_primary(&mut self) -> Result<(), ReplicationError> {
        self.apply_log_up_to(self.raft.last_index())?;
        self.store.set_view(self.raft.term())?;
        self.emit_signature()
    }
}
