//! The run's trace: a hash over every event (two runs of one seed must agree on it) and the
//! last few events, kept for the failure report.

use std::collections::VecDeque;
use std::fmt;
use std::hash::{Hash, Hasher};

use quorate_consensus::message::ElectionType;
use quorate_consensus::{Index, Message, NodeId, Role, Term};

/// The fields of a delivered message worth reading in a trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MessageSummary {
    AppendEntries {
        term: Term,
        prev_index: Index,
        prev_term: Term,
        entries: usize,
        commit: Index,
    },
    Response {
        term: Term,
        last_index: Index,
        success: bool,
    },
    RequestVote {
        term: Term,
        last_committable: Index,
        last_committable_term: Term,
        pre_vote: bool,
    },
    Vote {
        term: Term,
        granted: bool,
        pre_vote: bool,
    },
    ProposeRequestVote {
        term: Term,
    },
}

impl From<&Message> for MessageSummary {
    fn from(message: &Message) -> Self {
        match message {
            Message::AppendEntries(m) => MessageSummary::AppendEntries {
                term: m.term,
                prev_index: m.prev_index,
                prev_term: m.prev_term,
                entries: m.entries.len(),
                commit: m.leader_commit,
            },
            Message::AppendEntriesResponse(m) => MessageSummary::Response {
                term: m.term,
                last_index: m.last_index,
                success: m.success,
            },
            Message::RequestVote(m) => MessageSummary::RequestVote {
                term: m.term,
                last_committable: m.last_committable_index,
                last_committable_term: m.last_committable_term,
                pre_vote: m.election_type == ElectionType::PreVote,
            },
            Message::RequestVoteResponse(m) => MessageSummary::Vote {
                term: m.term,
                granted: m.granted,
                pre_vote: m.election_type == ElectionType::PreVote,
            },
            Message::ProposeRequestVote(m) => MessageSummary::ProposeRequestVote { term: m.term },
        }
    }
}

impl fmt::Display for MessageSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pre = |pre_vote: bool| if pre_vote { "Pre" } else { "" };
        match *self {
            MessageSummary::AppendEntries {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
            } => write!(
                f,
                "AppendEntries term {term} after {prev_index}@{prev_term}, {entries} entries, commit {commit}"
            ),
            MessageSummary::Response {
                term,
                last_index,
                success,
            } => {
                let kind = if success { "Ack" } else { "Nack" };
                write!(f, "{kind} term {term} last {last_index}")
            }
            MessageSummary::RequestVote {
                term,
                last_committable,
                last_committable_term,
                pre_vote,
            } => write!(
                f,
                "{}RequestVote term {term} committable {last_committable}@{last_committable_term}",
                pre(pre_vote)
            ),
            MessageSummary::Vote {
                term,
                granted,
                pre_vote,
            } => {
                let verdict = if granted { "granted" } else { "refused" };
                write!(f, "{}Vote term {term} {verdict}", pre(pre_vote))
            }
            MessageSummary::ProposeRequestVote { term } => {
                write!(f, "ProposeRequestVote term {term}")
            }
        }
    }
}

/// Something observable that happened at `at_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    Deliver {
        from: NodeId,
        to: NodeId,
        message: MessageSummary,
    },
    Lost {
        from: NodeId,
        to: NodeId,
    },
    Duplicated {
        from: NodeId,
        to: NodeId,
    },
    Persisted {
        node: NodeId,
        index: Index,
    },
    RoleChanged {
        node: NodeId,
        role: Role,
        term: Term,
    },
    Commit {
        node: NodeId,
        index: Index,
    },
    Truncate {
        node: NodeId,
        index: Index,
    },
    Submitted {
        node: NodeId,
        client: u64,
        index: Index,
    },
    Signature {
        node: NodeId,
        index: Index,
    },
    ClientReturned {
        client: u64,
        index: Index,
    },
    Partition {
        description: String,
    },
    Heal,
    Crash {
        node: NodeId,
    },
    /// Every member crashes at once.
    Outage,
    Restart {
        node: NodeId,
        term: Term,
        last_index: Index,
        commit: Index,
    },
    Join {
        node: NodeId,
        replaces: NodeId,
    },
    LivenessPhase,
}

/// FNV-1a, 64-bit: small, stable, and independent of std's randomised hasher.
struct Fnv64(u64);

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

pub struct Trace {
    hasher: Fnv64,
    tail: VecDeque<(u64, Event)>,
    tail_len: usize,
    event_count: u64,
}

impl Trace {
    pub fn new(tail_len: usize) -> Self {
        Self {
            hasher: Fnv64(0xcbf2_9ce4_8422_2325),
            tail: VecDeque::with_capacity(tail_len),
            tail_len,
            event_count: 0,
        }
    }

    pub fn record(&mut self, at_ms: u64, event: Event) {
        at_ms.hash(&mut self.hasher);
        event.hash(&mut self.hasher);
        self.event_count += 1;
        if self.tail.len() == self.tail_len {
            self.tail.pop_front();
        }
        if self.tail_len > 0 {
            self.tail.push_back((at_ms, event));
        }
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    pub fn event_count(&self) -> u64 {
        self.event_count
    }

    /// The last events, oldest first, one per line.
    pub fn tail_lines(&self) -> Vec<String> {
        self.tail
            .iter()
            .map(|(at_ms, event)| format!("{at_ms:>7} ms  {event}"))
            .collect()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Deliver { from, to, message } => write!(f, "{from} -> {to} {message}"),
            Event::Lost { from, to } => write!(f, "{from} -> {to} lost"),
            Event::Duplicated { from, to } => write!(f, "{from} -> {to} duplicated"),
            Event::Persisted { node, index } => write!(f, "{node} persisted up to {index}"),
            Event::RoleChanged { node, role, term } => {
                write!(f, "{node} is {role:?} in term {term}")
            }
            Event::Commit { node, index } => write!(f, "{node} commits {index}"),
            Event::Truncate { node, index } => write!(f, "{node} truncates after {index}"),
            Event::Submitted {
                node,
                client,
                index,
            } => {
                write!(f, "client {client} submits at {node}, index {index}")
            }
            Event::Signature { node, index } => write!(f, "{node} signs at {index}"),
            Event::ClientReturned { client, index } => {
                write!(f, "client {client} sees index {index} applied")
            }
            Event::Partition { description } => write!(f, "partition: {description}"),
            Event::Heal => write!(f, "network healed"),
            Event::Crash { node } => write!(f, "{node} crashes"),
            Event::Outage => write!(f, "power outage: every member crashes"),
            Event::Restart {
                node,
                term,
                last_index,
                commit,
            } => write!(
                f,
                "{node} restarts from disk in term {term}, log to {last_index}, commit {commit}"
            ),
            Event::Join { node, replaces } => write!(f, "{node} joins, replacing {replaces}"),
            Event::LivenessPhase => write!(f, "faults stop: liveness phase"),
        }
    }
}
