//! Votes survive restarts: no node votes for two candidates in one term (the double vote
//! behind two leaders in a term), and a node restarts with every term and vote its sent
//! messages promised, since those are what a crash must not undo.

use std::collections::BTreeMap;

use quorate_consensus::message::ElectionType;
use quorate_consensus::{HardState, Message, NodeId, Term};

#[derive(Debug, Default)]
pub struct Votes {
    /// The candidate each (term, voter) granted its regular vote to.
    granted: BTreeMap<(Term, NodeId), NodeId>,
    /// The highest term of any message each node has sent.
    sent_term: BTreeMap<NodeId, Term>,
}

impl Votes {
    /// `from` sends `message` to `to` (whether or not the network delivers it).
    pub fn on_send(&mut self, from: NodeId, to: NodeId, message: &Message) -> Result<(), String> {
        let term = message.term();
        let highest = self.sent_term.entry(from).or_default();
        *highest = (*highest).max(term);
        if let Message::RequestVoteResponse(r) = message
            && r.granted
            && r.election_type == ElectionType::RegularVote
        {
            match self.granted.insert((r.term, from), to) {
                Some(other) if other != to => {
                    return Err(format!(
                        "DoubleVote: {from} voted for {other} and {to} in term {}",
                        r.term
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `node` restarts from `hard_state`: it must not be behind its own messages.
    pub fn on_restart(&self, node: NodeId, hard_state: &HardState) -> Result<(), String> {
        let sent = self.sent_term.get(&node).copied().unwrap_or(0);
        if hard_state.term < sent {
            return Err(format!(
                "ForgottenTerm: {node} restarts in term {} but had sent messages of term {sent}",
                hard_state.term
            ));
        }
        if let Some(candidate) = self.granted.get(&(hard_state.term, node))
            && hard_state.vote != Some(*candidate)
        {
            return Err(format!(
                "ForgottenVote: {node} restarts in term {} without its vote for {candidate}",
                hard_state.term
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use quorate_consensus::message::{ElectionType, RequestVoteResponse};
    use quorate_consensus::{HardState, Message, NodeId};

    use super::Votes;

    fn grant(term: u64) -> Message {
        Message::RequestVoteResponse(RequestVoteResponse {
            term,
            granted: true,
            election_type: ElectionType::RegularVote,
        })
    }

    #[test]
    fn a_second_vote_in_a_term_and_a_forgotten_vote_are_violations() {
        let mut votes = Votes::default();
        votes.on_send(NodeId(1), NodeId(2), &grant(3)).unwrap();
        votes.on_send(NodeId(1), NodeId(2), &grant(3)).unwrap();
        let forgot = HardState {
            term: 3,
            vote: None,
            commit_index: 0,
        };
        assert!(
            votes
                .on_restart(NodeId(1), &forgot)
                .unwrap_err()
                .starts_with("ForgottenVote")
        );
        let kept = HardState {
            vote: Some(NodeId(2)),
            ..forgot
        };
        votes.on_restart(NodeId(1), &kept).unwrap();
        let behind = HardState { term: 2, ..kept };
        assert!(
            votes
                .on_restart(NodeId(1), &behind)
                .unwrap_err()
                .starts_with("ForgottenTerm")
        );
        let double = votes.on_send(NodeId(1), NodeId(3), &grant(3)).unwrap_err();
        assert!(double.starts_with("DoubleVote"), "{double}");
    }
}
