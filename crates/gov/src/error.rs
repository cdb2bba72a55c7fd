//! Governance errors: each names the HTTP status and the CCF error code a node answers with.

use thiserror::Error;

/// Why a governance request was refused. The message is what the member reads.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GovError {
    /// The COSE envelope is missing, malformed, unsigned by a known member, or of the wrong type.
    #[error("{0}")]
    Unauthenticated(String),
    /// The signer may not do this (not the proposer, no ack record).
    #[error("{0}")]
    Forbidden(String),
    /// A path parameter is not a plausible id, or does not match the signer.
    #[error("{0}")]
    InvalidResourceName(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    InvalidCreatedAt(String),
    #[error("Proposal failed to validate: {0}")]
    ProposalFailedToValidate(String),
    #[error("{0}")]
    ProposalReplay(String),
    #[error("{0}")]
    ProposalCreatedTooLongAgo(String),
    #[error("{0}")]
    ProposalNotFound(String),
    #[error("{0}")]
    ProposalNotOpen(String),
    #[error("{0}")]
    VoteAlreadyExists(String),
    #[error("{0}")]
    VoteNotFound(String),
    #[error("{0}")]
    StateDigestMismatch(String),
    #[error("{0}")]
    NotFound(String),
    /// The constitution failed (threw, timed out, returned nonsense), or the state is not
    /// what governance expects; nothing of the request is committed.
    #[error("{0}")]
    Internal(String),
    /// The proposal Failed (its `resolve` or `apply` threw): the transaction holds only the
    /// proposal and its Failed record, which the node commits before answering 500.
    #[error("{0}")]
    ProposalFailed(String),
}

impl GovError {
    /// Whether the node commits the transaction despite the error.
    pub fn keeps_writes(&self) -> bool {
        matches!(self, GovError::ProposalFailed(_))
    }
}

impl GovError {
    /// The HTTP status CCF answers with.
    pub fn status(&self) -> u16 {
        match self {
            GovError::Unauthenticated(_) => 401,
            GovError::Forbidden(_) => 403,
            GovError::ProposalNotFound(_) | GovError::VoteNotFound(_) | GovError::NotFound(_) => {
                404
            }
            GovError::Internal(_) | GovError::ProposalFailed(_) => 500,
            _ => 400,
        }
    }

    /// CCF's error code.
    pub fn code(&self) -> &'static str {
        match self {
            GovError::Unauthenticated(_) => "InvalidAuthenticationInfo",
            GovError::Forbidden(_) => "AuthorizationFailed",
            GovError::InvalidResourceName(_) => "InvalidResourceName",
            GovError::InvalidInput(_) => "InvalidInput",
            GovError::InvalidCreatedAt(_) => "InvalidCreatedAt",
            GovError::ProposalFailedToValidate(_) => "ProposalFailedToValidate",
            GovError::ProposalReplay(_) => "ProposalReplay",
            GovError::ProposalCreatedTooLongAgo(_) => "ProposalCreatedTooLongAgo",
            GovError::ProposalNotFound(_) => "ProposalNotFound",
            GovError::ProposalNotOpen(_) => "ProposalNotOpen",
            GovError::VoteAlreadyExists(_) => "VoteAlreadyExists",
            GovError::VoteNotFound(_) => "VoteNotFound",
            GovError::StateDigestMismatch(_) => "StateDigestMismatch",
            GovError::NotFound(_) => "ResourceNotFound",
            GovError::Internal(_) | GovError::ProposalFailed(_) => "InternalError",
        }
    }
}
