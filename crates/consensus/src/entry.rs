//! A replicated log entry, as the engine sees it: the payload is opaque, only the flags matter.

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::ids::{NodeId, Term};

/// What an entry means to consensus. The node layer decides this when it appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// An ordinary write set.
    Raw,
    /// A configuration change: the full set of members from this index on.
    Reconfiguration(BTreeSet<NodeId>),
    /// "These retired nodes' retirement is committed": once this entry commits, every
    /// node forgets the listed peers, and a listed node itself stops taking part.
    RetiredCommitted(BTreeSet<NodeId>),
}

/// One log entry. Only `committable` entries (signature transactions) can become the commit
/// index; everything before a committed signature is committed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub term: Term,
    pub committable: bool,
    pub kind: EntryKind,
    pub payload: Bytes,
}

/// An entry the node asks the leader to append; the leader stamps it with its term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub committable: bool,
    pub kind: EntryKind,
    pub payload: Bytes,
}

impl Proposal {
    /// A non-committable write set.
    pub fn raw(payload: impl Into<Bytes>) -> Self {
        Self {
            committable: false,
            kind: EntryKind::Raw,
            payload: payload.into(),
        }
    }

    /// A signature transaction: the only kind of entry commit can stop at.
    pub fn signature(payload: impl Into<Bytes>) -> Self {
        Self {
            committable: true,
            kind: EntryKind::Raw,
            payload: payload.into(),
        }
    }

    /// A configuration change to exactly `members`.
    pub fn reconfiguration(members: BTreeSet<NodeId>, payload: impl Into<Bytes>) -> Self {
        Self {
            committable: false,
            kind: EntryKind::Reconfiguration(members),
            payload: payload.into(),
        }
    }

    /// Records that the listed nodes' retirement is committed.
    pub fn retired_committed(nodes: BTreeSet<NodeId>, payload: impl Into<Bytes>) -> Self {
        Self {
            committable: false,
            kind: EntryKind::RetiredCommitted(nodes),
            payload: payload.into(),
        }
    }
}
