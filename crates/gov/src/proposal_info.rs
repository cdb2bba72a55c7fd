//! A proposal's bookkeeping as CCF keeps it in `public:ccf.gov.proposals_info`
//! (`{proposer_id, state, ballots, final_votes?, vote_failures?, failure?}`), and the
//! camelCase view the `2024-07-01` API answers with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalState {
    Open,
    Accepted,
    Withdrawn,
    Rejected,
    Failed,
    Dropped,
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Open => "Open",
            ProposalState::Accepted => "Accepted",
            ProposalState::Withdrawn => "Withdrawn",
            ProposalState::Rejected => "Rejected",
            ProposalState::Failed => "Failed",
            ProposalState::Dropped => "Dropped",
        }
    }
}

/// Why a constitution or ballot call failed: the exception's message and stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// The value of `proposals_info[proposal_id]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalInfo {
    pub proposer_id: String,
    pub state: ProposalState,
    /// Ballot source by member id.
    #[serde(default)]
    pub ballots: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_votes: Option<BTreeMap<String, bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_failures: Option<BTreeMap<String, Failure>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

impl ProposalInfo {
    /// A proposal just created by `proposer_id`.
    pub fn open(proposer_id: &str) -> ProposalInfo {
        ProposalInfo {
            proposer_id: proposer_id.to_owned(),
            state: ProposalState::Open,
            ballots: BTreeMap::new(),
            final_votes: None,
            vote_failures: None,
            failure: None,
        }
    }

    /// The API's view: `{proposalId, proposerId, proposalState, ballotCount, finalVotes?,
    /// voteFailures?, failure?}`.
    pub fn to_api(&self, proposal_id: &str) -> Value {
        let mut body = json!({
            "proposalId": proposal_id,
            "proposerId": self.proposer_id,
            "proposalState": self.state.as_str(),
            "ballotCount": self.ballots.len(),
        });
        if let Some(votes) = &self.final_votes {
            body["finalVotes"] = json!(votes);
        }
        if let Some(failures) = &self.vote_failures {
            body["voteFailures"] = json!(failures);
        }
        if let Some(failure) = &self.failure {
            body["failure"] = json!(failure);
        }
        body
    }
}
