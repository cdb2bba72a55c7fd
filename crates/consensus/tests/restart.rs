//! Crash and restart from durable state: the hard state (term, vote, a known commit point)
//! is persisted before anything that depends on it is sent, and `Raft::restore` rebuilds a
//! follower from it and the durable log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Cluster, config};
use quorate_consensus::message::{AppendEntries, ElectionType, RequestVote};
use quorate_consensus::raft::RetirementPhase;
use quorate_consensus::{
    ConsensusEngine, ConsensusError, HardState, Input, Message, NodeId, Output, Proposal, Raft,
    Role,
};

/// A regular RequestVote for `term` from a candidate whose log is as good as `up_to`'s.
fn request_vote(c: &Cluster, term: u64, up_to: u64) -> Message {
    let node = c.node(up_to);
    let index = node.last_committable_index();
    Message::RequestVote(RequestVote {
        term,
        last_committable_index: index,
        last_committable_term: node.entry(index).map_or(0, |e| e.term),
        election_type: ElectionType::RegularVote,
    })
}

/// Delivers `message` from `from` to `to` and returns `to`'s answer to `from`.
fn ask(c: &mut Cluster, from: u64, to: u64, message: Message) -> Message {
    c.deliver(from, NodeId(to), message);
    c.take(to, Some(from)).expect("an answer").1
}

fn granted(answer: &Message) -> bool {
    matches!(answer, Message::RequestVoteResponse(r) if r.granted)
}

#[test]
fn the_hard_state_is_persisted_before_the_vote_is_sent() {
    let mut c = Cluster::started(3);
    let vote = request_vote(&c, 3, 2);
    let outputs = c
        .nodes
        .get_mut(&NodeId(1))
        .unwrap()
        .handle(Input::Receive {
            from: NodeId(2),
            message: vote,
        })
        .unwrap();
    assert_eq!(
        outputs.first(),
        Some(&Output::PersistHardState(HardState {
            term: 3,
            vote: Some(NodeId(2)),
            commit_index: c.node(1).commit_index(),
        }))
    );
    assert!(
        matches!(outputs.last(), Some(Output::Send { message, .. }) if granted(message)),
        "{outputs:?}"
    );
}

/// The classic double-vote bug: a node grants its vote, crashes, restarts, and must refuse a
/// second candidate of the same term.
#[test]
fn a_restarted_node_never_votes_twice_in_a_term() {
    let mut c = Cluster::started(3);
    let first = request_vote(&c, 3, 2);
    assert!(granted(&ask(&mut c, 2, 1, first)));
    c.restart(1);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).term(), 3);
    let second = request_vote(&c, 3, 0);
    assert!(
        !granted(&ask(&mut c, 0, 1, second)),
        "second vote in term 3"
    );
    // The same request to a node restored without the vote would be granted: the vote in
    // the hard state is what refuses it.
    let entries = c.node(1).entries().to_vec();
    let forgetful = HardState {
        vote: None,
        ..c.hard_states[&NodeId(1)]
    };
    c.nodes.insert(
        NodeId(1),
        Raft::restore(config(1), forgetful, entries, None).unwrap(),
    );
    let second = request_vote(&c, 3, 0);
    assert!(granted(&ask(&mut c, 0, 1, second)));
}

/// A pre-vote candidate that steps down on hearing its term's leader keeps the vote it cast
/// in that term. It used to forget it, and could then vote again in the same term.
#[test]
fn stepping_down_in_the_same_term_keeps_the_vote() {
    let with_pre_vote = |id| quorate_consensus::RaftConfig {
        pre_vote: true,
        ..config(id)
    };
    let mut c = Cluster::started_with(3, with_pre_vote);
    let vote = request_vote(&c, 3, 2);
    assert!(granted(&ask(&mut c, 2, 1, vote)));
    // Node 1 times out before hearing from the leader it helped elect.
    c.tick(1, 100);
    assert_eq!(c.node(1).role(), Role::PreVoteCandidate);
    // Node 2 won term 3; its first AppendEntries reaches node 1 mid pre-vote.
    c.drop_outbox(1);
    let append = Message::AppendEntries(AppendEntries {
        term: 3,
        prev_index: c.node(1).last_index(),
        prev_term: c.node(1).entry(c.node(1).last_index()).unwrap().term,
        leader_commit: c.node(1).commit_index(),
        entries: Vec::new(),
    });
    c.deliver(2, NodeId(1), append);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.hard_states[&NodeId(1)].vote, Some(NodeId(2)));
    c.restart(1);
    let second = request_vote(&c, 3, 0);
    assert!(!granted(&ask(&mut c, 0, 1, second)));
}

