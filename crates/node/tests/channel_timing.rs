//! Time acts on channels only through `poll(now_ms)`: unfinished exchanges are restarted after
//! their timeout and keys are renewed after their lifetime.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod channel_support;

use channel_support::{Service, channel, deliver, established, ordered_pair, run};
use quorate_node::channel::{
    Channel, ChannelConfig, ChannelError, ChannelState, EntropySource, Frame, MessageKind, Received,
};

const TIMEOUT_MS: u64 = 100;
const LIFETIME_MS: u64 = 1_000;

fn config() -> ChannelConfig {
    ChannelConfig {
        key_exchange_timeout_ms: TIMEOUT_MS,
        key_lifetime_ms: LIFETIME_MS,
        ..ChannelConfig::default()
    }
}

fn pair() -> (Channel, Channel) {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    (
        channel(&low, &high, config()),
        channel(&high, &low, config()),
    )
}

fn key_id_of(frame: &[u8]) -> [u8; 8] {
    match Frame::decode(frame).unwrap() {
        Frame::Data(data) => data.key_id,
        other => panic!("data frame expected, got {other:?}"),
    }
}

#[test]
fn an_exchange_whose_response_was_lost_is_restarted_after_the_timeout() {
    let (mut first, mut second) = pair();
    let init = first.seal(MessageKind::Consensus, b"waiting").unwrap();
    assert!(first.poll(0).unwrap().is_empty());
    let (_, lost_response) = deliver(&mut second, init);
    assert_eq!(lost_response.len(), 1);

    assert!(first.poll(TIMEOUT_MS - 1).unwrap().is_empty());
    let retry = first.poll(TIMEOUT_MS).unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(first.state(), ChannelState::Initiated);
    assert!(
        matches!(
            first.receive(&lost_response[0]),
            Err(ChannelError::UnexpectedKeyExchange { .. })
        ),
        "a response to the abandoned init is refused"
    );

    let delivered = run(&mut first, &mut second, retry, Vec::new());
    assert_eq!(
        delivered.at_second,
        vec![(MessageKind::Consensus, b"waiting".to_vec())]
    );
    assert_eq!(first.state(), ChannelState::Established);
    assert_eq!(second.state(), ChannelState::Established);
}

#[test]
fn a_responder_left_waiting_by_a_replayed_init_recovers_after_the_timeout() {
    let (mut first, mut second) = pair();
    let init = first.initiate().unwrap();
    run(&mut first, &mut second, vec![init.clone()], Vec::new());

    deliver(&mut second, vec![init]);
    assert_eq!(second.state(), ChannelState::WaitingForFinal);
    assert!(second.poll(5).unwrap().is_empty());
    let fresh = second.poll(5 + TIMEOUT_MS).unwrap();
    assert_eq!(second.state(), ChannelState::Initiated);

    let delivered = run(&mut second, &mut first, fresh, Vec::new());
    assert_eq!(delivered.at_first, delivered.at_second);
    assert_eq!(first.state(), ChannelState::Established);
    assert_eq!(second.state(), ChannelState::Established);
    let frame = second.seal(MessageKind::Forwarded, b"after").unwrap();
    assert!(matches!(
        first.receive(&frame[0]).unwrap(),
        Received::Message { .. }
    ));
}

#[test]
fn keys_are_renewed_after_their_lifetime_without_losing_frames_in_flight() {
    let (mut first, mut second) = established(config());
    assert!(first.poll(1_000).unwrap().is_empty());
    let old_key = key_id_of(&first.seal(MessageKind::Consensus, b"probe").unwrap()[0]);

    assert!(first.poll(1_000 + LIFETIME_MS - 1).unwrap().is_empty());
    let in_flight = second.seal(MessageKind::Forwarded, b"in flight").unwrap();
    let renewal = first.poll(1_000 + LIFETIME_MS).unwrap();
    assert_eq!(renewal.len(), 1);

    let (_, response) = deliver(&mut second, renewal);
    let (_, final_step) = deliver(&mut first, response);
    let (at_first, _) = deliver(&mut first, in_flight);
    assert_eq!(
        at_first,
        vec![(MessageKind::Forwarded, b"in flight".to_vec())]
    );
    deliver(&mut second, final_step);

    let new_frame = first.seal(MessageKind::Consensus, b"fresh").unwrap();
    assert_ne!(key_id_of(&new_frame[0]), old_key);
    let (at_second, _) = deliver(&mut second, new_frame);
    assert_eq!(at_second, vec![(MessageKind::Consensus, b"fresh".to_vec())]);
}

/// Fails its first draw, then behaves like the seeded source.
struct FailsOnce {
    failed: bool,
    then: channel_support::SeededEntropy,
}

impl EntropySource for FailsOnce {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ChannelError> {
        if !self.failed {
            self.failed = true;
            return Err(ChannelError::EntropyFailed);
        }
        self.then.fill(out)
    }
}

#[test]
fn a_message_accepted_while_entropy_fails_is_sent_once_poll_retries() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    let entropy = FailsOnce {
        failed: false,
        then: *channel_support::SeededEntropy::boxed([3; 32]),
    };
    let mut first = Channel::new(low.clone(), high.node_id(), config(), Box::new(entropy)).unwrap();
    let mut second = channel(&high, &low, config());

    assert!(
        first
            .seal(MessageKind::Forwarded, b"kept")
            .unwrap()
            .is_empty()
    );
    assert_eq!(first.state(), ChannelState::Inactive);
    assert_eq!(first.queued_messages(), 1);
    first.check_invariants().unwrap();

    let init = first.poll(0).unwrap();
    assert_eq!(first.state(), ChannelState::Initiated);
    let delivered = run(&mut first, &mut second, init, Vec::new());
    assert_eq!(
        delivered.at_second,
        vec![(MessageKind::Forwarded, b"kept".to_vec())]
    );
}

#[test]
fn an_idle_inactive_channel_does_nothing_on_poll() {
    let (mut first, _) = pair();
    assert!(first.poll(u64::MAX).unwrap().is_empty());
    assert_eq!(first.state(), ChannelState::Inactive);
}

#[test]
fn zero_periods_and_an_empty_queue_are_refused() {
    let service = Service::new(1);
    let (low, high) = ordered_pair(&service);
    for config in [
        ChannelConfig {
            key_exchange_timeout_ms: 0,
            ..ChannelConfig::default()
        },
        ChannelConfig {
            key_lifetime_ms: 0,
            ..ChannelConfig::default()
        },
        ChannelConfig {
            max_queued_messages: 0,
            ..ChannelConfig::default()
        },
    ] {
        assert!(matches!(
            Channel::new(
                low.clone(),
                high.node_id(),
                config,
                channel_support::SeededEntropy::boxed([2; 32])
            ),
            Err(ChannelError::InvalidConfig(_))
        ));
    }
}
