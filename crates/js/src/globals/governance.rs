//! The natives behind CCF's gov-only API (`governance.js` builds `ccf.node`, `ccf.network`,
//! `ccf.gov` and the JWT helpers over them). They exist only in governance contexts and act on
//! the call's [`HostState`]: its transaction, its [`GovernanceContext`] (the service identity,
//! what the node knows) and the [`NodeAction`]s it leaves for the node.
//!
//! Effects (node actions, opening the service, JWT keys) need a writable call, as CCF installs
//! them only for `apply`; reading and certificate generation work in any governance call.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P384_SHA384_ASN1, ECDSA_P521_SHA512_ASN1, ParsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use quorate_crypto::{
    Certificate, Validity, endorse_certificate_signing_request, random_serial,
    renew_service_certificate,
};
use quorate_kv::Tx;
use quorate_ledger::tables;
use rquickjs::{Ctx, Exception, Function, Object};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::natives::{Shared, js_bytes, whole, with_tx};
use crate::bundle::Bundle;
use crate::error::JsError;
use crate::governance::{
    ExportCheck, GovernanceContext, NodeAction, check_bundle, exported_functions,
};
use crate::limits::JsLimits;

/// What a governance context's natives need beyond the host state: the call's limits and
/// deadline, which `ccf.gov.validateConstitution` applies to the module it evaluates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GovernanceSettings {
    pub limits: JsLimits,
    pub deadline: Instant,
}

const GLUE: &str = include_str!("governance.js");

fn internal(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_internal(ctx, message)
}

/// The call's governance context (always there: `call_governance` refuses calls without one).
fn context(ctx: &Ctx<'_>, host: &Shared) -> rquickjs::Result<GovernanceContext> {
    host.borrow()
        .input
        .governance
        .clone()
        .ok_or_else(|| internal(ctx, "this call has no governance context"))
}

/// Effects belong to `apply`, which the caller runs writable.
fn require_writable(ctx: &Ctx<'_>, host: &Shared, api: &str) -> rquickjs::Result<()> {
    if host.borrow().input.writable {
        Ok(())
    } else {
        Err(internal(
            ctx,
            &format!("{api} may only be called from apply: this governance call is read-only"),
        ))
    }
}

