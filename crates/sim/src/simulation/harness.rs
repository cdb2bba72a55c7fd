//! What the environment of the engine does on its own initiative: the operator replacing
//! crashed members, the node layer emitting signatures, and clients submitting operations.

use quorate_consensus::{ConsensusEngine, EntryKind, Input, Proposal, Role};
use rand::RngExt;

use super::cluster::Cluster;
use super::payload;
use super::trace::Event;

impl Cluster {
    /// Proposes the replacement's reconfiguration at the leader (again if it has not
    /// committed after a while), and completes it once committed.
    pub(super) fn advance_replacement(&mut self) -> Result<(), String> {
        let Some(replacement) = &self.replacement else {
            return Ok(());
        };
        while self.scanned_committed < self.committed.len() {
            self.scanned_committed += 1;
            let reconfigured = self.committed.get(self.scanned_committed).is_some_and(
                |e| matches!(&e.kind, EntryKind::Reconfiguration(m) if *m == replacement.members),
            );
            if reconfigured {
                let event = Event::Join {
                    node: replacement.joining,
                    replaces: replacement.replaces,
                };
                self.trace.record(self.now_ms, event);
                self.members = replacement.members.clone();
                self.replacement = None;
                self.join_count += 1;
                return Ok(());
            }
        }
        let due = replacement
            .proposed_ms
            .is_none_or(|at_ms| self.now_ms.saturating_sub(at_ms) >= self.config.client_timeout_ms);
        if let (true, Some(leader)) = (due, self.leader()) {
            let proposal = Proposal::reconfiguration(replacement.members.clone(), Vec::new());
            if self.propose(leader, Input::Propose(vec![proposal]))?
                && let Some(replacement) = &mut self.replacement
            {
                replacement.proposed_ms = Some(self.now_ms);
            }
        }
        Ok(())
    }

    /// The harness's signature policy at each leader: sign after `signature_every_entries`
    /// unsigned entries, or after `signature_every_ms` when something is unsigned or nothing
    /// of the leader's own term is signed yet (a leader commits only in its own term).
    pub(super) fn emit_signatures(&mut self) -> Result<(), String> {
        for id in self.alive_ids() {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            let engine = &node.engine;
            if engine.role() != Role::Leader {
                continue;
            }
            let signed = engine.last_committable_index();
            let unsigned = engine.last_index().saturating_sub(signed);
            let signed_term = engine.entry(signed).map_or(0, |e| e.term);
            let waited_ms = self.now_ms.saturating_sub(node.last_signature_ms);
            let due = unsigned >= self.config.signature_every_entries
                || (waited_ms >= self.config.signature_every_ms
                    && (unsigned > 0 || signed_term < engine.term()));
            if !due {
                continue;
            }
            let input = Input::EmitSignature {
                payload: payload::signature_payload(),
            };
            if self.propose(id, input)?
                && let Some(node) = self.nodes.get_mut(&id)
            {
                node.last_signature_ms = self.now_ms;
                let index = node.engine.last_index();
                self.trace
                    .record(self.now_ms, Event::Signature { node: id, index });
            }
        }
        Ok(())
    }

    /// Now and then an idle client submits an operation to the leader.
    pub(super) fn submit_client_op(&mut self) -> Result<(), String> {
        if !self.rng.random_ratio(1, 3) {
            return Ok(());
        }
        let Some(leader) = self.leader() else {
            return Ok(());
        };
        let Some(op) = self.clients.next_op(&mut self.rng) else {
            return Ok(());
        };
        let proposal = Proposal::raw(payload::encode(&op));
        if self.propose(leader, Input::Propose(vec![proposal]))?
            && let Some(node) = self.nodes.get(&leader)
        {
            let index = node.engine.last_index();
            self.clients.submitted(op, leader, index, self.now_ms);
            let event = Event::Submitted {
                node: leader,
                client: op.client,
                index,
            };
            self.trace.record(self.now_ms, event);
        }
        Ok(())
    }
}
