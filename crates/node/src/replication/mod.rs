//! The replicated write path of one node, in process: [`ReplicatedNode`] joins the KV store,
//! the ledger (chunk files and Merkle tree) and the consensus engine under the consensus
//! crate's durability host contract. Transport is an outbox of encoded messages
//! ([`ReplicatedNode::take_messages`]) and a [`ReplicatedNode::receive`] entry point, so the
//! node-to-node channels plug in without changing this module.
//!
//! A node is driven from one thread: `execute` at the primary, `receive` for
//! peer messages, `tick` for time, and `flush` once per batch (the group commit: one ledger
//! sync, then consensus learns what is durable). After a disk error the node's parts may
//! disagree: drop it and [`ReplicatedNode::restart`] it from its directory.

pub mod config;
pub mod driving;
pub mod durable_log;
pub mod error;
pub mod hard_state_file;
pub mod hard_state_writer;
pub mod identity;
pub mod invariants;
pub mod membership;
pub mod node;
pub mod peer_input;
pub mod primary;
pub mod restart;
pub mod signature_policy;
pub mod tx_status;
pub mod view_history;

pub use config::ReplicationConfig;
pub use error::ReplicationError;
pub use identity::{NodeIdentity, ServiceIdentity, raft_id_of};
pub use node::{Genesis, ReplicatedNode};
pub use signature_policy::SignaturePolicy;
pub use tx_status::TxStatus;
