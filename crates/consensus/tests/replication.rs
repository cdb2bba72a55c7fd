//! Basic replication through the engine API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use common::Cluster;
use quorate_consensus::{ConsensusEngine, Input, Message, NodeId, Role};

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

#[test]
fn append_entries_carry_one_term_and_at_most_the_batch_cap() {
    let capped = |id| quorate_consensus::RaftConfig {
        max_entries_per_append: 2,
        ..common::config(id)
    };
    let mut c = Cluster::started_with(3, capped);
    // Term 2 entries, then term 3 entries at a new leader.
    for i in 0..3u8 {
        c.propose(0, &[i]);
    }
    c.sign(0);
    c.settle();
    c.isolate(0);
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    for i in 0..4u8 {
        c.propose(1, &[i]);
    }
    c.sign(1);
    c.heal();
    c.isolate(0);
    c.settle();

    // A fresh learner needs the whole log: watch what the leader sends it.
    c.add_node(common::config(3));
    c.step(1, Input::AddLearner { node: NodeId(3) });
    let mut sent_to_learner = Vec::new();
    for _ in 0..10 {
        c.tick(1, 10);
        while let Some((to, m)) = c.take(1, Some(3)) {
            sent_to_learner.push(m.clone());
            c.deliver(1, to, m);
        }
        c.deliver_all();
    }
    assert_eq!(c.node(3).last_index(), c.node(1).last_index());
    let batches: Vec<_> = sent_to_learner
        .iter()
        .filter_map(|m| match m {
            Message::AppendEntries(ae) if !ae.entries.is_empty() => Some(ae),
            _ => None,
        })
        .collect();
    assert!(batches.len() > 2);
    for ae in batches {
        assert!(ae.entries.len() <= 2, "cap exceeded: {}", ae.entries.len());
        assert!(
            ae.entries.iter().all(|e| e.term == ae.entries[0].term),
            "mixed terms in one AppendEntries"
        );
    }
}

#[test]
fn a_large_append_goes_out_before_the_next_heartbeat() {
    let mut c = Cluster::started(3);
    c.propose(0, b"small");
    assert!(
        c.take(0, None).is_none(),
        "small appends wait for the heartbeat"
    );
    c.propose(0, &vec![0u8; 20_000]);
    let (_, m) = c.take(0, None).expect("sent at once");
    assert!(matches!(m, Message::AppendEntries(ae) if ae.entries.len() == 2));
}

#[test]
fn pipelining_is_optimistic_and_a_nack_rolls_the_window_back() {
    let mut c = Cluster::started(3);
    c.propose(0, b"a");
    c.sign(0);
    c.tick(0, 10);
    let last = c.node(0).last_index();
    let peer = &c.node(0).peers()[&NodeId(1)];
    assert_eq!(peer.sent_index, last, "sent moves forward when sending");
    assert!(peer.match_index < last);

    // The AppendEntries to 1 is lost; the next heartbeat is empty and 1 NACKs it.
    c.take(0, Some(1));
    c.deliver_all();
    c.tick(0, 10);
    c.deliver_one(0, 1);
    c.deliver_one(1, 0);
    assert!(c.node(0).peers()[&NodeId(1)].sent_index < last);
    c.settle();
    assert_eq!(c.node(1).last_index(), last);
    assert_eq!(c.node(0).peers()[&NodeId(1)].match_index, last);
}

#[test]
fn bootstrap_leads_the_first_term_with_its_payload_as_the_first_configuration() {
    let mut raft = quorate_consensus::Raft::new(common::config(0));
    let genesis = bytes::Bytes::from_static(b"genesis");
    raft.handle(Input::Bootstrap {
        payload: genesis.clone(),
    })
    .unwrap();
    assert_eq!(raft.role(), Role::Leader);
    assert_eq!(raft.term(), quorate_consensus::raft::FIRST_TERM);
    assert_eq!(raft.hard_state().vote, Some(NodeId(0)));
    assert_eq!(raft.last_index(), 1);
    assert_eq!(
        raft.entry(1),
        Some(&quorate_consensus::Entry {
            term: quorate_consensus::raft::FIRST_TERM,
            committable: false,
            kind: quorate_consensus::EntryKind::Reconfiguration(BTreeSet::from([NodeId(0)])),
            payload: genesis,
        })
    );
    assert_eq!(
        raft.handle(Input::Bootstrap {
            payload: bytes::Bytes::new()
        }),
        Err(quorate_consensus::ConsensusError::AlreadyStarted)
    );
}

#[test]
fn role_changes_are_reported_once() {
    let mut raft = quorate_consensus::Raft::new(common::config(0));
    let outputs = raft
        .handle(Input::Bootstrap {
            payload: bytes::Bytes::new(),
        })
        .unwrap();
    let changes: Vec<_> = outputs
        .iter()
        .filter(|o| matches!(o, quorate_consensus::Output::RoleChanged { .. }))
        .collect();
    assert_eq!(
        changes,
        [&quorate_consensus::Output::RoleChanged {
            role: Role::Leader,
            term: 2
        }]
    );
    // A node that runs pre-vote rounds again and again stays a PreVoteCandidate in the
    // same term: one change for the node.
    let with_pre_vote = |id| quorate_consensus::RaftConfig {
        pre_vote: true,
        ..common::config(id)
    };
    let mut c = Cluster::started_with(3, with_pre_vote);
    let node = c.nodes.get_mut(&NodeId(1)).unwrap();
    let reported: usize = [100, 200, 300]
        .into_iter()
        .map(|now_ms| {
            node.handle(Input::Tick { now_ms })
                .unwrap()
                .iter()
                .filter(|o| matches!(o, quorate_consensus::Output::RoleChanged { .. }))
                .count()
        })
        .sum();
    assert_eq!(node.role(), Role::PreVoteCandidate);
    assert_eq!(reported, 1);
}

#[test]
fn a_signature_goes_out_at_once_only_when_configured() {
    for at_once in [false, true] {
        let config = |id| quorate_consensus::RaftConfig {
            send_committable_at_once: at_once,
            ..common::config(id)
        };
        let mut c = Cluster::started_with(3, config);
        c.settle();
        c.propose(0, b"small");
        assert!(c.take(0, Some(1)).is_none(), "a small entry waits");
        c.sign(0);
        let sent = c.take(0, Some(1));
        match sent {
            Some((_, Message::AppendEntries(ae))) => {
                assert!(at_once, "CCF's behaviour waits for the heartbeat");
                assert_eq!(ae.entries.len(), 2, "the entry and its signature");
            }
            None => assert!(!at_once, "the signature was held back"),
            Some((_, other)) => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn append_entries_stay_within_the_byte_cap_and_an_oversized_entry_goes_alone() {
    let capped = |id| quorate_consensus::RaftConfig {
        max_append_bytes: 250,
        ..common::config(id)
    };
    let mut c = Cluster::started_with(3, capped);
    c.settle();
    let first = c.node(0).last_index() + 1;
    for size in [100usize, 100, 100, 1000, 100] {
        c.propose(0, &vec![7u8; size]);
    }
    c.tick(0, 10);
    let mut batches = Vec::new();
    while let Some((_, message)) = c.take(0, Some(1)) {
        if let Message::AppendEntries(ae) = message
            && ae.prev_index + 1 >= first
            && !ae.entries.is_empty()
        {
            batches.push(
                ae.entries
                    .iter()
                    .map(|e| e.payload.len())
                    .collect::<Vec<_>>(),
            );
        }
    }
    assert_eq!(
        batches,
        vec![vec![100, 100], vec![100], vec![1000], vec![100]]
    );
}
