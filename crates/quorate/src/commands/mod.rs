//! One module per top-level command family; each exposes an argument struct and `run`.

pub mod bench;
pub mod chaos;
pub mod gov;
pub mod ledger;
pub mod node;
pub mod raft_scenario;
pub mod sandbox;
pub mod sim;
