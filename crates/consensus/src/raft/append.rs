//! The follower side of replication: accepting, rejecting and acknowledging AppendEntries.

use super::Raft;
use crate::engine::{Output, Role};
use crate::entry::Entry;
use crate::ids::{Index, NodeId};
use crate::message::{AppendEntries, AppendEntriesResponse, Message};

impl Raft {
    pub(super) fn receive_append_entries(&mut self, from: NodeId, r: AppendEntries) {
        // No other node leads our term (Election Safety); such a message is forged.
        if !is_well_formed(&r) || (self.role == Role::Leader && r.term == self.term) {
            return;
        }
        if r.term > self.term {
            self.become_aware_of_new_term(r.term);
        } else if r.term == self.term
            && matches!(self.role, Role::Candidate | Role::PreVoteCandidate)
        {
            // A leader of our own term: step down, but keep the vote cast in this term.
            // Forgetting it (as a new term would) let a pre-vote candidate that had voted
            // grant a second vote in the same term once it lost track of the leader.
            let vote = self.voted_for;
            self.become_aware_of_new_term(r.term);
            self.voted_for = vote;
        } else if r.term < self.term {
            self.send_nack(from, self.term, self.log.last_index());
            return;
        }

        let local_prev_term = self.log.term_at(r.prev_index);
        if local_prev_term != r.prev_term {
            if local_prev_term == 0 {
                self.send_nack(from, self.term, self.log.last_index());
            } else {
                let index = self.log.highest_possible_match(r.prev_term, r.prev_index);
                self.send_nack(from, self.log.term_at(index), index);
            }
            return;
        }

        self.restart_election_timer();
        self.leader = Some(from);

        // Entries at or below our commit index are settled; an AppendEntries reaching back
        // there is stale, and acting on it could truncate committed entries (bug 4).
        if r.prev_index < self.commit_index || r.prev_index > self.log.last_index() {
            return;
        }

        let last_index = r.last_index();
        let mut appended = Vec::new();
        let mut first_appended = None;
        for (offset, entry) in r.entries.into_iter().enumerate() {
            let index = r.prev_index + 1 + offset as Index;
            if index <= self.log.last_index() {
                if self.log.term_at(index) == entry.term {
                    continue;
                }
                if !self.new_follower {
                    // A conflicting suffix is only dropped on the first AppendEntries of a
                    // term; later conflicts are ignored, with no reply.
                    self.emit_persist(first_appended, appended);
                    return;
                }
                self.new_follower = false;
                self.rollback(index - 1);
            }
            first_appended.get_or_insert(index);
            let committable = entry.committable;
            appended.push(entry.clone());
            self.append_entry(entry);
            if committable {
                self.commit_if_possible(r.leader_commit);
            }
        }
        self.emit_persist(first_appended, appended);
        // Only entries this message vouched for may commit: beyond its end this log may
        // still hold another branch's signature at an index the leader has committed.
        self.commit_if_possible(r.leader_commit.min(last_index));

        // ACK only what this message carried (bug 5), and only once it is on disk.
        if self.persisted_index >= last_index {
            self.send_ack(from, last_index);
        } else {
            self.pending_ack = Some((from, last_index));
        }
    }

    fn emit_persist(&mut self, first_index: Option<Index>, entries: Vec<Entry>) {
        if let Some(first_index) = first_index {
            self.out.push(Output::Persist {
                first_index,
                entries,
            });
        }
    }

    pub(super) fn send_ack(&mut self, to: NodeId, last_index: Index) {
        let response = AppendEntriesResponse {
            term: self.term,
            last_index,
            success: true,
        };
        self.send(to, Message::AppendEntriesResponse(response));
    }

    fn send_nack(&mut self, to: NodeId, term: u64, last_index: Index) {
        let response = AppendEntriesResponse {
            term,
            last_index,
            success: false,
        };
        self.send(to, Message::AppendEntriesResponse(response));
    }
}

/// Drops messages no honest leader sends: entries from a later term than the message, terms
/// going backwards (from `prev_term` on) or of 0 (no entry has term 0), a `prev_term` that
/// does not fit `prev_index`, or an index range that overflows.
fn is_well_formed(r: &AppendEntries) -> bool {
    let mut previous = r.prev_term;
    if r.prev_index.checked_add(r.entries.len() as Index).is_none()
        || previous > r.term
        || (r.prev_index == 0) != (r.prev_term == 0)
    {
        return false;
    }
    r.entries.iter().all(|e| {
        let ok = e.term >= previous.max(1) && e.term <= r.term;
        previous = e.term;
        ok
    })
}
