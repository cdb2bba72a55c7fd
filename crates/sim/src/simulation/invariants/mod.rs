//! Cluster-wide safety invariants, one per file, each named after its Raft-paper property or
//! CCF TLA+ invariant (tla/consensus/ccfraft.tla). The simulator feeds them what every node
//! does; each returns a one-line reason when violated.

mod committed_log;
mod durability;
mod election_safety;
mod log_matching;
mod votes;

pub use committed_log::CommittedLog;
pub use durability::check_commit_durable;
pub use election_safety::ElectionSafety;
pub use log_matching::{LogMatching, check_logs_match};
pub use votes::Votes;
