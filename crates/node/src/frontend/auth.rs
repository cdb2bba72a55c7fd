//! Per-endpoint authentication policies, named as in CCF's `authn_policies`. A list means "the
//! first policy that passes"; an empty list means the endpoint is unauthenticated; a policy the
//! node does not implement refuses every caller.
//!
//! | policy | what it checks | identity |
//! |---|---|---|
//! | `no_auth` | nothing | — |
//! | `any_cert` | a TLS client certificate | its fingerprint |
//! | `user_cert` / `member_cert` | the TLS client certificate is a user's / member's | id, data |
//! | `jwt` | `Authorization: Bearer <JWT>`: signed (RS256, ES256, ES384) by the key governance stored under the token's `kid`, within `nbf`/`exp`, `iss` within the key's issuer constraint | key issuer, header, payload |
//! | `user_cose_sign1` (`typed_…`) | an `application/cose` body, a COSE_Sign1 signed by the user its `kid` names (and of the expected `ccf.msg.type`) | id, data, cert, content |
//! | `member_cose_sign1` / `active_member_cose_sign1` | the same for members, `ccf.gov.msg.*` headers (and an Active signer) | id, data, cert, content |
//! | `all_of` | every listed policy | each policy's identity |
//!
//! Users and members are keyed by CCF's id (the hex SHA-256 of the certificate DER) and found
//! through lookups the node implements over its store (`users.certs`, `members.info`, the JWT
//! signing-key metadata table); tests pass closures. Failure reasons are CCF's messages.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, RSA_PKCS1_2048_8192_SHA256,
    UnparsedPublicKey, VerificationAlgorithm,
};
use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use bytes::Bytes;
use http::HeaderMap;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use quorate_crypto::Certificate;
use quorate_crypto::cose::{CborValue, Sign1Message};
use serde_json::Value;

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

/// A user or member as the service records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownIdentity {
    /// The certificate as stored in `users.certs` / `members.certs` (PEM).
    pub cert_pem: String,
    /// `user_data` / `member_data`, `null` when none.
    pub data: Value,
    /// For members, whether `members.info` says `Active`; always false for users.
    pub active: bool,
}

/// Finds a user or member by id (the COSE `kid` of a signed request).
pub trait IdentityLookup: Send + Sync {
    fn identity(&self, id: &str) -> Option<KnownIdentity>;
}

impl<F> IdentityLookup for F
where
    F: Fn(&str) -> Option<KnownIdentity> + Send + Sync,
{
    fn identity(&self, id: &str) -> Option<KnownIdentity> {
        self(id)
    }
}

/// One JWT signing key as governance stores it (CCF's `OpenIDJWKMetadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtSigningKey {
    /// SubjectPublicKeyInfo DER (RSA or EC).
    pub public_key_der: Vec<u8>,
    /// The issuer whose keys these are (`set_jwt_issuer`'s `issuer`).
    pub issuer: String,
    /// The key's own issuer constraint (the JWK's `issuer`), which a token's `iss` must meet.
    pub constraint: Option<String>,
}

impl JwtSigningKey {
    /// The keys of one `kid` as stored in `public:ccf.gov.jwt.public_signing_keys_metadata_v2`:
    /// a JSON list of `{public_key: base64 DER, issuer, constraint?}`.
    pub fn list_from_kv(value: &[u8]) -> Result<Vec<JwtSigningKey>, String> {
        #[derive(serde::Deserialize)]
        struct Stored {
            public_key: String,
            issuer: String,
            #[serde(default)]
            constraint: Option<String>,
        }
        let stored: Vec<Stored> =
            serde_json::from_slice(value).map_err(|error| format!("not a key list: {error}"))?;
        stored
            .into_iter()
            .map(|key| {
                Ok(JwtSigningKey {
                    public_key_der: STANDARD
                        .decode(&key.public_key)
                        .map_err(|error| format!("public_key is not base64: {error}"))?,
                    issuer: key.issuer,
                    constraint: key.constraint,
                })
            })
            .collect()
    }
}

/// Finds the keys governance stored for a JWT `kid`.
pub trait JwtKeyLookup: Send + Sync {
    /// The keys under `kid`, empty when there are none; an error when the stored value cannot
    /// be read.
    fn signing_keys(&self, kid: &str) -> Result<Vec<JwtSigningKey>, String>;
}

impl<F> JwtKeyLookup for F
where
    F: Fn(&str) -> Result<Vec<JwtSigningKey>, String> + Send + Sync,
{
    fn signing_keys(&self, kid: &str) -> Result<Vec<JwtSigningKey>, String> {
        self(kid)
    }
}

/// What the policies look at: the TLS caller and the request's headers and body.
#[derive(Clone, Copy, Debug)]
pub struct AuthRequest<'r> {
    pub caller: &'r Caller,
    pub headers: &'r HeaderMap,
    pub body: &'r [u8],
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
    /// `jwt`: a bearer token signed by a key governance stored.
    Jwt(Arc<dyn JwtKeyLookup>),
    /// `user_cose_sign1`, or with an expected `ccf.msg.type` `typed_user_cose_sign1`: a body
    /// signed by a user.
    UserCoseSign1 {
        users: Arc<dyn IdentityLookup>,
        expected_msg_type: Option<String>,
    },
    /// `member_cose_sign1`, or `active_member_cose_sign1`: a body signed by a member.
    MemberCoseSign1 {
        members: Arc<dyn IdentityLookup>,
        active_only: bool,
    },
    /// `all_of`: every policy passes (kept sorted by name, as CCF does; see
    /// [`AuthPolicy::all_of`]).
    AllOf(Vec<AuthPolicy>),
    /// A policy the node does not implement, named as declared: refuses every caller, so an
    /// endpoint is never opened by a policy nobody checks.
    Unsupported(String),
}

/// CCF's `WWW-Authenticate` challenges.
const BEARER_CHALLENGE: &str = r#"Bearer realm="JWT bearer token access", error="invalid_token""#;
const COSE_CHALLENGE: &str = r#"COSE-SIGN1 realm="Signed request access""#;

impl AuthPolicy {
    /// `user_cert` with this lookup.
    pub fn user_cert(lookup: impl CertificateLookup + 'static) -> AuthPolicy {
        AuthPolicy::UserCert(Arc::new(lookup))
    }

    /// `member_cert` with this lookup.
    pub fn member_cert(lookup: impl CertificateLookup + 'static) -> AuthPolicy {
        AuthPolicy::MemberCert(Arc::new(lookup))
    }

    /// `jwt` with these keys.
    pub fn jwt(keys: impl JwtKeyLookup + 'static) -> AuthPolicy {
        AuthPolicy::Jwt(Arc::new(keys))
    }

    /// `user_cose_sign1` over these users.
    pub fn user_cose_sign1(users: impl IdentityLookup + 'static) -> AuthPolicy {
        AuthPolicy::UserCoseSign1 {
            users: Arc::new(users),
            expected_msg_type: None,
        }
    }

    /// `typed_user_cose_sign1`: `user_cose_sign1` whose `ccf.msg.type` must be `msg_type`.
    pub fn typed_user_cose_sign1(
        users: impl IdentityLookup + 'static,
        msg_type: impl Into<String>,
    ) -> AuthPolicy {
        AuthPolicy::UserCoseSign1 {
            users: Arc::new(users),
            expected_msg_type: Some(msg_type.into()),
        }
    }

