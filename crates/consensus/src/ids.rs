//! Identifiers shared by every engine.

use std::fmt;

/// A term (CCF calls it a view). The first leader's term is 2 (CCF's starting view change).
pub type Term = u64;

/// A 1-based log position (CCF's seqno). 0 means "before the first entry".
pub type Index = u64;

/// A node's identity inside the engine. The node layer maps CCF's hex node ids to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}
