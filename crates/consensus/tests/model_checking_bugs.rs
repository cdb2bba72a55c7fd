//! Regression tests for the six bugs CCF found in its Raft by model checking and trace
//! validation (NSDI'25, Table 2; numbered as in ccf-reference.md §1.3). Each test rebuilds the
//! situation with the deterministic test cluster and asserts the correct behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Cluster, config};
use quorate_consensus::message::{AppendEntriesResponse, Message};
use quorate_consensus::raft::RetirementPhase;
use quorate_consensus::{ConsensusEngine, Input, NodeId, Role};

/// Delivers everything except acknowledgements addressed to `leader`, so followers catch up
/// while the leader's commit index stays put.
fn deliver_all_but_acks_to(c: &mut Cluster, leader: u64) {
    let ids: Vec<u64> = c.nodes.keys().map(|n| n.0).collect();
    for _ in 0..5 {
        for from in &ids {
            while let Some((to, m)) = c.take(*from, None) {
                let is_ack = matches!(m, Message::AppendEntriesResponse(ref r) if r.success);
                if !(is_ack && to == NodeId(leader)) {
                    c.deliver(*from, to, m);
                }
            }
        }
    }
}

/// Bug 1: the election quorum was tallied over the union of the active configurations
/// instead of in each of them.
#[test]
fn bug1_election_needs_a_quorum_in_every_active_configuration() {
    let mut c = Cluster::started(3);
    c.add_node(config(3));
    c.add_node(config(4));
    // {0,1,2} is committed; {0,1,2,3,4} reaches every follower but never commits.
    c.reconfigure(0, &[0, 1, 2, 3, 4]);
    c.sign(0);
    for _ in 0..4 {
        c.tick(0, 10);
        deliver_all_but_acks_to(&mut c, 0);
    }
    assert_eq!(c.node(3).configurations().count(), 2);

    // Node 3 campaigns; 0 and 2 are unreachable. Votes from 1, 3 and 4 are a majority of
    // the union {0..4}, but only one of three in {0,1,2}.
    c.isolate(0);
    c.disconnect(2, 3);
    c.tick(3, 100);
    assert_eq!(c.node(3).role(), Role::Candidate);
    c.deliver_all();
    assert_eq!(
        c.node(3).role(),
        Role::Candidate,
        "a union majority must not elect"
    );

    // A second vote from {0,1,2} completes the quorum there too.
    c.heal();
    c.isolate(0);
    c.tick(3, 100);
    c.deliver_all();
    assert_eq!(c.node(3).role(), Role::Leader);
}

/// Bug 2: a leader advanced commit to entries of previous terms without an entry of its
/// own term (Raft §5.4.2, figure 8).
#[test]
fn bug2_no_commit_of_previous_term_entries_without_a_current_term_signature() {
    let mut c = Cluster::started(3);
    let base = c.node(0).commit_index();
    // Leader 0 (term 2) gets a signed suffix onto node 1 only, and never hears the ACK.
    c.propose(0, b"x");
    c.sign(0);
    c.tick(0, 10);
    c.deliver_one(0, 1);
    c.drop_outbox(0);
    c.drop_outbox(1);
    let signed = c.node(1).last_index();
    assert_eq!(signed, base + 2);

    // Node 1 wins term 3 with node 2's vote and replicates the term-2 suffix to 2.
    c.isolate(0);
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    c.settle();
    assert_eq!(
        c.node(2).last_index(),
        signed,
        "the old suffix is on a majority"
    );
    assert_eq!(
        c.node(1).commit_index(),
        base,
        "a term-2 signature on a majority is not committed by a term-3 leader"
    );

    // Its own signature commits everything before it.
    c.sign(1);
    c.settle();
    assert_eq!(c.node(1).commit_index(), signed + 1);
    assert_eq!(c.node(2).commit_index(), signed + 1);
}