    /// `member_cose_sign1` (any member) or `active_member_cose_sign1` over these members.
    pub fn member_cose_sign1(
        members: impl IdentityLookup + 'static,
        active_only: bool,
    ) -> AuthPolicy {
        AuthPolicy::MemberCoseSign1 {
            members: Arc::new(members),
            active_only,
        }
    }

    /// `all_of`: every one of `policies` must pass. As in CCF they run in name order and each
    /// name may appear once; a list that is empty, repeats a name or nests `all_of` is
    /// [`AuthPolicy::Unsupported`].
    pub fn all_of(mut policies: Vec<AuthPolicy>) -> AuthPolicy {
        policies.sort_by_key(AuthPolicy::name);
        let names: Vec<String> = policies.iter().map(AuthPolicy::name).collect();
        let repeated = names.windows(2).any(|pair| pair[0] == pair[1]);
        let nested = policies
            .iter()
            .any(|policy| matches!(policy, AuthPolicy::AllOf(_)));
        if policies.is_empty() || repeated || nested {
            return AuthPolicy::Unsupported(format!("all_of [{}]", names.join(", ")));
        }
        AuthPolicy::AllOf(policies)
    }

    /// CCF's name for the policy (`request.caller.policy` in JS apps, OpenAPI security schemes);
    /// `all_of` joins its policies' names with `+`; an unsupported policy's name is as declared.
    pub fn name(&self) -> String {
        match self {
            AuthPolicy::NoAuth => "no_auth".into(),
            AuthPolicy::AnyCert => "any_cert".into(),
            AuthPolicy::UserCert(_) => "user_cert".into(),
            AuthPolicy::MemberCert(_) => "member_cert".into(),
            AuthPolicy::Jwt(_) => "jwt".into(),
            AuthPolicy::UserCoseSign1 {
                expected_msg_type: None,
                ..
            } => "user_cose_sign1".into(),
            AuthPolicy::UserCoseSign1 {
                expected_msg_type: Some(_),
                ..
            } => "typed_user_cose_sign1".into(),
            AuthPolicy::MemberCoseSign1 {
                active_only: false, ..
            } => "member_cose_sign1".into(),
            AuthPolicy::MemberCoseSign1 {
                active_only: true, ..
            } => "active_member_cose_sign1".into(),
            AuthPolicy::AllOf(policies) => policies
                .iter()
                .map(AuthPolicy::name)
                .collect::<Vec<_>>()
                .join("+"),
            AuthPolicy::Unsupported(declared) => declared.clone(),
        }
    }

    /// The `WWW-Authenticate` value CCF sends when this policy, last in an endpoint's list,
    /// refused the caller.
    fn challenge(&self) -> Option<&'static str> {
        match self {
            AuthPolicy::Jwt(_) => Some(BEARER_CHALLENGE),
            AuthPolicy::UserCoseSign1 { .. } | AuthPolicy::MemberCoseSign1 { .. } => {
                Some(COSE_CHALLENGE)
            }
            _ => None,
        }
    }

    /// The identity if this policy accepts the request at `now_unix_s`, else CCF's reason why
    /// not.
    fn authenticate(
        &self,
        request: &AuthRequest<'_>,
        now_unix_s: u64,
    ) -> Result<AuthnIdentity, String> {
        match self {
            AuthPolicy::Unsupported(declared) => Err(format!(
                "Authentication policy {declared} is not supported by this node, so the \
                 endpoint refuses every caller"
            )),
            AuthPolicy::NoAuth => Ok(AuthnIdentity::NoAuth),
            AuthPolicy::AnyCert => match request.caller {
                Caller::Anonymous => Err("No caller certificate".into()),
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                } => Ok(AuthnIdentity::AnyCert {
                    fingerprint_sha256_hex: fingerprint_sha256_hex.clone(),
                }),
            },
            AuthPolicy::UserCert(lookup) => match request.caller {
                Caller::Anonymous => Err("No caller user certificate".into()),
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                } => lookup
                    .lookup(fingerprint_sha256_hex)
                    .map(|data| {
                        AuthnIdentity::User(CertificateIdentity {
                            id: fingerprint_sha256_hex.clone(),
                            data,
                        })
                    })
                    .ok_or_else(|| "Could not find matching user certificate".into()),
            },
            AuthPolicy::MemberCert(lookup) => match request.caller {
                Caller::Anonymous => Err("No caller member certificate".into()),
                Caller::Certificate {
                    fingerprint_sha256_hex,
                    ..
                } => lookup
                    .lookup(fingerprint_sha256_hex)
                    .map(|data| {
                        AuthnIdentity::Member(CertificateIdentity {
                            id: fingerprint_sha256_hex.clone(),
                            data,
                        })
                    })
                    .ok_or_else(|| "Could not find matching member certificate".into()),
            },
            AuthPolicy::Jwt(keys) => jwt::authenticate(keys.as_ref(), request.headers, now_unix_s),
            AuthPolicy::UserCoseSign1 {
                users,
                expected_msg_type,
            } => cose::authenticate(
                users.as_ref(),
                request,
                cose::Signer::User {
                    expected_msg_type: expected_msg_type.as_deref(),
                },
            ),
            AuthPolicy::MemberCoseSign1 {
                members,
                active_only,
            } => cose::authenticate(
                members.as_ref(),
                request,
                cose::Signer::Member {
                    active_only: *active_only,
                },
            ),
            AuthPolicy::AllOf(policies) => {
                let mut identities = Vec::with_capacity(policies.len());
                for policy in policies {
                    let name = policy.name();
                    match policy.authenticate(request, now_unix_s) {
                        Ok(identity) => identities.push((name, identity)),
                        Err(reason) => return Err(format!("{name}: {reason}")),
                    }
                }
                Ok(AuthnIdentity::AllOf(identities))
            }
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

/// A caller recognised by a JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtIdentity {
    /// The issuer the signing key was stored for.
    pub key_issuer: String,
    /// The token's header and payload, as sent.
    pub header: Value,
    pub payload: Value,
}

/// A user or member recognised by the COSE_Sign1 body they signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoseIdentity {
    /// CCF's user or member id (the `kid`).
    pub id: String,
    /// `user_data` / `member_data`.
    pub data: Value,
    /// The signer's certificate as stored (PEM).
    pub cert_pem: String,
    /// The signed payload.
    pub content: Bytes,
    /// `ccf.msg.type` (users) or `ccf.gov.msg.type` (members), when present.
    pub msg_type: Option<String>,
    /// `ccf.msg.created_at` (users, when positive) or `ccf.gov.msg.created_at` (members).
    pub created_at: Option<u64>,
    /// `ccf.gov.msg.proposal_id` (members), when present.
    pub proposal_id: Option<String>,
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
    /// `jwt` passed.
    Jwt(JwtIdentity),
    /// `user_cose_sign1` or `typed_user_cose_sign1` passed.
    UserCose(CoseIdentity),
    /// `member_cose_sign1` or `active_member_cose_sign1` passed.
    MemberCose(CoseIdentity),
    /// `all_of` passed: each policy's name and identity, in name order.
    AllOf(Vec<(String, AuthnIdentity)>),
}

