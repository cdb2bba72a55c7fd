//! X.509 certificates in CCF's profile: the service identity, service-endorsed node certificates
//! and self-signed member, user and node certificates, all P-384 and signed ecdsa-with-SHA384.
//!
//! The extensions follow CCF's `KeyPair_OpenSSL::sign_csr` (7.x):
//! - every certificate: SubjectKeyIdentifier = SHA-1 of the subject public key bits (OpenSSL's
//!   `hash` method), AuthorityKeyIdentifier = the issuer's SKI (`keyid:always`, so self-signed
//!   certificates carry their own), critical basicConstraints, and the SANs asked for;
//! - the service certificate: `critical, CA:TRUE, pathlen:1` and keyUsage
//!   `critical, keyCertSign, digitalSignature`;
//! - endorsed node certificates and self-signed leaves: `critical, CA:FALSE`, no keyUsage, no
//!   extendedKeyUsage. (CCF marks its own self-signed node certificates CA:TRUE; ours are leaves,
//!   which rustls-webpki requires of a TLS client certificate and CCF never checks.)
//!
//! CCF's Python receipt check `ccf.receipt.check_cert_chain` (cryptography's client verifier,
//! store = service certificate) accepts an endorsed node certificate only because of exactly
//! these: AKI and a SAN on the node certificate, CA:TRUE and keyCertSign on the service
//! certificate, and validity windows covering the current time. `tests/ccf_python.rs` runs it.
//!
//! Validity and serial numbers are explicit parameters (CCF draws a random 16-byte serial) so a
//! seeded ledger generator produces identical certificates; [`random_serial`] is the production
//! source and [`Validity::from_ccf`] reads CCF's `valid_from` strings.
//!
//! A joining node asks for its endorsed certificate with a PKCS#10 request
//! ([`create_certificate_signing_request`]); governance endorses it
//! ([`endorse_certificate_signing_request`], CCF's `sign_csr`): only the request's subject, key
//! and SANs are taken from it, everything else is the profile above.

use std::net::IpAddr;

use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, PKCS_ECDSA_P384_SHA384, PublicKeyData,
    SanType, SerialNumber, SignatureAlgorithm, SigningKey,
};
use rustls_pki_types::pem::SectionKind;
use rustls_pki_types::{CertificateDer, CertificateSigningRequestDer};
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

use crate::{CryptoError, KeyPair, PublicKey, pem, sha256};

/// CCF's `pathlen` on the service certificate, leaving room for one intermediate (the previous
/// service identity endorsed by the current one after a recovery).
const SERVICE_PATH_LEN: u8 = 1;

/// A parsed-on-demand X.509 certificate, kept as DER and PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    pem: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject_cn", &self.subject_common_name())
            .field("sha256", &self.fingerprint_sha256_hex())
            .finish()
    }
}

impl Certificate {
    /// Reads the first `CERTIFICATE` section of `pem`.
    pub fn from_pem(pem: &str) -> Result<Certificate, CryptoError> {
        Self::from_der(&pem::decode_first(pem, SectionKind::Certificate)?)
    }