/// Adds the gov-only natives and the glue that uses them (`natives.governance`, which the
/// prelude calls) to `natives`.
pub fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Shared,
    natives: &Object<'js>,
    settings: GovernanceSettings,
) -> rquickjs::Result<()> {
    let h = Rc::clone(host);
    natives.set(
        "gov_node_action",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, api: String, name: String| -> rquickjs::Result<()> {
                let action = match name.as_str() {
                    "triggerLedgerRekey" => NodeAction::TriggerLedgerRekey,
                    "triggerRecoverySharesRefresh" => NodeAction::TriggerRecoverySharesRefresh,
                    "triggerLedgerChunk" => NodeAction::TriggerLedgerChunk,
                    "triggerSnapshot" => NodeAction::TriggerSnapshot,
                    other => return Err(internal(&ctx, &format!("unknown node action {other}"))),
                };
                require_writable(&ctx, &h, &api)?;
                h.borrow_mut().output.node_actions.push(action);
                Ok(())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_transition_service_to_open",
        Function::new(
            ctx.clone(),
            // The previous identity only matters when a recovering service opens, which is
            // refused until recovery exists.
            move |ctx: Ctx<'js>, _previous: Option<String>, next: String| {
                require_writable(&ctx, &h, "ccf.node.transitionServiceToOpen")?;
                let next = js_bytes(&ctx, &next)?;
                let opened = with_tx(&ctx, &h, |tx| transition_service_to_open(tx, &next))?
                    .map_err(|reason| {
                        internal(&ctx, &format!("Unable to open service: {reason}"))
                    })?;
                if opened {
                    // CCF snapshots right after the service opens.
                    h.borrow_mut()
                        .output
                        .node_actions
                        .push(NodeAction::TriggerSnapshot);
                }
                Ok::<_, rquickjs::Error>(())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_latest_ledger_secret_seqno",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<f64> {
            Ok(context(&ctx, &h)?.latest_ledger_secret_seqno as f64)
        })?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_endorse_csr",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, csr: String, valid_from: String, days: f64| {
                let identity = context(&ctx, &h)?;
                let days = whole(&ctx, days)?;
                let endorsed = Validity::from_ccf(&valid_from, days).and_then(|validity| {
                    endorse_certificate_signing_request(
                        &csr,
                        &validity,
                        random_serial()?,
                        &identity.service_key,
                        &identity.service_certificate,
                    )
                });
                endorsed
                    .map(|certificate| certificate.pem().to_owned())
                    .map_err(|e| internal(&ctx, &format!("Failed to create endorsed cert: {e}")))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_renew_service_certificate",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, valid_from: String, days: f64| {
                let identity = context(&ctx, &h)?;
                let days = whole(&ctx, days)?;
                let renewed = Validity::from_ccf(&valid_from, days).and_then(|validity| {
                    renew_service_certificate(
                        &identity.service_key,
                        &identity.service_certificate,
                        &validity,
                        random_serial()?,
                    )
                });
                renewed
                    .map(|certificate| certificate.pem().to_owned())
                    .map_err(|e| internal(&ctx, &format!("Error: {e}")))
            },
        )?,
    )?;
    natives.set(
        "gov_validate_constitution",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, source: String| -> rquickjs::Result<()> {
                validate_constitution(&source, settings)
                    .map_err(|message| Exception::throw_type(&ctx, &message))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_set_jwt_keys",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, issuer: String, metadata: String, jwks: String| {
                require_writable(&ctx, &h, "ccf.setJwtPublicSigningKeys")?;
                let parsed = parse_jwt_arguments(&metadata, &jwks).map_err(|e| {
                    internal(&ctx, &format!("Error setting JWT public signing keys: {e}"))
                })?;
                with_tx(&ctx, &h, |tx| {
                    set_jwt_public_signing_keys(tx, &issuer, &parsed)
                })?
                .map_err(|reason| {
                    internal(
                        &ctx,
                        &format!("set_jwt_public_signing_keys() failed: {reason}"),
                    )
                })
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_remove_jwt_keys",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, issuer: String| -> rquickjs::Result<()> {
                require_writable(&ctx, &h, "ccf.removeJwtPublicSigningKeys")?;
                with_tx(&ctx, &h, |tx| remove_jwt_public_signing_keys(tx, &issuer))?.map_err(
                    |reason| {
                        internal(
                            &ctx,
                            &format!("Failed to remove JWT public signing keys: {reason}"),
                        )
                    },
                )
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "gov_check_app",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| -> rquickjs::Result<()> {
            with_tx(&ctx, &h, check_app)?.map_err(|error| {
                internal(&ctx, &format!("The JavaScript app does not load: {error}"))
            })
        })?,
    )?;
    let glue: Function = ctx.eval(GLUE)?;
    natives.set("governance", glue)
}

// ---------------------------------------------------------------------------------------------
// The JavaScript app