impl AuthnIdentity {
    /// The name of the policy that passed (as CCF names identities: `user_cose_sign1` for the
    /// typed variant too, `member_cose_sign1` for the active one; `all_of` joins its names with
    /// `+`), `None` for an endpoint without policies.
    pub fn policy_name(&self) -> Option<String> {
        let name = match self {
            AuthnIdentity::Unauthenticated => return None,
            AuthnIdentity::NoAuth => "no_auth",
            AuthnIdentity::AnyCert { .. } => "any_cert",
            AuthnIdentity::User(_) => "user_cert",
            AuthnIdentity::Member(_) => "member_cert",
            AuthnIdentity::Jwt(_) => "jwt",
            AuthnIdentity::UserCose(_) => "user_cose_sign1",
            AuthnIdentity::MemberCose(_) => "member_cose_sign1",
            AuthnIdentity::AllOf(identities) => {
                let names: Vec<&str> = identities.iter().map(|(name, _)| name.as_str()).collect();
                return Some(names.join("+"));
            }
        };
        Some(name.to_owned())
    }
}

/// Why no policy accepted a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthFailure {
    /// Each policy's name and reason, in the endpoint's order (CCF's per-policy `details`).
    pub reasons: Vec<(String, String)>,
    /// CCF's `WWW-Authenticate` value for the last policy, if it has one.
    pub challenge: Option<&'static str>,
}

impl AuthFailure {
    /// Every reason, joined.
    pub fn message(&self) -> String {
        self.reasons
            .iter()
            .map(|(_, reason)| reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Runs the policies in order at the node's clock; the first that passes gives the identity.
/// When none passes, the failure holds every policy's reason, so a caller can see why each one
/// refused.
pub(crate) fn authenticate(
    policies: &[AuthPolicy],
    request: &AuthRequest<'_>,
) -> Result<AuthnIdentity, AuthFailure> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    authenticate_at(policies, request, now)
}

/// [`authenticate`] at `now_unix_s`.
pub(crate) fn authenticate_at(
    policies: &[AuthPolicy],
    request: &AuthRequest<'_>,
    now_unix_s: u64,
) -> Result<AuthnIdentity, AuthFailure> {
    if policies.is_empty() {
        return Ok(AuthnIdentity::Unauthenticated);
    }
    let mut reasons = Vec::with_capacity(policies.len());
    for policy in policies {
        match policy.authenticate(request, now_unix_s) {
            Ok(identity) => return Ok(identity),
            Err(reason) => reasons.push((policy.name(), reason)),
        }
    }
    Err(AuthFailure {
        reasons,
        challenge: policies.last().and_then(AuthPolicy::challenge),
    })
}

/// `jwt`, with the checks and messages of CCF's `JwtAuthnPolicy`.
mod jwt {
    use super::*;

    /// base64url, padded or not (CCF accepts both).
    const BASE64URL: GeneralPurpose = GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    /// Microsoft Entra, whose multi-tenant issuers CCF checks against the token's `tid`.
    const ENTRA_HOST: &str = "login.microsoftonline.com";
    const TENANT_PLACEHOLDER: &str = "{tenantid}";

    /// The signature algorithms a token may declare. CCF accepts RS256 and ES256; ES384 is
    /// accepted too, for P-384 keys.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Algorithm {
        Rs256,
        Es256,
        Es384,
    }

    impl Algorithm {
        fn parse(name: &str) -> Option<Algorithm> {
            match name {
                "RS256" => Some(Algorithm::Rs256),
                "ES256" => Some(Algorithm::Es256),
                "ES384" => Some(Algorithm::Es384),
                _ => None,
            }
        }

        /// The check for a signature by a key stored as SubjectPublicKeyInfo DER: PKCS#1 v1.5
        /// for RSA (2048 to 8192 bits), raw `r‖s` ECDSA on the curve the name implies. A key
        /// of another type or curve does not parse, so the signature fails.
        fn verification(self) -> &'static dyn VerificationAlgorithm {
            match self {
                Algorithm::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
                Algorithm::Es256 => &ECDSA_P256_SHA256_FIXED,
                Algorithm::Es384 => &ECDSA_P384_SHA384_FIXED,
            }
        }
    }

