//! Ballots: `{"ballot": "<JS module exporting vote>"}`, one per member and proposal; a
//! resubmission of the same ballot answers as before, a different one is refused. Every
//! ballot is re-run when the proposal is resolved.

use quorate_kv::Tx;
use quorate_ledger::tables;
use serde_json::Value;

use crate::constitution::{Constitution, GovernanceEnv};
use crate::error::GovError;
use crate::proposals::{GovOutcome, proposal_info, record_history, resolve};
use crate::signed_request::{
    MemberRequest, parse_proposal_id, signed_member_id, signed_proposal_id,
};

/// `POST /gov/members/proposals/{proposalId}/ballots/{memberId}:submit`.
pub fn submit_ballot(
    tx: &mut Tx,
    env: &GovernanceEnv,
    request: &MemberRequest,
    proposal_id: &str,
    member_id: &str,
) -> Result<GovOutcome, GovError> {
    signed_proposal_id(request, proposal_id)?;
    signed_member_id(request, member_id)?;
    let not_found =
        || GovError::ProposalNotFound(format!("Could not find proposal {proposal_id}."));
    let mut info = proposal_info(tx, proposal_id)?.ok_or_else(not_found)?;
    if info.state != crate::ProposalState::Open {
        return Err(GovError::ProposalNotOpen(format!(
            "Proposal {proposal_id} is currently in state {} - only Open proposals can receive votes",
            info.state.as_str()
        )));
    }
    let proposal = tx
        .get(tables::PROPOSALS, proposal_id.as_bytes())
        .ok_or_else(not_found)?;
    let proposal = String::from_utf8_lossy(&proposal).into_owned();
    let ballot = serde_json::from_slice::<Value>(&request.content)
        .ok()
        .and_then(|body| body.get("ballot")?.as_str().map(str::to_owned))
        .ok_or_else(|| {
            GovError::InvalidInput(
                "Signed request body is not a JSON object containing required string field \
                 \"ballot\""
                    .into(),
            )
        })?;
    let constitution = Constitution::load(tx, "ballots")?;
    if let Some(previous) = info.ballots.get(member_id) {
        if *previous == ballot {
            return Ok(GovOutcome {
                body: info.to_api(proposal_id),
                node_actions: Vec::new(),
            });
        }
        return Err(GovError::VoteAlreadyExists(format!(
            "Different ballot already submitted by {member_id} for {proposal_id}."
        )));
    }
    info.ballots.insert(member_id.to_owned(), ballot);
    record_history(tx, request)?;
    let node_actions = resolve(tx, env, &constitution, proposal_id, &proposal, &mut info)?;
    Ok(GovOutcome {
        body: info.to_api(proposal_id),
        node_actions,
    })
}

/// `GET /gov/members/proposals/{proposalId}/ballots/{memberId}`: the ballot's source.
pub fn ballot_source(tx: &mut Tx, proposal_id: &str, member_id: &str) -> Result<String, GovError> {
    parse_proposal_id(proposal_id)?;
    let info = proposal_info(tx, proposal_id)?.ok_or_else(|| {
        GovError::ProposalNotFound(format!("Proposal {proposal_id} does not exist."))
    })?;
    info.ballots.get(member_id).cloned().ok_or_else(|| {
        GovError::VoteNotFound(format!(
            "Member {member_id} has not voted for proposal {proposal_id}."
        ))
    })
}