/// The app `tx` holds loads: its tables parse, its endpoints name modules it has, and every
/// module compiles.
fn check_app(tx: &mut Tx) -> Result<(), JsError> {
    match Bundle::from_kv(tx)? {
        Some(bundle) => check_bundle(&Arc::new(bundle)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The service

/// CCF's `transition_service_to_open` for a service that is not recovering: an `Opening`
/// service whose certificate is `next` becomes `Open`; an open one (or one waiting for recovery
/// shares) is left as it is. Returns whether it opened the service.
fn transition_service_to_open(tx: &mut Tx, next: &[u8]) -> Result<bool, String> {
    let raw = tx
        .get(tables::SERVICE_INFO, &tables::SINGLETON_KEY)
        .ok_or("Service information cannot be found to transition service to open")?;
    let mut info: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| format!("the service information is not valid JSON: {e}"))?;
    let status = info
        .get("status")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    match status {
        "Open" | "WaitingForRecoveryShares" => return Ok(false),
        "Recovering" => return Err("service recovery is not supported yet".into()),
        "Opening" => {}
        other => return Err(format!("a service in state {other:?} cannot be opened")),
    }
    let current = info
        .get("cert")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    if !same_certificate(next, current) {
        return Err(format!(
            "Service identity mismatch: the next service identity in the \
             transition_service_to_open proposal does not match the current service \
             identity:\nNext:\n{}\nCurrent:\n{current}",
            String::from_utf8_lossy(next)
        ));
    }
    info["status"] = serde_json::Value::from("Open");
    let value = serde_json::to_vec(&info).map_err(|e| e.to_string())?;
    tx.put(tables::SERVICE_INFO, tables::SINGLETON_KEY.to_vec(), value);
    Ok(true)
}

/// Whether the PEM `next` is the certificate `current`: the same DER when both parse (so line
/// endings and a trailing newline do not matter), else the same text.
fn same_certificate(next: &[u8], current: &str) -> bool {
    let next = String::from_utf8_lossy(next);
    match (Certificate::from_pem(&next), Certificate::from_pem(current)) {
        (Ok(next), Ok(current)) => next.der() == current.der(),
        _ => next.trim_end_matches('\0').trim() == current.trim(),
    }
}

// ---------------------------------------------------------------------------------------------
// Constitutions

/// CCF's `validateConstitution`: the module compiles and evaluates (in a runtime of its own,
/// so nothing it does reaches this context), and exports `apply(proposal, proposerId)`,
/// `resolve(proposal, proposerId, votes[, proposalId])` and `validate(input)` with those
/// numbers of parameters.
fn validate_constitution(source: &str, settings: GovernanceSettings) -> Result<(), String> {
    const PATH: &str = "proposed constitution";
    const EXPECTED: [(&str, &[&str], &[&str]); 3] = [
        ("apply", &["proposal", "proposerId"], &[]),
        (
            "resolve",
            &["proposal", "proposerId", "votes"],
            &["proposalId"],
        ),
        ("validate", &["input"], &[]),
    ];
    let names = EXPECTED.map(|(name, _, _)| name);
    let checks = exported_functions(PATH, source, &names, settings.limits, settings.deadline)
        .map_err(|reason| {
            format!(
                "{PATH} does not export a function named {}: {reason}",
                names[0]
            )
        })?;
    let plural = |n: usize| if n == 1 { "arg" } else { "args" };
    for ((name, required, optional), check) in EXPECTED.iter().zip(checks) {
        let length = match check {
            ExportCheck::Function { length } => length,
            ExportCheck::Missing => {
                return Err(format!(
                    "{PATH} does not export a function named {name}: Failed to find export \
                     '{name}' in module '{PATH}'"
                ));
            }
            ExportCheck::NotAFunction => {
                return Err(format!(
                    "{PATH} does not export a function named {name}: Export '{name}' of module \
                     '{PATH}' is not a function"
                ));
            }
        };
        let actual = format!(
            "{PATH} exports function {name} with {length} {}",
            plural(length)
        );
        let (min, max) = (required.len(), required.len() + optional.len());
        if optional.is_empty() && length != min {
            return Err(format!(
                "{actual}, expected {min} {} ({})",
                plural(min),
                required.join(", ")
            ));
        }
        if !optional.is_empty() && !(min..=max).contains(&length) {
            return Err(format!(
                "{actual}, expected between {min} and {max} args ({}[, {}])",
                required.join(", "),
                optional.join(", ")
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JWT signing keys

/// CCF's `JwtIssuerMetadata`: read only to check its shape, as CCF does; the keys do not depend
/// on it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct IssuerMetadata {
    #[serde(default)]
    ca_cert_bundle_name: Option<String>,
    #[serde(default)]
    auto_refresh: bool,
}

#[derive(Deserialize)]
struct JsonWebKeySet {
    keys: Vec<JsonWebKey>,
}

/// CCF's `JsonWebKeyData`: `kty` is required; which of the key members are used is decided
/// by what is present (RSA `n`/`e`, then EC `x`/`y`/`crv`, then `x5c`), as in CCF.
#[derive(Deserialize)]
struct JsonWebKey {
    #[allow(dead_code)]
    kty: KeyType,
    kid: Option<String>,
    x5c: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    crv: Option<EcCurve>,
    issuer: Option<String>,
}

#[derive(Deserialize)]
enum KeyType {
    #[serde(rename = "EC")]
    Ec,
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "OKP")]
    Okp,
}

#[derive(Deserialize, Clone, Copy)]
enum EcCurve {
    #[serde(rename = "P-256")]
    P256,
    #[serde(rename = "P-384")]
    P384,
    #[serde(rename = "P-521")]
    P521,
}

/// One entry of `public:ccf.gov.jwt.public_signing_keys_metadata_v2[kid]` (CCF's
/// `OpenIDJWKMetadata`): the key's SubjectPublicKeyInfo DER in base64, its issuer and the
/// optional issuer constraint. Fields in CCF's (alphabetical) order.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
struct KeyMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    constraint: Option<String>,
    issuer: String,
    public_key: String,
}

fn parse_jwt_arguments(metadata: &str, jwks: &str) -> Result<JsonWebKeySet, String> {
    serde_json::from_str::<IssuerMetadata>(metadata).map_err(|e| format!("metadata: {e}"))?;
    serde_json::from_str(jwks).map_err(|e| format!("jwks: {e}"))
}

fn base64url(text: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| format!("{what} is not base64url: {e}"))
}

/// The key's SubjectPublicKeyInfo DER, from RSA `n`/`e`, EC `x`/`y`/`crv` or the first `x5c`
/// certificate, tried in that order (CCF's `try_parse_jwk`).
fn jwk_public_key(kid: &str, jwk: &JsonWebKey) -> Result<Vec<u8>, String> {
    fn present(member: &Option<String>) -> Option<&str> {
        member.as_deref().filter(|text| !text.is_empty())
    }
    if let (Some(n), Some(e)) = (present(&jwk.n), present(&jwk.e)) {
        let components = PublicKeyComponents {
            n: base64url(n, "n")?,
            e: base64url(e, "e")?,
        };
        return components
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| "Failed to construct RSA public key: invalid n or e".into());
    }
    if let (Some(x), Some(y), Some(curve)) = (present(&jwk.x), present(&jwk.y), jwk.crv) {
        let (algorithm, size) = match curve {
            EcCurve::P256 => (&ECDSA_P256_SHA256_ASN1, 32),
            EcCurve::P384 => (&ECDSA_P384_SHA384_ASN1, 48),
            EcCurve::P521 => (&ECDSA_P521_SHA512_ASN1, 66),
        };
        let mut point = vec![4];
        for (name, coordinate) in [("x", x), ("y", y)] {
            let bytes = base64url(coordinate, name)?;
            if bytes.len() > size {
                return Err(format!(
                    "Failed to construct EC public key: {name} is {} bytes, the curve's \
                     coordinates {size}",
                    bytes.len()
                ));
            }
            point.resize(point.len() + size - bytes.len(), 0);
            point.extend(bytes);
        }
        let invalid = || "Failed to construct EC public key: not a point on the curve".to_owned();
        let key = ParsedPublicKey::new(algorithm, &point).map_err(|_| invalid())?;
        return key
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| invalid());
    }
    if let Some(first) = jwk.x5c.as_ref().and_then(|chain| chain.first()) {
        let der = STANDARD
            .decode(first)
            .map_err(|e| format!("Could not parse x5c of key id {kid}: {e}"))?;
        return X509Certificate::from_der(&der)
            .map(|(_, certificate)| certificate.public_key().raw.to_vec())
            .map_err(|e| format!("JWKS kid {kid} has an invalid X.509 certificate: {e}"));
    }
    Err(format!(
        "JWKS kid {kid} has neither RSA/EC public key or x5c"
    ))
}