    /// A token whose parts decoded and whose header and payload follow CCF's schema.
    struct Token<'t> {
        header: Value,
        payload: Value,
        algorithm: Algorithm,
        kid: String,
        exp: u64,
        nbf: Option<u64>,
        iss: String,
        tid: Option<String>,
        /// `<header>.<payload>` as sent: what the signature covers.
        signed: &'t [u8],
        signature: Vec<u8>,
    }

    pub(super) fn authenticate(
        keys: &dyn JwtKeyLookup,
        headers: &HeaderMap,
        now: u64,
    ) -> Result<AuthnIdentity, String> {
        let token = parse_token(bearer_token(headers)?)?;
        let candidates = keys.signing_keys(&token.kid).map_err(|error| {
            format!(
                "JWT signing keys for kid {} could not be read: {error}",
                token.kid
            )
        })?;
        if candidates.is_empty() {
            return Err(format!("JWT signing key not found for kid {}", token.kid));
        }
        // As CCF: every key stored under the kid is tried; the last one's reason is reported.
        let mut reason = String::new();
        for key in candidates {
            let verified =
                UnparsedPublicKey::new(token.algorithm.verification(), &key.public_key_der)
                    .verify(token.signed, &token.signature)
                    .is_ok();
            if !verified {
                reason = "Signature verification failed".into();
                continue;
            }
            if let Some(nbf) = token.nbf
                && now < nbf
            {
                reason =
                    format!("Current time {now} is before token's Not Before (nbf) claim {nbf}");
                continue;
            }
            if now > token.exp {
                reason = format!(
                    "Current time {now} is after token's Expiration Time (exp) claim {}",
                    token.exp
                );
                continue;
            }
            if let Some(constraint) = &key.constraint
                && !issuer_meets_constraint(&token.iss, token.tid.as_deref(), constraint)
            {
                reason = format!(
                    "Kid {} failed issuer constraint validation {constraint}",
                    token.kid
                );
                continue;
            }
            return Ok(AuthnIdentity::Jwt(JwtIdentity {
                key_issuer: key.issuer,
                header: token.header,
                payload: token.payload,
            }));
        }
        Err(reason)
    }

    fn bearer_token(headers: &HeaderMap) -> Result<&str, String> {
        let value = headers
            .get(AUTHORIZATION)
            .ok_or_else(|| format!("Missing {AUTHORIZATION} header"))?
            .to_str()
            .map_err(|_| format!("{AUTHORIZATION} header is not visible ASCII"))?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or("Authorization header only contains one field")?;
        if scheme != "Bearer" {
            return Err("Authorization header does not have Bearer scheme".into());
        }
        Ok(token)
    }

    fn parse_token(token: &str) -> Result<Token<'_>, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header_b64, payload_b64, signature_b64] = parts[..] else {
            return Err("Malformed JWT: must contain exactly 3 parts".into());
        };
        let decode = |part: &str, what: &str| {
            BASE64URL
                .decode(part)
                .map_err(|error| format!("Malformed JWT: the {what} is not base64url: {error}"))
        };
        let header_raw = decode(header_b64, "header")?;
        let payload_raw = decode(payload_b64, "payload")?;
        let signature = decode(signature_b64, "signature")?;
        let (header, payload) = match (
            serde_json::from_slice::<Value>(&header_raw),
            serde_json::from_slice::<Value>(&payload_raw),
        ) {
            (Ok(header), Ok(payload)) => (header, payload),
            (Err(error), _) | (_, Err(error)) => {
                return Err(format!("JWT header or payload is not valid JSON: {error}"));
            }
        };
        if !header.is_object() || !payload.is_object() {
            return Err("JWT header or payload is not an object".into());
        }
        let schema = |detail: String| format!("JWT header does not follow schema: {detail}");
        let algorithm = match header.get("alg") {
            None => return Err(schema("missing required field alg".into())),
            Some(Value::String(name)) => Algorithm::parse(name)
                .ok_or_else(|| schema(format!("alg {name} is not one of RS256, ES256, ES384")))?,
            Some(other) => return Err(schema(format!("alg {other} is not a string"))),
        };
        let kid = match header.get("kid") {
            None => return Err(schema("missing required field kid".into())),
            Some(Value::String(kid)) => kid.clone(),
            Some(other) => return Err(schema(format!("kid {other} is not a string"))),
        };
        let exp =
            timestamp(&payload, "exp")?.ok_or("JWT payload is missing required field: exp")?;
        let nbf = timestamp(&payload, "nbf")?;
        let iss = text(&payload, "iss")?.ok_or("JWT payload is missing required field: iss")?;
        let tid = text(&payload, "tid")?;
        Ok(Token {
            header,
            payload,
            algorithm,
            kid,
            exp,
            nbf,
            iss,
            tid,
            signed: &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()],
            signature,
        })
    }

    /// A NumericDate claim: seconds since the epoch, a non-negative number (a fraction is
    /// dropped).
    fn timestamp(payload: &Value, claim: &str) -> Result<Option<u64>, String> {
        match payload.get(claim) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .or_else(|| {
                    value
                        .as_f64()
                        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                        .map(|seconds| seconds as u64)
                })
                .map(Some)
                .ok_or_else(|| {
                    format!("JWT payload does not follow schema: {claim} {value} is not a time")
                }),
        }
    }

    fn text(payload: &Value, claim: &str) -> Result<Option<String>, String> {
        match payload.get(claim) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!(
                "JWT payload does not follow schema: {claim} {other} is not a string"
            )),
        }
    }

    /// CCF's `validate_issuer`: outside Entra the token's `iss` must be the constraint and the
    /// token must have no `tid`; for Entra, `{tenantid}` in the constraint stands for the
    /// token's `tid`, and `iss` must be the constraint with `tid` as its first path segment.
    pub(super) fn issuer_meets_constraint(iss: &str, tid: Option<&str>, constraint: &str) -> bool {
        if url_host(constraint) != ENTRA_HOST {
            return iss == constraint && tid.is_none();
        }
        let constraint = match tid {
            Some(tid) => constraint.replacen(TENANT_PLACEHOLDER, tid, 1),
            None => constraint.to_owned(),
        };
        if iss != constraint {
            return false;
        }
        let tenant = url_path(iss).split('/').find(|segment| !segment.is_empty());
        tid.is_some() && tenant == tid
    }

    fn after_scheme(url: &str) -> &str {
        url.split_once("://").map_or(url, |(_, rest)| rest)
    }

    /// The host of a URL (`https://login.example.com:443/x` → `login.example.com`).
    fn url_host(url: &str) -> &str {
        let authority = after_scheme(url)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        match host.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        }
    }

    /// The path of a URL, without query or fragment.
    fn url_path(url: &str) -> &str {
        let rest = after_scheme(url);
        let path = rest.find('/').map_or("", |at| &rest[at..]);
        path.split(['?', '#']).next().unwrap_or_default()
    }
}

/// The COSE_Sign1 policies, with the checks and messages of CCF's `UserCOSESign1AuthnPolicy`
/// and `MemberCOSESign1AuthnPolicy`. Signatures are checked by `quorate_crypto::cose`, as for
/// governance requests.
mod cose {
    use super::*;

    const COSE_CONTENT_TYPE: &str = "application/cose";
    /// `Tag(18)`, one byte: how a tagged COSE_Sign1 starts.
    const COSE_SIGN1_TAG: u8 = 0xd2;
    /// CCF's ECDSA algorithms: ES256, ES384, ES512.
    const ECDSA_ALGORITHMS: [i64; 3] = [-7, -35, -36];

    const USER_MSG_TYPE: &str = "ccf.msg.type";
    const USER_CREATED_AT: &str = "ccf.msg.created_at";
    const GOV_MSG_TYPE: &str = "ccf.gov.msg.type";
    const GOV_CREATED_AT: &str = "ccf.gov.msg.created_at";
    const GOV_PROPOSAL_ID: &str = "ccf.gov.msg.proposal_id";

    #[derive(Clone, Copy, Debug)]
    pub(super) enum Signer<'p> {
        User { expected_msg_type: Option<&'p str> },
        Member { active_only: bool },
    }

