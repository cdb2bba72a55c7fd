//! Joining nodes catch up as learners before they count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Cluster, config};
use quorate_consensus::{ConsensusEngine, ConsensusError, Input, NodeId, Role};

#[test]
fn a_learner_catches_up_without_counting_then_joins() {
    let mut c = Cluster::started(3);
    for i in 0..50u8 {
        c.propose(0, &[i]);
    }
    c.sign(0);
    c.settle();
    let caught_up = c.node(0).last_index();

    c.add_node(config(3));
    c.step(0, Input::AddLearner { node: NodeId(3) });
    c.settle();
    assert_eq!(c.node(3).last_index(), caught_up);
    assert_eq!(c.node(0).peers()[&NodeId(3)].match_index, caught_up);
    assert_eq!(c.node(3).role(), Role::Follower);

    // The learner does not count: with both members cut off, its ACK commits nothing.
    c.disconnect(0, 1);
    c.disconnect(0, 2);
    c.sign(0);
    c.settle();
    assert_eq!(c.node(3).last_index(), caught_up + 1);
    assert_eq!(c.node(0).commit_index(), caught_up);

    // Nor does it campaign, however long it hears nothing.
    let term = c.node(3).term();
    c.isolate(3);
    c.tick(3, 1_000);
    assert_eq!(c.node(3).role(), Role::Follower);
    assert_eq!(c.node(3).term(), term);

    // Once a configuration includes it, it is a member like any other.
    c.heal();
    c.reconfigure(0, &[0, 1, 2, 3]);
    c.sign(0);
    c.settle();
    assert_eq!(c.node(3).commit_index(), c.node(0).last_index());
    assert!(c.node(3).members().contains(&NodeId(3)));
}

#[test]
fn only_the_leader_adds_learners() {
    let mut c = Cluster::started(3);
    let node = c.nodes.get_mut(&NodeId(1)).unwrap();
    assert_eq!(
        node.handle(Input::AddLearner { node: NodeId(7) }),
        Err(ConsensusError::NotLeader)
    );
}
