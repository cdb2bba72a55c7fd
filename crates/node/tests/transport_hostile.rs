//! What peers and strangers can send to a node's transport: an impostor endorsed by another
//! service, strangers that are not peers, garbage bytes, oversized lengths, and well-formed
//! frames forged in a peer's name. None is delivered, none panics, and honest traffic goes on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod transport_support;

use std::net::SocketAddr;
use std::time::Duration;

use quorate_node::channel::{DataFrame, Frame, MessageKind, NodeId};
use quorate_node::transport::{MIN_FRAME_SIZE_BYTES, TransportConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use transport_support::{
    Node, Service, WAIT, config, loopback, send_until_received, vacant_address,
};

/// Two honest nodes of service 1 with an established channel both ways.
async fn honest_pair(service: &Service) -> (Node, Node) {
    let (a, b) = (service.node(11), service.node(12));
    let mut first = Node::start(&a, loopback(), &[]).await;
    let mut second = Node::start(&b, loopback(), &[(a.node_id(), first.handle.local_addr())]).await;
    first
        .handle
        .add_peer(b.node_id(), second.handle.local_addr())
        .unwrap();
    send_until_received(&first, &mut second, MessageKind::Consensus, b"hello b").await;
    send_until_received(&second, &mut first, MessageKind::Consensus, b"hello a").await;
    (first, second)
}

/// Waits until the node closes `stream` (end of stream or reset), within [`WAIT`].
async fn expect_closed_by_node(mut stream: TcpStream) {
    let mut buffer = [0u8; 64];
    let closed = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(WAIT, closed)
        .await
        .expect("the node kept the connection open");
}

async fn connect_and_write(address: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

fn length_prefixed(frame: &[u8]) -> Vec<u8> {
    let mut bytes = u32::try_from(frame.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(frame);
    bytes
}

/// A structurally valid data frame in `sender`'s name under a key nobody holds.
fn forged_frame(sender: NodeId) -> Vec<u8> {
    Frame::Data(DataFrame {
        kind: MessageKind::Forwarded,
        sender,
        key_id: [7; 8],
        counter: 1,
        body: b"forged".to_vec(),
        tag: [0; 16],
    })
    .encode()
    .unwrap()
}

/// Checks that honest traffic still flows, in order, from `from` to `to`.
async fn traffic_flows(from: &Node, to: &mut Node) {
    send_until_received(from, to, MessageKind::Consensus, b"still there").await;
    for index in 0..20u32 {
        from.handle
            .send(
                to.handle.node_id(),
                MessageKind::Forwarded,
                index.to_be_bytes().to_vec(),
            )
            .unwrap();
    }
    let mut next = 0u32;
    while next < 20 {
        let message = to.next().await;
        if message.payload.as_ref() == b"still there" {
            continue;
        }
        assert_eq!(message.payload.as_ref(), next.to_be_bytes());
        next += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impostors_from_another_service_get_nothing_delivered_either_way() {
    let service = Service::new(1);
    let other_service = Service::new(2);
    let (mut first, second) = honest_pair(&service).await;
    let (listed, stranger) = (other_service.node(21), other_service.node(22));
    // The node even lists the impostor as a peer (before it comes up, so its first frames
    // reach the channel): only the certificate check stands between them.
    let impostor_address = vacant_address();
    first
        .handle
        .add_peer(listed.node_id(), impostor_address)
        .unwrap();
    let first_peer = [(first.handle.node_id(), first.handle.local_addr())];
    let mut impostor = Node::start(&listed, impostor_address, &first_peer).await;
    let intruder = Node::start(&stranger, loopback(), &first_peer).await;

    for index in 0..10u32 {
        for node in [&impostor, &intruder] {
            node.handle
                .send(
                    first.handle.node_id(),
                    MessageKind::Forwarded,
                    index.to_be_bytes().to_vec(),
                )
                .unwrap();
        }
        first
            .handle
            .send(
                listed.node_id(),
                MessageKind::Consensus,
                &b"for the impostor"[..],
            )
            .unwrap();
    }
    traffic_flows(&second, &mut first).await;
    let late = first.drain_for(Duration::from_millis(1_000)).await;
    assert!(
        late.iter()
            .all(|message| message.from == second.handle.node_id()),
        "only the honest peer is delivered: {late:?}"
    );
    assert!(
        impostor
            .drain_for(Duration::from_millis(100))
            .await
            .is_empty(),
        "the impostor learns nothing"
    );
    let stats = first.handle.stats();
    // Both sides initiate; the lower node id's exchange wins and only the other side checks
    // a certificate, so the refusal is counted on one side or the other.
    let refused = stats.frames_rejected + impostor.handle.stats().frames_rejected;
    assert!(refused >= 1, "no exchange with the impostor was refused");
    assert!(
        stats.connections_dropped_unknown_sender >= 1,
        "stranger's connection dropped: {stats:?}"
    );
    for node in [&first, &second, &impostor, &intruder] {
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_drop_only_their_connection() {
    let service = Service::new(1);
    let (mut first, second) = honest_pair(&service).await;
    let address = first.handle.local_addr();
    let malformed_before = first.handle.stats().connections_dropped_malformed;

    let http = connect_and_write(address, b"GET / HTTP/1.1\r\nHost: node\r\n\r\n").await;
    let empty = connect_and_write(address, &[0, 0, 0, 0]).await;
    let junk = connect_and_write(address, &length_prefixed(&[0xff; 40])).await;
    let truncated = connect_and_write(address, &[0, 0, 0, 100, 1, 2, 3]).await;
    for stream in [http, empty, junk] {
        expect_closed_by_node(stream).await;
    }
    drop(truncated);

    traffic_flows(&second, &mut first).await;
    assert_eq!(
        first.handle.stats().connections_dropped_malformed - malformed_before,
        3,
        "oversized length, empty frame and unparsable frame each dropped their connection"
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_forged_in_a_peers_name_are_refused_and_counted() {
    let service = Service::new(1);
    let (mut first, second) = honest_pair(&service).await;
    let rejected_before = first.handle.stats().frames_rejected;
    let peer = second.handle.node_id();

    let mut forger = connect_and_write(
        first.handle.local_addr(),
        &length_prefixed(&forged_frame(peer)),
    )
    .await;
    tokio::time::timeout(WAIT, async {
        while first.handle.stats().frames_rejected == rejected_before {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the forged frame reached the peer's channel and was refused");

    let other = service.node(13).node_id();
    forger
        .write_all(&length_prefixed(&forged_frame(other)))
        .await
        .unwrap();
    expect_closed_by_node(forger).await;
    assert_eq!(first.handle.stats().connections_dropped_malformed, 1);

    traffic_flows(&second, &mut first).await;
    assert!(
        first
            .drain_for(Duration::from_millis(200))
            .await
            .iter()
            .all(|message| message.payload.as_ref() != b"forged")
    );
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_send_no_whole_frame_in_time_are_closed() {
    let service = Service::new(1);
    let quick = TransportConfig {
        first_frame_timeout_ms: 200,
        ..config()
    };
    let node = Node::start_with(&service.node(11), loopback(), &[], quick).await;
    let address = node.handle.local_addr();
    let silent = TcpStream::connect(address).await.unwrap();
    let half_prefix = connect_and_write(address, &[0, 0]).await;
    let half_frame = connect_and_write(address, &[0, 0, 1, 0, 1]).await;
    for stream in [silent, half_prefix, half_frame] {
        expect_closed_by_node(stream).await;
    }
    assert_eq!(node.handle.stats().connections_dropped_silent, 3);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_of_one_frame_is_returned_after_every_frame() {
    let service = Service::new(1);
    let tight = TransportConfig {
        max_frame_size_bytes: MIN_FRAME_SIZE_BYTES,
        inbound_buffer_limit_bytes: MIN_FRAME_SIZE_BYTES,
        ..config()
    };
    let (a, b) = (service.node(11), service.node(12));
    let mut first = Node::start_with(&a, loopback(), &[], tight).await;
    let peers = [(a.node_id(), first.handle.local_addr())];
    let second = Node::start_with(&b, loopback(), &peers, tight).await;
    first
        .handle
        .add_peer(b.node_id(), second.handle.local_addr())
        .unwrap();
    let payload = vec![7u8; tight.max_payload_size_bytes()];
    for _ in 0..200 {
        second
            .handle
            .send(a.node_id(), MessageKind::Forwarded, payload.clone())
            .unwrap();
    }
    for _ in 0..200 {
        let message = first.next().await;
        assert_eq!(message.payload.as_ref(), payload.as_slice());
    }
    first.stop().await;
    second.stop().await;
}
