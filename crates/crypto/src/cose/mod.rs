//! COSE_Sign1 with ES384, in the shapes CCF produces and checks.
//!
//! - [`sign1`]: the generic message. We always write tag 18 and a protected header sorted by
//!   encoded label (RFC 8949 deterministic order, what CCF's Python `cwt` writes, so our
//!   governance headers are byte-identical to `ccf_cose_sign1`'s); we read tagged or untagged.
//! - [`headers`]: decoded header maps and CCF's labels: `kid` (4) as a bstr of ASCII hex,
//!   CWT claims (15), `vds` (395), `vdp` (396, unprotected), `"ccf.v1"` and `ccf.gov.msg.*`.
//! - [`ccf`]: the two CCF profiles. Ledger root signatures (`kid` = hex SHA-256 of the service
//!   SPKI, detached 32-byte root) and governance requests (`kid` = hex SHA-256 of the member
//!   certificate DER, attached payload).
//!
//! Callers that need the signer before verifying (governance looks the member up by `kid`)
//! use [`Sign1Message::parse`], read `.protected().kid()`, then verify.

pub mod ccf;
pub mod headers;
pub mod sign1;

pub use ccf::{
    GovMsgType, GovRequest, VDS_CCF_LEDGER_SHA256, sign_governance_request, sign_ledger_root,
    verify_governance_request, verify_ledger_root,
};
pub use headers::{CwtClaims, HeaderMap};
pub use sign1::{ALG_ES384, Sign1Builder, Sign1Message, verify_sign1};

/// CBOR values of header parameters, re-exported so callers need no direct ciborium dependency.
pub use ciborium::Value as CborValue;
/// Header labels (integer or text), re-exported from coset.
pub use coset::Label as HeaderLabel;
