//! Making identities: the service's (a new service), a node's key, and the service's
//! endorsement of a node certificate (the first node's own, and each joiner's).

use std::time::{SystemTime, UNIX_EPOCH};

use quorate_crypto::{
    Certificate, KeyPair, PublicKey, SubjectAltName, Validity, create_endorsed_certificate,
    create_self_signed_certificate, create_service_certificate,
};

use quorate_crypto::random::fill_random;

use super::error::NodeError;

/// Certificates are valid from a little before now, so a peer whose clock is slightly behind
/// still accepts them.
const CLOCK_SKEW_ALLOWANCE_S: i64 = 60 * 60;

fn identity_error(error: impl std::fmt::Display) -> NodeError {
    NodeError::Identity(error.to_string())
}

/// Seconds since the epoch.
pub fn unix_now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Valid from (about) now for `days`.
pub fn validity_days(days: u32) -> Validity {
    let now = unix_now_s();
    Validity {
        not_before_unix_s: now - CLOCK_SKEW_ALLOWANCE_S,
        not_after_unix_s: now + i64::from(days) * 24 * 60 * 60,
    }
}

/// A positive random serial number.
pub fn random_serial() -> Result<u64, NodeError> {
    let mut bytes = [0u8; 8];
    fill_random(&mut bytes).map_err(identity_error)?;
    Ok((u64::from_be_bytes(bytes) >> 1).max(1))
}

/// A new key pair.
pub fn new_key() -> Result<KeyPair, NodeError> {
    KeyPair::generate().map_err(identity_error)
}

/// A new service identity: key and self-signed CA certificate `CN=<subject_cn>`.
pub fn new_service(subject_cn: &str, days: u32) -> Result<(KeyPair, Certificate), NodeError> {
    let key = new_key()?;
    let cert = create_service_certificate(&key, subject_cn, &validity_days(days), random_serial()?)
        .map_err(identity_error)?;
    Ok((key, cert))
}

/// A node certificate for `node_key` endorsed by the service.
pub fn endorse(
    node_key: &PublicKey,
    subject_cn: &str,
    sans: &[SubjectAltName],
    days: u32,
    service_key: &KeyPair,
    service_cert: &Certificate,
) -> Result<Certificate, NodeError> {
    create_endorsed_certificate(
        node_key,
        subject_cn,
        sans,
        &validity_days(days),
        random_serial()?,
        service_key,
        service_cert,
    )
    .map_err(identity_error)
}

/// The node's self-signed certificate, shown while it is not endorsed yet (joining).
pub fn self_signed(
    key: &KeyPair,
    subject_cn: &str,
    sans: &[SubjectAltName],
    days: u32,
) -> Result<Certificate, NodeError> {
    create_self_signed_certificate(
        key,
        subject_cn,
        sans,
        &validity_days(days),
        random_serial()?,
    )
    .map_err(identity_error)
}

/// `CN=Name` → `Name` (CCF writes subjects as distinguished names).
pub fn common_name(subject: &str) -> &str {
    subject.strip_prefix("CN=").unwrap_or(subject)
}
