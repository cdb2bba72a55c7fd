//! Server authentication by the service certificate alone. Nodes are reached by IP address and
//! their certificates carry the SANs their operators configured, so a host-name check would
//! refuse legitimate nodes; what makes a node part of the service is that the service key
//! endorsed its certificate. The handshake signature is still checked, so the server proves it
//! holds the endorsed certificate's key.

use std::sync::Arc;

use quorate_crypto::{Certificate, CryptoError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// Accepts a server whose end-entity certificate the service certificate issued and which is
/// valid now, whatever its names.
#[derive(Debug)]
pub(crate) struct IssuedByService {
    service_certificate: Certificate,
    algorithms: WebPkiSupportedAlgorithms,
}

impl IssuedByService {
    /// `algorithms` are the provider's, so the signatures accepted are the ones it implements.
    pub(crate) fn new(
        service_certificate: Certificate,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> IssuedByService {
        IssuedByService {
            service_certificate,
            algorithms,
        }
    }
}

/// `Certificate::is_valid_at` does not say which end of the window was missed, and rustls has no
/// variant for "outside the window" without the dates.
#[derive(Debug, thiserror::Error)]
#[error("the server certificate is not valid at the current time")]
struct OutsideValidity;

fn certificate_error(error: CryptoError) -> rustls::Error {
    let reason = match error {
        CryptoError::IssuerMismatch { .. } => CertificateError::UnknownIssuer,
        CryptoError::BadSignature => CertificateError::BadSignature,
        _ => CertificateError::BadEncoding,
    };
    rustls::Error::InvalidCertificate(reason)
}

impl ServerCertVerifier for IssuedByService {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let certificate = Certificate::from_der(end_entity.as_ref()).map_err(certificate_error)?;
        certificate
            .verify_issued_by(&self.service_certificate)
            .map_err(certificate_error)?;
        let now_s = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if !certificate.is_valid_at(now_s) {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(OutsideValidity)),
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
