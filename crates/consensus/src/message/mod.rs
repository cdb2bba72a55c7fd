//! Raft's peer-to-peer messages (CCF's `RaftMsgType`), and their byte encoding.

mod codec;

pub use codec::{decode, encode};

use crate::entry::Entry;
use crate::ids::{Index, Term};

/// Whether a vote request is a real election or only a pre-vote probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    PreVote,
    RegularVote,
}

/// Entries `prev_index + 1 ..= prev_index + entries.len()`, all of one term, or an empty
/// heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendEntries {
    pub term: Term,
    pub prev_index: Index,
    pub prev_term: Term,
    pub leader_commit: Index,
    pub entries: Vec<Entry>,
}

impl AppendEntries {
    /// The index of the last entry carried (or `prev_index` for a heartbeat).
    pub fn last_index(&self) -> Index {
        self.prev_index + self.entries.len() as Index
    }
}

/// An ACK says "I hold your entries up to `last_index`". A NACK carries the highest
/// (term, index) that may still match, so the leader can jump back at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendEntriesResponse {
    pub term: Term,
    pub last_index: Index,
    pub success: bool,
}

/// Candidates advertise their last *committable* entry, not their last entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestVote {
    pub term: Term,
    pub last_committable_index: Index,
    pub last_committable_term: Term,
    pub election_type: ElectionType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestVoteResponse {
    pub term: Term,
    pub granted: bool,
    pub election_type: ElectionType,
}

/// Sent by a retiring leader to its best successor: "start an election now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposeRequestVote {
    pub term: Term,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    AppendEntries(AppendEntries),
    AppendEntriesResponse(AppendEntriesResponse),
    RequestVote(RequestVote),
    RequestVoteResponse(RequestVoteResponse),
    ProposeRequestVote(ProposeRequestVote),
}

impl Message {
    /// The sender's term when it sent the message.
    pub fn term(&self) -> Term {
        match self {
            Message::AppendEntries(m) => m.term,
            Message::AppendEntriesResponse(m) => m.term,
            Message::RequestVote(m) => m.term,
            Message::RequestVoteResponse(m) => m.term,
            Message::ProposeRequestVote(m) => m.term,
        }
    }
}