/// Bug 3: commit advanced on an AppendEntries NACK because a variable was reused. A NACK's
/// index only says where the logs *may* agree; it must never count as a match.
#[test]
fn bug3_a_nack_never_advances_commit() {
    let mut c = Cluster::started(3);
    let base = c.node(0).commit_index();
    // Old leader 0 keeps a signed suffix of term 2 that nobody else has.
    c.isolate(0);
    c.propose(0, b"stale");
    c.sign(0);
    // Node 1 wins term 3 and puts a signature at the same index onto node 2, but the ACK is
    // lost, so commit stays put.
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    c.settle();
    c.sign(1);
    c.tick(1, 10);
    c.deliver_one(1, 2);
    c.drop_outbox(2);
    c.drop_outbox(1);
    assert_eq!(c.node(1).commit_index(), base);

    // 0 rejoins: its NACK names index base+1 (same index as 1's signature, other term).
    c.heal();
    c.tick(1, 10);
    c.deliver_one(1, 0);
    let (to, nack) = c.take(0, Some(1)).expect("0 answers");
    let Message::AppendEntriesResponse(AppendEntriesResponse {
        success: false,
        last_index,
        ..
    }) = nack
    else {
        panic!("expected a NACK, got {nack:?}");
    };
    assert_eq!(last_index, base + 1);
    c.deliver(0, to, nack);
    assert_eq!(
        c.node(1).commit_index(),
        base,
        "a NACK must not count as an acknowledgement"
    );
    assert_eq!(c.node(1).peers()[&NodeId(0)].match_index, 0);
}

/// Bug 4: a follower truncated committed entries after stale NACKs made the leader send an
/// "early" AppendEntries starting below the follower's commit index.
#[test]
fn bug4_an_early_append_entries_never_truncates_committed_entries() {
    let mut c = Cluster::started(3);
    // Leader 0 drops its AppendEntries to 2 once; 2's NACK to the next heartbeat is kept.
    c.propose(0, b"a");
    c.sign(0);
    c.tick(0, 10);
    c.take(0, Some(2));
    c.deliver_all();
    c.tick(0, 10);
    c.deliver_one(0, 2);
    let (to, stale_nack) = c.take(2, Some(0)).expect("2 NACKs");
    // A copy repairs 2, which then commits everything.
    c.deliver(2, to, stale_nack.clone());
    c.settle();
    let committed = c.node(2).commit_index();
    assert_eq!(committed, c.node(0).last_index());

    // A new term resets the leader's match indices; the stale NACK arrives then and pulls
    // the send window back below 2's commit index.
    c.tick(0, 100);
    assert_eq!(c.node(0).role(), Role::Follower, "CheckQuorum without acks");
    (0..3).for_each(|n| c.drop_outbox(n));
    c.tick(0, 100);
    for peer in [1, 2] {
        c.deliver_one(0, peer);
        c.deliver_one(peer, 0);
    }
    assert_eq!(c.node(0).role(), Role::Leader);
    c.drop_outbox(0);
    c.deliver(2, to, stale_nack);
    c.truncations.clear();
    c.tick(0, 10);
    let (dest, early) = c.take(0, Some(2)).expect("a repair for 2");
    let Message::AppendEntries(ae) = &early else {
        panic!("expected AppendEntries, got {early:?}");
    };
    assert!(
        ae.prev_index < committed,
        "the stale NACK pulled the window below 2's commit index"
    );
    c.deliver(0, dest, early);

    assert!(
        c.truncations.iter().all(|(n, _)| *n != NodeId(2)),
        "follower 2 truncated: {:?}",
        c.truncations
    );
    assert!(
        c.take(2, Some(0)).is_none(),
        "an AppendEntries reaching below the commit index is ignored, not answered"
    );
    assert_eq!(c.node(2).commit_index(), committed);
    assert!(c.node(2).last_index() >= committed);
}

