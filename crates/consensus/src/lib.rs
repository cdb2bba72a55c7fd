//! IO-free consensus engines for Quorate.
//!
//! # The boundary
//!
//! A node drives an engine through [`ConsensusEngine::handle`]: it feeds [`Input`]s (peer
//! messages, virtual time, proposals, persistence acknowledgements) and performs the
//! [`Output`]s in order (send, persist, truncate, apply-up-to-commit). Engines never touch
//! sockets, clocks, disks, threads or global randomness, so the same code runs under the
//! deterministic simulator and in the node's IO shell.
//!
//! - The node hands the engine write sets as [`Proposal`]s (opaque bytes plus the flags
//!   consensus needs: is it a signature, does it change the configuration).
//! - The engine tells the node what is committed ([`Output::Commit`]) and what to persist;
//!   the node answers with [`Input::Persisted`] once entries are durable. A leader counts
//!   itself towards commit only for persisted entries; followers acknowledge only
//!   persisted entries.
//! - [`raft::Raft`] is CCF's crash-fault-tolerant Raft variant. A PBFT-style BFT engine
//!   will implement the same trait with its own message type: there the node proposes
//!   requests, the engine orders them, and `Commit` also fixes the execution order every
//!   replica follows. Nothing in `Input`/`Output` is Raft-specific except the message type.
//!
//! # Durability: the host contract
//!
//! Quorate is durable by default: a node that crashes restarts from its own disk.
//!
//! - [`Output::PersistHardState`] carries the node's [`HardState`] (term, vote, a known
//!   commit point). When present it is the *first* output of a step, and the host must make
//!   it durable (written and synced) *before performing any later output of that step*, in
//!   particular before sending anything. Messages depend on it: a vote granted, or a
//!   RequestVote for a new term, must never reach a peer unless a crash cannot undo it.
//!   Writing it synchronously in place is enough; only the newest one matters.
//! - [`Output::Persist`] / [`Output::Truncate`] are applied to the ledger in order and may
//!   complete asynchronously; [`Input::Persisted`] reports what is durable, and a write must
//!   never be acknowledged past a truncation queued after it.
//! - After a crash the host rebuilds the engine with [`raft::Raft::restore`] from the last
//!   durable hard state and the entries that were durable. The node comes back as a follower
//!   (never as leader, even if it led when it crashed) and catches up from the leader.
//! - [`ConsensusEngine::check_invariants`] checks per-node safety invariants (CCF's TLA+
//!   names) and returns an error rather than panicking.
//! - Messages serialise with [`message::encode`] / [`message::decode`]; decoding garbage is
//!   an error, never a panic.

pub mod engine;
pub mod entry;
pub mod error;
pub mod hard_state;
pub mod ids;
pub mod message;
pub mod raft;

pub use engine::{ConsensusEngine, Input, Output, Role};
pub use entry::{Entry, EntryKind, Proposal};
pub use error::ConsensusError;
pub use hard_state::HardState;
pub use ids::{Index, NodeId, Term};
pub use message::Message;
pub use raft::{Raft, RaftConfig};
