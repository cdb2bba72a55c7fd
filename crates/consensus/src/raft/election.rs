//! Elections: pre-vote, candidacy, vote granting and role changes.

use std::collections::BTreeSet;

use super::Raft;
use crate::engine::Role;
use crate::ids::{NodeId, Term};
use crate::message::{ElectionType, Message, ProposeRequestVote, RequestVote, RequestVoteResponse};

impl Raft {
    pub(super) fn become_pre_vote_candidate(&mut self) {
        if !self.may_campaign() {
            return;
        }
        self.set_role(Role::PreVoteCandidate);
        self.leader = None;
        self.reset_votes();
        self.restart_election_timer();
        self.request_votes(ElectionType::PreVote);
    }

    pub(super) fn become_candidate(&mut self) {
        if !self.may_campaign() {
            return;
        }
        self.leader = None;
        self.voted_for = Some(self.me());
        self.reset_votes();
        self.term += 1;
        self.set_role(Role::Candidate);
        self.restart_election_timer();
        self.reset_acks();
        self.request_votes(ElectionType::RegularVote);
    }

    /// A node with no configuration cannot stand, nor can a learner (a node catching up
    /// that no configuration includes yet), so it cannot disrupt the cluster with higher
    /// terms. Retiring nodes still may, as in CCF.
    fn may_campaign(&self) -> bool {
        let me = self.me();
        !self.configurations.is_empty()
            && (self.retirement.is_some()
                || self.configurations.iter().any(|c| c.members.contains(&me)))
    }

    /// Counts our own vote, then asks every other member of an active configuration.
    fn request_votes(&mut self, election_type: ElectionType) {
        let me = self.me();
        let request = RequestVote {
            term: self.term,
            last_committable_index: self.last_committable_index(),
            last_committable_term: self.log.term_at(self.last_committable_index()),
            election_type,
        };
        let others = self.configurations.others(me);
        self.add_vote(me);
        // Winning alone (a one-node configuration) already moved us on.
        if self.term != request.term || !self.is_candidate_for(election_type) {
            return;
        }
        for to in others {
            self.send(to, Message::RequestVote(request));
        }
    }

    fn is_candidate_for(&self, election_type: ElectionType) -> bool {
        match election_type {
            ElectionType::PreVote => self.role == Role::PreVoteCandidate,
            ElectionType::RegularVote => self.role == Role::Candidate,
        }
    }

    pub(super) fn become_leader(&mut self) {
        if self.is_retired_committed() {
            return;
        }
        // Unsigned entries cannot be vouched for; keep the genesis entries at startup.
        if self.commit_index > 0 {
            self.rollback(self.last_committable_index());
        }
        self.leader = Some(self.me());
        self.set_role(Role::Leader);
        self.timer_elapsed_ms = 0;
        self.reset_acks();
        if self.configurations.others(self.me()).is_empty() {
            self.update_commit();
        }
        let last = self.log.last_index();
        let peers: Vec<NodeId> = self.peers.keys().copied().collect();
        for to in peers {
            if let Some(p) = self.peers.get_mut(&to) {
                p.match_index = 0;
                p.sent_index = last;
            }
            self.send_append_entries(to, last + 1);
        }
    }

    /// Steps down in the current term, dropping the unsigned suffix.
    pub(super) fn become_follower(&mut self) {
        self.leader = None;
        self.restart_election_timer();
        self.reset_acks();
        self.rollback(self.last_committable_index());
        self.set_role(Role::Follower);
    }

    pub(super) fn become_aware_of_new_term(&mut self, term: Term) {
        self.term = term;
        self.voted_for = None;
        self.pending_ack = None;
        self.reset_votes();
        self.become_follower();
        self.new_follower = true;
    }

    pub(super) fn reset_acks(&mut self) {
        for p in self.peers.values_mut() {
            p.since_last_ack_ms = 0;
        }
    }

    fn reset_votes(&mut self) {
        self.votes = self
            .configurations
            .iter()
            .map(|c| (c.index, (c.quorum(), BTreeSet::new())))
            .collect();
    }

