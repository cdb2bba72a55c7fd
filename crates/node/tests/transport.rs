//! The node-to-node transport over real TCP on loopback: pairwise traffic among three nodes,
//! a peer that comes up late, a node that restarts, refused calls, and bounded shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod transport_support;

use std::collections::HashMap;
use std::time::Duration;

use quorate_node::channel::{ChannelConfig, MessageKind, NodeId};
use quorate_node::transport::{Transport, TransportConfig, TransportError};
use transport_support::{
    Node, Service, WAIT, config, loopback, send_until_received, vacant_address,
};

/// Messages each node sends to each of its peers in the pairwise test.
const MESSAGES_PER_PAIR: u32 = 300;

fn kind_of(index: u32) -> MessageKind {
    if index.is_multiple_of(3) {
        MessageKind::Forwarded
    } else {
        MessageKind::Consensus
    }
}

fn payload(from: NodeId, to: NodeId, index: u32) -> Vec<u8> {
    format!("{from}->{to} #{index}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_exchange_both_kinds_pairwise_in_order() {
    let service = Service::new(1);
    let identities = [service.node(11), service.node(12), service.node(13)];
    let addresses = [vacant_address(), vacant_address(), vacant_address()];
    let ids: Vec<NodeId> = identities
        .iter()
        .map(|identity| identity.node_id())
        .collect();
    let mut nodes = Vec::new();
    for (index, identity) in identities.iter().enumerate() {
        let peers: Vec<_> = (0..3)
            .filter(|other| *other != index)
            .map(|other| (ids[other], addresses[other]))
            .collect();
        nodes.push(Node::start(identity, addresses[index], &peers).await);
    }

    for (index, node) in nodes.iter().enumerate() {
        for (peer_index, peer) in ids.iter().enumerate() {
            if peer_index == index {
                continue;
            }
            for message in 0..MESSAGES_PER_PAIR {
                node.handle
                    .send(*peer, kind_of(message), payload(ids[index], *peer, message))
                    .unwrap();
            }
        }
    }

    for (index, node) in nodes.iter_mut().enumerate() {
        let mut next_from: HashMap<NodeId, u32> = HashMap::new();
        for _ in 0..2 * MESSAGES_PER_PAIR {
            let message = node.next().await;
            let expected = next_from.entry(message.from).or_insert(0);
            assert_eq!(
                message.payload.as_ref(),
                payload(message.from, ids[index], *expected).as_slice(),
                "messages from each peer arrive complete and in order"
            );
            assert_eq!(message.kind, kind_of(*expected));
            *expected += 1;
        }
        let expected: HashMap<NodeId, u32> = ids
            .iter()
            .filter(|id| **id != ids[index])
            .map(|id| (*id, MESSAGES_PER_PAIR))
            .collect();
        assert_eq!(next_from, expected);
    }
    for node in &nodes {
        let stats = node.handle.stats();
        assert_eq!(stats.messages_delivered, u64::from(2 * MESSAGES_PER_PAIR));
        assert_eq!(stats.connections_dropped_malformed, 0);
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_queued_for_a_peer_that_starts_later_reach_it_once_it_is_up() {
    let service = Service::new(1);
    let (early, late) = (service.node(11), service.node(12));
    let late_address = vacant_address();
    let mut first = Node::start(&early, loopback(), &[(late.node_id(), late_address)]).await;
    for index in 0..5u32 {
        first
            .handle
            .send(
                late.node_id(),
                MessageKind::Consensus,
                index.to_be_bytes().to_vec(),
            )
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut second = Node::start(
        &late,
        late_address,
        &[(early.node_id(), first.handle.local_addr())],
    )
    .await;
    for index in 0..5u32 {
        let message = second.next().await;
        assert_eq!(message.from, early.node_id());
        assert_eq!(message.payload.as_ref(), index.to_be_bytes());
    }
    second
        .handle
        .send(early.node_id(), MessageKind::Forwarded, &b"late reply"[..])
        .unwrap();
    assert_eq!(first.next().await.payload.as_ref(), b"late reply");
    assert!(first.handle.stats().connections_established >= 1);
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_gets_new_channels_and_traffic_resumes_both_ways() {
    let service = Service::new(1);
    let (stable, restarting) = (service.node(11), service.node(12));
    let address = vacant_address();
    let mut first = Node::start(&stable, loopback(), &[(restarting.node_id(), address)]).await;
    let peers = [(stable.node_id(), first.handle.local_addr())];
    let mut second = Node::start(&restarting, address, &peers).await;
    send_until_received(&first, &mut second, MessageKind::Consensus, b"before").await;

    second.stop().await;
    second.expect_ended().await;
    let mut second = Node::start(&restarting, address, &peers).await;

    send_until_received(&first, &mut second, MessageKind::Consensus, b"after").await;
    send_until_received(&second, &mut first, MessageKind::Forwarded, b"back").await;
    for index in 0..50u32 {
        first
            .handle
            .send(
                restarting.node_id(),
                MessageKind::Forwarded,
                index.to_be_bytes().to_vec(),
            )
            .unwrap();
    }
    for index in 0..50u32 {
        let message = second.next().await;
        assert_eq!(message.payload.as_ref(), index.to_be_bytes());
    }
    assert!(first.handle.stats().connections_established >= 2);
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_can_be_added_moved_and_removed() {
    let service = Service::new(1);
    let (a, b) = (service.node(11), service.node(12));
    let mut first = Node::start(&a, loopback(), &[]).await;
    assert!(matches!(
        first
            .handle
            .send(b.node_id(), MessageKind::Consensus, &b"x"[..]),
        Err(TransportError::UnknownPeer(_))
    ));
    let mut second = Node::start(&b, loopback(), &[(a.node_id(), first.handle.local_addr())]).await;
    first
        .handle
        .add_peer(b.node_id(), vacant_address())
        .unwrap();
    first
        .handle
        .add_peer(b.node_id(), second.handle.local_addr())
        .unwrap();
    assert_eq!(first.handle.peers(), vec![b.node_id()]);
    send_until_received(&first, &mut second, MessageKind::Consensus, b"moved").await;
    send_until_received(&second, &mut first, MessageKind::Consensus, b"known").await;

    assert!(first.handle.remove_peer(b.node_id()));
    assert!(!first.handle.remove_peer(b.node_id()));
    assert!(matches!(
        first
            .handle
            .send(b.node_id(), MessageKind::Consensus, &b"x"[..]),
        Err(TransportError::UnknownPeer(_))
    ));
    second
        .handle
        .send(a.node_id(), MessageKind::Consensus, &b"to a stranger"[..])
        .unwrap();
    tokio::time::timeout(WAIT, async {
        while first.handle.stats().connections_dropped_unknown_sender == 0 {
            second
                .handle
                .send(a.node_id(), MessageKind::Consensus, &b"knock"[..])
                .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the removed peer's reconnection is turned away at the door");
    let late = first.drain_for(Duration::from_millis(200)).await;
    assert!(
        late.iter().all(|message| {
            let payload = message.payload.as_ref();
            payload != b"to a stranger" && payload != b"knock"
        }),
        "a removed peer's messages are not delivered"
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_node_gets_wrong_are_refused() {
    let service = Service::new(1);
    let (a, b) = (service.node(11), service.node(12));
    let bad = TransportConfig {
        max_frame_size_bytes: 100,
        ..config()
    };
    assert!(matches!(
        Transport::start(a.clone(), loopback(), [], bad).await,
        Err(TransportError::InvalidConfig(_))
    ));
    assert!(matches!(
        Transport::start(
            a.clone(),
            loopback(),
            [(a.node_id(), vacant_address())],
            config()
        )
        .await,
        Err(TransportError::SelfPeer(_))
    ));
    let small = TransportConfig {
        send_queue_messages: 2,
        ..config()
    };
    let (handle, _inbound) = Transport::start(
        a.clone(),
        loopback(),
        [(b.node_id(), vacant_address())],
        small,
    )
    .await
    .unwrap();
    let too_large = vec![0u8; small.max_payload_size_bytes() + 1];
    assert!(matches!(
        handle.send(b.node_id(), MessageKind::Consensus, too_large),
        Err(TransportError::MessageTooLarge { .. })
    ));
    let mut full = false;
    for _ in 0..10_000 {
        match handle.send(b.node_id(), MessageKind::Consensus, &b"m"[..]) {
            Ok(()) => {}
            Err(TransportError::QueueFull { limit, .. }) => {
                assert_eq!(limit, 2);
                full = true;
                break;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(full, "a peer that never comes up fills its bounded queue");
    tokio::time::timeout(WAIT, handle.shutdown())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_the_listener_and_ends_the_tasks_within_the_bound() {
    let service = Service::new(1);
    let (a, b) = (service.node(11), service.node(12));
    let mut first = Node::start(&a, loopback(), &[]).await;
    let mut second = Node::start(&b, loopback(), &[(a.node_id(), first.handle.local_addr())]).await;
    first
        .handle
        .add_peer(b.node_id(), second.handle.local_addr())
        .unwrap();
    send_until_received(&first, &mut second, MessageKind::Consensus, b"up").await;
    let listening = first.handle.local_addr();

    let started = std::time::Instant::now();
    first.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    first.expect_ended().await;
    assert!(tokio::net::TcpStream::connect(listening).await.is_err());
    assert!(matches!(
        first
            .handle
            .send(b.node_id(), MessageKind::Consensus, &b"late"[..]),
        Err(TransportError::ShutDown)
    ));
    assert!(matches!(
        first.handle.add_peer(b.node_id(), listening),
        Err(TransportError::ShutDown)
    ));
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_stops_the_transport() {
    let service = Service::new(1);
    let (a, b) = (service.node(11), service.node(12));
    let Node {
        handle,
        mut inbound,
    } = Node::start(&a, loopback(), &[(b.node_id(), vacant_address())]).await;
    let listening = handle.local_addr();
    let clone = handle.clone();
    drop(handle);
    assert!(tokio::net::TcpStream::connect(listening).await.is_ok());
    drop(clone);
    let ended = async { while inbound.recv().await.is_some() {} };
    tokio::time::timeout(WAIT, ended)
        .await
        .expect("tasks kept running without a handle");
    tokio::time::timeout(WAIT, async {
        while tokio::net::TcpStream::connect(listening).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the listener stayed open without a handle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_renewed_every_few_messages_lose_nothing_in_either_direction() {
    const MESSAGES: u32 = 1_000;
    let service = Service::new(1);
    let renewing = TransportConfig {
        channel: ChannelConfig {
            message_limit: 40,
            ..ChannelConfig::default()
        },
        ..config()
    };
    let (a, b) = (service.node(11), service.node(12));
    let mut first = Node::start_with(&a, loopback(), &[], renewing).await;
    let peers = [(a.node_id(), first.handle.local_addr())];
    let mut second = Node::start_with(&b, loopback(), &peers, renewing).await;
    first
        .handle
        .add_peer(b.node_id(), second.handle.local_addr())
        .unwrap();
    for index in 0..MESSAGES {
        first
            .handle
            .send(b.node_id(), kind_of(index), index.to_be_bytes().to_vec())
            .unwrap();
        second
            .handle
            .send(a.node_id(), kind_of(index), index.to_be_bytes().to_vec())
            .unwrap();
    }
    for node in [&mut first, &mut second] {
        for index in 0..MESSAGES {
            let message = node.next().await;
            assert_eq!(message.payload.as_ref(), index.to_be_bytes());
            assert_eq!(message.kind, kind_of(index));
        }
    }
    first.stop().await;
    second.stop().await;
}

#[test]
fn starting_outside_a_tokio_runtime_is_refused() {
    let service = Service::new(1);
    let start = Transport::start(service.node(11), loopback(), [], config());
    let mut start = std::pin::pin!(start);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(matches!(
        start.as_mut().poll(&mut context),
        std::task::Poll::Ready(Err(TransportError::NoRuntime))
    ));
}
