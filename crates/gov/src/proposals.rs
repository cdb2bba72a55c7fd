//! Proposals: creation (validated by the constitution, admitted by the replay window, bound to
//! the state it was made against), resolution (ballots re-run, then `resolve`, then `apply` if
//! Accepted) and withdrawal, with CCF's bookkeeping in `proposals` and `proposals_info`.

use base64::Engine;
use quorate_crypto::sha256;
use quorate_js::NodeAction;
use quorate_kv::Tx;
use quorate_ledger::tables;
use serde_json::Value;

use crate::constitution::{Constitution, GovernanceEnv, vote};
use crate::error::GovError;
use crate::member::{read_json, write_json};
use crate::proposal_info::{Failure, ProposalInfo, ProposalState};
use crate::replay::admit_proposal;
use crate::signed_request::{MemberRequest, signed_proposal_id};

/// What a governance call answers, and what the node must do once it commits.
#[derive(Debug)]
pub struct GovOutcome {
    /// The API body (a proposal's view).
    pub body: Value,
    pub node_actions: Vec<NodeAction>,
}

/// `POST /gov/members/proposals:create`: the request is an Active member's signed proposal.
/// `binding` is the digest of the state the proposal was made against (its id binds to it).
pub fn create_proposal(
    tx: &mut Tx,
    env: &GovernanceEnv,
    request: &MemberRequest,
    binding: &[u8; 32],
) -> Result<GovOutcome, GovError> {
    let signature_digest = sha256(&request.signature);
    let mut preimage = binding.to_vec();
    preimage.extend_from_slice(&signature_digest);
    let proposal_id = hex::encode(sha256(&preimage));
    let proposal = String::from_utf8(request.content.clone())
        .map_err(|_| GovError::InvalidInput("The proposal is not UTF-8 text.".into()))?;

    let constitution = Constitution::load(tx, "proposals")?;
    let validation = constitution.call(tx, env, "validate", &[Value::String(proposal.clone())]);
    let verdict = validation.result.map_err(|failure| {
        GovError::Internal(format!(
            "Failed to execute validation: {} {}",
            failure.reason,
            failure.trace.unwrap_or_default()
        ))
    })?;
    if !verdict.is_object() {
        return Err(GovError::Internal(
            "Validation failed to return an object".into(),
        ));
    }
    if verdict.get("valid") != Some(&Value::Bool(true)) {
        let description = verdict
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(GovError::ProposalFailedToValidate(description.to_owned()));
    }
    if tx.has(tables::PROPOSALS, proposal_id.as_bytes()) {
        return Err(GovError::Internal("Proposal ID collision.".into()));
    }
    tx.put(
        tables::PROPOSALS,
        proposal_id.clone().into_bytes(),
        request.content.clone(),
    );
    let mut info = ProposalInfo::open(&request.member_id);
    write_json(tx, tables::PROPOSALS_INFO, &proposal_id, &info)?;
    record_history(tx, request)?;
    admit_proposal(
        tx,
        request.created_at_s,
        &hex::encode(signature_digest),
        &proposal_id,
    )?;
    let node_actions = resolve(tx, env, &constitution, &proposal_id, &proposal, &mut info)?;
    Ok(GovOutcome {
        body: info.to_api(&proposal_id),
        node_actions,
    })
}

/// `POST /gov/members/proposals/{proposalId}:withdraw`, by the proposer only; withdrawing a
/// proposal that is gone or already withdrawn succeeds (`None`: 204 when gone).
pub fn withdraw_proposal(
    tx: &mut Tx,
    request: &MemberRequest,
    proposal_id: &str,
) -> Result<Option<Value>, GovError> {
    signed_proposal_id(request, proposal_id)?;
    let Some(mut info) = proposal_info(tx, proposal_id)? else {
        return Ok(None);
    };
    if request.member_id != info.proposer_id {
        return Err(GovError::Forbidden(format!(
            "Proposal {proposal_id} can only be withdrawn by proposer {}, not caller {}.",
            info.proposer_id, request.member_id
        )));
    }
    match info.state {
        ProposalState::Open => {
            info.state = ProposalState::Withdrawn;
            write_json(tx, tables::PROPOSALS_INFO, proposal_id, &info)?;
            remove_other_closed_proposals(tx, proposal_id);
            record_history(tx, request)?;
        }
        ProposalState::Withdrawn => {}
        other => {
            return Err(GovError::ProposalNotOpen(format!(
                "Proposal {proposal_id} is currently in state {} and cannot be withdrawn.",
                other.as_str()
            )));
        }
    }
    Ok(Some(info.to_api(proposal_id)))
}

/// `proposals_info[proposal_id]`.
pub fn proposal_info(tx: &mut Tx, proposal_id: &str) -> Result<Option<ProposalInfo>, GovError> {
    read_json(tx, tables::PROPOSALS_INFO, proposal_id)
}

