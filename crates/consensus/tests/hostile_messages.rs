//! Arbitrary, possibly hostile, peer messages never crash a node or break its invariants.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::Cluster;
use proptest::prelude::*;
use quorate_consensus::message::{
    AppendEntries, AppendEntriesResponse, ElectionType, Message, ProposeRequestVote, RequestVote,
    RequestVoteResponse,
};
use quorate_consensus::{ConsensusEngine, Entry, EntryKind, Input, NodeId};

/// Small numbers, so messages hit real code paths instead of being stale or out of range.
fn small() -> impl Strategy<Value = u64> {
    0u64..12
}

fn entry() -> impl Strategy<Value = Entry> {
    let kind = prop_oneof![
        4 => Just(EntryKind::Raw),
        1 => proptest::collection::btree_set((0u64..5).prop_map(NodeId), 0..4)
            .prop_map(EntryKind::Reconfiguration),
        1 => proptest::collection::btree_set((0u64..5).prop_map(NodeId), 0..3)
            .prop_map(EntryKind::RetiredCommitted),
    ];
    (small(), any::<bool>(), kind).prop_map(|(term, committable, kind)| Entry {
        term,
        committable,
        kind,
        payload: Bytes::from_static(b"x"),
    })
}

fn election_type() -> impl Strategy<Value = ElectionType> {
    prop_oneof![Just(ElectionType::PreVote), Just(ElectionType::RegularVote)]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            small(),
            small(),
            small(),
            small(),
            proptest::collection::vec(entry(), 0..4)
        )
            .prop_map(|(term, prev_index, prev_term, leader_commit, entries)| {
                Message::AppendEntries(AppendEntries {
                    term,
                    prev_index,
                    prev_term,
                    leader_commit,
                    entries,
                })
            }),
        (small(), small(), any::<bool>()).prop_map(|(term, last_index, success)| {
            Message::AppendEntriesResponse(AppendEntriesResponse {
                term,
                last_index,
                success,
            })
        }),
        (small(), small(), small(), election_type()).prop_map(|(term, index, lterm, t)| {
            Message::RequestVote(RequestVote {
                term,
                last_committable_index: index,
                last_committable_term: lterm,
                election_type: t,
            })
        }),
        (small(), any::<bool>(), election_type()).prop_map(|(term, granted, t)| {
            Message::RequestVoteResponse(RequestVoteResponse {
                term,
                granted,
                election_type: t,
            })
        }),
        small().prop_map(|term| Message::ProposeRequestVote(ProposeRequestVote { term })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `Cluster::step` checks every node's invariants after every input and fails on any
    /// error, so reaching the end means every message was handled safely.
    #[test]
    fn any_message_sequence_keeps_every_invariant(
        script in proptest::collection::vec((0u64..3, 0u64..5, message(), 0u64..30), 1..40)
    ) {
        let mut c = Cluster::started(3);
        for (to, from, message, tick_ms) in script {
            c.step(to, Input::Receive { from: NodeId(from), message });
            c.tick(to, tick_ms);
            c.deliver_all();
        }
        for id in 0..3 {
            prop_assert!(c.node(id).check_invariants().is_ok());
        }
    }
}

/// A joiner is still at term 0; a regular vote request in term 0 (no honest candidate sends
/// one) must not make it vote there (found by the node_message fuzz target).
#[test]
fn a_joiner_refuses_a_vote_in_term_zero() {
    let mut c = Cluster::started(1);
    c.add_node(common::config(1));
    c.step(
        1,
        Input::Receive {
            from: NodeId(0),
            message: Message::RequestVote(RequestVote {
                term: 0,
                last_committable_index: 0,
                last_committable_term: 0,
                election_type: ElectionType::RegularVote,
            }),
        },
    );
    assert!(c.node(1).check_invariants().is_ok());
    let answer = c.take(1, Some(0));
    assert!(
        matches!(
            answer,
            Some((
                _,
                Message::RequestVoteResponse(RequestVoteResponse { granted: false, .. })
            ))
        ),
        "{answer:?}"
    );
}