    /// Parses DER; trailing bytes are rejected.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CryptoError> {
        let (rest, _) = X509Certificate::from_der(der)
            .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CryptoError::InvalidCertificate(
                "trailing bytes after the certificate".into(),
            ));
        }
        Ok(Certificate {
            der: der.to_vec(),
            pem: pem::encode("CERTIFICATE", der),
        })
    }

    /// `-----BEGIN CERTIFICATE-----` PEM, 64-character lines.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    fn parsed(&self) -> Result<X509Certificate<'_>, CryptoError> {
        X509Certificate::from_der(&self.der)
            .map(|(_, cert)| cert)
            .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))
    }

    /// The subject's P-384 public key.
    pub fn public_key(&self) -> Result<PublicKey, CryptoError> {
        PublicKey::from_spki_der(self.parsed()?.public_key().raw)
    }

    /// Hex SHA-256 of the DER: CCF's member and user id, and the COSE kid of governance requests.
    pub fn fingerprint_sha256_hex(&self) -> String {
        hex::encode(sha256(&self.der))
    }

    /// Checks this certificate's signature with the issuer's key, and that the issuer names match.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), CryptoError> {
        let subject = self.parsed()?;
        let authority = issuer.parsed()?;
        if subject.issuer().as_raw() != authority.subject().as_raw() {
            return Err(CryptoError::IssuerMismatch {
                issuer: subject.issuer().to_string(),
                expected: authority.subject().to_string(),
            });
        }
        subject
            .verify_signature(Some(authority.public_key()))
            .map_err(|_| CryptoError::BadSignature)
    }

    /// The first CN of the subject, if any.
    pub fn subject_common_name(&self) -> Option<String> {
        let cert = self.parsed().ok()?;
        let cn = cert.subject().iter_common_name().next()?;
        cn.as_str().ok().map(str::to_owned)
    }

    /// Whether `unix_time_s` is inside `[notBefore, notAfter]` (both inclusive, RFC 5280).
    pub fn is_valid_at(&self, unix_time_s: i64) -> bool {
        self.parsed().is_ok_and(|cert| {
            let validity = cert.validity();
            validity.not_before.timestamp() <= unix_time_s
                && unix_time_s <= validity.not_after.timestamp()
        })
    }
}

/// A certificate's validity window, explicit so generated ledgers are deterministic. Both ends
/// are inclusive (RFC 5280), which is why CCF sets `not_after = not_before + days - 1 s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    pub not_before_unix_s: i64,
    pub not_after_unix_s: i64,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Validity {
    /// CCF's window for `validity_period_days` from `not_before_unix_s`: the last second of the
    /// last day is `not_after` (both ends inclusive).
    pub fn from_days(
        not_before_unix_s: i64,
        validity_period_days: u64,
    ) -> Result<Self, CryptoError> {
        let span = i64::try_from(validity_period_days)
            .ok()
            .and_then(|days| days.checked_mul(SECONDS_PER_DAY))
            .and_then(|seconds| not_before_unix_s.checked_add(seconds))
            .and_then(|end| end.checked_sub(1))
            .ok_or_else(|| {
                CryptoError::CertificateGeneration(format!(
                    "a validity of {validity_period_days} days is out of range"
                ))
            })?;
        Ok(Validity {
            not_before_unix_s,
            not_after_unix_s: span,
        })
    }

    /// The window governance asks for: CCF's `valid_from` string (see [`parse_ccf_time`]) and a
    /// number of days, as `transition_node_to_trusted` and `set_service_certificate_validity`
    /// pass them.
    pub fn from_ccf(valid_from: &str, validity_period_days: u64) -> Result<Self, CryptoError> {
        Self::from_days(parse_ccf_time(valid_from)?, validity_period_days)
    }
}

/// Seconds since the epoch of a time in one of the formats CCF's `time_point_from_string`
/// accepts for `valid_from`: ASN.1 UTCTime `YYMMDDhhmmssZ` (two-digit years below 69 are
/// 20xx, as `strptime` reads them), GeneralizedTime `YYYYMMDDhhmmssZ`, and
/// `YYYY-MM-DD hh:mm:ss` or `YYYY-MM-DDThh:mm:ss` with optional fractional seconds (dropped).
/// All are UTC.
pub fn parse_ccf_time(text: &str) -> Result<i64, CryptoError> {
    parse_time_fields(text).ok_or_else(|| {
        CryptoError::CertificateGeneration(format!(
            "'{text}' does not match any accepted time format"
        ))
    })
}

