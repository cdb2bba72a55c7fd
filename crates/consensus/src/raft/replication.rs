//! The leader side of replication: batched, single-term, pipelined AppendEntries, and what
//! the leader learns from the responses.

use super::Raft;
use crate::engine::Role;
use crate::ids::{Index, NodeId};
use crate::message::{AppendEntries, AppendEntriesResponse, Message};

impl Raft {
    /// Sends every peer what it has not been sent yet (or a heartbeat).
    pub(super) fn broadcast_append_entries(&mut self) {
        self.unsent_bytes = 0;
        let targets: Vec<_> = self
            .peers
            .iter()
            .map(|(id, p)| (*id, p.sent_index + 1))
            .collect();
        for (to, start) in targets {
            self.send_append_entries(to, start);
        }
    }

    /// Sends `start..=last_index` to `to` in messages of at most `max_entries_per_append`
    /// entries and `max_append_bytes` of payload (or one larger entry), of one term each; an empty heartbeat when there is nothing new.
    pub(super) fn send_append_entries(&mut self, to: NodeId, mut start: Index) {
        let last = self.log.last_index();
        let batch = self.config.max_entries_per_append.max(1);
        loop {
            let end = if start > last {
                last
            } else {
                let end_of_run = self
                    .log
                    .end_of_term_run(start, start.saturating_add(batch - 1));
                self.log
                    .end_within_bytes(start, end_of_run, self.config.max_append_bytes)
            };
            self.send_append_entries_range(to, start, end);
            if end >= last {
                return;
            }
            start = end + 1;
        }
    }

    fn send_append_entries_range(&mut self, to: NodeId, start: Index, end: Index) {
        // A node whose retirement is committed keeps replicating but sends no heartbeats.
        if self.is_retired_committed() && start >= end {
            return;
        }
        let prev_index = start - 1;
        let message = AppendEntries {
            term: self.term,
            prev_index,
            prev_term: self.log.term_at(prev_index),
            leader_commit: self.commit_index,
            entries: self.log.slice(start, end),
        };
        let Some(peer) = self.peers.get_mut(&to) else {
            return;
        };
        peer.sent_index = end.max(prev_index);
        self.send(to, Message::AppendEntries(message));
    }

    pub(super) fn receive_append_entries_response(
        &mut self,
        from: NodeId,
        r: AppendEntriesResponse,
    ) {
        if self.role != Role::Leader {
            return;
        }
        let Some(peer) = self.peers.get_mut(&from) else {
            return;
        };
        peer.since_last_ack_ms = 0;
        let match_index = peer.match_index;
        if r.term > self.term {
            self.become_aware_of_new_term(r.term);
            return;
        }
        // NACKs may carry an older term (that of the estimated match) and a lower index:
        // only ACKs can be stale.
        let stale = r.term != self.term || r.last_index < match_index;
        if r.success && stale {
            return;
        }
        if !r.success {
            // A NACK only moves the send window back; it never counts towards commit (bug 3).
            let estimate = self.log.highest_possible_match(r.term, r.last_index);
            let term = self.term;
            if let Some(peer) = self.peers.get_mut(&from) {
                if r.term == term && r.last_index < peer.match_index {
                    // The follower no longer holds entries it acknowledged in this term (it
                    // dropped its unsigned suffix leaving a pre-vote): believe it, or we
                    // would resend from past its end forever (a liveness fix over CCF).
                    // Lowering a match index never advances commit.
                    peer.match_index = r.last_index;
                }
                peer.sent_index = estimate.min(peer.sent_index).max(peer.match_index);
            }
            return;
        }
        if r.last_index > self.log.last_index() {
            // No honest follower ACKs entries the leader never had.
            return;
        }
        if let Some(peer) = self.peers.get_mut(&from) {
            peer.match_index = peer.match_index.max(r.last_index);
        }
        self.update_commit();
    }
}
