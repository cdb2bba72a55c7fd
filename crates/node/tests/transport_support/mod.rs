//! Fixtures shared by the transport tests: service-endorsed node identities with seeded keys,
//! a configuration with short timers, nodes on loopback, and bounded waits for messages.

// Each transport test crate compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quorate_crypto::{
    Certificate, KeyPair, Validity, create_endorsed_certificate, create_service_certificate,
};
use quorate_node::channel::{LocalIdentity, MessageKind, NodeId};
use quorate_node::transport::{Inbound, Transport, TransportConfig, TransportHandle};
use tokio::sync::mpsc;

const VALIDITY: Validity = Validity {
    not_before_unix_s: 1_700_000_000,
    not_after_unix_s: 1_900_000_000,
};

/// Longest any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// A service identity that can endorse nodes.
pub struct Service {
    key: KeyPair,
    certificate: Certificate,
}

impl Service {
    pub fn new(seed: u8) -> Self {
        let key = KeyPair::from_seed(&[seed; 32]).unwrap();
        let certificate = create_service_certificate(&key, "CCF Service", &VALIDITY, 1).unwrap();
        Self { key, certificate }
    }

    /// A node with a seeded key and a certificate endorsed by this service.
    pub fn node(&self, seed: u8) -> Arc<LocalIdentity> {
        let key = KeyPair::from_seed(&[seed; 32]).unwrap();
        let certificate = create_endorsed_certificate(
            &key.public_key(),
            "CCF Node",
            &[],
            &VALIDITY,
            2,
            &self.key,
            &self.certificate,
        )
        .unwrap();
        let id = NodeId::of(&key.public_key());
        Arc::new(LocalIdentity::new(id, key, certificate, self.certificate.clone()).unwrap())
    }
}

/// Short backoff so reconnection tests run fast.
pub fn config() -> TransportConfig {
    TransportConfig {
        reconnect_backoff_min_ms: 10,
        reconnect_backoff_max_ms: 200,
        shutdown_timeout_ms: 2_000,
        ..TransportConfig::default()
    }
}

/// A port on loopback that was free a moment ago: lets a node be told a peer's address
/// before that peer listens.
pub fn vacant_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

pub fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A running node's transport.
pub struct Node {
    pub handle: TransportHandle,
    pub inbound: mpsc::Receiver<Inbound>,
}

impl Node {
    pub async fn start(
        identity: &Arc<LocalIdentity>,
        address: SocketAddr,
        peers: &[(NodeId, SocketAddr)],
    ) -> Self {
        Self::start_with(identity, address, peers, config()).await
    }

    pub async fn start_with(
        identity: &Arc<LocalIdentity>,
        address: SocketAddr,
        peers: &[(NodeId, SocketAddr)],
        config: TransportConfig,
    ) -> Self {
        let (handle, inbound) =
            Transport::start(Arc::clone(identity), address, peers.iter().copied(), config)
                .await
                .unwrap();
        Self { handle, inbound }
    }

    /// The next authenticated message, waiting at most [`WAIT`].
    pub async fn next(&mut self) -> Inbound {
        tokio::time::timeout(WAIT, self.inbound.recv())
            .await
            .expect("no message within the wait")
            .expect("transport ended")
    }

    /// Whatever arrives within `duration`.
    pub async fn drain_for(&mut self, duration: Duration) -> Vec<Inbound> {
        let mut received = Vec::new();
        let deadline = tokio::time::Instant::now() + duration;
        while let Ok(Some(message)) = tokio::time::timeout_at(deadline, self.inbound.recv()).await {
            received.push(message);
        }
        received
    }

    /// Waits for the inbound queue to end (as it does after shutdown), discarding what was
    /// still queued.
    pub async fn expect_ended(&mut self) {
        let drained = async { while self.inbound.recv().await.is_some() {} };
        tokio::time::timeout(WAIT, drained)
            .await
            .expect("the inbound queue did not end");
    }

    pub async fn stop(&self) {
        tokio::time::timeout(WAIT, self.handle.shutdown())
            .await
            .unwrap()
            .unwrap();
    }
}

/// Sends `payload` to `peer` every few milliseconds until `receiver` gets a message from
/// `sender` carrying it, discarding other messages. Used where a restart may lose what was in
/// flight.
pub async fn send_until_received(
    sender: &Node,
    receiver: &mut Node,
    kind: MessageKind,
    payload: &'static [u8],
) {
    let from = sender.handle.node_id();
    let to = receiver.handle.node_id();
    let attempt = async {
        loop {
            sender.handle.send(to, kind, payload).unwrap();
            let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
            while let Ok(Some(message)) =
                tokio::time::timeout_at(deadline, receiver.inbound.recv()).await
            {
                if message.from == from && message.payload.as_ref() == payload {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(WAIT, attempt)
        .await
        .expect("message never arrived");
}
