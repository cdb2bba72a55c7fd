//! Node-to-node channel fixtures: one service, two nodes it endorsed, entropy from a fixed
//! seed (every run draws the same keys, so frames replay), and a loop carrying frames between
//! two channels (as `crates/node/tests/channel_support` does).

use std::sync::Arc;

use quorate_crypto::{
    Certificate, KeyPair, Validity, create_endorsed_certificate, create_service_certificate,
    sha256_concat,
};
use quorate_node::channel::{
    Channel, ChannelConfig, ChannelError, EntropySource, LocalIdentity, NodeId, Received,
};

const VALIDITY: Validity = Validity {
    not_before_unix_s: 1_700_000_000,
    not_after_unix_s: 1_900_000_000,
};

/// Entropy from SHA-256 of a seed and a block counter.
pub struct SeededEntropy {
    seed: [u8; 32],
    block: u64,
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

fn node(service_key: &KeyPair, service_cert: &Certificate, seed: u8) -> Arc<LocalIdentity> {
    let key = KeyPair::from_seed(&[seed; 32]).expect("node key");
    let certificate = create_endorsed_certificate(
        &key.public_key(),
        "CCF Node",
        &[],
        &VALIDITY,
        2,
        service_key,
        service_cert,
    )
    .expect("endorsed certificate");
    let id = NodeId::of(&key.public_key());
    Arc::new(LocalIdentity::new(id, key, certificate, service_cert.clone()).expect("identity"))
}

/// Two nodes of one service, the lower node id first (its exchanges win ties).
pub fn pair() -> (Arc<LocalIdentity>, Arc<LocalIdentity>) {
    let service_key = KeyPair::from_seed(&[1; 32]).expect("service key");
    let service_cert =
        create_service_certificate(&service_key, "CCF Service", &VALIDITY, 1).expect("cert");
    let (a, b) = (
        node(&service_key, &service_cert, 11),
        node(&service_key, &service_cert, 12),
    );
    if a.node_id() < b.node_id() {
        (a, b)
    } else {
        (b, a)
    }
}

pub fn channel(own: &Arc<LocalIdentity>, peer: &Arc<LocalIdentity>) -> Channel {
    let seed = sha256_concat(&[own.node_id().as_bytes(), peer.node_id().as_bytes()]);
    Channel::new(
        Arc::clone(own),
        peer.node_id(),
        ChannelConfig::default(),
        Box::new(SeededEntropy { seed, block: 0 }),
    )
    .expect("channel")
}

fn identities() -> &'static (Arc<LocalIdentity>, Arc<LocalIdentity>) {
    static PAIR: std::sync::OnceLock<(Arc<LocalIdentity>, Arc<LocalIdentity>)> =
        std::sync::OnceLock::new();
    PAIR.get_or_init(pair)
}

/// The higher node's channel to the lower one, before any exchange: the lower node's `init`
/// frames land here.
pub fn fresh_responder() -> Channel {
    let (low, high) = identities();
    channel(high, low)
}

/// Carries frames both ways until neither side has anything to send; returns the frames
/// that went each way, in order (first→second, second→first).
pub fn run(
    first: &mut Channel,
    second: &mut Channel,
    mut to_second: Vec<Vec<u8>>,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut sent_to_second = Vec::new();
    let mut sent_to_first = Vec::new();
    let mut to_first: Vec<Vec<u8>> = Vec::new();
    while !to_second.is_empty() || !to_first.is_empty() {
        for frame in std::mem::take(&mut to_second) {
            sent_to_second.push(frame.clone());
            if let Ok(Received::KeyExchange { to_send }) = second.receive(&frame) {
                to_first.extend(to_send);
            }
        }
        for frame in std::mem::take(&mut to_first) {
            sent_to_first.push(frame.clone());
            if let Ok(Received::KeyExchange { to_send }) = first.receive(&frame) {
                to_second.extend(to_send);
            }
        }
    }
    (sent_to_second, sent_to_first)
}

/// Two channels of one service after the lower node initiated, lower first, and the frames
/// of the exchange (init and final to the higher node, response to the lower).
pub fn established_with_frames() -> (Channel, Channel, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (low, high) = identities();
    let mut first = channel(low, high);
    let mut second = channel(high, low);
    let init = first.initiate().expect("initiate");
    let (to_second, to_first) = run(&mut first, &mut second, vec![init]);
    (first, second, to_second, to_first)
}

pub fn established() -> (Channel, Channel) {
    let (first, second, _, _) = established_with_frames();
    (first, second)
}
