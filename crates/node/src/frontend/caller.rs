//! Who is on the other end of a TLS connection, as far as TLS can tell. Captured once per
//! connection after the handshake and shared by every request on it; the auth policies turn it
//! into an identity (user, member, any certificate) per endpoint.

use std::sync::OnceLock;

use bytes::Bytes;
use quorate_crypto::sha256;
use rustls::pki_types::CertificateDer;

/// The TLS-level caller of a request. Not comparable: the PEM cache would take part.
#[derive(Clone, Debug)]
pub enum Caller {
    /// The client presented no certificate (client certificates are optional).
    Anonymous,
    /// The client proved possession of the key of this certificate.
    Certificate {
        /// The certificate as sent, DER.
        der: Bytes,
        /// Lowercase hex SHA-256 of `der`: CCF's user and member id.
        fingerprint_sha256_hex: String,
        /// `der` as PEM, made on first use and kept for the connection's later requests (JS
        /// handlers see it on every request: parsing it each time was 15% of JS read CPU).
        pem: OnceLock<Option<String>>,
    },
}

impl Caller {
    /// The caller for a certificate whose proof of possession the handshake checked.
    pub fn from_certificate_der(der: &[u8]) -> Caller {
        Caller::Certificate {
            der: Bytes::copy_from_slice(der),
            fingerprint_sha256_hex: hex::encode(sha256(der)),
            pem: OnceLock::new(),
        }
    }

    /// The caller for what rustls reports after the handshake: the end-entity certificate is
    /// first in the chain; intermediates play no part in CCF identities.
    pub fn from_peer_certificates(chain: Option<&[CertificateDer<'_>]>) -> Caller {
        match chain.and_then(|certificates| certificates.first()) {
            Some(end_entity) => Caller::from_certificate_der(end_entity.as_ref()),
            None => Caller::Anonymous,
        }
    }

    /// The certificate as PEM, if the caller presented one that parses.
    pub fn certificate_pem(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::Certificate { der, pem, .. } => pem
                .get_or_init(|| {
                    quorate_crypto::Certificate::from_der(der)
                        .ok()
                        .map(|cert| cert.pem().to_owned())
                })
                .as_deref(),
        }
    }

    /// The certificate fingerprint, if the caller presented one.
    pub fn fingerprint_sha256_hex(&self) -> Option<&str> {
        match self {
            Caller::Anonymous => None,
            Caller::Certificate {
                fingerprint_sha256_hex,
                ..
            } => Some(fingerprint_sha256_hex),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quorate_crypto::{KeyPair, Validity, create_self_signed_certificate};

    #[test]
    fn a_certificate_callers_pem_is_its_certificates_and_garbage_has_none() {
        let key = KeyPair::generate().unwrap();
        let validity = Validity {
            not_before_unix_s: 0,
            not_after_unix_s: 4_000_000_000,
        };
        let cert = create_self_signed_certificate(&key, "user", &[], &validity, 1).unwrap();
        let caller = Caller::from_certificate_der(cert.der());
        assert_eq!(caller.certificate_pem(), Some(cert.pem()));
        assert_eq!(
            caller.certificate_pem(),
            Some(cert.pem()),
            "kept for later requests"
        );
        assert_eq!(
            Caller::from_certificate_der(b"garbage").certificate_pem(),
            None
        );
        assert_eq!(Caller::Anonymous.certificate_pem(), None);
    }
}