fn parse_time_fields(text: &str) -> Option<i64> {
    if !text.is_ascii() {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let bytes = text.as_bytes();
    let (year, month, day, hour, minute, second) = match bytes.len() {
        13 if bytes[12] == b'Z' => {
            let short = number(0..2)?;
            let year = if short < 69 {
                2000 + short
            } else {
                1900 + short
            };
            (
                year,
                number(2..4)?,
                number(4..6)?,
                number(6..8)?,
                number(8..10)?,
                number(10..12)?,
            )
        }
        15 if bytes[14] == b'Z' => (
            number(0..4)?,
            number(4..6)?,
            number(6..8)?,
            number(8..10)?,
            number(10..12)?,
            number(12..14)?,
        ),
        length if length >= 19 => {
            let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
            if separators.iter().any(|&(at, c)| bytes[at] != c) || !matches!(bytes[10], b' ' | b'T')
            {
                return None;
            }
            if length > 19 {
                let fraction = text.get(20..)?;
                if bytes[19] != b'.'
                    || fraction.is_empty()
                    || !fraction.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
            }
            (
                number(0..4)?,
                number(5..7)?,
                number(8..10)?,
                number(11..13)?,
                number(14..16)?,
                number(17..19)?,
            )
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A fresh random positive serial number, for certificates made outside seeded generators (CCF
/// draws 16 random bytes; 8 are plenty to keep serials from one issuer distinct).
pub fn random_serial() -> Result<u64, CryptoError> {
    let mut bytes = [0u8; 8];
    crate::random::fill_random(&mut bytes)?;
    Ok(u64::from_be_bytes(bytes).max(1))
}

/// A subjectAltName entry, as in CCF's `node_certificate.subject_alt_names`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectAltName {
    Dns(String),
    Ip(IpAddr),
}

/// Self-signed service identity: CA:TRUE with pathlen 1, keyUsage keyCertSign and
/// digitalSignature (CCF's exact set), SKI and AKI. CCF's default CN is "CCF Service".
pub fn create_service_certificate(
    key: &KeyPair,
    subject_cn: &str,
    validity: &Validity,
    serial: u64,
) -> Result<Certificate, CryptoError> {
    let subject_key = key.public_key();
    let mut params = base_params(&subject_key, common_name(subject_cn), &[], validity, serial)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(SERVICE_PATH_LEN));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    self_sign(&params, key)
}

/// Node certificate endorsed by the service key: CN "CCF Node" by default, SANs, AKI = service
/// SKI, not a CA.
pub fn create_endorsed_certificate(
    subject_key: &PublicKey,
    subject_cn: &str,
    sans: &[SubjectAltName],
    validity: &Validity,
    serial: u64,
    issuer_key: &KeyPair,
    issuer_cert: &Certificate,
) -> Result<Certificate, CryptoError> {
    let params = base_params(subject_key, common_name(subject_cn), sans, validity, serial)?;
    sign_as_issuer(&params, subject_key, issuer_key, issuer_cert)
}

/// A PKCS#10 certificate signing request for `key` (PEM, `CERTIFICATE REQUEST`), with subject
/// `CN=subject_cn` and the SANs the node wants in its endorsed certificate: what a joining node
/// sends (CCF's `create_csr`), self-signed so the endorser knows the node holds the key.
pub fn create_certificate_signing_request(
    key: &KeyPair,
    subject_cn: &str,
    sans: &[SubjectAltName],
) -> Result<String, CryptoError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = common_name(subject_cn);
    params.subject_alt_names = sans.iter().map(to_rcgen_san).collect::<Result<_, _>>()?;
    let request = params
        .serialize_request(&RcgenSigner::new(key))
        .map_err(generation_error)?;
    Ok(pem::encode("CERTIFICATE REQUEST", request.der()))
}

/// The certificate governance issues for a node's signing request (CCF's `sign_csr`, used by
/// `ccf.network.generateEndorsedCertificate`): the request's subject, P-384 key and SANs,
/// issued by `issuer_cert` and signed with `issuer_key`, in the endorsed-node profile (not a CA).
/// The request's own signature is checked first; its other requested extensions are ignored,
/// as CCF ignores them.
pub fn endorse_certificate_signing_request(
    csr_pem: &str,
    validity: &Validity,
    serial: u64,
    issuer_key: &KeyPair,
    issuer_cert: &Certificate,
) -> Result<Certificate, CryptoError> {
    let (subject_key, request) = read_signing_request(csr_pem)?;
    let mut params = base_params(
        &subject_key,
        request.params.distinguished_name,
        &[],
        validity,
        serial,
    )?;
    params.subject_alt_names = request.params.subject_alt_names;
    sign_as_issuer(&params, &subject_key, issuer_key, issuer_cert)
}

/// The key a certificate signing request asks a certificate for, once the request's own
/// signature shows the requester holds that key.
pub fn certificate_signing_request_public_key(csr_pem: &str) -> Result<PublicKey, CryptoError> {
    read_signing_request(csr_pem).map(|(key, _)| key)
}

/// A PEM signing request's P-384 key and what it asks for (subject, SANs), after checking its
/// signature.
fn read_signing_request(
    csr_pem: &str,
) -> Result<(PublicKey, CertificateSigningRequestParams), CryptoError> {
    let der = pem::decode_first(csr_pem, SectionKind::Csr)?;
    let invalid = |reason: String| {
        CryptoError::CertificateGeneration(format!("invalid certificate signing request: {reason}"))
    };
    let (_, parsed) =
        X509CertificationRequest::from_der(&der).map_err(|e| invalid(e.to_string()))?;
    let key = PublicKey::from_spki_der(parsed.certification_request_info.subject_pki.raw)?;
    // Checks the request's signature and reads its subject and SANs.
    let request = CertificateSigningRequestParams::from_der(&CertificateSigningRequestDer::from(
        der.as_slice(),
    ))
    .map_err(|e| invalid(e.to_string()))?;
    Ok((key, request))
}

/// The service certificate renewed for `validity` (CCF's `renew_certificate`, used by
/// `ccf.network.generateNetworkCertificate`): same key and subject, new window and serial.
pub fn renew_service_certificate(
    key: &KeyPair,
    current: &Certificate,
    validity: &Validity,
    serial: u64,
) -> Result<Certificate, CryptoError> {
    if current.public_key()? != key.public_key() {
        return Err(CryptoError::CertificateGeneration(
            "the service key does not match the service certificate".into(),
        ));
    }
    let subject_cn = current.subject_common_name().ok_or_else(|| {
        CryptoError::InvalidCertificate("the service certificate has no common name".into())
    })?;
    create_service_certificate(key, &subject_cn, validity, serial)
}

/// Signs `params` for `subject_key` as `issuer_cert`, after checking `issuer_key` is its key
/// (a mismatch would give certificates that never verify).
fn sign_as_issuer(
    params: &CertificateParams,
    subject_key: &PublicKey,
    issuer_key: &KeyPair,
    issuer_cert: &Certificate,
) -> Result<Certificate, CryptoError> {
    if issuer_cert.public_key()? != issuer_key.public_key() {
        return Err(CryptoError::CertificateGeneration(
            "issuer key does not match the issuer certificate".into(),
        ));
    }
    let issuer = Issuer::from_ca_cert_der(
        &CertificateDer::from(issuer_cert.der()),
        RcgenSigner::new(issuer_key),
    )
    .map_err(generation_error)?;
    let cert = params
        .signed_by(&RcgenPublicKey(subject_key), &issuer)
        .map_err(generation_error)?;
    Certificate::from_der(cert.der())
}

/// Self-signed leaf certificate (a node's own cert before endorsement, members, users).
pub fn create_self_signed_certificate(
    key: &KeyPair,
    subject_cn: &str,
    sans: &[SubjectAltName],
    validity: &Validity,
    serial: u64,
) -> Result<Certificate, CryptoError> {
    let params = base_params(
        &key.public_key(),
        common_name(subject_cn),
        sans,
        validity,
        serial,
    )?;
    self_sign(&params, key)
}

fn common_name(subject_cn: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, subject_cn);
    name
}

/// Parameters shared by every certificate we issue; callers adjust CA-ness and key usage.
fn base_params(
    subject_key: &PublicKey,
    subject: DistinguishedName,
    sans: &[SubjectAltName],
    validity: &Validity,
    serial: u64,
) -> Result<CertificateParams, CryptoError> {
    if validity.not_before_unix_s > validity.not_after_unix_s {
        return Err(CryptoError::CertificateGeneration(
            "not_before is after not_after".into(),
        ));
    }
    if serial == 0 {
        return Err(CryptoError::CertificateGeneration(
            "serial numbers must be positive (RFC 5280)".into(),
        ));
    }
    let mut params = CertificateParams::default();
    params.not_before = to_asn1_time(validity.not_before_unix_s)?.to_datetime();
    params.not_after = to_asn1_time(validity.not_after_unix_s)?.to_datetime();
    params.serial_number = Some(SerialNumber::from_slice(&serial.to_be_bytes()));
    params.distinguished_name = subject;
    params.subject_alt_names = sans.iter().map(to_rcgen_san).collect::<Result<_, _>>()?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_identifier_method = KeyIdMethod::PreSpecified(openssl_key_id(subject_key));
    Ok(params)
}

fn self_sign(params: &CertificateParams, key: &KeyPair) -> Result<Certificate, CryptoError> {
    let cert = params
        .self_signed(&RcgenSigner::new(key))
        .map_err(generation_error)?;
    Certificate::from_der(cert.der())
}

/// OpenSSL's `subjectKeyIdentifier=hash`: SHA-1 over the subjectPublicKey bit string contents.
fn openssl_key_id(key: &PublicKey) -> Vec<u8> {
    digest(&SHA1_FOR_LEGACY_USE_ONLY, key.sec1_point())
        .as_ref()
        .to_vec()
}

fn to_asn1_time(unix_s: i64) -> Result<ASN1Time, CryptoError> {
    ASN1Time::from_timestamp(unix_s)
        .map_err(|_| CryptoError::CertificateGeneration(format!("time {unix_s} out of range")))
}

fn to_rcgen_san(san: &SubjectAltName) -> Result<SanType, CryptoError> {
    Ok(match san {
        SubjectAltName::Dns(name) => SanType::DnsName(name.clone().try_into().map_err(|_| {
            CryptoError::CertificateGeneration(format!("invalid DNS SAN {name:?}"))
        })?),
        SubjectAltName::Ip(ip) => SanType::IpAddress(*ip),
    })
}

fn generation_error(e: rcgen::Error) -> CryptoError {
    CryptoError::CertificateGeneration(e.to_string())
}

/// Lets rcgen sign with our key, so seeded keys give deterministic certificate signatures.
struct RcgenSigner<'a> {
    key: &'a KeyPair,
    public_key: PublicKey,
}

