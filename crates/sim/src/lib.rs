//! Deterministic simulation of Quorate protocol cores: a seeded cluster simulator, a
//! linearizability checker for KV histories, and a driver for CCF raft-scenario files.

pub mod error;
pub mod linearizability;
pub mod scenario;
pub mod simulation;