/// Bug 5: an ACK reported an index past the end of the AppendEntries it answered, so the
/// leader counted entries the follower held from another branch.
#[test]
fn bug5_an_ack_covers_only_the_entries_it_answers() {
    let one_entry_per_message = |id| quorate_consensus::RaftConfig {
        max_entries_per_append: 1,
        ..config(id)
    };
    let mut c = Cluster::started_with(5, one_entry_per_message);
    let base = c.node(0).commit_index();
    // Leader 1 (term 3) signs twice; node 2 gets both signatures, node 3 only the first,
    // and no ACK gets back.
    c.isolate(0);
    c.tick(1, 100);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Leader);
    c.settle();
    c.heal();
    c.sign(1);
    c.sign(1);
    c.tick(1, 10);
    c.deliver_one(1, 2);
    c.deliver_one(1, 2);
    c.deliver_one(1, 3);
    (0..5).for_each(|n| c.drop_outbox(n));
    assert_eq!(c.node(2).last_index(), base + 2);
    assert_eq!(c.node(3).last_index(), base + 1);

    // Node 3 wins term 4 with 0 and 4, then sends 2 a heartbeat ending at base+1.
    c.isolate(1);
    c.disconnect(2, 3);
    c.tick(3, 100);
    c.deliver_all();
    assert_eq!(c.node(3).role(), Role::Leader);
    c.heal();
    c.isolate(1);
    c.tick(3, 10);
    c.deliver_one(3, 2);
    let (to, ack) = c.take(2, Some(3)).expect("2 answers");
    let Message::AppendEntriesResponse(r) = ack else {
        panic!("expected a response, got {ack:?}");
    };
    assert!(r.success);
    assert_eq!(
        r.last_index,
        base + 1,
        "2 holds base+2 from term 3, but the message ended at base+1"
    );
    c.deliver(2, to, Message::AppendEntriesResponse(r));
    assert_eq!(c.node(3).peers()[&NodeId(2)].match_index, base + 1);
}

/// Bug 6 (liveness): retiring nodes stopped taking part too early. A leader removed by a
/// reconfiguration must keep replicating and committing until its retirement is committed,
/// and then hand over.
#[test]
fn bug6_a_retiring_leader_keeps_working_until_its_retirement_commits() {
    let mut c = Cluster::started(2);
    c.add_node(config(2));
    // {0,1} -> {1,2}: commit needs a quorum of both, so 0's own acknowledgement counts.
    c.reconfigure(0, &[1, 2]);
    c.sign(0);
    assert_eq!(c.node(0).retirement_phase(), Some(RetirementPhase::Signed));
    c.settle();
    assert_eq!(
        c.node(0).retirement_phase(),
        Some(RetirementPhase::Completed)
    );
    assert_eq!(
        c.node(0).role(),
        Role::Leader,
        "still leading while Completed"
    );
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());

    // A retired leader still accepts the cleanup entry and commits it.
    let cleanup = quorate_consensus::Proposal::retired_committed(
        [NodeId(0)].into_iter().collect(),
        Vec::new(),
    );
    c.step(0, Input::Propose(vec![cleanup]));
    c.sign(0);
    c.settle();
    assert_eq!(
        c.node(0).retirement_phase(),
        Some(RetirementPhase::RetiredCommitted)
    );
    let term = c.node(0).term();
    c.tick(0, 500);
    assert!(
        c.node(0).role() != Role::Candidate && c.node(0).term() == term,
        "a retired-committed node never campaigns"
    );

    // ProposeRequestVote made a successor campaign at once, without waiting for a timeout.
    c.deliver_all();
    let leaders: Vec<u64> = (1..3)
        .filter(|n| c.node(*n).role() == Role::Leader)
        .collect();
    assert_eq!(leaders.len(), 1, "one successor took over");
    let leader = leaders[0];
    c.sign(leader);
    c.settle();
    assert_eq!(c.node(1).commit_index(), c.node(2).commit_index());
    assert_eq!(c.node(1).last_index(), c.node(1).commit_index());
}
