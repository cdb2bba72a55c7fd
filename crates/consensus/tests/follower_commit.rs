//! A follower commits only what the AppendEntries it accepted vouched for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Cluster;
use quorate_consensus::{ConsensusEngine, Message, Role};

/// Node 1 holds another branch's signature at an index the leader has committed with a
/// different entry. A stale NACK makes the leader resend an earlier range, which matches;
/// committing up to the leader's commit index there would commit the wrong branch.
#[test]
fn a_follower_never_commits_past_the_end_of_the_append_entries() {
    let mut c = Cluster::started(5);
    let base = c.node(0).commit_index();

    // Term 2, leader 0: a signed suffix reaches 1, 2 and 3 but commits nowhere. On the way,
    // 1 NACKs from base, and we keep that NACK for later.
    c.propose(0, b"t2");
    c.sign(0);
    c.tick(0, 10);
    c.take(0, Some(1));
    for to in [2, 3] {
        c.deliver_one(0, to);
    }
    (1..5).for_each(|n| c.drop_outbox(n));
    c.tick(0, 10);
    c.deliver_one(0, 1);
    let (_, stale_nack) = c.take(1, Some(0)).expect("1 NACKs");
    assert!(
        matches!(&stale_nack, Message::AppendEntriesResponse(r) if !r.success && r.last_index == base)
    );
    c.deliver(1, quorate_consensus::NodeId(0), stale_nack.clone());
    c.drop_outbox(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    (0..5).for_each(|n| c.drop_outbox(n));
    assert_eq!(c.node(1).last_index(), base + 2);
    assert_eq!(c.node(0).commit_index(), base);

    // Term 3, leader 3: its own signed suffix reaches only node 1.
    c.isolate(0);
    c.tick(3, 100);
    c.deliver_all();
    assert_eq!(c.node(3).role(), Role::Leader);
    (0..5).for_each(|n| c.drop_outbox(n));
    c.propose(3, b"t3");
    c.sign(3);
    c.tick(3, 10);
    c.deliver_one(3, 1);
    (0..5).for_each(|n| c.drop_outbox(n));
    assert_eq!(c.node(1).last_index(), base + 4);
    assert_eq!(c.node(1).entry(base + 4).unwrap().term, 3);

    // Term 4, leader 0 again (votes from 2 and 4), commits its own signature at the same
    // index, without node 1.
    c.heal();
    c.isolate(3);
    c.disconnect(0, 1);
    // CheckQuorum steps 0 down; term 3 is taken (2 and 4 voted for 3); term 4 wins.
    for _ in 0..3 {
        c.tick(0, 100);
        c.deliver_all();
    }
    assert_eq!(c.node(0).role(), Role::Leader);
    assert_eq!(c.node(0).term(), 4);
    c.propose(0, b"t4");
    c.sign(0);
    c.settle();
    assert_eq!(c.node(0).commit_index(), base + 4);
    assert_eq!(c.node(0).entry(base + 4).unwrap().term, 4);

    // The stale NACK pulls node 1's window back to `base`; the resent range ends at base+2.
    c.heal();
    c.isolate(3);
    c.deliver(1, quorate_consensus::NodeId(0), stale_nack);
    (0..5).for_each(|n| c.drop_outbox(n));
    c.tick(0, 10);
    let (to, ae) = c.take(0, Some(1)).expect("a resend to 1");
    assert!(
        matches!(&ae, Message::AppendEntries(m) if m.prev_index == base && m.last_index() == base + 2 && m.leader_commit == base + 4)
    );
    c.deliver(0, to, ae);

    let follower = c.node(1);
    assert!(
        follower.commit_index() <= base + 2,
        "committed past the message"
    );
    for i in 1..=follower.commit_index() {
        assert_eq!(
            follower.entry(i),
            c.node(0).entry(i),
            "committed entry {i} differs"
        );
    }
}
