//! Node-to-node channels: establishment, both message kinds, simultaneous initiation, replay and
//! tampering, untrusted peers, and renewal under traffic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;

use channel_support::{Delivered, Service, channel, deliver, established, ordered_pair, run};
use quorate_node::channel::{
    Channel, ChannelConfig, ChannelError, ChannelState, Frame, KeyExchange, LocalIdentity,
    MessageKind, NodeId, Received,
};

fn message(kind: MessageKind, payload: &[u8]) -> (MessageKind, Vec<u8>) {
    (kind, payload.to_vec())
}

fn opened(received: Received) -> (MessageKind, Vec<u8>) {
    match received {
        Received::Message { kind, payload } => (kind, payload),
        other => panic!("expected a message, got {other:?}"),
    }
}

/// A single sealed frame (the channel must be established and under its limit).
fn seal_one(channel: &mut Channel, kind: MessageKind, payload: &[u8]) -> Vec<u8> {
    let mut frames = channel.seal(kind, payload).unwrap();
    assert_eq!(frames.len(), 1, "expected exactly one data frame");
    frames.remove(0)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn three_step_exchange_establishes_both_sides() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut initiator = channel(&low, &high, ChannelConfig::default());
    let mut responder = channel(&high, &low, ChannelConfig::default());
    assert_eq!(initiator.state(), ChannelState::Inactive);

    let init = initiator.initiate().unwrap();
    assert_eq!(initiator.state(), ChannelState::Initiated);
    let (_, response) = deliver(&mut responder, vec![init]);
    assert_eq!(responder.state(), ChannelState::WaitingForFinal);
    let (_, final_step) = deliver(&mut initiator, response);
    assert_eq!(initiator.state(), ChannelState::Established);
    let (_, nothing) = deliver(&mut responder, final_step);
    assert!(nothing.is_empty());
    assert_eq!(responder.state(), ChannelState::Established);
}

#[test]
fn both_kinds_flow_both_ways() {
    let (mut first, mut second) = established(ChannelConfig::default());
    let secret = b"forwarded client request: POST /app/log/private";
    let raft = b"append entries: term 2, index 7";

    let consensus = seal_one(&mut first, MessageKind::Consensus, raft);
    assert!(
        contains(&consensus, raft),
        "consensus payloads travel in clear"
    );
    assert_eq!(
        opened(second.receive(&consensus).unwrap()),
        message(MessageKind::Consensus, raft)
    );

    let forwarded = seal_one(&mut first, MessageKind::Forwarded, secret);
    assert!(
        !contains(&forwarded, secret),
        "forwarded payloads are encrypted"
    );
    assert_eq!(
        opened(second.receive(&forwarded).unwrap()),
        message(MessageKind::Forwarded, secret)
    );

    for kind in [MessageKind::Consensus, MessageKind::Forwarded] {
        let frame = seal_one(&mut second, kind, b"reply");
        assert_eq!(
            opened(first.receive(&frame).unwrap()),
            message(kind, b"reply")
        );
        let empty = seal_one(&mut second, kind, b"");
        assert_eq!(opened(first.receive(&empty).unwrap()), message(kind, b""));
    }
}

#[test]
fn messages_sealed_before_establishment_are_released_in_order() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut first = channel(&high, &low, ChannelConfig::default());
    let mut second = channel(&low, &high, ChannelConfig::default());

    let init = first.seal(MessageKind::Consensus, b"one").unwrap();
    assert_eq!(
        init.len(),
        1,
        "the first queued message starts the exchange"
    );
    assert!(matches!(
        Frame::decode(&init[0]).unwrap(),
        Frame::KeyExchange { .. }
    ));
    assert!(
        first
            .seal(MessageKind::Forwarded, b"two")
            .unwrap()
            .is_empty()
    );
    assert!(
        first
            .seal(MessageKind::Consensus, b"three")
            .unwrap()
            .is_empty()
    );
    assert_eq!(first.queued_messages(), 3);

    let delivered = run(&mut first, &mut second, init, Vec::new());
    assert_eq!(
        delivered.at_second,
        vec![
            message(MessageKind::Consensus, b"one"),
            message(MessageKind::Forwarded, b"two"),
            message(MessageKind::Consensus, b"three"),
        ]
    );
    assert_eq!(first.queued_messages(), 0);
}

