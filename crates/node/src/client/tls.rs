//! What a client needs to reach a service: trust in the service certificate, optionally its own
//! certificate, and the [`ClientOptions`]. One cheap-to-clone value, so a poller or a load
//! generator opens many connections from it and they share TLS session resumption.

use std::fmt;
use std::sync::Arc;

use quorate_crypto::{Certificate, KeyPair};
use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::error::ClientError;
use super::options::{ClientOptions, HttpProtocol};
use super::verifier::IssuedByService;
use crate::frontend::crypto_provider;

/// TLS configuration and options for connections to one service.
#[derive(Clone)]
pub struct ClientTls {
    http1: Arc<ClientConfig>,
    http2: Arc<ClientConfig>,
    options: ClientOptions,
    identity_fingerprint: Option<String>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("options", &self.options)
            .field("identity_fingerprint", &self.identity_fingerprint)
            .finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Trusts servers whose certificate `service_certificate` issued (the service's
    /// `service_cert.pem`), presenting `identity` as the client certificate if given. CCF users
    /// and members are self-signed certificates, which servers accept as such.
    pub fn new(
        service_certificate: &Certificate,
        identity: Option<(&Certificate, &KeyPair)>,
    ) -> Result<ClientTls, ClientError> {
        let provider = crypto_provider();
        let verifier = Arc::new(IssuedByService::new(
            service_certificate.clone(),
            provider.signature_verification_algorithms,
        ));
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(ClientError::Tls)?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match identity {
            Some((certificate, key)) => {
                let key = PrivateKeyDer::from_pem_slice(key.to_pem().as_bytes()).map_err(|_| {
                    ClientError::Tls(rustls::Error::General(
                        "the client key is not a PEM private key".into(),
                    ))
                })?;
                let chain = vec![CertificateDer::from(certificate.der().to_vec())];
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(ClientError::Tls)?
            }
            None => builder.with_no_client_auth(),
        };
        let mut http2 = config.clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        http2.alpn_protocols = vec![b"h2".to_vec()];
        Ok(ClientTls {
            http1: Arc::new(config),
            http2: Arc::new(http2),
            options: ClientOptions::default(),
            identity_fingerprint: identity
                .map(|(certificate, _)| certificate.fingerprint_sha256_hex()),
        })
    }

    /// Replaces the options (timeout, protocol, response size bound).
    pub fn with_options(mut self, options: ClientOptions) -> ClientTls {
        self.options = options;
        self
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The client certificate's SHA-256 fingerprint (CCF's user or member id), if one is sent.
    pub fn identity_fingerprint(&self) -> Option<&str> {
        self.identity_fingerprint.as_deref()
    }

    /// The rustls configuration offering `protocol` with ALPN, for callers that drive TLS
    /// themselves (raw-bytes tests, other protocols).
    pub fn rustls_config(&self, protocol: HttpProtocol) -> Arc<ClientConfig> {
        match protocol {
            HttpProtocol::Http1 => Arc::clone(&self.http1),
            HttpProtocol::Http2 => Arc::clone(&self.http2),
        }
    }
}