/// The host of a URL (`https://login.example.com:443/x` → `login.example.com`), or of a bare
/// host name.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    }
}

/// CCF's `check_issuer_constraint`: a key's issuer constraint must name the issuer's domain or
/// a parent domain of it, so keys of one issuer cannot vouch for another.
fn issuer_constraint_allowed(issuer: &str, constraint: &str) -> bool {
    let (issuer, constraint) = (url_host(issuer), url_host(constraint));
    !constraint.is_empty() && (issuer == constraint || issuer.ends_with(&format!(".{constraint}")))
}

fn read_key_metadata(
    tx: &mut Tx,
    map: &str,
) -> Result<BTreeMap<Vec<u8>, Vec<KeyMetadata>>, String> {
    let mut entries = BTreeMap::new();
    let mut failure = None;
    tx.foreach(map, |kid, value| {
        match serde_json::from_slice(value) {
            Ok(list) => {
                entries.insert(kid.to_vec(), list);
            }
            Err(e) => {
                failure = Some(format!(
                    "{map}[{}] is not valid: {e}",
                    String::from_utf8_lossy(kid)
                ));
            }
        }
        failure.is_none()
    });
    failure.map_or(Ok(entries), Err)
}

fn put_key_metadata(tx: &mut Tx, kid: &[u8], list: &[KeyMetadata]) -> Result<(), String> {
    let map = tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2;
    if list.is_empty() {
        tx.remove(map, kid.to_vec());
    } else {
        let value = serde_json::to_vec(list).map_err(|e| e.to_string())?;
        tx.put(map, kid.to_vec(), value);
    }
    Ok(())
}

