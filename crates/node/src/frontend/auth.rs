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
    /// A policy the node does not implement, named as declared: refuses every caller, so an
    /// endpoint is never opened by a policy nobody checks.
    Unsupported(String),
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

    /// CCF's name for the policy (`request.caller.policy` in JS apps, OpenAPI security schemes);
    /// an unsupported policy's name as declared.
    pub fn name(&self) -> String {
        match self {
            AuthPolicy::NoAuth => "no_auth".into(),
            AuthPolicy::AnyCert => "any_cert".into(),
            AuthPolicy::UserCert(_) => "user_cert".into(),
            AuthPolicy::MemberCert(_) => "member_cert".into(),
            AuthPolicy::Unsupported(declared) => declared.clone(),
        }
    }

    /// The identity if this policy accepts the caller, else CCF's reason why not.
    fn authenticate(&self, caller: &Caller) -> Result<AuthnIdentity, String> {
        match (self, caller) {
            (AuthPolicy::Unsupported(declared), _) => Err(format!(
                "Authentication policy {declared} is not supported by this node, so the \
                 endpoint refuses every caller"
            )),
            (AuthPolicy::NoAuth, _) => Ok(AuthnIdentity::NoAuth),
            (AuthPolicy::AnyCert, Caller::Anonymous) => Err("No caller certificate".into()),
            (AuthPolicy::UserCert(_), Caller::Anonymous) => {
                Err("No caller user certificate".into())
            }
            (AuthPolicy::MemberCert(_), Caller::Anonymous) => {
                Err("No caller member certificate".into())
            }
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
                .ok_or_else(|| "Could not find matching user certificate".into()),
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
                .ok_or_else(|| "Could not find matching member certificate".into()),
        }
    }
}

impl fmt::Debug for AuthPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user_cert_caller() -> Caller {
        Caller::Certificate {
            der: bytes::Bytes::from_static(b"cert"),
            fingerprint_sha256_hex: "ab".repeat(32),
        }
    }

    /// An unsupported policy refuses everyone and says why; it never passes as if absent.
    #[test]
    fn unsupported_policies_refuse_every_caller() {
        let policies = [AuthPolicy::Unsupported("jwt".into())];
        for caller in [Caller::Anonymous, user_cert_caller()] {
            let refused = authenticate(&policies, &caller).unwrap_err();
            assert!(
                refused.contains("Authentication policy jwt is not supported"),
                "{refused}"
            );
        }
        // As in CCF, a list passes when any one policy does.
        let either = [AuthPolicy::Unsupported("jwt".into()), AuthPolicy::AnyCert];
        assert!(authenticate(&either, &Caller::Anonymous).is_err());
        assert!(matches!(
            authenticate(&either, &user_cert_caller()),
            Ok(AuthnIdentity::AnyCert { .. })
        ));
    }
}
