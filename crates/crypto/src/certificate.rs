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
//! seeded ledger generator produces identical certificates.

use std::net::IpAddr;

use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyIdMethod,
    KeyUsagePurpose, PKCS_ECDSA_P384_SHA384, PublicKeyData, SanType, SerialNumber,
    SignatureAlgorithm, SigningKey,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::SectionKind;
use x509_parser::certificate::X509Certificate;
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
    let mut params = base_params(&subject_key, subject_cn, &[], validity, serial)?;
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
    if issuer_cert.public_key()? != issuer_key.public_key() {
        return Err(CryptoError::CertificateGeneration(
            "issuer key does not match the issuer certificate".into(),
        ));
    }
    let params = base_params(subject_key, subject_cn, sans, validity, serial)?;
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
    let params = base_params(&key.public_key(), subject_cn, sans, validity, serial)?;
    self_sign(&params, key)
}

/// Parameters shared by every certificate we issue; callers adjust CA-ness and key usage.
fn base_params(
    subject_key: &PublicKey,
    subject_cn: &str,
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
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, subject_cn);
    params.distinguished_name = name;
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
