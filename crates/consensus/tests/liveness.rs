//! Liveness fixes over CCF's Raft, found by the cluster simulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Cluster, config};
use quorate_consensus::{ConsensusEngine, Role};

/// Without PreVote, a node with a stale log times out first and bumps the term again and
/// again. The up-to-date node refuses its votes but must keep its election timer running, or
/// it never stands itself.
#[test]
fn a_stale_candidate_cannot_starve_elections() {
    let mut c = Cluster::started(3);
    // Node 2 misses a signed suffix; then the leader is lost.
    c.isolate(2);
    c.propose(0, b"a");
    c.sign(0);
    c.settle();
    c.heal();
    c.isolate(0);
    // 2 starts first and keeps timing out; 1 must still win within a few timeouts.
    c.tick(2, 60);
    for _ in 0..100 {
        c.tick(2, 10);
        c.tick(1, 10);
        c.deliver_all();
        if c.node(1).role() == Role::Leader {
            break;
        }
    }
    assert_eq!(c.node(1).role(), Role::Leader);
}

/// With PreVote, a follower that leaves a pre-vote round in the same term drops its unsigned
/// suffix, entries it had acknowledged. The leader must believe its NACK and resend them.
#[test]
fn a_follower_that_dropped_acknowledged_entries_is_repaired() {
    let with_pre_vote = |id| quorate_consensus::RaftConfig {
        pre_vote: true,
        ..config(id)
    };
    let mut c = Cluster::started_with(3, with_pre_vote);
    c.propose(0, b"unsigned");
    c.settle();
    let last = c.node(0).last_index();
    assert_eq!(
        c.node(0).peers()[&quorate_consensus::NodeId(1)].match_index,
        last
    );

    // 1 hears nothing for an election timeout, runs a pre-vote, then hears the leader again.
    c.tick(1, 100);
    assert_eq!(c.node(1).role(), Role::PreVoteCandidate);
    c.drop_outbox(1);
    c.tick(0, 10);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Follower);

    // Commit now needs node 1: the signature must reach it.
    c.isolate(2);
    c.sign(0);
    c.settle();
    assert_eq!(c.node(1).last_index(), last + 1);
    assert_eq!(c.node(0).commit_index(), last + 1);
}
