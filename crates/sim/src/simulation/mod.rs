//! The deterministic cluster simulator (TigerBeetle VOPR / openraft fuzzer style): N nodes run
//! the real Raft engine under one seeded RNG and one virtual clock, with a lossy, duplicating,
//! reordering, partitionable network, slow disks, crashes, clients and a signature harness;
//! invariants are checked after every step and the client history for linearizability at the
//! end. The same seed and configuration always replay the same run.
//!
//! Crashes: CCF binds a node's identity to its process and the engine has no restart from
//! persisted state, so a crashed node never returns. It keeps its disk (the durability check
//! counts it) and a fresh node with a new identity replaces it through a reconfiguration, as
//! an operator would. A crash is only injected while every configuration any live node still
//! considers active has all its members up, so a quorum of each always survives.
//!
//! Checked after every step: each live node's `check_invariants()`; at each event, election
//! safety, log matching (incrementally: one entry and one predecessor term per (index, term)),
//! leader completeness, commit monotonicity, the committed log only growing and agreeing across
//! nodes, and durability (a leader's commit is on disk at a quorum of every active
//! configuration). At the end: pairwise log matching, every node's committed prefix, and the
//! clients' KV history for linearizability. After the safety phase the faults heal and a
//! leader must commit something new in its own term within `liveness_bound_ms`.

mod clients;
mod cluster;
mod config;
mod disk;
mod faults;
mod harness;
mod invariants;
mod network;
mod node;
mod payload;
mod report;
mod run;
mod soak;
mod tamper;
mod trace;

pub use config::{FaultIntensity, NetworkFaults, SimConfig};
pub use report::{Failure, RunReport};
pub use run::run_seed;
pub use soak::{SoakSummary, soak};
pub use tamper::Tamper;