/// Re-runs every ballot, asks the constitution to resolve, and applies an Accepted proposal.
/// A proposal that Failed comes back as [`GovError::ProposalFailed`]: the transaction then
/// keeps nothing but the proposal and its Failed record.
pub(crate) fn resolve(
    tx: &mut Tx,
    env: &GovernanceEnv,
    constitution: &Constitution,
    proposal_id: &str,
    proposal: &str,
    info: &mut ProposalInfo,
) -> Result<Vec<NodeAction>, GovError> {
    let mut votes = std::collections::BTreeMap::new();
    let mut vote_failures = std::collections::BTreeMap::new();
    let vote_args = [
        Value::String(proposal.to_owned()),
        Value::String(info.proposer_id.clone()),
    ];
    for (member_id, ballot) in &info.ballots {
        let name = format!(
            "{}[{proposal_id}].ballots[{member_id}]",
            tables::PROPOSALS_INFO
        );
        match vote(tx, env, &name, ballot, &vote_args).result {
            Ok(result) => {
                votes.insert(member_id.clone(), result == Value::Bool(true));
            }
            Err(failure) => {
                vote_failures.insert(member_id.clone(), failure);
            }
        }
    }
    let votes_arg: Vec<Value> = votes
        .iter()
        .map(|(member_id, vote)| serde_json::json!({"member_id": member_id, "vote": vote}))
        .collect();
    let resolution = constitution.call(
        tx,
        env,
        "resolve",
        &[
            Value::String(proposal.to_owned()),
            Value::String(info.proposer_id.clone()),
            Value::Array(votes_arg),
            Value::String(proposal_id.to_owned()),
        ],
    );
    match resolution.result {
        Err(failure) => {
            info.state = ProposalState::Failed;
            info.failure = Some(Failure {
                reason: format!("Failed to resolve(): {}", failure.reason),
                trace: failure.trace,
            });
        }
        Ok(value) => match value.as_str() {
            Some("Open") => info.state = ProposalState::Open,
            Some("Accepted") => info.state = ProposalState::Accepted,
            Some("Rejected") => info.state = ProposalState::Rejected,
            _ => {
                info.state = ProposalState::Failed;
                info.failure = Some(Failure {
                    reason: format!(
                        "resolve() returned invalid status value: {}",
                        match value.as_str() {
                            Some(text) => format!("\"{text}\""),
                            None => value.to_string(),
                        }
                    ),
                    trace: None,
                });
            }
        },
    }
    if info.state == ProposalState::Open {
        write_json(tx, tables::PROPOSALS_INFO, proposal_id, info)?;
        return Ok(Vec::new());
    }
    remove_other_closed_proposals(tx, proposal_id);
    info.final_votes = Some(votes);
    info.vote_failures = Some(vote_failures);
    let mut node_actions = Vec::new();
    if info.state == ProposalState::Accepted {
        let applied = constitution.call(
            tx,
            env,
            "apply",
            &[
                Value::String(proposal.to_owned()),
                Value::String(proposal_id.to_owned()),
            ],
        );
        match applied.result {
            Ok(_) => node_actions = applied.node_actions,
            Err(failure) => {
                info.state = ProposalState::Failed;
                info.failure = Some(Failure {
                    reason: format!("Failed to apply(): {}", failure.reason),
                    trace: failure.trace,
                });
            }
        }
    }
    if info.state == ProposalState::Failed {
        return Err(fail(tx, proposal_id, proposal, info));
    }
    write_json(tx, tables::PROPOSALS_INFO, proposal_id, info)?;
    Ok(node_actions)
}

/// Drops everything the transaction wrote (a failed `apply` may have written half its
/// actions), then keeps only the proposal and its Failed record.
fn fail(tx: &mut Tx, proposal_id: &str, proposal: &str, info: &ProposalInfo) -> GovError {
    tx.discard_writes();
    tx.put(
        tables::PROPOSALS,
        proposal_id.as_bytes().to_vec(),
        proposal.as_bytes().to_vec(),
    );
    let failure = info.failure.clone().unwrap_or(Failure {
        reason: "the proposal failed".into(),
        trace: None,
    });
    if let Err(error) = write_json(tx, tables::PROPOSALS_INFO, proposal_id, info) {
        return error;
    }
    // CCF's message: its formatter of the failure, `"{reason}\nTrace: {trace or N/A}"`.
    GovError::ProposalFailed(format!(
        "{}\nTrace: {}",
        failure.reason,
        failure.trace.as_deref().unwrap_or("N/A")
    ))
}

/// Once a proposal closes, CCF forgets every other closed proposal (only Open ones and the
/// last closed one stay in the tables).
fn remove_other_closed_proposals(tx: &mut Tx, proposal_id: &str) {
    let mut closed = Vec::new();
    tx.foreach(tables::PROPOSALS_INFO, |key, value| {
        let open = serde_json::from_slice::<ProposalInfo>(value)
            .is_ok_and(|info| info.state == ProposalState::Open);
        if key != proposal_id.as_bytes() && !open {
            closed.push(key.to_vec());
        }
        true
    });
    for key in closed {
        tx.remove(tables::PROPOSALS, key.clone());
        tx.remove(tables::PROPOSALS_INFO, key);
    }
}

/// `cose_history[member]`: the member's latest signed request (base64, CCF's JSON for bytes).
pub(crate) fn record_history(tx: &mut Tx, request: &MemberRequest) -> Result<(), GovError> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(&request.envelope);
    write_json(tx, tables::COSE_HISTORY, &request.member_id, &encoded)
}