#[test]
fn simultaneous_initiation_resolves_to_the_lower_node_id() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut low_channel = channel(&low, &high, ChannelConfig::default());
    let mut high_channel = channel(&high, &low, ChannelConfig::default());

    let from_low = low_channel.seal(MessageKind::Consensus, b"low").unwrap();
    let from_high = high_channel.seal(MessageKind::Consensus, b"high").unwrap();

    let (_, low_answer) = deliver(&mut low_channel, from_high);
    assert!(
        low_answer.is_empty(),
        "the lower id ignores the higher id's init"
    );
    assert_eq!(low_channel.state(), ChannelState::Initiated);

    let (_, high_answer) = deliver(&mut high_channel, from_low);
    assert_eq!(
        high_answer.len(),
        1,
        "the higher id answers the lower id's init"
    );
    assert_eq!(high_channel.state(), ChannelState::WaitingForFinal);

    let delivered = run(&mut low_channel, &mut high_channel, Vec::new(), high_answer);
    assert_eq!(low_channel.state(), ChannelState::Established);
    assert_eq!(high_channel.state(), ChannelState::Established);
    assert_eq!(
        delivered,
        Delivered {
            at_first: vec![message(MessageKind::Consensus, b"high")],
            at_second: vec![message(MessageKind::Consensus, b"low")],
        }
    );
}

#[test]
fn replayed_frame_is_dropped() {
    let (mut first, mut second) = established(ChannelConfig::default());
    let frame = seal_one(&mut first, MessageKind::Consensus, b"vote");
    second.receive(&frame).unwrap();
    assert_eq!(
        second.receive(&frame),
        Err(ChannelError::Replayed {
            counter: 0,
            next_expected: 1
        })
    );
}

#[test]
fn forward_jump_is_accepted_and_older_counter_after_it_rejected() {
    let (mut first, mut second) = established(ChannelConfig::default());
    let frames: Vec<_> = (0u8..3)
        .map(|i| seal_one(&mut first, MessageKind::Forwarded, &[i]))
        .collect();
    assert_eq!(
        opened(second.receive(&frames[2]).unwrap()),
        message(MessageKind::Forwarded, &[2])
    );
    assert_eq!(
        second.receive(&frames[1]),
        Err(ChannelError::Replayed {
            counter: 1,
            next_expected: 3
        })
    );
    assert_eq!(
        second.receive(&frames[0]),
        Err(ChannelError::Replayed {
            counter: 0,
            next_expected: 3
        })
    );
}

#[test]
fn tampered_frames_are_rejected_and_the_genuine_one_still_opens() {
    let (mut first, mut second) = established(ChannelConfig::default());
    for kind in [MessageKind::Consensus, MessageKind::Forwarded] {
        let frame = seal_one(&mut first, kind, b"payload bytes");
        let Frame::Data(data) = Frame::decode(&frame).unwrap() else {
            panic!("data frame expected");
        };
        let header_len = data.header().len();
        let tag_start = frame.len() - 16;
        let cases = [
            (1, "message type"),
            (header_len - 1, "counter"),
            (header_len, "payload"),
            (tag_start - 1, "payload end"),
            (tag_start, "tag"),
            (frame.len() - 1, "tag end"),
        ];
        for (position, what) in cases {
            let mut tampered = frame.clone();
            tampered[position] ^= 0x03;
            assert!(
                matches!(
                    second.receive(&tampered),
                    Err(ChannelError::AuthenticationFailed | ChannelError::MalformedFrame(_))
                ),
                "{what} tampering must be rejected"
            );
        }
        let mut wrong_key_id = frame.clone();
        wrong_key_id[header_len - 9] ^= 1;
        assert_eq!(second.receive(&wrong_key_id), Err(ChannelError::UnknownKey));
        let mut wrong_sender = frame.clone();
        wrong_sender[2] ^= 1;
        assert!(matches!(
            second.receive(&wrong_sender),
            Err(ChannelError::UnexpectedSender { .. })
        ));
        let mut truncated = frame.clone();
        truncated.truncate(header_len + 3);
        assert!(second.receive(&truncated).is_err());

        assert_eq!(
            opened(second.receive(&frame).unwrap()),
            message(kind, b"payload bytes")
        );
    }
}