    pub(super) fn authenticate(
        lookup: &dyn IdentityLookup,
        request: &AuthRequest<'_>,
        signer: Signer<'_>,
    ) -> Result<AuthnIdentity, String> {
        let content_type = request
            .headers
            .get(CONTENT_TYPE)
            .ok_or_else(|| format!("Missing {CONTENT_TYPE} header"))?;
        let media_type = content_type
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !media_type.eq_ignore_ascii_case(COSE_CONTENT_TYPE) {
            return Err(format!("Content type is not set to {COSE_CONTENT_TYPE}"));
        }
        let body = request.body;
        if body.first() != Some(&COSE_SIGN1_TAG) {
            return Err(if body.first().is_some_and(|b| b >> 5 == 4) {
                "COSE_Sign1 is not tagged".into()
            } else {
                "Failed to parse COSE_Sign1 outer array".into()
            });
        }
        let message = Sign1Message::parse(body)
            .map_err(|error| format!("Failed to decode COSE_Sign1: {error}"))?;
        let header = message.protected();
        let decode_error = |detail: &str| format!("Failed to decode protected header: {detail}");
        let alg = match header.get_int(1) {
            None => return Err("Missing algorithm in protected header".into()),
            Some(value) => integer(value).ok_or_else(|| decode_error("alg is not an integer"))?,
        };
        let kid = match header.get_int(4) {
            None => return Err("Missing kid in protected header".into()),
            Some(CborValue::Bytes(kid)) => String::from_utf8_lossy(kid).into_owned(),
            Some(_) => return Err(decode_error("kid is not a byte string")),
        };
        let text = |label: &str| match header.get_text(label) {
            None => Ok(None),
            Some(CborValue::Text(text)) => Ok(Some(text.clone())),
            Some(_) => Err(decode_error(&format!("{label} is not a text string"))),
        };
        let int = |label: &str| match header.get_text(label) {
            None => Ok(None),
            Some(value) => integer(value)
                .map(Some)
                .ok_or_else(|| decode_error(&format!("{label} is not an integer"))),
        };
        let (msg_type, created_at, proposal_id) = match signer {
            Signer::User { .. } => {
                // Both optional; a created_at that is not positive is ignored, as in CCF.
                let msg_type = text(USER_MSG_TYPE)?;
                let created_at = int(USER_CREATED_AT)?
                    .filter(|seconds| *seconds > 0)
                    .and_then(|seconds| u64::try_from(seconds).ok());
                (msg_type, created_at, None)
            }
            Signer::Member { .. } => {
                let created_at =
                    int(GOV_CREATED_AT)?.ok_or("Missing created_at in protected header")?;
                let created_at = u64::try_from(created_at)
                    .map_err(|_| "Header parameter created_at must be positive")?;
                (
                    text(GOV_MSG_TYPE)?,
                    Some(created_at),
                    text(GOV_PROPOSAL_ID)?,
                )
            }
        };
        if !ECDSA_ALGORITHMS.contains(&alg) {
            return Err(format!("Unsupported algorithm: {alg}"));
        }
        let known = lookup.identity(&kid).ok_or(match signer {
            Signer::User { .. } => "Signer is not a known user",
            Signer::Member { .. } => "Signer is not a known member",
        })?;
        let key = Certificate::from_pem(&known.cert_pem)
            .and_then(|certificate| certificate.public_key())
            .map_err(|error| format!("Failed to validate COSE Sign1: signer's key: {error}"))?;
        message
            .verify(&key, None)
            .map_err(|error| format!("Failed to validate COSE Sign1: {error}"))?;
        let identity = CoseIdentity {
            id: kid,
            data: known.data,
            cert_pem: known.cert_pem,
            content: Bytes::copy_from_slice(message.payload().unwrap_or_default()),
            msg_type,
            created_at,
            proposal_id,
        };
        match signer {
            Signer::User {
                expected_msg_type: Some(expected),
            } if identity.msg_type.as_deref() != Some(expected) => Err(format!(
                "Unexpected message type: {}, expected: {expected}",
                identity.msg_type.as_deref().unwrap_or("(none)")
            )),
            Signer::User { .. } => Ok(AuthnIdentity::UserCose(identity)),
            Signer::Member { active_only: true } if !known.active => {
                Err("Signer is not an ACTIVE member".into())
            }
            Signer::Member { .. } => Ok(AuthnIdentity::MemberCose(identity)),
        }
    }

    fn integer(value: &CborValue) -> Option<i64> {
        match value {
            CborValue::Integer(integer) => i64::try_from(i128::from(*integer)).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
    };
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use http::HeaderValue;
    use quorate_crypto::cose::{GovMsgType, HeaderLabel, Sign1Builder, sign_governance_request};
    use quorate_crypto::{KeyPair, Validity, create_self_signed_certificate};
    use serde_json::json;

    use super::*;

    const NOW: u64 = 1_750_000_000;
    const ISSUER: &str = "https://issuer.example.com";
    const KID: &str = "key-1";

    static RSA_KEY: LazyLock<RsaKeyPair> =
        LazyLock::new(|| RsaKeyPair::generate(KeySize::Rsa2048).unwrap());
    static OTHER_RSA_KEY: LazyLock<RsaKeyPair> =
        LazyLock::new(|| RsaKeyPair::generate(KeySize::Rsa2048).unwrap());
    static EC_KEY: LazyLock<EcdsaKeyPair> =
        LazyLock::new(|| EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap());

    fn rsa_der(key: &RsaKeyPair) -> Vec<u8> {
        key.public_key().as_der().unwrap().as_ref().to_vec()
    }

    fn rsa_sign(key: &RsaKeyPair) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
        move |message| {
            let mut signature = vec![0; key.public_modulus_len()];
            key.sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .unwrap();
            signature
        }
    }

