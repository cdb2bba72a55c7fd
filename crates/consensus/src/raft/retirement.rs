//! Membership and the retirement phases a removed node goes through.

use crate::ids::Index;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Active,
    Retired,
}

/// Ordered → Signed → Completed → RetiredCommitted. A retired node keeps voting and, as
/// leader, keeps advancing commit until its retirement is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RetirementPhase {
    /// A configuration without this node was appended right after one with it.
    Ordered,
    /// A signature was appended at or after that configuration.
    Signed,
    /// Commit reached that signature.
    Completed,
    /// An entry recording the retirement as committed has committed.
    RetiredCommitted,
}

/// Where a retiring node is, with the indices the phases hang on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Retirement {
    pub(super) phase: RetirementPhase,
    /// Index of the configuration that dropped this node.
    pub(super) ordered_at: Index,
    /// Index of the first signature at or after `ordered_at`.
    pub(super) signed_at: Option<Index>,
}
