//! The primary's write path: run a transaction on the store (retrying conflicts), encode the
//! committed write set as a CCF entry after the store lock is released, propose it, and answer
//! with its TxID at once (CCF's early response; the client polls `tx_status`). Signature
//! transactions sign the Merkle tree every `tx_count` transactions (here) or `delay_ms` (at a
//! tick).

use bytes::Bytes;
use std::collections::BTreeSet;

use quorate_consensus::{ConsensusEngine, Input, NodeId, Proposal};
use quorate_kv::{ClaimsDigest, CommitOutcome, KvError, Tx, TxId, WriteSet, encode_entry};
use quorate_ledger::signature::{SigningNode, SigningService, signature_write_set};
use quorate_ledger::tables;

use super::error::ReplicationError;
use super::membership::trusted_members;
use super::node::ReplicatedNode;

/// A transaction committed on the primary's store, not yet proposed.
struct LocalCommit<R> {
    txid: TxId,
    write_set: WriteSet,
    claims: ClaimsDigest,
    result: R,
}

/// What running a transaction locally did.
enum Local<R> {
    Wrote(LocalCommit<R>),
    ReadOnly { read_version: TxId, result: R },
}

impl ReplicatedNode {
    /// Runs `f` in a transaction at the primary and replicates what it wrote. Returns the TxID
    /// (Pending until a signature after it commits) and `f`'s result; a read-only transaction
    /// returns the version it read and replicates nothing.
    pub fn execute<R>(
        &mut self,
        f: impl FnMut(&mut Tx) -> R,
    ) -> Result<(TxId, R), ReplicationError> {
        match self.run_local(f)? {
            Local::Wrote(local) => {
                match self.reconfiguration_after(&local.write_set)? {
                    Some(members) => self.replicate(&local, |payload| {
                        Proposal::reconfiguration(members, payload)
                    })?,
                    None => self.replicate(&local, Proposal::raw)?,
                }
                Ok((local.txid, local.result))
            }
            Local::ReadOnly {
                read_version,
                result,
            } => Ok((read_version, result)),
        }
    }

    /// The new configuration if the transaction just committed locally changed the set of
    /// Trusted nodes (see [`super::membership`]).
    fn reconfiguration_after(
        &self,
        write_set: &WriteSet,
    ) -> Result<Option<BTreeSet<NodeId>>, ReplicationError> {
        if write_set.map(tables::NODES_INFO).is_none() {
            return Ok(None);
        }
        let members = trusted_members(&mut self.store.begin())?;
        Ok((members != self.raft.members()).then_some(members))
    }

    /// Executes `f` until it commits on the store (or gives up).
    fn run_local<R>(
        &mut self,
        mut f: impl FnMut(&mut Tx) -> R,
    ) -> Result<Local<R>, ReplicationError> {
        if !self.is_primary() {
            return Err(ReplicationError::NotPrimary {
                primary: self.primary(),
            });
        }
        let limit = self.config.max_uncommitted_tx_count;
        let uncommitted = self.raft.last_index() - self.raft.commit_index();
        if limit > 0 && uncommitted >= limit {
            return Err(ReplicationError::TooManyUncommitted { uncommitted, limit });
        }
        let attempts = self.config.max_tx_attempts.max(1);
        for _ in 0..attempts {
            let mut tx = self.store.begin();
            let result = f(&mut tx);
            match self.store.commit(tx) {
                Ok(CommitOutcome::Committed {
                    txid,
                    write_set,
                    claims_digest,
                }) => {
                    return Ok(Local::Wrote(LocalCommit {
                        txid,
                        write_set,
                        claims: claims_digest,
                        result,
                    }));
                }
                Ok(CommitOutcome::ReadOnly { read_version }) => {
                    return Ok(Local::ReadOnly {
                        read_version,
                        result,
                    });
                }
                Err(KvError::Conflict { .. } | KvError::RolledBack) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Err(ReplicationError::TooManyConflicts { attempts })
    }

    /// Encodes and proposes a local commit; if that fails the store drops it again, so store
    /// and log never disagree.
    fn replicate<R>(
        &mut self,
        local: &LocalCommit<R>,
        proposal: impl FnOnce(Bytes) -> Proposal,
    ) -> Result<(), ReplicationError> {
        let outcome = self.propose_local(local, proposal);
        if outcome.is_err() && self.raft.last_index() < local.txid.seqno {
            self.store.rollback(local.txid.seqno - 1)?;
        }
        outcome?;
        self.signatures.record_tx();
        // Only the count is checked here: a signature due by time comes from `tick`, which the
        // driver calls after answering the batch, so a write's answer never waits for signing.
        if self.signatures.count_due(&self.config.signatures) {
            self.emit_signature()?;
        }
        Ok(())
    }

    fn propose_local<R>(
        &mut self,
        local: &LocalCommit<R>,
        proposal: impl FnOnce(Bytes) -> Proposal,
    ) -> Result<(), ReplicationError> {
        self.check_next(local.txid)?;
        let entry = encode_entry(local.txid, &local.write_set, &local.claims, 0, &self.secret)?;
        self.step(Input::Propose(vec![proposal(Bytes::from(entry.bytes))]))
    }

    /// The store's next TxID must be the log's next entry in the current view.
    fn check_next(&self, txid: TxId) -> Result<(), ReplicationError> {
        if txid != TxId::new(self.raft.term(), self.raft.last_index() + 1) {
            return Err(ReplicationError::OutOfStep {
                store: txid,
                log_seqno: self.raft.last_index() + 1,
            });
        }
        Ok(())
    }

    /// Appends a signature transaction over every entry so far: the node signs the Merkle root,
    /// the service COSE-signs it. It is the only kind of entry commit can stop at.
    pub(super) fn emit_signature(&mut self) -> Result<(), ReplicationError> {
        let txid = TxId::new(self.raft.term(), self.raft.last_index() + 1);
        if self.store.current_txid().seqno + 1 != txid.seqno {
            return Err(ReplicationError::OutOfStep {
                store: self.store.current_txid(),
                log_seqno: txid.seqno,
            });
        }
        let node = SigningNode {
            node_id: &self.node.node_id_hex,
            key: &self.node.key,
            endorsed_cert_pem: self.node.endorsed_cert.pem(),
        };
        let service = SigningService {
            key: &self.service.key,
            config: &self.service.cose,
        };
        let issued_at_seconds = i64::try_from(self.now_ms / 1000).unwrap_or(i64::MAX);
        let signature =
            signature_write_set(txid, self.log.tree(), &node, &service, issued_at_seconds)?;
        let entry = encode_entry(txid, &signature.write_set, &[0; 32], 0, &self.secret)?;
        self.store.apply_write_set(txid, &signature.write_set)?;
        let proposed = self.step(Input::EmitSignature {
            payload: Bytes::from(entry.bytes),
        });
        if proposed.is_err() && self.raft.last_index() < txid.seqno {
            self.store.rollback(txid.seqno - 1)?;
        }
        proposed?;
        self.signatures.record_signature(self.now_ms);
        Ok(())
    }
}
