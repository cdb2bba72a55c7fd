//! The keys, certificates and ledger secret of a generated ledger, all derived from its seed so
//! the same seed always gives the same bytes.

use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_endorsed_certificate,
    create_service_certificate, sha256_concat,
};
use quorate_kv::LedgerSecret;

use crate::error::LedgerError;

/// Fixed validity of generated certificates: 2025-01-01 to 2045-01-01, wide enough that CCF's
/// `check_cert_chain` (which checks validity against the current time) accepts them for years.
pub const CERTIFICATE_VALIDITY: Validity = Validity {
    not_before_unix_s: 1_735_689_600,
    not_after_unix_s: 2_366_841_600,
};

/// Subject of the generated service certificate (CCF's default).
pub const SERVICE_SUBJECT_CN: &str = "CCF Service";
/// Subject of the generated node certificate (CCF's default).
pub const NODE_SUBJECT_CN: &str = "CCF Node";

/// Everything secret or identifying in a generated ledger.
pub struct GeneratedIdentities {
    /// The service identity key (COSE signatures, node endorsements).
    pub service_key: KeyPair,
    /// The self-signed service certificate.
    pub service_cert: Certificate,
    /// The single node's key (node signatures).
    pub node_key: KeyPair,
    /// The node's service-endorsed certificate.
    pub node_cert: Certificate,
    /// Hex node id.
    pub node_id: String,
    /// The ledger secret encrypting private maps.
    pub ledger_secret: LedgerSecret,
    /// Raw ledger secret, written out so `show` and `verify` can decrypt.
    pub ledger_secret_bytes: [u8; 32],
}

/// 32 bytes for one purpose from the seed text.
fn derive(seed: &str, purpose: &str) -> [u8; 32] {
    sha256_concat(&[
        b"quorate ledger generate/v1/",
        purpose.as_bytes(),
        b"/",
        seed.as_bytes(),
    ])
}

fn crypto_error(what: &'static str) -> impl FnOnce(quorate_crypto::CryptoError) -> LedgerError {
    move |source| LedgerError::Signing { what, source }
}

impl GeneratedIdentities {
    /// Derives every identity from `seed`.
    pub fn from_seed(seed: &str) -> Result<Self, LedgerError> {
        let service_key = KeyPair::from_seed(&derive(seed, "service key"))
            .map_err(crypto_error("service key"))?;
        let service_cert =
            create_service_certificate(&service_key, SERVICE_SUBJECT_CN, &CERTIFICATE_VALIDITY, 1)
                .map_err(crypto_error("service certificate"))?;
        let node_key =
            KeyPair::from_seed(&derive(seed, "node key")).map_err(crypto_error("node key"))?;
        let node_cert = create_endorsed_certificate(
            &node_key.public_key(),
            NODE_SUBJECT_CN,
            &[SubjectAltName::Ip(std::net::IpAddr::from([127, 0, 0, 1]))],
            &CERTIFICATE_VALIDITY,
            2,
            &service_key,
            &service_cert,
        )
        .map_err(crypto_error("node certificate"))?;
        let node_id = node_key.public_key().sha256_hex();
        let ledger_secret_bytes = derive(seed, "ledger secret");
        Ok(Self {
            service_key,
            service_cert,
            node_key,
            node_cert,
            node_id,
            ledger_secret: LedgerSecret::from_bytes(ledger_secret_bytes),
            ledger_secret_bytes,
        })
    }
}