#[test]
fn peer_certified_by_another_service_is_refused() {
    let ours = Service::new(1);
    let theirs = Service::new(2);
    let (member, _) = ordered_pair(&ours);
    let outsider = theirs.node(13);
    let mut outsider_channel = channel(&outsider, &member, ChannelConfig::default());
    let mut member_channel = channel(&member, &outsider, ChannelConfig::default());

    let init = outsider_channel.initiate().unwrap();
    assert!(matches!(
        member_channel.receive(&init),
        Err(ChannelError::UntrustedCertificate(_))
    ));
    assert_eq!(member_channel.state(), ChannelState::Inactive);

    let member_init = member_channel.initiate().unwrap();
    let mut fresh_outsider_channel = channel(&outsider, &member, ChannelConfig::default());
    assert!(
        matches!(
            fresh_outsider_channel.receive(&member_init),
            Err(ChannelError::UntrustedCertificate(_))
        ),
        "the outsider cannot trust us either"
    );
    assert_eq!(member_channel.state(), ChannelState::Initiated);
}

/// Re-encodes a key-exchange frame after `edit` changed it.
fn edited(frame: &[u8], edit: impl FnOnce(&mut NodeId, &mut KeyExchange)) -> Vec<u8> {
    let Frame::KeyExchange {
        mut sender,
        mut step,
    } = Frame::decode(frame).unwrap()
    else {
        panic!("key exchange frame expected");
    };
    edit(&mut sender, &mut step);
    Frame::KeyExchange { sender, step }.encode().unwrap()
}

#[test]
fn bad_share_signatures_leave_the_channel_unestablished() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut initiator = channel(&low, &high, ChannelConfig::default());
    let mut responder = channel(&high, &low, ChannelConfig::default());
    let init = initiator.initiate().unwrap();

    let bad_signature = edited(&init, |_, step| {
        if let KeyExchange::Init { signature, .. } = step {
            signature[10] ^= 1;
        }
    });
    assert_eq!(
        responder.receive(&bad_signature),
        Err(ChannelError::BadShareSignature)
    );
    let swapped_share = edited(&init, |_, step| {
        if let KeyExchange::Init {
            initiator_share, ..
        } = step
        {
            initiator_share[20] ^= 1;
        }
    });
    assert_eq!(
        responder.receive(&swapped_share),
        Err(ChannelError::BadShareSignature)
    );
    assert_eq!(responder.state(), ChannelState::Inactive);

    let (_, response) = deliver(&mut responder, vec![init]);
    let bad_response = edited(&response[0], |_, step| {
        if let KeyExchange::Response { signature, .. } = step {
            signature[0] ^= 1;
        }
    });
    assert_eq!(
        initiator.receive(&bad_response),
        Err(ChannelError::BadShareSignature)
    );
    assert_eq!(initiator.state(), ChannelState::Initiated);

    let (_, final_step) = deliver(&mut initiator, response);
    let bad_final = edited(&final_step[0], |_, step| {
        if let KeyExchange::Final { signature, .. } = step {
            signature[95] ^= 1;
        }
    });
    assert_eq!(
        responder.receive(&bad_final),
        Err(ChannelError::BadShareSignature)
    );
    assert_eq!(responder.state(), ChannelState::WaitingForFinal);
    deliver(&mut responder, final_step);
    assert_eq!(responder.state(), ChannelState::Established);
}

