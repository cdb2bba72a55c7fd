//! A node's "consensus details" (CCF's `ConsensusDetails`), the values `assert_detail`
//! compares: strings as raw text, everything else as compact JSON.

use std::collections::BTreeMap;

use quorate_consensus::raft::{Membership, RetirementPhase};
use quorate_consensus::{ConsensusEngine, Raft, Role};

use super::cluster::Cluster;

pub(super) fn details(cluster: &Cluster, raft: &Raft) -> BTreeMap<&'static str, String> {
    let mut d = BTreeMap::new();
    let leadership = match raft.role() {
        Role::None => "None",
        Role::Follower => "Follower",
        Role::PreVoteCandidate => "PreVoteCandidate",
        Role::Candidate => "Candidate",
        Role::Leader => "Leader",
    };
    d.insert("leadership_state", leadership.to_string());
    let membership = match raft.membership() {
        Membership::Active => "Active",
        Membership::Retired => "Retired",
    };
    d.insert("membership_state", membership.to_string());
    if let Some(phase) = raft.retirement_phase() {
        let phase = match phase {
            RetirementPhase::Ordered => "Ordered",
            RetirementPhase::Signed => "Signed",
            RetirementPhase::Completed => "Completed",
            RetirementPhase::RetiredCommitted => "RetiredCommitted",
        };
        d.insert("retirement_phase", phase.to_string());
    }
    d.insert("current_view", raft.term().to_string());
    d.insert(
        "primary_id",
        raft.leader()
            .map_or_else(|| "null".to_string(), |id| cluster.name_of(id)),
    );
    d.insert("ticking", "true".to_string());
    let configs: Vec<String> = raft
        .configurations()
        .map(|c| {
            let nodes: Vec<String> = c
                .members
                .iter()
                .map(|m| format!("\"{}\":{{\"address\":\"\"}}", cluster.name_of(*m)))
                .collect();
            format!(
                "{{\"idx\":{},\"nodes\":{{{}}},\"rid\":{}}}",
                c.index,
                nodes.join(","),
                c.index
            )
        })
        .collect();
    d.insert("configs", format!("[{}]", configs.join(",")));
    let acks: Vec<String> = raft
        .peers()
        .iter()
        .map(|(id, p)| {
            format!(
                "\"{}\":{{\"last_received_ms\":{},\"seqno\":{}}}",
                cluster.name_of(*id),
                p.since_last_ack_ms,
                p.match_index
            )
        })
        .collect();
    d.insert("acks", format!("{{{}}}", acks.join(",")));
    d.insert("reconfiguration_type", "OneTransaction".to_string());
    d
}