/// A follower restarts with every entry it acknowledged as persisted (and nothing it had
/// not), then catches up from the leader.
#[test]
fn a_restarted_follower_keeps_what_it_acknowledged_and_catches_up() {
    let mut c = Cluster::started(3);
    c.auto_persist = false;
    c.propose(0, b"a");
    c.sign(0);
    c.persist(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    c.persist(1);
    let (_, ack) = c.take(1, Some(0)).expect("ACK once persisted");
    let Message::AppendEntriesResponse(ack) = ack else {
        panic!("expected an ACK, got {ack:?}");
    };
    assert!(ack.success);
    let acked: Vec<_> = c.node(0).entries()[..ack.last_index as usize].to_vec();
    // More entries reach node 1 but never reach its disk.
    c.propose(0, b"b");
    c.sign(0);
    c.tick(0, 10);
    c.drop_outbox(1);
    c.deliver_one(0, 1);
    assert!(c.node(1).last_index() > ack.last_index);
    c.restart(1);
    assert_eq!(c.node(1).entries(), acked.as_slice());
    assert_eq!(c.node(1).role(), Role::Follower);
    c.auto_persist = true;
    c.persist(0);
    c.deliver_all();
    c.settle();
    assert_eq!(c.node(1).entries(), c.node(0).entries());
    assert_eq!(c.node(1).commit_index(), c.node(0).commit_index());
}

/// A restarted node resumes from the commit point its hard state recorded, with the
/// configuration rebuilt from its log.
#[test]
fn a_restarted_node_keeps_its_known_commit_and_configuration() {
    let mut c = Cluster::started(3);
    c.propose(0, b"a");
    c.sign(0);
    c.settle();
    let commit = c.node(2).commit_index();
    assert!(commit > 0);
    assert_eq!(c.hard_states[&NodeId(2)].commit_index, commit);
    c.restart(2);
    let node = c.node(2);
    assert_eq!(node.commit_index(), commit);
    assert_eq!(node.members(), [0, 1, 2].map(NodeId).into());
    assert_eq!(node.leader(), None);
}

/// Membership is rebuilt from the log's reconfiguration and cleanup entries up to the known
/// commit: a node whose retirement committed stays out, and the others forget it.
#[test]
fn a_restart_replays_reconfiguration_and_retirement() {
    let mut c = Cluster::started(2);
    c.add_node(config(2));
    c.reconfigure(0, &[1, 2]);
    c.sign(0);
    c.settle();
    let cleanup = Proposal::retired_committed([NodeId(0)].into(), Vec::new());
    c.step(0, Input::Propose(vec![cleanup]));
    c.sign(0);
    c.settle();
    assert_eq!(
        c.node(0).retirement_phase(),
        Some(RetirementPhase::RetiredCommitted)
    );
    c.restart(0);
    assert_eq!(c.node(0).role(), Role::None);
    assert_eq!(
        c.node(0).retirement_phase(),
        Some(RetirementPhase::RetiredCommitted)
    );
    // Node 0 handed over to node 1, which commits the cleanup with a signature of its own.
    assert_eq!(c.node(1).role(), Role::Leader);
    c.sign(1);
    c.settle();
    let live_configurations: Vec<_> = c.node(2).configurations().cloned().collect();
    let live_peers = c.node(2).peers().keys().copied().collect::<Vec<_>>();
    assert_eq!(live_peers, [NodeId(1)]);
    c.restart(2);
    let node = c.node(2);
    assert_eq!(node.role(), Role::Follower);
    let configurations: Vec<_> = node.configurations().cloned().collect();
    assert_eq!(configurations, live_configurations);
    assert_eq!(node.peers().keys().copied().collect::<Vec<_>>(), live_peers);
}

/// A leader that crashes comes back as a follower, never as leader of its old term; the
/// others elect a new leader, and it follows and catches up.
#[test]
fn a_restarted_leader_comes_back_as_a_follower() {
    let mut c = Cluster::started(3);
    c.propose(0, b"a");
    c.sign(0);
    c.settle();
    let old_term = c.node(0).term();
    let committed = c.node(0).commit_index();
    c.restart(0);
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).term(), old_term);
    assert_eq!(c.node(0).commit_index(), committed);
    // Its first tick only sets its clock, however late it comes.
    c.tick(0, 1_000);
    assert_eq!(c.node(0).role(), Role::Follower);
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    c.propose(1, b"b");
    c.sign(1);
    c.settle();
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).leader(), Some(NodeId(1)));
    assert_eq!(c.node(0).entries(), c.node(1).entries());
    assert_eq!(c.node(0).commit_index(), c.node(1).commit_index());
}

/// A durable state no correct host can produce is refused, not trusted: here the hard
/// state was lost while the log survived.
#[test]
fn a_log_ahead_of_the_hard_state_is_refused() {
    let mut c = Cluster::started(3);
    c.settle();
    let entries = c.node(1).entries().to_vec();
    let lost = Raft::restore(config(1), HardState::default(), entries.clone(), None);
    assert!(
        matches!(lost, Err(ConsensusError::InconsistentDurableState(_))),
        "{lost:?}"
    );
    let past_the_log = HardState {
        commit_index: entries.len() as u64 + 1,
        ..c.hard_states[&NodeId(1)]
    };
    let restored = Raft::restore(config(1), past_the_log, entries.clone(), None);
    match restored {
        Err(ConsensusError::InconsistentDurableState(reason)) => {
            assert!(reason.contains("missing"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut shuffled = entries;
    shuffled.reverse();
    let backwards = Raft::restore(config(1), c.hard_states[&NodeId(1)], shuffled, None);
    assert!(matches!(
        backwards,
        Err(ConsensusError::InconsistentDurableState(_))
    ));
}
