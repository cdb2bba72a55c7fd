//! The first byte of the public domain: which optional digests follow.

use crate::error::KvError;

/// CCF's `EntryType`. Transactions are written as
/// [`EntryType::WriteSetWithCommitEvidenceAndClaims`]; the others are read for old ledgers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EntryType {
    WriteSet = 0,
    Snapshot = 1,
    WriteSetWithClaims = 2,
    WriteSetWithCommitEvidence = 3,
    WriteSetWithCommitEvidenceAndClaims = 4,
}

impl EntryType {
    pub fn has_claims(self) -> bool {
        matches!(
            self,
            Self::WriteSetWithClaims | Self::WriteSetWithCommitEvidenceAndClaims
        )
    }

    pub fn has_commit_evidence(self) -> bool {
        matches!(
            self,
            Self::WriteSetWithCommitEvidence | Self::WriteSetWithCommitEvidenceAndClaims
        )
    }
}

impl TryFrom<u8> for EntryType {
    type Error = KvError;

    fn try_from(byte: u8) -> Result<Self, KvError> {
        match byte {
            0 => Ok(Self::WriteSet),
            1 => Ok(Self::Snapshot),
            2 => Ok(Self::WriteSetWithClaims),
            3 => Ok(Self::WriteSetWithCommitEvidence),
            4 => Ok(Self::WriteSetWithCommitEvidenceAndClaims),
            other => Err(KvError::UnknownEntryType(other)),
        }
    }
}
