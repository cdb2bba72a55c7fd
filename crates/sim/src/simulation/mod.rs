//! The deterministic cluster simulator (TigerBeetle VOPR / openraft fuzzer style): N nodes run
//! the real Raft engine under one seeded RNG and one virtual clock, with a lossy, duplicating,
//! reordering, partitionable network, slow disks, crashes, clients and a signature harness;
//! invariants are checked after every step and the client history for linearizability at the
//! end. The same seed and configuration always replay the same run.
//!
//! Crashes: Quorate is durable by default, so most crashed nodes restart under the same
//! identity from their simulated disk: the durable log (the unsynced suffix and queued
//! truncations are lost) and the durable hard state (term, vote, a known commit point),
//! written synchronously as the engine's host contract requires; one crash in ten is a power
//! outage that takes every member down at once. The others never return:
//! they keep their disk (the durability check counts it) and a fresh node replaces them
//! through a reconfiguration, as an operator would. A crash is only injected while every
//! configuration any live node still considers active has all its members up, so a quorum
//! of each always survives. Partitions cut single links one way, isolate a node, split the
//! live nodes into a minority and a majority, or cut the leader off from everyone else.
//!
//! Checked after every step: each live node's `check_invariants()`; at each event, election
//! safety, log matching (incrementally: one entry and one predecessor term per (index, term)),
//! leader completeness, commit monotonicity, the committed log only growing and agreeing across
//! nodes, durability (a leader's commit is on disk at a quorum of every active
//! configuration), no node voting for two candidates in a term, and, at each restart, a
//! durable state that keeps every term and vote the node sent and claims no commit it lacked. At the end: pairwise log matching, every node's committed prefix, and the
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
