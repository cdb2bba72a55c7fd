//! Governance, as CCF runs it: members sign proposals and ballots (COSE Sign1), a JavaScript
//! constitution validates, resolves and applies them, and the default constitution implements
//! CCF's default actions under CCF's names and argument shapes.
//!
//! Every operation takes the request's KV transaction and returns what to answer; it is pure
//! (no IO, no clock: times come in the signed requests), so the node runs it in its write path
//! and tests run it on a bare store.

mod acks;
mod ballots;
mod constitution;
mod error;
mod member;
mod proposal_info;
mod proposals;
mod replay;
mod signed_request;
pub mod views;

pub use acks::{ack_state_digest, state_digest, update_state_digest};
pub use ballots::{ballot_source, submit_ballot};
pub use constitution::GovernanceEnv;
pub use error::GovError;
pub use member::{MemberAck, MemberInfo, MemberStatus, NO_STATE_DIGEST};
pub use proposal_info::{Failure, ProposalInfo, ProposalState};
pub use proposals::{GovOutcome, create_proposal, proposal_info, withdraw_proposal};
pub use replay::DEFAULT_WINDOW_SIZE;
pub use signed_request::{
    COSE_CONTENT_TYPE, MemberRequest, Signer, authenticate, is_hex_id, parse_proposal_id,
};

/// CCF's default constitution, written for Quorate: `validate`, `resolve` and `apply` with
/// every default action, as one module (CCF concatenates its constitution files the same way).
pub const DEFAULT_CONSTITUTION: &str = concat!(
    include_str!("../constitution/default/actions.js"),
    "\n",
    include_str!("../constitution/default/validate.js"),
    "\n",
    include_str!("../constitution/default/resolve.js"),
    "\n",
    include_str!("../constitution/default/apply.js"),
);
