//! Node-to-node bytes, at each layer a peer's bytes are decoded. The first byte picks the
//! layer, the rest is the input:
//!
//! - `C` (consensus): a run of `u16`-length-prefixed Raft messages. Each is decoded with
//!   `quorate_consensus::message::decode` (and must re-encode to itself), an AppendEntries is
//!   checked with the node's `check_append_entries` (its entries are decoded as CCF entries),
//!   and every message is handed to two Raft engines, a fresh joiner and a bootstrapped
//!   leader, whose invariants must hold after each step;
//! - `F` (frame): a channel frame, decoded with `Frame::decode` (and re-encoded to itself),
//!   then received by a fresh channel (handshake steps: certificate and signature checks) and
//!   by an established one (data frames: key id, counter, GCM tag);
//! - `W` (forwarded): a forwarded client request or response (`Forwarded::decode`, which must
//!   re-encode to itself); a request is turned into a routed request as the primary does and
//!   run through the node's router (the same one `http_request` fuzzes).
#![no_main]

use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Uri};
use libfuzzer_sys::fuzz_target;
use quorate_consensus::message::{self, Message};
use quorate_consensus::{ConsensusEngine, Input, NodeId as RaftId, Output, Raft, RaftConfig};
use quorate_fuzz::{block_on, channels, check_response, node_router, seeded_store};
use quorate_node::channel::{Channel, Frame};
use quorate_node::frontend::{Caller, RoutedRequest, Router};
use quorate_node::replication::peer_input::check_append_entries;
use quorate_node::service::Forwarded;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let (store, historical) = seeded_store();
        node_router(Arc::new(store), historical)
    })
}

/// The responder's end of a channel whose handshake already ran (data frames land here).
fn established() -> &'static Mutex<Channel> {
    static ESTABLISHED: OnceLock<Mutex<Channel>> = OnceLock::new();
    ESTABLISHED.get_or_init(|| Mutex::new(channels::established().1))
}

/// Feeds `input` and acknowledges persistence as a host would, then checks the invariants.
fn step(engine: &mut Raft, input: Input<Message>) {
    let Ok(outputs) = engine.handle(input) else {
        return;
    };
    let persisted = outputs
        .iter()
        .any(|output| matches!(output, Output::Persist { .. }));
    if persisted {
        let index = engine.last_index();
        let _ = engine.handle(Input::Persisted { index });
    }
    if let Err(error) = engine.check_invariants() {
        panic!("a peer message broke an invariant: {error}");
    }
}

fn consensus(mut bytes: &[u8]) {
    let mut joiner = Raft::new(RaftConfig::new(RaftId(2)));
    let mut leader = Raft::new(RaftConfig::new(RaftId(1)));
    step(
        &mut leader,
        Input::Bootstrap {
            payload: Bytes::new(),
        },
    );
    while bytes.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
        let rest = &bytes[2..];
        let (one, tail) = rest.split_at(len.min(rest.len()));
        bytes = tail;
        let Ok(decoded) = message::decode(one) else {
            continue;
        };
        assert_eq!(
            message::decode(&message::encode(&decoded)).ok(),
            Some(decoded.clone()),
            "a decoded message does not survive re-encoding"
        );
        if let Message::AppendEntries(append) = &decoded {
            let _ = check_append_entries(append);
        }
        step(
            &mut joiner,
            Input::Receive {
                from: RaftId(1),
                message: decoded.clone(),
            },
        );
        step(
            &mut leader,
            Input::Receive {
                from: RaftId(2),
                message: decoded,
            },
        );
    }
}

fn frame(bytes: &[u8]) {
    if let Ok(frame) = Frame::decode(bytes) {
        let encoded = frame.encode().expect("a decoded frame re-encodes");
        assert_eq!(Frame::decode(&encoded).ok(), Some(frame));
    }
    let mut fresh = channels::fresh_responder();
    let _ = fresh.receive(bytes);
    fresh
        .check_invariants()
        .unwrap_or_else(|error| panic!("fresh channel: {error}"));
    let mut channel = established().lock().unwrap_or_else(|e| e.into_inner());
    let _ = channel.receive(bytes);
    channel
        .check_invariants()
        .unwrap_or_else(|error| panic!("established channel: {error}"));
}

/// The primary's conversion of a forwarded request (`service::forwarding::routed`).
fn routed(request: &quorate_node::service::ForwardedRequest) -> Option<RoutedRequest> {
    let mut headers = http::HeaderMap::new();
    for (name, value) in &request.headers {
        headers.append(
            HeaderName::try_from(name.as_str()).ok()?,
            HeaderValue::from_bytes(value).ok()?,
        );
    }
    Some(RoutedRequest {
        method: http::Method::from_bytes(request.method.as_bytes()).ok()?,
        uri: request.uri.parse::<Uri>().ok()?,
        version: http::Version::HTTP_11,
        headers,
        body: request.body.clone(),
    })
}

fn forwarded(bytes: &[u8]) {
    let Ok(message) = Forwarded::decode(bytes) else {
        return;
    };
    assert_eq!(
        Forwarded::decode(&message.encode()).ok(),
        Some(message.clone()),
        "a decoded forwarded message does not survive re-encoding"
    );
    match message {
        Forwarded::Request(request) => {
            let Some(routed) = routed(&request) else {
                return;
            };
            let caller = Arc::new(match &request.caller_der {
                Some(der) => Caller::from_certificate_der(der),
                None => Caller::Anonymous,
            });
            let response = block_on(router().call(routed, caller));
            check_response(&response);
        }
        Forwarded::Response(response) => {
            let _ = http::StatusCode::from_u16(response.status);
            for (name, value) in &response.headers {
                let _ = HeaderName::try_from(name.as_str());
                let _ = HeaderValue::from_bytes(value);
            }
        }
    }
}

fuzz_target!(
    init: {
        quorate_fuzz::maybe_write_seeds("node_message");
        router();
        established();
    },
    |data: &[u8]| {
        let Some((&layer, bytes)) = data.split_first() else {
            return;
        };
        match layer {
            b'C' => consensus(bytes),
            b'F' => frame(bytes),
            b'W' => forwarded(bytes),
            _ => {}
        }
    }
);
