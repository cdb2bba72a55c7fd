//! Durability gates acknowledgement: a leader counts itself towards commit only for persisted
//! entries, and followers acknowledge only persisted entries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Cluster;
use quorate_consensus::{ConsensusEngine, Message};

#[test]
fn a_follower_acknowledges_only_once_its_entries_are_persisted() {
    let mut c = Cluster::started(3);
    c.auto_persist = false;
    c.propose(0, b"a");
    c.sign(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    assert!(
        c.take(1, Some(0)).is_none(),
        "no ACK before the entries are on disk"
    );
    c.persist(1);
    let (_, ack) = c.take(1, Some(0)).expect("ACK after persisting");
    let Message::AppendEntriesResponse(r) = ack else {
        panic!("expected a response, got {ack:?}");
    };
    assert!(r.success);
    assert_eq!(r.last_index, c.node(0).last_index());
}

#[test]
fn a_leader_counts_itself_only_for_persisted_entries() {
    let mut c = Cluster::started(3);
    let base = c.node(0).commit_index();
    c.auto_persist = false;
    // Only follower 1 hears of the new signature, and persists it.
    c.disconnect(0, 2);
    c.propose(0, b"a");
    c.sign(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    c.persist(1);
    c.deliver_all();
    assert_eq!(
        c.node(0).commit_index(),
        base,
        "1 of 3 durable copies is not a quorum"
    );
    c.persist(0);
    assert_eq!(c.node(0).commit_index(), base + 2);
}

#[test]
fn an_acknowledgement_pending_at_a_term_change_is_never_sent() {
    let mut c = Cluster::started(3);
    c.auto_persist = false;
    c.propose(0, b"a");
    c.sign(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    // Node 2 starts an election; 1 moves to term 3 before its write completes.
    c.isolate(0);
    c.tick(2, 100);
    c.deliver_one(2, 1);
    c.drop_outbox(1);
    c.persist(1);
    assert!(
        c.take(1, Some(0)).is_none(),
        "an ACK for the old term's AppendEntries must not go out"
    );
}
