//! Who this node is on its channels, and the check every peer must pass: a certificate endorsed
//! by the service identity whose key hashes to the peer's node id.

use quorate_crypto::{Certificate, KeyPair, PublicKey};

use super::{ChannelError, NodeId};

/// This node's channel identity, shared by all of its channels (one per peer): the node key
/// that signs key shares, its service-endorsed certificate sent to peers, and the service
/// certificate every peer certificate must be issued by.
#[derive(Debug)]
pub struct LocalIdentity {
    node_id: NodeId,
    key_pair: KeyPair,
    endorsed_certificate: Certificate,
    service_certificate: Certificate,
}

impl LocalIdentity {
    /// Checks that the pieces fit together before any peer sees them: the id is the key's, the
    /// certificate carries the key, and the service endorsed it.
    pub fn new(
        node_id: NodeId,
        key_pair: KeyPair,
        endorsed_certificate: Certificate,
        service_certificate: Certificate,
    ) -> Result<Self, ChannelError> {
        if NodeId::of(&key_pair.public_key()) != node_id {
            return Err(ChannelError::InvalidIdentity(
                "node id is not the SHA-256 of the node key",
            ));
        }
        if endorsed_certificate
            .public_key()
            .map_err(ChannelError::Crypto)?
            != key_pair.public_key()
        {
            return Err(ChannelError::InvalidIdentity(
                "node certificate does not carry the node key",
            ));
        }
        endorsed_certificate
            .verify_issued_by(&service_certificate)
            .map_err(|_| {
                ChannelError::InvalidIdentity("node certificate is not endorsed by the service")
            })?;
        Ok(Self {
            node_id,
            key_pair,
            endorsed_certificate,
            service_certificate,
        })
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.key_pair
    }

    pub(crate) fn endorsed_certificate(&self) -> &Certificate {
        &self.endorsed_certificate
    }

    /// The key of `peer`, from the DER certificate it presented, once the certificate is shown
    /// to be endorsed by our service and to belong to `peer`.
    pub(crate) fn authenticate_peer(
        &self,
        peer: NodeId,
        certificate_der: &[u8],
    ) -> Result<PublicKey, ChannelError> {
        let certificate =
            Certificate::from_der(certificate_der).map_err(ChannelError::UntrustedCertificate)?;
        certificate
            .verify_issued_by(&self.service_certificate)
            .map_err(ChannelError::UntrustedCertificate)?;
        let key = certificate
            .public_key()
            .map_err(ChannelError::UntrustedCertificate)?;
        if NodeId::of(&key) != peer {
            return Err(ChannelError::CertificateNodeMismatch { expected: peer });
        }
        Ok(key)
    }
}
