//! The server's rustls configuration: the node's certificate chain and key, TLS 1.3 and 1.2,
//! ALPN `h2` then `http/1.1`, optional client certificates. The aws-lc-rs provider is passed
//! explicitly rather than installed process-wide, and all provider wiring lives here so moving
//! to rustls 0.24 (providers in separate crates) touches one file.

use std::sync::Arc;

use quorate_crypto::{Certificate, KeyPair};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::client_certificate::AnyClientCertificate;
use super::error::FrontendError;

/// ALPN protocols in preference order.
const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The crypto provider for client and server TLS: aws-lc-rs (P-384 handshakes ~3× faster than
/// ring).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A server configuration presenting `certificate_chain` (the node certificate first, then its
/// issuers, e.g. the service certificate) with `private_key`.
pub fn server_tls_config(
    certificate_chain: &[Certificate],
    private_key: &KeyPair,
) -> Result<Arc<ServerConfig>, FrontendError> {
    if certificate_chain.is_empty() {
        return Err(FrontendError::EmptyCertificateChain);
    }
    let chain = certificate_chain
        .iter()
        .map(|certificate| CertificateDer::from(certificate.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::from_pem_slice(private_key.to_pem().as_bytes())
        .map_err(|_| FrontendError::InvalidPrivateKey("not a PEM private key".into()))?;
    let provider = crypto_provider();
    let verifier = Arc::new(AnyClientCertificate::new(
        provider.signature_verification_algorithms,
    ));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}
