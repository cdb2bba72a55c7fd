//! The driver's printed lines (a Mermaid sequence diagram), matching CCF's wording.

use quorate_consensus::message::ElectionType;
use quorate_consensus::{ConsensusEngine, Message, Raft, Role};

/// `a->>b: ...` for requests, `a-->>b: ...` for responses; `X` replaces `>>` when dropped.
pub(super) fn message_line(from: &str, to: &str, message: &Message, dropped: bool) -> String {
    let arrow = if dropped { "X" } else { ">>" };
    let (dash, text) = match message {
        Message::AppendEntries(ae) => (
            "-",
            format!(
                "append_entries ({}.{}, {}.{}] (term {}, commit {})",
                ae.prev_term,
                ae.prev_index,
                ae.entries.last().map_or(ae.term, |e| e.term),
                ae.last_index(),
                ae.term,
                ae.leader_commit
            ),
        ),
        Message::AppendEntriesResponse(r) => (
            "--",
            format!(
                "append_entries_response {} for {}.{}",
                if r.success { "ACK" } else { "NACK" },
                r.term,
                r.last_index
            ),
        ),
        Message::RequestVote(rv) => (
            "-",
            format!(
                "{}request_vote for term {}, at tx {}.{}",
                pre_vote_prefix(rv.election_type),
                rv.term,
                rv.last_committable_term,
                rv.last_committable_index
            ),
        ),
        Message::RequestVoteResponse(r) => (
            "--",
            format!(
                "{}request_vote_response for term {} = {}",
                pre_vote_prefix(r.election_type),
                r.term,
                if r.granted { "Y" } else { "N" }
            ),
        ),
        Message::ProposeRequestVote(p) => {
            ("-", format!("propose_request_vote for term {}", p.term))
        }
    };
    format!("n[{from}]{dash}{arrow}n[{to}]: {text}")
}

fn pre_vote_prefix(election_type: ElectionType) -> &'static str {
    match election_type {
        ElectionType::PreVote => "pre_vote ",
        ElectionType::RegularVote => "",
    }
}

/// The short form used by `summarise_messages`.
pub(super) fn message_summary(message: &Message) -> String {
    match message {
        Message::AppendEntries(ae) => format!(
            "AE(t{}, ({}.{}, {}.{}])",
            ae.term,
            ae.prev_term,
            ae.prev_index,
            ae.entries.last().map_or(ae.term, |e| e.term),
            ae.last_index()
        ),
        Message::AppendEntriesResponse(r) => format!(
            "AER({}, t{}, i{})",
            if r.success { "ACK" } else { "NACK" },
            r.term,
            r.last_index
        ),
        Message::RequestVote(_) => "RV".into(),
        Message::RequestVoteResponse(_) => "RVR".into(),
        Message::ProposeRequestVote(_) => "PRV".into(),
    }
}

/// `state_one`'s line.
pub(super) fn state_line(name: &str, raft: &Raft) -> String {
    let leadership = match raft.role() {
        Role::Leader => "P",
        Role::Follower => "F",
        Role::Candidate => "C",
        Role::None | Role::PreVoteCandidate => "?",
    };
    let membership = match raft.membership() {
        quorate_consensus::raft::Membership::Active => "A",
        quorate_consensus::raft::Membership::Retired => "R",
    };
    format!(
        "Note right of n[{name}]: leadership {leadership} membership {membership} @{}.{} (committed {})",
        raft.term(),
        raft.last_index(),
        raft.commit_index()
    )
}

/// `summarise_log`'s line: `term.index` per entry, the commit index in brackets.
pub(super) fn log_summary(name: &str, raft: &Raft) -> String {
    let entries: Vec<String> = raft
        .entries()
        .iter()
        .enumerate()
        .map(|(pos, e)| {
            let index = pos as u64 + 1;
            if index == raft.commit_index() {
                format!("[{}.{index}]", e.term)
            } else {
                format!("{}.{index}", e.term)
            }
        })
        .collect();
    format!("n[{name}]: {}", entries.join(", "))
}

/// `[k bytes] <first 15 bytes> [raw|reconfiguration]` for a `replicate` line.
pub(super) fn proposal_summary(input: &quorate_consensus::Input<Message>) -> String {
    use quorate_consensus::{EntryKind, Input};
    let (payload, kind): (&[u8], &str) = match input {
        Input::EmitSignature { payload } => (payload, "raw"),
        Input::Propose(proposals) => match proposals.first() {
            Some(p) => (
                &p.payload,
                match p.kind {
                    EntryKind::Raw => "raw",
                    EntryKind::Reconfiguration(_) => "reconfiguration",
                    EntryKind::RetiredCommitted(_) => "retired_committed",
                },
            ),
            None => (&[], "raw"),
        },
        _ => (&[], "raw"),
    };
    let head = String::from_utf8_lossy(payload.get(..15).unwrap_or(payload)).into_owned();
    format!("[{} bytes] {head} [{kind}]", payload.len())
}
