//! Why a receipt was rejected: one typed reason per check, so callers and tests can tell a
//! tampered proof from a wrong service certificate.

use std::fmt;

/// The first check a receipt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiptRejection {
    /// The receipt does not parse (JSON, CBOR, hex, base64 or PEM); the text says where.
    Malformed(String),
    /// The receipt's claims digest is not the one the caller expected.
    ClaimsDigestMismatch {
        /// Hex of the digest the caller expected.
        expected_hex: String,
        /// Hex of the digest the receipt carries.
        found_hex: String,
    },
    /// The node's ECDSA signature does not verify over the root the proof folds to.
    NodeSignatureInvalid,
    /// The node certificate is not issued by the service certificate.
    NodeCertificateNotEndorsed,
    /// The COSE `kid` is not the service key's id.
    KeyIdMismatch,
    /// The COSE verifiable-data-structure label is missing or not CCF's (2).
    UnsupportedVerifiableDataStructure,
    /// The COSE receipt carries no inclusion proof.
    MissingInclusionProof,
    /// The service's COSE signature does not verify over the root the proof folds to.
    ServiceSignatureInvalid,
    /// The receipt is genuine but its root was not signed by any signature of this ledger.
    RootNotInLedger,
}

impl fmt::Display for ReceiptRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed receipt: {what}"),
            Self::ClaimsDigestMismatch {
                expected_hex,
                found_hex,
            } => {
                write!(
                    f,
                    "claims digest {found_hex} is not the expected {expected_hex}"
                )
            }
            Self::NodeSignatureInvalid => {
                f.write_str("node signature does not verify over the recomputed root")
            }
            Self::NodeCertificateNotEndorsed => {
                f.write_str("node certificate is not endorsed by the service certificate")
            }
            Self::KeyIdMismatch => f.write_str("COSE kid is not the service key id"),
            Self::UnsupportedVerifiableDataStructure => {
                f.write_str("COSE vds (395) is missing or not 2 (CCF SHA-256 ledger)")
            }
            Self::MissingInclusionProof => f.write_str("COSE receipt has no inclusion proof"),
            Self::RootNotInLedger => {
                f.write_str("the receipt's root is not signed by any signature in this ledger")
            }
            Self::ServiceSignatureInvalid => {
                f.write_str("service COSE signature does not verify over the recomputed root")
            }
        }
    }
}

impl std::error::Error for ReceiptRejection {}
