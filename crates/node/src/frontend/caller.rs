//! Who is on the other end of a TLS connection, as far as TLS can tell. Captured once per
//! connection after the handshake and shared by every request on it; the auth policies turn it
//! into an identity (user, member, any certificate) per endpoint.

use bytes::Bytes;
use quorate_crypto::sha256;
use rustls::pki_types::CertificateDer;

/// The TLS-level caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The client presented no certificate (client certificates are optional).
    Anonymous,
    /// The client proved possession of the key of this certificate.
    Certificate {
        /// The certificate as sent, DER.
        der: Bytes,
        /// Lowercase hex SHA-256 of `der`: CCF's user and member id.
        fingerprint_sha256_hex: String,
    },
}

impl Caller {
    /// The caller for a certificate whose proof of possession the handshake checked.
    pub fn from_certificate_der(der: &[u8]) -> Caller {
        Caller::Certificate {
            der: Bytes::copy_from_slice(der),
            fingerprint_sha256_hex: hex::encode(sha256(der)),
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
