//! Fixtures shared by the channel tests: a service identity, service-endorsed nodes with
//! seeded keys, reproducible entropy, and a loop that carries frames between two channels.

use std::sync::Arc;

use quorate_crypto::{
    Certificate, KeyPair, Validity, create_endorsed_certificate, create_service_certificate,
    sha256_concat,
};
use quorate_node::channel::{
    Channel, ChannelConfig, ChannelError, EntropySource, LocalIdentity, MessageKind, NodeId,
    Received,
};

const VALIDITY: Validity = Validity {
    not_before_unix_s: 1_700_000_000,
    not_after_unix_s: 1_900_000_000,
};

/// Entropy from SHA-256 of a seed and a block counter: every run draws the same keys.
pub struct SeededEntropy {
    seed: [u8; 32],
    block: u64,
}

impl SeededEntropy {
    pub fn boxed(seed: [u8; 32]) -> Box<Self> {
        Box::new(Self { seed, block: 0 })
    }
}

impl EntropySource for SeededEntropy {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ChannelError> {
        for chunk in out.chunks_mut(32) {
            let digest = sha256_concat(&[&self.seed, &self.block.to_be_bytes()]);
            chunk.copy_from_slice(&digest[..chunk.len()]);
            self.block += 1;
        }
        Ok(())
    }
}

/// A service identity that can endorse nodes.
pub struct Service {
    key: KeyPair,
    pub certificate: Certificate,
}

impl Service {
    pub fn new(seed: u8) -> Self {
        let key = KeyPair::from_seed(&[seed; 32]).unwrap();
        let certificate = create_service_certificate(&key, "CCF Service", &VALIDITY, 1).unwrap();
        Self { key, certificate }
    }

    /// A node certificate for `key`, endorsed by this service.
    pub fn endorse(&self, key: &KeyPair) -> Certificate {
        create_endorsed_certificate(
            &key.public_key(),
            "CCF Node",
            &[],
            &VALIDITY,
            2,
            &self.key,
            &self.certificate,
        )
        .unwrap()
    }

    /// A node with a seeded key and a certificate endorsed by this service.
    pub fn node(&self, seed: u8) -> Arc<LocalIdentity> {
        let key = KeyPair::from_seed(&[seed; 32]).unwrap();
        let certificate = self.endorse(&key);
        let id = NodeId::of(&key.public_key());
        Arc::new(LocalIdentity::new(id, key, certificate, self.certificate.clone()).unwrap())
    }
}

/// Two nodes of one service, returned with the lower node id first.
pub fn ordered_pair(service: &Service) -> (Arc<LocalIdentity>, Arc<LocalIdentity>) {
    let (a, b) = (service.node(11), service.node(12));
    if a.node_id() < b.node_id() {
        (a, b)
    } else {
        (b, a)
    }
}

pub fn channel(
    own: &Arc<LocalIdentity>,
    peer: &Arc<LocalIdentity>,
    config: ChannelConfig,
) -> Channel {
    let seed = sha256_concat(&[own.node_id().as_bytes(), peer.node_id().as_bytes()]);
    Channel::new(
        Arc::clone(own),
        peer.node_id(),
        config,
        SeededEntropy::boxed(seed),
    )
    .unwrap()
}

/// One application message as delivered: its kind and payload.
pub type Message = (MessageKind, Vec<u8>);

/// Messages delivered on each side while frames were carried.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub at_first: Vec<Message>,
    pub at_second: Vec<Message>,
}

/// Hands `frames` to `to`; returns what it delivered and what it wants sent back.
pub fn deliver(to: &mut Channel, frames: Vec<Vec<u8>>) -> (Vec<Message>, Vec<Vec<u8>>) {
    let mut delivered = Vec::new();
    let mut replies = Vec::new();
    for frame in frames {
        match to.receive(&frame).unwrap() {
            Received::Message { kind, payload } => delivered.push((kind, payload)),
            Received::KeyExchange { to_send } => replies.extend(to_send),
        }
        to.check_invariants().unwrap();
    }
    (delivered, replies)
}

/// Carries frames both ways, in order, until neither side has anything left to send.
pub fn run(
    first: &mut Channel,
    second: &mut Channel,
    mut to_second: Vec<Vec<u8>>,
    mut to_first: Vec<Vec<u8>>,
) -> Delivered {
    let mut delivered = Delivered::default();
    while !to_second.is_empty() || !to_first.is_empty() {
        let (at_second, from_second) = deliver(second, std::mem::take(&mut to_second));
        let (at_first, from_first) = deliver(first, std::mem::take(&mut to_first));
        delivered.at_second.extend(at_second);
        delivered.at_first.extend(at_first);
        to_first.extend(from_second);
        to_second.extend(from_first);
    }
    delivered
}

/// Two channels of one service, established by the first initiating.
pub fn established(config: ChannelConfig) -> (Channel, Channel) {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut first = channel(&low, &high, config);
    let mut second = channel(&high, &low, config);
    let init = first.initiate().unwrap();
    let delivered = run(&mut first, &mut second, vec![init], Vec::new());
    assert_eq!(delivered, Delivered::default());
    (first, second)
}