impl<'a> RcgenSigner<'a> {
    fn new(key: &'a KeyPair) -> Self {
        RcgenSigner {
            key,
            public_key: key.public_key(),
        }
    }
}

impl PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.public_key.sec1_point()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P384_SHA384
    }
}

impl SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key
            .sign_sha384_der(msg)
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A subject public key in the form rcgen embeds.
struct RcgenPublicKey<'a>(&'a PublicKey);

impl PublicKeyData for RcgenPublicKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.sec1_point()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P384_SHA384
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use x509_parser::extensions::{GeneralName, ParsedExtension};

    const VALIDITY: Validity = Validity {
        not_before_unix_s: 1_735_689_600,
        not_after_unix_s: 1_767_225_599,
    };

    fn service() -> (KeyPair, Certificate) {
        let key = KeyPair::from_seed(&[1; 32]).unwrap();
        let cert = create_service_certificate(&key, "CCF Service", &VALIDITY, 1).unwrap();
        (key, cert)
    }

    fn node_sans() -> Vec<SubjectAltName> {
        vec![
            SubjectAltName::Ip("127.0.0.1".parse().unwrap()),
            SubjectAltName::Dns("node0.example".into()),
        ]
    }

    fn endorsed(service_key: &KeyPair, service_cert: &Certificate) -> (KeyPair, Certificate) {
        let node_key = KeyPair::from_seed(&[2; 32]).unwrap();
        let cert = create_endorsed_certificate(
            &node_key.public_key(),
            "CCF Node",
            &node_sans(),
            &VALIDITY,
            2,
            service_key,
            service_cert,
        )
        .unwrap();
        (node_key, cert)
    }

    #[test]
    fn service_certificate_has_ccf_extensions() {
        let (key, cert) = service();
        assert_eq!(cert.subject_common_name().as_deref(), Some("CCF Service"));
        assert_eq!(cert.public_key().unwrap(), key.public_key());
        cert.verify_issued_by(&cert).unwrap();
        let parsed = cert.parsed().unwrap();
        let bc = parsed.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(1));
        let ku = parsed.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.digital_signature());
        assert!(!ku.value.crl_sign());
        let ski = openssl_key_id(&key.public_key());
        let mut saw_aki = false;
        for ext in parsed.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => assert_eq!(id.0, ski.as_slice()),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    saw_aki = true;
                    assert_eq!(aki.key_identifier.as_ref().unwrap().0, ski.as_slice());
                }
                _ => {}
            }
        }
        assert!(saw_aki);
    }

    #[test]
    fn endorsed_certificate_chains_to_the_service() {
        let (service_key, service_cert) = service();
        let (node_key, cert) = endorsed(&service_key, &service_cert);
        assert_eq!(cert.public_key().unwrap(), node_key.public_key());
        assert_eq!(cert.subject_common_name().as_deref(), Some("CCF Node"));
        cert.verify_issued_by(&service_cert).unwrap();
        assert!(matches!(
            cert.verify_issued_by(&cert),
            Err(CryptoError::IssuerMismatch { .. })
        ));
        let parsed = cert.parsed().unwrap();
        let bc = parsed.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && !bc.value.ca);
        assert!(parsed.key_usage().unwrap().is_none());
        let sans = parsed.subject_alternative_name().unwrap().unwrap();
        assert!(
            matches!(sans.value.general_names[0], GeneralName::IPAddress(ip) if ip == [127, 0, 0, 1])
        );
        assert!(matches!(
            sans.value.general_names[1],
            GeneralName::DNSName("node0.example")
        ));
        let service_ski = openssl_key_id(&service_key.public_key());
        assert!(parsed.extensions().iter().any(|ext| matches!(
            ext.parsed_extension(),
            ParsedExtension::AuthorityKeyIdentifier(aki)
                if aki.key_identifier.as_ref().unwrap().0 == service_ski.as_slice()
        )));
    }

    #[test]
    fn forged_endorsement_is_rejected() {
        let (service_key, service_cert) = service();
        let other_key = KeyPair::from_seed(&[3; 32]).unwrap();
        let impostor = create_service_certificate(&other_key, "CCF Service", &VALIDITY, 1).unwrap();
        let (_, cert) = endorsed(&other_key, &impostor);
        assert_eq!(
            cert.verify_issued_by(&service_cert),
            Err(CryptoError::BadSignature)
        );
        assert!(
            create_endorsed_certificate(
                &other_key.public_key(),
                "CCF Node",
                &[],
                &VALIDITY,
                5,
                &service_key,
                &impostor,
            )
            .is_err()
        );
    }

    #[test]
    fn seeded_certificates_are_byte_identical() {
        let (_, a) = service();
        let (_, b) = service();
        assert_eq!(a.der(), b.der());
        assert_eq!(a.fingerprint_sha256_hex(), hex::encode(sha256(b.der())));
    }

    #[test]
    fn self_signed_leaf_and_validity() {
        let key = KeyPair::generate().unwrap();
        let cert = create_self_signed_certificate(&key, "member0", &[], &VALIDITY, 7).unwrap();
        cert.verify_issued_by(&cert).unwrap();
        let parsed = cert.parsed().unwrap();
        assert!(!parsed.basic_constraints().unwrap().unwrap().value.ca);
        assert!(cert.is_valid_at(VALIDITY.not_before_unix_s));
        assert!(cert.is_valid_at(VALIDITY.not_after_unix_s));
        assert!(!cert.is_valid_at(VALIDITY.not_before_unix_s - 1));
        assert!(!cert.is_valid_at(VALIDITY.not_after_unix_s + 1));
    }

    #[test]
    fn pem_round_trip_and_bad_inputs() {
        let (_, cert) = service();
        assert_eq!(Certificate::from_pem(cert.pem()).unwrap(), cert);
        let mut trailing = cert.der().to_vec();
        trailing.push(0);
        assert!(Certificate::from_der(&trailing).is_err());
        let key = KeyPair::generate().unwrap();
        let backwards = Validity {
            not_before_unix_s: 10,
            not_after_unix_s: 5,
        };
        assert!(create_self_signed_certificate(&key, "x", &[], &backwards, 1).is_err());
        assert!(create_self_signed_certificate(&key, "x", &[], &VALIDITY, 0).is_err());
        let bad_dns = [SubjectAltName::Dns("é".into())];
        assert!(create_self_signed_certificate(&key, "x", &bad_dns, &VALIDITY, 1).is_err());
    }

    #[test]
    fn large_serials_encode_as_positive_integers() {
        let key = KeyPair::from_seed(&[4; 32]).unwrap();
        let cert = create_self_signed_certificate(&key, "x", &[], &VALIDITY, u64::MAX).unwrap();
        assert_eq!(
            cert.parsed().unwrap().raw_serial(),
            &[0, 255, 255, 255, 255, 255, 255, 255, 255]
        );
    }

    #[test]
    fn reads_openssl_certificates_and_derives_their_key_ids() {
        let pem = include_str!("../tests/vectors/member0_cert.pem");
        let cert = Certificate::from_pem(pem).unwrap();
        assert_eq!(cert.subject_common_name().as_deref(), Some("member0"));
        cert.verify_issued_by(&cert).unwrap();
        let key = cert.public_key().unwrap();
        let parsed = cert.parsed().unwrap();
        let openssl_ski = parsed
            .extensions()
            .iter()
            .find_map(|ext| match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            })
            .unwrap();
        assert_eq!(openssl_key_id(&key), openssl_ski);
    }

    #[test]
    fn ccf_time_strings() {
        // 2025-01-01T00:00:00Z
        let new_year = 1_735_689_600;
        assert_eq!(parse_ccf_time("250101000000Z"), Ok(new_year));
        assert_eq!(parse_ccf_time("20250101000000Z"), Ok(new_year));
        assert_eq!(parse_ccf_time("2025-01-01 00:00:00"), Ok(new_year));
        assert_eq!(parse_ccf_time("2025-01-01T00:00:00.250"), Ok(new_year));
        assert_eq!(parse_ccf_time("700101000000Z"), Ok(0));
        assert_eq!(parse_ccf_time("19700101000000Z"), Ok(0));
        assert_eq!(parse_ccf_time("240229120000Z"), Ok(1_709_208_000));
        for bad in [
            "",
            "2501010000Z",
            "250101000000",
            "251301000000Z",
            "230229000000Z",
            "250101240000Z",
            "2025-01-01X00:00:00",
            "2025-01-01 00:00:00.",
            "25010100000éZ",
            "+5010100000Z",
        ] {
            assert!(parse_ccf_time(bad).is_err(), "{bad:?} parsed");
        }
        let validity = Validity::from_ccf("250101000000Z", 1).unwrap();
        assert_eq!(validity.not_before_unix_s, new_year);
        assert_eq!(validity.not_after_unix_s, new_year + 86_399);
        assert!(Validity::from_days(0, u64::MAX).is_err());
    }

    #[test]
    fn signing_request_round_trip() {
        let (service_key, service_cert) = service();
        let node_key = KeyPair::from_seed(&[5; 32]).unwrap();
        let csr = create_certificate_signing_request(&node_key, "CCF Node", &node_sans()).unwrap();
        assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
        let validity = Validity::from_ccf("20250101000000Z", 365).unwrap();
        assert_eq!(
            certificate_signing_request_public_key(&csr).unwrap(),
            node_key.public_key()
        );
        let cert =
            endorse_certificate_signing_request(&csr, &validity, 9, &service_key, &service_cert)
                .unwrap();
        cert.verify_issued_by(&service_cert).unwrap();
        assert_eq!(cert.public_key().unwrap(), node_key.public_key());
        assert_eq!(cert.subject_common_name().as_deref(), Some("CCF Node"));
        assert!(cert.is_valid_at(validity.not_before_unix_s));
        assert!(cert.is_valid_at(validity.not_after_unix_s));
        assert!(!cert.is_valid_at(validity.not_after_unix_s + 1));
        let parsed = cert.parsed().unwrap();
        assert!(!parsed.basic_constraints().unwrap().unwrap().value.ca);
        let sans = parsed.subject_alternative_name().unwrap().unwrap();
        assert_eq!(sans.value.general_names.len(), 2);
        assert!(matches!(
            sans.value.general_names[1],
            GeneralName::DNSName("node0.example")
        ));
        // The same profile as a certificate endorsed from the key directly.
        let (_, direct) = endorsed(&service_key, &service_cert);
        let direct = direct.parsed().unwrap();
        let ids = |c: &X509Certificate<'_>| {
            c.extensions()
                .iter()
                .map(|e| (e.oid.to_id_string(), e.critical))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&parsed), ids(&direct));
    }

    #[test]
    fn signing_request_without_sans_and_bad_requests() {
        let (service_key, service_cert) = service();
        let node_key = KeyPair::generate().unwrap();
        let csr = create_certificate_signing_request(&node_key, "n", &[]).unwrap();
        let cert =
            endorse_certificate_signing_request(&csr, &VALIDITY, 3, &service_key, &service_cert)
                .unwrap();
        assert!(
            cert.parsed()
                .unwrap()
                .subject_alternative_name()
                .unwrap()
                .is_none()
        );
        // A tampered request: the signature no longer covers the subject.
        let der = pem::decode_first(&csr, SectionKind::Csr).unwrap();
        // The CN's value: after the attribute type 2.5.4.3, its string tag and length.
        let at = der
            .windows(3)
            .position(|w| w == [0x55, 0x04, 0x03])
            .unwrap()
            + 5;
        let mut tampered = der.clone();
        assert_eq!(tampered[at], b'n');
        tampered[at] = b'm';
        let tampered = pem::encode("CERTIFICATE REQUEST", &tampered);
        assert!(matches!(
            endorse_certificate_signing_request(
                &tampered,
                &VALIDITY,
                3,
                &service_key,
                &service_cert
            ),
            Err(CryptoError::CertificateGeneration(_))
        ));
        assert!(
            endorse_certificate_signing_request("nope", &VALIDITY, 3, &service_key, &service_cert)
                .is_err()
        );
        assert!(
            endorse_certificate_signing_request(
                service_cert.pem(),
                &VALIDITY,
                3,
                &service_key,
                &service_cert
            )
            .is_err()
        );
        // A P-256 key is not a Quorate node key.
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let other = CertificateParams::default()
            .serialize_request(&p256)
            .unwrap()
            .pem()
            .unwrap();
        assert!(
            endorse_certificate_signing_request(&other, &VALIDITY, 3, &service_key, &service_cert)
                .is_err()
        );
        // Backwards validity.
        let zero_days = Validity::from_ccf("250101000000Z", 0).unwrap();
        assert!(
            endorse_certificate_signing_request(&csr, &zero_days, 3, &service_key, &service_cert)
                .is_err()
        );
    }

    #[test]
    fn renewed_service_certificate_keeps_key_and_subject() {
        let (key, cert) = service();
        let validity = Validity::from_ccf("20260101000000Z", 30).unwrap();
        let renewed = renew_service_certificate(&key, &cert, &validity, 77).unwrap();
        assert_eq!(renewed.public_key().unwrap(), key.public_key());
        assert_eq!(
            renewed.subject_common_name().as_deref(),
            Some("CCF Service")
        );
        renewed.verify_issued_by(&renewed).unwrap();
        renewed.verify_issued_by(&cert).unwrap();
        assert!(renewed.is_valid_at(validity.not_after_unix_s));
        assert!(!renewed.is_valid_at(VALIDITY.not_before_unix_s));
        let other = KeyPair::generate().unwrap();
        assert!(renew_service_certificate(&other, &cert, &validity, 77).is_err());
        assert_ne!(random_serial().unwrap(), random_serial().unwrap());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(cert) = Certificate::from_der(&bytes) {
                let _ = cert.public_key();
                let _ = cert.subject_common_name();
                let _ = cert.is_valid_at(0);
                let _ = cert.verify_issued_by(&cert);
            }
            let _ = Certificate::from_pem(&String::from_utf8_lossy(&bytes));
        }
    }
}