    /// Records `from`'s vote in every configuration it belongs to; a quorum in *each*
    /// configuration wins (bug 1 of CCF's model checking was tallying over their union).
    fn add_vote(&mut self, from: NodeId) {
        if self.configurations.is_empty() {
            return;
        }
        for c in self.configurations.iter() {
            if c.members.contains(&from) {
                self.votes
                    .entry(c.index)
                    .or_insert_with(|| (c.quorum(), BTreeSet::new()))
                    .1
                    .insert(from);
            }
        }
        let elected = self
            .votes
            .values()
            .all(|(quorum, voters)| voters.len() >= *quorum);
        if elected {
            match self.role {
                Role::PreVoteCandidate => self.become_candidate(),
                Role::Candidate => self.become_leader(),
                Role::None | Role::Follower | Role::Leader => {}
            }
        }
    }

    pub(super) fn receive_request_vote(&mut self, from: NodeId, r: RequestVote) {
        // Candidates stand in a term after the one they saw (term 0 has no elections): a
        // regular vote in term 0 comes only from a faulty or hostile peer, and granting it
        // would record a vote in a term no leader can have (found by the node_message fuzz
        // target; regression input fuzz/corpus/node_message/regression-vote-in-term-0).
        if r.term < self.term || (r.term == 0 && r.election_type == ElectionType::RegularVote) {
            self.send_vote_response(from, false, r.election_type);
            return;
        }
        if r.term > self.term {
            // Even a pre-vote reveals a term with a candidate in it. Learning a term from a
            // vote request is not hearing from a leader, so the election timer keeps running:
            // otherwise a candidate with a stale log, bumping the term at every timeout,
            // keeps every up-to-date node from ever standing (a liveness fix over CCF).
            let elapsed_ms = self.timer_elapsed_ms;
            self.become_aware_of_new_term(r.term);
            self.timer_elapsed_ms = elapsed_ms;
        }
        let regular = r.election_type == ElectionType::RegularVote;
        let mut grant = true;
        if regular && self.leader.is_some() {
            grant = false;
        }
        if regular && self.voted_for.is_some_and(|v| v != from) {
            grant = false;
        }
        let my_index = self.last_committable_index();
        let my_term = self.log.term_at(my_index);
        let up_to_date = r.last_committable_term > my_term
            || (r.last_committable_term == my_term && r.last_committable_index >= my_index);
        if !up_to_date {
            grant = false;
        }
        if grant && regular {
            self.restart_election_timer();
            self.leader = None;
            self.voted_for = Some(from);
        }
        self.send_vote_response(from, grant, r.election_type);
    }

    fn send_vote_response(&mut self, to: NodeId, granted: bool, election_type: ElectionType) {
        let response = RequestVoteResponse {
            term: self.term,
            granted,
            election_type,
        };
        self.send(to, Message::RequestVoteResponse(response));
    }

    pub(super) fn receive_request_vote_response(&mut self, from: NodeId, r: RequestVoteResponse) {
        let expected = match self.role {
            Role::PreVoteCandidate => ElectionType::PreVote,
            Role::Candidate => ElectionType::RegularVote,
            Role::None | Role::Follower | Role::Leader => return,
        };
        if r.election_type != expected || !self.peers.contains_key(&from) {
            return;
        }
        if r.term > self.term {
            self.become_aware_of_new_term(r.term);
            return;
        }
        if r.term == self.term && r.granted {
            self.add_vote(from);
        }
    }

    pub(super) fn receive_propose_request_vote(&mut self, r: ProposeRequestVote) {
        if !self.is_retired_committed() && r.term == self.term {
            self.become_candidate();
        }
    }

    /// A leader whose retirement committed nudges its most up-to-date peer (ties: the one
    /// in the newest configuration, then the lowest id) to campaign at once.
    pub(super) fn propose_successor(&mut self) {
        let mut best: Option<(NodeId, u64, u64)> = None;
        for (node, peer) in &self.peers {
            let reconf = self.configurations.latest_including(*node);
            let better = match best {
                None => true,
                Some((_, best_match, best_reconf)) => {
                    peer.match_index > best_match
                        || (peer.match_index == best_match && reconf > best_reconf)
                }
            };
            if better {
                best = Some((*node, peer.match_index, reconf));
            }
        }
        if let Some((to, _, _)) = best {
            let term = self.term;
            self.send(to, Message::ProposeRequestVote(ProposeRequestVote { term }));
        }
    }
}
