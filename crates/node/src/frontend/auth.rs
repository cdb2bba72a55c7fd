//! Per-endpoint authentication policies, named as in CCF's `authn_policies`. A list means "the
//! first policy that passes"; an empty list means the endpoint is unauthenticated. User and
//! member certificates are recognised by a lookup the node supplies (the KV tables
//! `public:ccf.gov.users.certs` / `members.certs` later; any closure now), keyed by CCF's id:
//! the hex SHA-256 of the certificate DER.

use std::fmt;
use std::sync::Arc;

use super::caller::Caller;

/// Finds the identity behind a certificate fingerprint: `Some(data)` (CCF's `user_data` or
/// `member_data`, `null` when none) if the fingerprint is a known user or member.
pub trait CertificateLookup: Send + Sync {
    fn lookup(&self, fingerprint_sha256_hex: &str) -> Option<serde_json::Value>;
}

impl<F> CertificateLookup for F
where
    F: Fn(&str) -> Option<serde_json::Value> + Send + Sync,
{
    fn lookup(&self, fingerprint_sha256_hex: &str) -> Option<serde_json::Value> {
        self(fingerprint_sha256_hex)
    }
}

/// One authentication policy.
#[derive(Clone)]
pub enum AuthPolicy {
    /// `no_auth`: always passes.
    NoAuth,
    /// `any_cert`: any client certificate (the app decides what it means).
    AnyCert,
    /// `user_cert`: a client certificate the lookup knows as a user.
    UserCert(Arc<dyn CertificateLookup>),
    /// `member_cert`: a client certificate the lookup knows as a member.
    MemberCert(Arc<dyn CertificateLookup>),
}

impl AuthPolicy {
    /// `user_cert` with this lookup.
    pub fn user_cert(lookup: impl CertificateLookup + 'static) -> AuthPolicy {
        AuthPolicy::UserCert(Arc::new(lookup))
    }

    /// `member_cert` with this lookup.
    pub fn member_cert(lookup: impl CertificateLookup + 'static) -> AuthPolicy {
        AuthPolicy::MemberCert(Arc::new(lookup))
    }

    /// CCF's name for the policy (`request.caller.policy` in JS apps, OpenAPI security schemes).
    pub fn name(&self) -> &'static str {
        match self {
            AuthPolicy::NoAuth => "no_auth",
            AuthPolicy::AnyCert => "any_cert",
            AuthPolicy::UserCert(_) => "user_cert",
            AuthPolicy::MemberCert(_) => "member_cert",
        }
    }

    /// The identity if this policy accepts the caller, else CCF's reason why not.
    fn authenticate(&self, caller: &Caller) -> Result<AuthnIdentity, &'static str> {
        match (self, caller) {
            (AuthPolicy::NoAuth, _) => Ok(AuthnIdentity::NoAuth),
            (AuthPolicy::AnyCert, Caller::Anonymous) => Err("No caller certificate"),
            (AuthPolicy::UserCert(_), Caller::Anonymous) => Err("No caller user certificate"),
            (AuthPolicy::MemberCert(_), Caller::Anonymous) => Err("No caller member certificate"),
            (
                AuthPolicy::AnyCert,
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                },
            ) => Ok(AuthnIdentity::AnyCert {
                fingerprint_sha256_hex: fingerprint_sha256_hex.clone(),
            }),
            (
                AuthPolicy::UserCert(lookup),
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                },
            ) => lookup
                .lookup(fingerprint_sha256_hex)
                .map(|data| {
                    AuthnIdentity::User(CertificateIdentity {
                        id: fingerprint_sha256_hex.clone(),
                        data,
                    })
                })
                .ok_or("Could not find matching user certificate"),
            (
                AuthPolicy::MemberCert(lookup),
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                },
            ) => lookup
                .lookup(fingerprint_sha256_hex)
                .map(|data| {
                    AuthnIdentity::Member(CertificateIdentity {
                        id: fingerprint_sha256_hex.clone(),
                        data,
                    })
                })
                .ok_or("Could not find matching member certificate"),
        }
    }
}

impl fmt::Debug for AuthPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A user or member recognised by its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// CCF's user or member id: hex SHA-256 of the certificate DER.
    pub id: String,
    /// The `user_data` / `member_data` the lookup returned.
    pub data: serde_json::Value,
}

/// What the endpoint's policies established about the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthnIdentity {
    /// The endpoint has no policies.
    Unauthenticated,
    /// `no_auth` passed.
    NoAuth,
    /// `any_cert` passed with this certificate.
    AnyCert { fingerprint_sha256_hex: String },
    /// `user_cert` passed.
    User(CertificateIdentity),
    /// `member_cert` passed.
    Member(CertificateIdentity),
}

impl AuthnIdentity {
    /// The name of the policy that passed, `None` for an endpoint without policies.
    pub fn policy_name(&self) -> Option<&'static str> {
        match self {
            AuthnIdentity::Unauthenticated => None,
            AuthnIdentity::NoAuth => Some("no_auth"),
            AuthnIdentity::AnyCert { .. } => Some("any_cert"),
            AuthnIdentity::User(_) => Some("user_cert"),
            AuthnIdentity::Member(_) => Some("member_cert"),
        }
    }
}

/// Runs the policies in order; the first that passes gives the identity. When none passes, the
/// error joins every policy's reason, so a caller can see why each one refused.
pub(crate) fn authenticate(
    policies: &[AuthPolicy],
    caller: &Caller,
) -> Result<AuthnIdentity, String> {
    if policies.is_empty() {
        return Ok(AuthnIdentity::Unauthenticated);
    }
    let mut reasons = Vec::with_capacity(policies.len());
    for policy in policies {
        match policy.authenticate(caller) {
            Ok(identity) => return Ok(identity),
            Err(reason) => reasons.push(reason),
        }
    }
    Err(reasons.join("; "))
}
