//! Throughput of 100-byte messages from one node to another over loopback, consensus
//! (integrity only) and forwarded (encrypted), with every message checked to arrive once and
//! in order. The figure is printed, not asserted
//! (numbers belong to benchmarks); run it with
//! `cargo test --release -p quorate-node --test transport_throughput -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod transport_support;

use std::time::{Duration, Instant};

use quorate_node::channel::MessageKind;
use quorate_node::transport::TransportError;
use transport_support::{Node, Service, loopback, send_until_received};

const PAYLOAD_SIZE_BYTES: usize = 100;

/// Enough to time in release; few enough to keep the debug test run short.
const MESSAGES: u64 = if cfg!(debug_assertions) {
    20_000
} else {
    1_000_000
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consensus_messages_stream_in_order_between_two_nodes() {
    stream(MessageKind::Consensus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_messages_stream_in_order_between_two_nodes() {
    stream(MessageKind::Forwarded).await;
}

/// Sends [`MESSAGES`] of `kind` as fast as the send queue takes them and times their arrival.
async fn stream(kind: MessageKind) {
    let service = Service::new(1);
    let (a, b) = (service.node(11), service.node(12));
    let mut sender = Node::start(&a, loopback(), &[]).await;
    let mut receiver =
        Node::start(&b, loopback(), &[(a.node_id(), sender.handle.local_addr())]).await;
    sender
        .handle
        .add_peer(b.node_id(), receiver.handle.local_addr())
        .unwrap();
    send_until_received(&sender, &mut receiver, MessageKind::Consensus, b"warm").await;
    send_until_received(&receiver, &mut sender, MessageKind::Consensus, b"warm").await;

    let started = Instant::now();
    let consumer = tokio::spawn(async move {
        let mut next = 0u64;
        while next < MESSAGES {
            let message = receiver.next().await;
            if message.payload.as_ref() == b"warm" {
                continue;
            }
            assert_eq!(message.kind, kind);
            assert_eq!(message.payload.len(), PAYLOAD_SIZE_BYTES);
            assert_eq!(message.payload[..8], next.to_be_bytes());
            next += 1;
        }
        receiver
    });
    let mut payload = [0u8; PAYLOAD_SIZE_BYTES];
    let mut index = 0u64;
    while index < MESSAGES {
        payload[..8].copy_from_slice(&index.to_be_bytes());
        match sender.handle.send(b.node_id(), kind, payload.to_vec()) {
            Ok(()) => index += 1,
            Err(TransportError::QueueFull { .. }) => {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            Err(other) => panic!("send failed: {other}"),
        }
    }
    let receiver = tokio::time::timeout(Duration::from_secs(60), consumer)
        .await
        .expect("messages did not all arrive")
        .unwrap();
    let elapsed = started.elapsed();
    let per_second = MESSAGES as f64 / elapsed.as_secs_f64();
    println!(
        "{MESSAGES} {kind:?} messages of {PAYLOAD_SIZE_BYTES} bytes in {:.3} s: \
         {per_second:.0} messages/s",
        elapsed.as_secs_f64()
    );
    assert_eq!(receiver.handle.stats().frames_rejected, 0);
    sender.stop().await;
    receiver.stop().await;
}
