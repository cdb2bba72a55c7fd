//! Basic replication through the engine API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Cluster;
use quorate_consensus::{ConsensusEngine, Role};

#[test]
fn three_nodes_replicate_and_commit_at_signatures() {
    let mut c = Cluster::started(3);
    assert_eq!(c.node(0).role(), Role::Leader);
    assert_eq!(c.node(0).term(), 2);
    let base = c.node(0).commit_index();
    assert_eq!(base, 4);
    c.propose(0, b"a");
    c.propose(0, b"b");
    c.settle();
    assert_eq!(
        c.node(0).commit_index(),
        base,
        "raw entries never commit alone"
    );
    c.sign(0);
    c.settle();
    for id in 0..3 {
        assert_eq!(c.node(id).commit_index(), base + 3);
        assert_eq!(c.node(id).last_index(), base + 3);
    }
}

#[test]
fn a_follower_takes_over_after_the_leader_is_isolated() {
    let mut c = Cluster::started(3);
    c.isolate(0);
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), 3);
    c.tick(0, 100);
    assert_eq!(c.node(0).role(), Role::Follower, "CheckQuorum");
}