/// CCF's `set_jwt_public_signing_keys`: every key of `jwks` must have a `kid`, a usable public
/// key and, if it has one, an issuer constraint within `issuer`'s domain; then the issuer's keys
/// in the v2 metadata table become exactly these (other issuers' entries for the same kid are
/// kept, unchanged entries are not rewritten).
fn set_jwt_public_signing_keys(
    tx: &mut Tx,
    issuer: &str,
    jwks: &JsonWebKeySet,
) -> Result<(), String> {
    if jwks.keys.is_empty() {
        return Err("JWKS has no keys".into());
    }
    let mut new_keys: BTreeMap<Vec<u8>, KeyMetadata> = BTreeMap::new();
    for jwk in &jwks.keys {
        let kid = jwk
            .kid
            .as_deref()
            .ok_or("Missing kid for JWT signing key")?;
        let public_key = STANDARD.encode(jwk_public_key(kid, jwk)?);
        if let Some(constraint) = jwk
            .issuer
            .as_deref()
            .filter(|constraint| !issuer_constraint_allowed(issuer, constraint))
        {
            return Err(format!(
                "JWKS kid {kid} with issuer constraint {constraint} fails validation against \
                 issuer {issuer}"
            ));
        }
        // As CCF's map emplace: the first key with a kid wins.
        new_keys
            .entry(kid.as_bytes().to_vec())
            .or_insert(KeyMetadata {
                constraint: jwk.issuer.clone(),
                issuer: issuer.to_owned(),
                public_key,
            });
    }
    let mut table = read_key_metadata(tx, tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2)?;
    for (kid, value) in &new_keys {
        let list = table.entry(kid.clone()).or_default();
        if list.contains(value) {
            continue;
        }
        match list.iter_mut().find(|entry| entry.issuer == issuer) {
            Some(previous) => *previous = value.clone(),
            None => list.push(value.clone()),
        }
        put_key_metadata(tx, kid, list)?;
    }
    for (kid, list) in &mut table {
        if !new_keys.contains_key(kid) && list.iter().any(|entry| entry.issuer == issuer) {
            list.retain(|entry| entry.issuer != issuer);
            put_key_metadata(tx, kid, list)?;
        }
    }
    Ok(())
}

/// CCF's `remove_jwt_public_signing_keys`: the issuer's entries leave the v2 metadata table and
/// the legacy tables an older ledger may still hold.
fn remove_jwt_public_signing_keys(tx: &mut Tx, issuer: &str) -> Result<(), String> {
    let mut legacy_kids = Vec::new();
    tx.foreach(tables::JWT_PUBLIC_SIGNING_KEY_ISSUER, |kid, owner| {
        if owner == issuer.as_bytes() {
            legacy_kids.push(kid.to_vec());
        }
        true
    });
    for kid in legacy_kids {
        tx.remove(tables::JWT_PUBLIC_SIGNING_KEYS, kid.clone());
        tx.remove(tables::JWT_PUBLIC_SIGNING_KEY_ISSUER, kid);
    }
    let legacy = tables::JWT_PUBLIC_SIGNING_KEYS_METADATA;
    let mut legacy_entries = Vec::new();
    let mut failure = None;
    tx.foreach(legacy, |kid, value| {
        match serde_json::from_slice::<Vec<serde_json::Value>>(value) {
            Ok(list) => legacy_entries.push((kid.to_vec(), list)),
            Err(e) => {
                failure = Some(format!(
                    "{legacy}[{}] is not valid: {e}",
                    String::from_utf8_lossy(kid)
                ));
            }
        }
        failure.is_none()
    });
    if let Some(failure) = failure {
        return Err(failure);
    }
    for (kid, list) in legacy_entries {
        let before = list.len();
        let kept: Vec<_> = list
            .into_iter()
            .filter(|entry| entry.get("issuer").and_then(serde_json::Value::as_str) != Some(issuer))
            .collect();
        if kept.is_empty() {
            tx.remove(legacy, kid);
        } else if kept.len() < before {
            let value = serde_json::to_vec(&kept).map_err(|e| e.to_string())?;
            tx.put(legacy, kid, value);
        }
    }
    let mut table = read_key_metadata(tx, tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2)?;
    for (kid, list) in &mut table {
        if list.iter().any(|entry| entry.issuer == issuer) {
            list.retain(|entry| entry.issuer != issuer);
            put_key_metadata(tx, kid, list)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_constraints_follow_domains() {
        assert!(issuer_constraint_allowed(
            "https://login.example.com/tenant/v2.0",
            "https://login.example.com/{tenantid}/v2.0"
        ));
        assert!(issuer_constraint_allowed(
            "https://limited.facebook.com",
            "https://facebook.com"
        ));
        assert!(!issuer_constraint_allowed(
            "https://facebook.com",
            "https://limited.facebook.com"
        ));
        assert!(!issuer_constraint_allowed(
            "https://evilfacebook.com",
            "https://facebook.com"
        ));
        assert!(!issuer_constraint_allowed("https://a.com", ""));
        assert_eq!(
            url_host("https://user@host.example:8443/p?q#f"),
            "host.example"
        );
        assert_eq!(url_host("https://[::1]:8443/"), "::1");
        assert_eq!(url_host("host.example"), "host.example");
    }
}