#[test]
fn a_node_cannot_pose_as_another_with_its_own_certificate() {
    let service = Service::new(1);
    let (a, b) = ordered_pair(&service);
    let impostor = service.node(14);
    let mut impostor_channel = channel(&impostor, &b, ChannelConfig::default());
    let mut b_channel_for_a = channel(&b, &a, ChannelConfig::default());

    let init = impostor_channel.initiate().unwrap();
    let as_a = edited(&init, |sender, _| *sender = a.node_id());
    assert_eq!(
        b_channel_for_a.receive(&as_a),
        Err(ChannelError::CertificateNodeMismatch {
            expected: a.node_id()
        })
    );
    assert!(matches!(
        b_channel_for_a.receive(&init),
        Err(ChannelError::UnexpectedSender { .. })
    ));
    assert_eq!(b_channel_for_a.state(), ChannelState::Inactive);
}

#[test]
fn key_exchange_for_another_node_is_refused() {
    let service = Service::new(1);
    let (a, b) = ordered_pair(&service);
    let c = service.node(15);
    let mut a_to_c = channel(&a, &c, ChannelConfig::default());
    let mut b_for_a = channel(&b, &a, ChannelConfig::default());
    let init_for_c = a_to_c.initiate().unwrap();
    assert_eq!(
        b_for_a.receive(&init_for_c),
        Err(ChannelError::WrongRecipient { found: c.node_id() })
    );
}

#[test]
fn a_third_nodes_frame_is_refused() {
    let service = Service::new(1);
    let (a, b) = ordered_pair(&service);
    let c = service.node(16);
    let mut a_to_b = channel(&a, &b, ChannelConfig::default());
    let mut b_for_a = channel(&b, &a, ChannelConfig::default());
    let mut c_to_b = channel(&c, &b, ChannelConfig::default());
    let mut b_for_c = channel(&b, &c, ChannelConfig::default());
    let init = a_to_b.initiate().unwrap();
    run(&mut a_to_b, &mut b_for_a, vec![init], Vec::new());
    let init = c_to_b.initiate().unwrap();
    run(&mut c_to_b, &mut b_for_c, vec![init], Vec::new());

    let from_c = seal_one(&mut c_to_b, MessageKind::Forwarded, b"from c");
    assert!(matches!(
        b_for_a.receive(&from_c),
        Err(ChannelError::UnexpectedSender { .. })
    ));
    let mut posing_as_a = from_c.clone();
    posing_as_a[2..34].copy_from_slice(a.node_id().as_bytes());
    assert_eq!(b_for_a.receive(&posing_as_a), Err(ChannelError::UnknownKey));
    assert_eq!(
        opened(b_for_c.receive(&from_c).unwrap()),
        message(MessageKind::Forwarded, b"from c")
    );
}

#[test]
fn a_replayed_init_does_not_disturb_an_established_channel() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let mut first = channel(&low, &high, ChannelConfig::default());
    let mut second = channel(&high, &low, ChannelConfig::default());
    let init = first.initiate().unwrap();
    run(&mut first, &mut second, vec![init.clone()], Vec::new());

    let (_, response) = deliver(&mut second, vec![init]);
    assert_eq!(
        first.receive(&response[0]),
        Err(ChannelError::UnexpectedKeyExchange { step: "response" })
    );
    let frame = seal_one(&mut first, MessageKind::Consensus, b"still here");
    assert_eq!(
        opened(second.receive(&frame).unwrap()),
        message(MessageKind::Consensus, b"still here")
    );
    let back = seal_one(&mut second, MessageKind::Forwarded, b"and here");
    assert_eq!(
        opened(first.receive(&back).unwrap()),
        message(MessageKind::Forwarded, b"and here")
    );
}

