//! Properties of the channel frame codec and of sealing: decoding arbitrary bytes never panics
//! and accepts only canonical encodings, hostile bytes are always refused, and any payload
//! survives seal/open, across renewals, in both directions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;

use std::sync::{LazyLock, Mutex};

use channel_support::{Delivered, established, run};
use proptest::prelude::*;
use quorate_node::channel::{Channel, ChannelConfig, Frame, MessageKind, NODE_ID_SIZE_BYTES};

/// One established pair shared by all cases, with a small limit so cases keep renewing keys.
static PAIR: LazyLock<Mutex<(Channel, Channel)>> = LazyLock::new(|| {
    Mutex::new(established(ChannelConfig {
        message_limit: 5,
        max_queued_messages: 16,
        ..ChannelConfig::default()
    }))
});

fn kind(forwarded: bool) -> MessageKind {
    if forwarded {
        MessageKind::Forwarded
    } else {
        MessageKind::Consensus
    }
}

/// Bytes that get past the version, type and sender checks into the type-specific decoder.
fn framed(wire_type: u8, sender: &[u8; NODE_ID_SIZE_BYTES], rest: &[u8]) -> Vec<u8> {
    let mut bytes = vec![1, wire_type];
    bytes.extend_from_slice(sender);
    bytes.extend_from_slice(rest);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoding_random_bytes_never_panics_and_accepts_only_canonical_frames(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        wire_type in 0u8..4,
        step in 0u8..4,
    ) {
        let mut structured = framed(wire_type, &[7; NODE_ID_SIZE_BYTES], &[step]);
        structured.extend_from_slice(&bytes);
        for candidate in [bytes.clone(), structured] {
            if let Ok(frame) = Frame::decode(&candidate) {
                prop_assert_eq!(frame.encode().unwrap(), candidate);
            }
        }
    }

    #[test]
    fn a_channel_refuses_hostile_bytes_from_its_peer(
        rest in proptest::collection::vec(any::<u8>(), 0..600),
        wire_type in 0u8..3,
    ) {
        let mut pair = PAIR.lock().unwrap();
        let (first, second) = &mut *pair;
        let bytes = framed(wire_type, first.peer().as_bytes(), &rest);
        prop_assert!(first.receive(&bytes).is_err());
        let bytes = framed(wire_type, second.peer().as_bytes(), &rest);
        prop_assert!(second.receive(&bytes).is_err());
    }

    #[test]
    fn any_single_byte_change_to_a_sealed_frame_is_refused(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        forwarded in any::<bool>(),
        position in any::<proptest::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut pair = PAIR.lock().unwrap();
        let (first, second) = &mut *pair;
        let frames = first.seal(kind(forwarded), &payload).unwrap();
        let mut tampered = frames[0].clone();
        let at = position.index(tampered.len());
        tampered[at] ^= flip;
        prop_assert!(second.receive(&tampered).is_err());
        let delivered = run(first, second, frames, Vec::new());
        prop_assert_eq!(delivered.at_second, vec![(kind(forwarded), payload)]);
    }

    #[test]
    fn seal_then_open_round_trips_any_payload_across_renewals(
        payloads in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..1500)),
            1..8,
        ),
        from_second in any::<bool>(),
    ) {
        let mut pair = PAIR.lock().unwrap();
        let (first, second) = &mut *pair;
        let (sender, receiver) = if from_second { (second, first) } else { (first, second) };
        let mut frames = Vec::new();
        for (forwarded, payload) in &payloads {
            frames.extend(sender.seal(kind(*forwarded), payload).unwrap());
        }
        let Delivered { at_first, at_second } = run(sender, receiver, frames, Vec::new());
        prop_assert!(at_first.is_empty());
        let expected: Vec<_> = payloads
            .into_iter()
            .map(|(forwarded, payload)| (kind(forwarded), payload))
            .collect();
        prop_assert_eq!(at_second, expected);
    }
}