    fn ec_sign(message: &[u8]) -> Vec<u8> {
        EC_KEY
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn jwt(header: &Value, payload: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = URL_SAFE_NO_PAD.encode(sign(signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    fn rs256(payload: &Value) -> String {
        jwt(
            &json!({"alg": "RS256", "kid": KID, "typ": "JWT"}),
            payload,
            rsa_sign(&RSA_KEY),
        )
    }

    fn claims() -> Value {
        json!({"iss": ISSUER, "sub": "alice", "exp": NOW + 60, "nbf": NOW - 60})
    }

    fn key(der: Vec<u8>, constraint: Option<&str>) -> JwtSigningKey {
        JwtSigningKey {
            public_key_der: der,
            issuer: ISSUER.into(),
            constraint: constraint.map(str::to_owned),
        }
    }

    /// `jwt` whose only kid is [`KID`], holding `keys`.
    fn jwt_policy(keys: Vec<JwtSigningKey>) -> AuthPolicy {
        AuthPolicy::jwt(move |kid: &str| Ok(if kid == KID { keys.clone() } else { Vec::new() }))
    }

    fn rsa_policy() -> AuthPolicy {
        jwt_policy(vec![key(rsa_der(&RSA_KEY), None)])
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn bearer(token: &str) -> HeaderMap {
        headers(&[("authorization", &format!("Bearer {token}"))])
    }

    /// Runs one policy on a request with these headers and body, anonymous over TLS.
    fn run(policy: &AuthPolicy, headers: &HeaderMap, body: &[u8]) -> Result<AuthnIdentity, String> {
        let request = AuthRequest {
            caller: &Caller::Anonymous,
            headers,
            body,
        };
        authenticate_at(std::slice::from_ref(policy), &request, NOW)
            .map_err(|failure| failure.message())
    }

    fn refused(policy: &AuthPolicy, headers: &HeaderMap, body: &[u8], reason: &str) {
        match run(policy, headers, body) {
            Ok(identity) => panic!("accepted as {identity:?}; wanted refused: {reason}"),
            Err(message) => assert!(message.contains(reason), "{message:?} lacks {reason:?}"),
        }
    }

    fn user_cert_caller() -> Caller {
        Caller::Certificate {
            der: Bytes::from_static(b"cert"),
            fingerprint_sha256_hex: "ab".repeat(32),
            pem: std::sync::OnceLock::new(),
        }
    }

    #[test]
    fn a_signed_token_within_its_times_is_accepted_with_ccfs_identity() {
        let token = rs256(&claims());
        let identity = run(&rsa_policy(), &bearer(&token), b"").unwrap();
        assert_eq!(
            identity,
            AuthnIdentity::Jwt(JwtIdentity {
                key_issuer: ISSUER.into(),
                header: json!({"alg": "RS256", "kid": KID, "typ": "JWT"}),
                payload: claims(),
            })
        );
        assert_eq!(identity.policy_name().as_deref(), Some("jwt"));
        // nbf is optional; exp and nbf are inclusive bounds, as in CCF.
        let edge = json!({"iss": ISSUER, "exp": NOW, "nbf": NOW});
        run(&rsa_policy(), &bearer(&rs256(&edge)), b"").unwrap();
        let no_nbf = json!({"iss": ISSUER, "exp": NOW + 1});
        run(&rsa_policy(), &bearer(&rs256(&no_nbf)), b"").unwrap();
    }

    #[test]
    fn tokens_outside_their_times_are_refused() {
        let expired = json!({"iss": ISSUER, "exp": NOW - 1});
        refused(
            &rsa_policy(),
            &bearer(&rs256(&expired)),
            b"",
            &format!(
                "Current time {NOW} is after token's Expiration Time (exp) claim {}",
                NOW - 1
            ),
        );
        let early = json!({"iss": ISSUER, "exp": NOW + 60, "nbf": NOW + 1});
        refused(
            &rsa_policy(),
            &bearer(&rs256(&early)),
            b"",
            &format!(
                "Current time {NOW} is before token's Not Before (nbf) claim {}",
                NOW + 1
            ),
        );
    }

    #[test]
    fn tokens_not_signed_by_the_kids_key_are_refused() {
        // Another kid: no key.
        let other_kid = jwt(
            &json!({"alg": "RS256", "kid": "key-2"}),
            &claims(),
            rsa_sign(&RSA_KEY),
        );
        refused(
            &rsa_policy(),
            &bearer(&other_kid),
            b"",
            "JWT signing key not found for kid key-2",
        );
        // The kid's key did not sign it.
        let forged = jwt(
            &json!({"alg": "RS256", "kid": KID}),
            &claims(),
            rsa_sign(&OTHER_RSA_KEY),
        );
        refused(
            &rsa_policy(),
            &bearer(&forged),
            b"",
            "Signature verification failed",
        );
        // A payload changed after signing.
        let token = rs256(&claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let tampered =
            URL_SAFE_NO_PAD.encode(json!({"iss": ISSUER, "exp": NOW + 9999}).to_string());
        parts[1] = &tampered;
        refused(
            &rsa_policy(),
            &bearer(&parts.join(".")),
            b"",
            "Signature verification failed",
        );
        // An RSA key cannot check an ES256 token, nor an EC key an RS256 one.
        let es256 = jwt(&json!({"alg": "ES256", "kid": KID}), &claims(), ec_sign);
        refused(
            &rsa_policy(),
            &bearer(&es256),
            b"",
            "Signature verification failed",
        );
        let ec_der = EC_KEY.public_key().as_der().unwrap().as_ref().to_vec();
        refused(
            &jwt_policy(vec![key(ec_der, None)]),
            &bearer(&rs256(&claims())),
            b"",
            "Signature verification failed",
        );
    }

    #[test]
    fn es256_tokens_are_checked_against_ec_keys() {
        let ec_der = EC_KEY.public_key().as_der().unwrap().as_ref().to_vec();
        let policy = jwt_policy(vec![key(ec_der, None)]);
        let token = jwt(&json!({"alg": "ES256", "kid": KID}), &claims(), ec_sign);
        assert!(matches!(
            run(&policy, &bearer(&token), b""),
            Ok(AuthnIdentity::Jwt(_))
        ));
    }

    /// Every key stored under the kid is tried (CCF keeps one per issuer).
    #[test]
    fn any_key_under_the_kid_may_have_signed() {
        let mut first = key(rsa_der(&OTHER_RSA_KEY), None);
        first.issuer = "https://other.example.com".into();
        let policy = jwt_policy(vec![first, key(rsa_der(&RSA_KEY), None)]);
        match run(&policy, &bearer(&rs256(&claims())), b"") {
            Ok(AuthnIdentity::Jwt(identity)) => assert_eq!(identity.key_issuer, ISSUER),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_keys_issuer_constraint_binds_the_tokens_iss() {
        let constrained = jwt_policy(vec![key(rsa_der(&RSA_KEY), Some(ISSUER))]);
        run(&constrained, &bearer(&rs256(&claims())), b"").unwrap();
        let elsewhere = json!({"iss": "https://evil.example.com", "exp": NOW + 60});
        refused(
            &constrained,
            &bearer(&rs256(&elsewhere)),
            b"",
            &format!("Kid {KID} failed issuer constraint validation {ISSUER}"),
        );
        // A tenant id only makes sense for Entra.
        let with_tid = json!({"iss": ISSUER, "exp": NOW + 60, "tid": "t1"});
        refused(
            &constrained,
            &bearer(&rs256(&with_tid)),
            b"",
            "failed issuer constraint validation",
        );
        // Without a constraint CCF does not check iss (the key issuer is in the identity).
        run(&rsa_policy(), &bearer(&rs256(&elsewhere)), b"").unwrap();
    }

    #[test]
    fn entra_issuers_are_checked_against_the_tenant() {
        let multi = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let tenant_iss = "https://login.microsoftonline.com/t1/v2.0";
        assert!(jwt::issuer_meets_constraint(tenant_iss, Some("t1"), multi));
        assert!(!jwt::issuer_meets_constraint(tenant_iss, Some("t2"), multi));
        assert!(!jwt::issuer_meets_constraint(tenant_iss, None, multi));
        let single = "https://login.microsoftonline.com/t1/v2.0";
        assert!(jwt::issuer_meets_constraint(tenant_iss, Some("t1"), single));
        assert!(!jwt::issuer_meets_constraint(
            tenant_iss,
            Some("t2"),
            single
        ));
        assert!(jwt::issuer_meets_constraint(ISSUER, None, ISSUER));
        assert!(!jwt::issuer_meets_constraint(
            "https://issuer.example.com/",
            None,
            ISSUER
        ));
    }

    #[test]
    fn malformed_requests_and_tokens_get_ccfs_reasons() {
        let policy = rsa_policy();
        let good = rs256(&claims());
        refused(
            &policy,
            &HeaderMap::new(),
            b"",
            "Missing authorization header",
        );
        refused(
            &policy,
            &headers(&[("authorization", &good)]),
            b"",
            "Authorization header only contains one field",
        );
        refused(
            &policy,
            &headers(&[("authorization", &format!("Basic {good}"))]),
            b"",
            "Authorization header does not have Bearer scheme",
        );
        refused(
            &policy,
            &bearer("a.b"),
            b"",
            "Malformed JWT: must contain exactly 3 parts",
        );
        refused(
            &policy,
            &bearer(&format!("{good}.x")),
            b"",
            "Malformed JWT: must contain exactly 3 parts",
        );
        refused(&policy, &bearer("!!.e30.e30"), b"", "Malformed JWT");
        let not_json = format!("{}.e30.e30", URL_SAFE_NO_PAD.encode("{"));
        refused(
            &policy,
            &bearer(&not_json),
            b"",
            "JWT header or payload is not valid JSON",
        );
        let array = format!("{}.e30.e30", URL_SAFE_NO_PAD.encode("[]"));
        refused(
            &policy,
            &bearer(&array),
            b"",
            "JWT header or payload is not an object",
        );
        // "none" and HMAC tokens are not signatures the node checks.
        for alg in ["none", "HS256", "RS512"] {
            let token = jwt(&json!({"alg": alg, "kid": KID}), &claims(), |_| Vec::new());
            refused(
                &policy,
                &bearer(&token),
                b"",
                &format!("JWT header does not follow schema: alg {alg} is not one of"),
            );
        }
        let no_kid = jwt(&json!({"alg": "RS256"}), &claims(), rsa_sign(&RSA_KEY));
        refused(
            &policy,
            &bearer(&no_kid),
            b"",
            "JWT header does not follow schema: missing required field kid",
        );
        refused(
            &policy,
            &bearer(&rs256(&json!({"iss": ISSUER}))),
            b"",
            "JWT payload is missing required field: exp",
        );
        refused(
            &policy,
            &bearer(&rs256(&json!({"exp": NOW + 60}))),
            b"",
            "JWT payload is missing required field: iss",
        );
        refused(
            &policy,
            &bearer(&rs256(&json!({"iss": ISSUER, "exp": "soon"}))),
            b"",
            "JWT payload does not follow schema: exp",
        );
    }

    #[test]
    fn stored_key_lists_parse_as_governance_writes_them() {
        let stored = json!([
            {"issuer": ISSUER, "public_key": STANDARD.encode(b"der")},
            {"constraint": "https://c.example.com", "issuer": "i2", "public_key": "AAE="},
        ]);
        assert_eq!(
            JwtSigningKey::list_from_kv(stored.to_string().as_bytes()).unwrap(),
            [
                JwtSigningKey {
                    public_key_der: b"der".to_vec(),
                    issuer: ISSUER.into(),
                    constraint: None
                },
                JwtSigningKey {
                    public_key_der: vec![0, 1],
                    issuer: "i2".into(),
                    constraint: Some("https://c.example.com".into())
                },
            ]
        );
        assert!(JwtSigningKey::list_from_kv(b"{}").is_err());
        assert!(JwtSigningKey::list_from_kv(br#"[{"issuer": "i", "public_key": "@"}]"#).is_err());
    }

    /// A P-384 identity as users and members have.
    struct Signer {
        key: KeyPair,
        cert: Certificate,
    }

    impl Signer {
        fn new(seed: u8, name: &str) -> Signer {
            let key = KeyPair::from_seed(&[seed; 32]).unwrap();
            let validity = Validity {
                not_before_unix_s: 0,
                not_after_unix_s: 4_000_000_000,
            };
            let cert = create_self_signed_certificate(&key, name, &[], &validity, 1).unwrap();
            Signer { key, cert }
        }

        fn id(&self) -> String {
            self.cert.fingerprint_sha256_hex()
        }

        fn known(&self, active: bool) -> KnownIdentity {
            KnownIdentity {
                cert_pem: self.cert.pem().to_owned(),
                data: json!({"role": "tester"}),
                active,
            }
        }
    }

    static USER: LazyLock<Signer> = LazyLock::new(|| Signer::new(31, "user0"));
    static STRANGER: LazyLock<Signer> = LazyLock::new(|| Signer::new(32, "stranger"));
    static MEMBER: LazyLock<Signer> = LazyLock::new(|| Signer::new(33, "member0"));

    fn only(signer: &'static Signer, active: bool) -> impl IdentityLookup {
        move |id: &str| (id == signer.id()).then(|| signer.known(active))
    }

    fn cose_headers() -> HeaderMap {
        headers(&[("content-type", "application/cose")])
    }

    fn text(label: &str) -> HeaderLabel {
        HeaderLabel::Text(label.into())
    }

    /// A body `signer` signed, claiming to be `kid`, with `ccf.msg.*` headers.
    fn user_body(signer: &Signer, kid: &str, msg_type: CborValue) -> Vec<u8> {
        Sign1Builder::new()
            .kid(kid.as_bytes())
            .protected(text("ccf.msg.type"), msg_type)
            .protected(text("ccf.msg.created_at"), CborValue::from(NOW))
            .sign(&signer.key, br#"{"msg": "hello"}"#)
            .unwrap()
    }

    #[test]
    fn a_body_signed_by_a_user_is_accepted_with_its_content() {
        let policy = AuthPolicy::user_cose_sign1(only(&USER, false));
        let body = user_body(&USER, &USER.id(), CborValue::from("greeting"));
        let identity = run(&policy, &cose_headers(), &body).unwrap();
        assert_eq!(
            identity,
            AuthnIdentity::UserCose(CoseIdentity {
                id: USER.id(),
                data: json!({"role": "tester"}),
                cert_pem: USER.cert.pem().to_owned(),
                content: Bytes::from_static(br#"{"msg": "hello"}"#),
                msg_type: Some("greeting".into()),
                created_at: Some(NOW),
                proposal_id: None,
            })
        );
        assert_eq!(identity.policy_name().as_deref(), Some("user_cose_sign1"));
        // Both headers are optional; a content type with parameters is still COSE.
        let bare = Sign1Builder::new()
            .kid(USER.id().as_bytes())
            .sign(&USER.key, b"x")
            .unwrap();
        let with_charset = headers(&[("content-type", "application/cose; charset=binary")]);
        assert!(matches!(
            run(&policy, &with_charset, &bare),
            Ok(AuthnIdentity::UserCose(CoseIdentity {
                msg_type: None,
                created_at: None,
                ..
            }))
        ));
    }

    #[test]
    fn bodies_not_signed_by_a_known_user_are_refused() {
        let policy = AuthPolicy::user_cose_sign1(only(&USER, false));
        let signed = user_body(&USER, &USER.id(), CborValue::from("greeting"));
        refused(
            &policy,
            &HeaderMap::new(),
            &signed,
            "Missing content-type header",
        );
        refused(
            &policy,
            &headers(&[("content-type", "application/json")]),
            &signed,
            "Content type is not set to application/cose",
        );
        // Unsigned: plain JSON, or the signed message without its tag.
        refused(
            &policy,
            &cose_headers(),
            br#"{"msg": "hello"}"#,
            "Failed to parse COSE_Sign1 outer array",
        );
        refused(
            &policy,
            &cose_headers(),
            &signed[1..],
            "COSE_Sign1 is not tagged",
        );
        refused(
            &policy,
            &cose_headers(),
            &[0xd2, 0x01],
            "Failed to decode COSE_Sign1",
        );
        // A stranger signing as themselves, and a stranger claiming to be the user.
        let stranger = user_body(&STRANGER, &STRANGER.id(), CborValue::from("greeting"));
        refused(
            &policy,
            &cose_headers(),
            &stranger,
            "Signer is not a known user",
        );
        let impostor = user_body(&STRANGER, &USER.id(), CborValue::from("greeting"));
        refused(
            &policy,
            &cose_headers(),
            &impostor,
            "Failed to validate COSE Sign1",
        );
        // No kid.
        let anonymous = Sign1Builder::new().sign(&USER.key, b"x").unwrap();
        refused(
            &policy,
            &cose_headers(),
            &anonymous,
            "Missing kid in protected header",
        );
        // A header of the wrong CBOR type.
        let wrong_type = user_body(&USER, &USER.id(), CborValue::from(7));
        refused(
            &policy,
            &cose_headers(),
            &wrong_type,
            "Failed to decode protected header: ccf.msg.type is not a text string",
        );
    }

    #[test]
    fn typed_user_policies_want_their_message_type() {
        let policy = AuthPolicy::typed_user_cose_sign1(only(&USER, false), "greeting");
        assert_eq!(policy.name(), "typed_user_cose_sign1");
        let body = user_body(&USER, &USER.id(), CborValue::from("greeting"));
        assert!(matches!(
            run(&policy, &cose_headers(), &body),
            Ok(AuthnIdentity::UserCose(_))
        ));
        let other = user_body(&USER, &USER.id(), CborValue::from("farewell"));
        refused(
            &policy,
            &cose_headers(),
            &other,
            "Unexpected message type: farewell, expected: greeting",
        );
    }

    #[test]
    fn member_bodies_carry_governance_headers() {
        let any_member = AuthPolicy::member_cose_sign1(only(&MEMBER, false), false);
        let body = sign_governance_request(
            &MEMBER.key,
            &MEMBER.cert,
            GovMsgType::Ballot,
            NOW,
            Some("p1"),
            b"ballot",
        )
        .unwrap();
        assert_eq!(
            run(&any_member, &cose_headers(), &body).unwrap(),
            AuthnIdentity::MemberCose(CoseIdentity {
                id: MEMBER.id(),
                data: json!({"role": "tester"}),
                cert_pem: MEMBER.cert.pem().to_owned(),
                content: Bytes::from_static(b"ballot"),
                msg_type: Some("ballot".into()),
                created_at: Some(NOW),
                proposal_id: Some("p1".into()),
            })
        );
        // The member must be Active for active_member_cose_sign1.
        let active_only = AuthPolicy::member_cose_sign1(only(&MEMBER, false), true);
        refused(
            &active_only,
            &cose_headers(),
            &body,
            "Signer is not an ACTIVE member",
        );
        let active = AuthPolicy::member_cose_sign1(only(&MEMBER, true), true);
        run(&active, &cose_headers(), &body).unwrap();
        // created_at is required and not negative.
        let member_body = |created_at: Option<i64>| {
            let mut builder = Sign1Builder::new()
                .kid(MEMBER.id().as_bytes())
                .protected(text("ccf.gov.msg.type"), CborValue::from("proposal"));
            if let Some(created_at) = created_at {
                builder =
                    builder.protected(text("ccf.gov.msg.created_at"), CborValue::from(created_at));
            }
            builder.sign(&MEMBER.key, b"{}").unwrap()
        };
        refused(
            &any_member,
            &cose_headers(),
            &member_body(None),
            "Missing created_at in protected header",
        );
        refused(
            &any_member,
            &cose_headers(),
            &member_body(Some(-1)),
            "Header parameter created_at must be positive",
        );
        // A user's signature is not a member's.
        let user = user_body(&USER, &USER.id(), CborValue::from("greeting"));
        refused(&any_member, &cose_headers(), &user, "Missing created_at");
    }

    #[test]
    fn all_of_needs_every_policy_and_reports_the_one_that_refused() {
        let known = |id: &str| (id == "ab".repeat(32)).then(|| json!({"name": "u"}));
        let policy = AuthPolicy::all_of(vec![rsa_policy(), AuthPolicy::user_cert(known)]);
        assert_eq!(policy.name(), "jwt+user_cert");
        let token_headers = bearer(&rs256(&claims()));
        let request = AuthRequest {
            caller: &user_cert_caller(),
            headers: &token_headers,
            body: b"",
        };
        let identity = authenticate_at(std::slice::from_ref(&policy), &request, NOW).unwrap();
        let AuthnIdentity::AllOf(identities) = &identity else {
            panic!("{identity:?}");
        };
        let names: Vec<&str> = identities.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["jwt", "user_cert"]);
        assert!(matches!(identities[0].1, AuthnIdentity::Jwt(_)));
        assert!(matches!(identities[1].1, AuthnIdentity::User(_)));
        assert_eq!(identity.policy_name().as_deref(), Some("jwt+user_cert"));

        // A certificate without a token, and a token without a certificate.
        let no_token = AuthRequest {
            headers: &HeaderMap::new(),
            ..request
        };
        let failure = authenticate_at(std::slice::from_ref(&policy), &no_token, NOW).unwrap_err();
        assert_eq!(failure.message(), "jwt: Missing authorization header");
        let no_cert = AuthRequest {
            caller: &Caller::Anonymous,
            ..request
        };
        let failure = authenticate_at(std::slice::from_ref(&policy), &no_cert, NOW).unwrap_err();
        assert_eq!(failure.message(), "user_cert: No caller user certificate");

        // Empty, repeated or nested lists cannot be checked, so they refuse.
        for bad in [
            AuthPolicy::all_of(vec![]),
            AuthPolicy::all_of(vec![AuthPolicy::NoAuth, AuthPolicy::NoAuth]),
            AuthPolicy::all_of(vec![AuthPolicy::all_of(vec![AuthPolicy::NoAuth])]),
        ] {
            assert!(matches!(bad, AuthPolicy::Unsupported(_)), "{bad:?}");
            assert!(authenticate_at(&[bad], &request, NOW).is_err());
        }
    }

    #[test]
    fn failures_list_every_reason_and_the_last_policys_challenge() {
        let policies = [AuthPolicy::AnyCert, rsa_policy()];
        let request = AuthRequest {
            caller: &Caller::Anonymous,
            headers: &HeaderMap::new(),
            body: b"",
        };
        let failure = authenticate_at(&policies, &request, NOW).unwrap_err();
        assert_eq!(
            failure.reasons,
            [
                ("any_cert".to_owned(), "No caller certificate".to_owned()),
                ("jwt".to_owned(), "Missing authorization header".to_owned())
            ]
        );
        assert_eq!(failure.challenge, Some(BEARER_CHALLENGE));
        let cose_last = [
            rsa_policy(),
            AuthPolicy::user_cose_sign1(only(&USER, false)),
        ];
        let failure = authenticate_at(&cose_last, &request, NOW).unwrap_err();
        assert_eq!(failure.challenge, Some(COSE_CHALLENGE));
        let cert_last = [rsa_policy(), AuthPolicy::AnyCert];
        let failure = authenticate_at(&cert_last, &request, NOW).unwrap_err();
        assert_eq!(failure.challenge, None);
        // No policies: unauthenticated.
        assert_eq!(
            authenticate_at(&[], &request, NOW),
            Ok(AuthnIdentity::Unauthenticated)
        );
    }

    /// An unsupported policy refuses everyone and says why; it never passes as if absent.
    #[test]
    fn unsupported_policies_refuse_every_caller() {
        let policies = [AuthPolicy::Unsupported("magic_token".into())];
        let empty = HeaderMap::new();
        for caller in [Caller::Anonymous, user_cert_caller()] {
            let request = AuthRequest {
                caller: &caller,
                headers: &empty,
                body: b"",
            };
            let refused = authenticate_at(&policies, &request, NOW).unwrap_err();
            assert!(
                refused
                    .message()
                    .contains("Authentication policy magic_token is not supported"),
                "{refused:?}"
            );
        }
        // As in CCF, a list passes when any one policy does.
        let either = [
            AuthPolicy::Unsupported("magic_token".into()),
            AuthPolicy::AnyCert,
        ];
        let cert = user_cert_caller();
        let request = AuthRequest {
            caller: &cert,
            headers: &empty,
            body: b"",
        };
        assert!(matches!(
            authenticate_at(&either, &request, NOW),
            Ok(AuthnIdentity::AnyCert { .. })
        ));
    }
}