#[test]
fn renewal_under_a_small_limit_loses_nothing_in_either_direction() {
    let config = ChannelConfig {
        message_limit: 3,
        max_queued_messages: 64,
        ..ChannelConfig::default()
    };
    let (mut first, mut second) = established(config);
    let mut to_second = Vec::new();
    let mut to_first = Vec::new();
    let mut delivered = Delivered::default();
    let mut key_ids = std::collections::HashSet::new();
    let kinds = [MessageKind::Consensus, MessageKind::Forwarded];

    for round in 0u8..30 {
        let kind = kinds[usize::from(round % 2)];
        to_second.extend(first.seal(kind, &[b'a', round]).unwrap());
        to_first.extend(second.seal(kind, &[b'b', round]).unwrap());
        first.check_invariants().unwrap();
        second.check_invariants().unwrap();
        for frame in to_second.iter().chain(&to_first) {
            if let Frame::Data(data) = Frame::decode(frame).unwrap() {
                key_ids.insert(data.key_id);
            }
        }
        if round % 4 == 3 {
            let (at_second, replies) = deliver(&mut second, std::mem::take(&mut to_second));
            delivered.at_second.extend(at_second);
            to_first.extend(replies);
            let (at_first, replies) = deliver(&mut first, std::mem::take(&mut to_first));
            delivered.at_first.extend(at_first);
            to_second.extend(replies);
        }
    }
    let rest = run(&mut first, &mut second, to_second, to_first);
    delivered.at_first.extend(rest.at_first);
    delivered.at_second.extend(rest.at_second);

    let expected = |sender: u8| -> Vec<_> {
        (0u8..30)
            .map(|round| message(kinds[usize::from(round % 2)], &[sender, round]))
            .collect()
    };
    assert_eq!(delivered.at_second, expected(b'a'));
    assert_eq!(delivered.at_first, expected(b'b'));
    assert!(
        key_ids.len() >= 5,
        "keys renewed: {} key sets",
        key_ids.len()
    );
    assert_eq!(first.queued_messages() + second.queued_messages(), 0);
}

#[test]
fn the_queue_is_bounded() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let config = ChannelConfig {
        message_limit: 10,
        max_queued_messages: 2,
        ..ChannelConfig::default()
    };
    let mut lonely = channel(&low, &high, config);
    lonely.seal(MessageKind::Consensus, b"1").unwrap();
    lonely.seal(MessageKind::Consensus, b"2").unwrap();
    assert_eq!(
        lonely.seal(MessageKind::Consensus, b"3"),
        Err(ChannelError::QueueFull {
            queued: 2,
            limit: 2
        })
    );
}

#[test]
fn invalid_configuration_and_identity_are_refused() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let zero_limit = ChannelConfig {
        message_limit: 0,
        ..ChannelConfig::default()
    };
    assert!(matches!(
        Channel::new(
            low.clone(),
            high.node_id(),
            zero_limit,
            channel_support::SeededEntropy::boxed([1; 32])
        ),
        Err(ChannelError::InvalidConfig(_))
    ));
    assert!(matches!(
        Channel::new(
            low.clone(),
            low.node_id(),
            ChannelConfig::default(),
            channel_support::SeededEntropy::boxed([1; 32])
        ),
        Err(ChannelError::InvalidIdentity(_))
    ));

    let key = quorate_crypto::KeyPair::from_seed(&[40; 32]).unwrap();
    let other_service = Service::new(3);
    let foreign = other_service.node(40);
    let unendorsed = LocalIdentity::new(
        NodeId::of(&key.public_key()),
        key,
        foreign_certificate(&other_service),
        service.certificate.clone(),
    );
    assert!(matches!(unendorsed, Err(ChannelError::InvalidIdentity(_))));
    let key = quorate_crypto::KeyPair::from_seed(&[41; 32]).unwrap();
    let wrong_id = LocalIdentity::new(
        foreign.node_id(),
        key,
        foreign_certificate(&other_service),
        other_service.certificate.clone(),
    );
    assert!(matches!(wrong_id, Err(ChannelError::InvalidIdentity(_))));
}

/// The certificate `Service::node(40)` gets from `service`.
fn foreign_certificate(service: &Service) -> quorate_crypto::Certificate {
    let key = quorate_crypto::KeyPair::from_seed(&[40; 32]).unwrap();
    service.endorse(&key)
}

#[test]
fn seeded_keys_and_entropy_give_byte_identical_exchanges() {
    let transcript = || {
        let (mut first, mut second) = established(ChannelConfig::default());
        let mut frames = vec![seal_one(&mut first, MessageKind::Forwarded, b"same")];
        frames.push(seal_one(&mut second, MessageKind::Consensus, b"bytes"));
        frames
    };
    assert_eq!(transcript(), transcript());
}
