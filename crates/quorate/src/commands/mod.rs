//! One module per top-level command family; each exposes an argument struct and `run`.

pub mod ledger;
pub mod raft_scenario;
pub mod sim;
