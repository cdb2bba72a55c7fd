//! Properties of the codec for forwarded requests and responses between a backup and the
//! primary: anything round-trips, arbitrary or mangled bytes never panic the decoder and decode
//! only to the message that encodes back to them, truncated and padded encodings are refused,
//! and lengths and counts larger than the message are refused before anything is read or
//! allocated for them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use quorate_node::service::{Forwarded, ForwardedRequest, ForwardedResponse};

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn headers() -> impl Strategy<Value = Vec<(String, Bytes)>> {
    vec((any::<String>(), bytes(48)), 0..8)
}

fn request() -> impl Strategy<Value = ForwardedRequest> {
    (
        any::<u64>(),
        proptest::option::of(bytes(300)),
        prop_oneof![
            Just("GET".to_owned()),
            Just("POST".to_owned()),
            Just("DELETE".to_owned()),
            any::<String>(),
        ],
        any::<String>(),
        headers(),
        bytes(512),
    )
        .prop_map(
            |(id, caller_der, method, uri, headers, body)| ForwardedRequest {
                id,
                caller_der,
                method,
                uri,
                headers,
                body,
            },
        )
}

fn response() -> impl Strategy<Value = ForwardedResponse> {
    (
        any::<u64>(),
        any::<u16>(),
        proptest::option::of((any::<u64>(), any::<u64>())),
        headers(),
        bytes(512),
    )
        .prop_map(
            |(id, status, transaction_id, headers, body)| ForwardedResponse {
                id,
                status,
                transaction_id,
                headers,
                body,
            },
        )
}

fn message() -> impl Strategy<Value = Forwarded> {
    prop_oneof![
        request().prop_map(Forwarded::Request),
        response().prop_map(Forwarded::Response),
    ]
}

/// Where the header count sits in `message`'s encoding (everything before it is fixed-size or
/// length-prefixed, in the order the codec writes it).
fn header_count_offset(message: &Forwarded) -> usize {
    let tag_and_id = 1 + 8;
    match message {
        Forwarded::Request(request) => {
            let caller = 1 + request.caller_der.as_ref().map_or(0, |der| 4 + der.len());
            tag_and_id + caller + 4 + request.method.len() + 4 + request.uri.len()
        }
        Forwarded::Response(response) => {
            let transaction_id = 1 + response.transaction_id.map_or(0, |_| 16);
            tag_and_id + 2 + transaction_id
        }
    }
}

fn headers_of(message: &Forwarded) -> &[(String, Bytes)] {
    match message {
        Forwarded::Request(request) => &request.headers,
        Forwarded::Response(response) => &response.headers,
    }
}

/// Decodes, and checks that whatever decodes is the one message that encodes to exactly these
/// bytes (the encoding is canonical, so a peer cannot smuggle a second reading past a check).
fn decode_canonically(bytes: &[u8]) -> Option<Forwarded> {
    let decoded = Forwarded::decode(bytes).ok()?;
    assert_eq!(
        decoded.encode(),
        bytes,
        "{decoded:?} decoded from bytes it does not encode to"
    );
    Some(decoded)
}

fn reason(bytes: &[u8]) -> String {
    Forwarded::decode(bytes).expect_err("refused").to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_request_round_trips(request in request()) {
        let message = Forwarded::Request(request);
        prop_assert_eq!(Forwarded::decode(&message.encode()), Ok(message));
    }

    #[test]
    fn any_response_round_trips(response in response()) {
        let message = Forwarded::Response(response);
        prop_assert_eq!(Forwarded::decode(&message.encode()), Ok(message));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        decode_canonically(&bytes);
    }

    /// Bytes that start like a forwarded message, so the decoder gets past the tag.
    #[test]
    fn arbitrary_bytes_after_a_tag_never_panic(
        tag in 1u8..=2,
        rest in vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = vec![tag];
        bytes.extend_from_slice(&rest);
        decode_canonically(&bytes);
    }

    /// A valid encoding with bytes overwritten: never a panic, and anything that still decodes
    /// is canonical.
    #[test]
    fn mangled_encodings_never_panic(
        message in message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = message.encode();
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        decode_canonically(&bytes);
    }

    #[test]
    fn every_strict_prefix_is_refused(message in message()) {
        let bytes = message.encode();
        for end in 0..bytes.len() {
            prop_assert!(
                Forwarded::decode(&bytes[..end]).is_err(),
                "a prefix of {} of {} bytes decoded", end, bytes.len()
            );
        }
    }

    #[test]
    fn trailing_bytes_are_refused(
        message in message(),
        trailing in vec(any::<u8>(), 1..64),
    ) {
        let mut bytes = message.encode();
        bytes.extend_from_slice(&trailing);
        prop_assert_eq!(reason(&bytes), "malformed forwarded message: trailing bytes");
    }

    /// A header count past what the rest of the message could hold (each header takes at
    /// least eight bytes of length prefixes) is refused by the bound itself, before a single
    /// header is read or room is made for them.
    #[test]
    fn header_counts_past_the_message_are_refused_up_front(
        message in message(),
        excess in prop_oneof![1u32..=8, any::<u32>()],
    ) {
        let mut bytes = message.encode();
        let at = header_count_offset(&message);
        let encoded_count = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        prop_assert_eq!(encoded_count as usize, headers_of(&message).len());
        let remaining = bytes.len() - (at + 4);
        let most = u32::try_from(remaining / 8).unwrap();
        let count = most.saturating_add(excess);
        bytes[at..at + 4].copy_from_slice(&count.to_be_bytes());
        prop_assert_eq!(reason(&bytes), "malformed forwarded message: header count");
    }

    /// A body length past the end of the message is refused without reading or copying.
    #[test]
    fn lengths_past_the_message_are_refused(message in message(), excess in 1u32..=u32::MAX) {
        let mut bytes = message.encode();
        let body_length_at = bytes.len()
            - match &message {
                Forwarded::Request(request) => request.body.len(),
                Forwarded::Response(response) => response.body.len(),
            }
            - 4;
        let field = body_length_at..body_length_at + 4;
        let declared = u32::from_be_bytes(bytes[field.clone()].try_into().unwrap());
        bytes[field].copy_from_slice(&declared.saturating_add(excess).to_be_bytes());
        prop_assert_eq!(reason(&bytes), "malformed forwarded message: truncated");
    }
}

/// The largest header count a message can claim is refused at once: the decoder neither loops
/// over four billion headers nor reserves room for them.
#[test]
fn a_four_billion_header_count_is_refused_at_once() {
    for message in [
        Forwarded::Request(ForwardedRequest {
            id: 7,
            caller_der: None,
            method: "POST".into(),
            uri: "/app/log/private".into(),
            headers: Vec::new(),
            body: Bytes::from_static(b"{}"),
        }),
        Forwarded::Response(ForwardedResponse {
            id: 7,
            status: 200,
            transaction_id: Some((2, 42)),
            headers: Vec::new(),
            body: Bytes::new(),
        }),
    ] {
        let mut bytes = message.encode();
        let at = header_count_offset(&message);
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        // Followed by as many 8-byte "headers" as the rest of the message really holds.
        bytes.truncate(at + 4);
        bytes.extend_from_slice(&[0u8; 8 * 1024]);
        // Refused by the count check itself, not by running out of bytes after reading (and
        // making room for) the first thousand headers.
        assert_eq!(reason(&bytes), "malformed forwarded message: header count");
    }
}

/// The bound is exact: a count the rest of the message can hold gets past it (and here decodes,
/// the headers being empty names and values), one more does not.
#[test]
fn the_header_count_bound_is_exact() {
    let headers = vec![(String::new(), Bytes::new()); 5];
    let message = Forwarded::Response(ForwardedResponse {
        id: 1,
        status: 204,
        transaction_id: None,
        headers: headers.clone(),
        body: Bytes::new(),
    });
    let bytes = message.encode();
    assert_eq!(Forwarded::decode(&bytes), Ok(message.clone()));
    // Five empty headers (40 bytes) and the body length (4): room for five, not six.
    let at = header_count_offset(&message);
    let mut six = bytes.clone();
    six[at..at + 4].copy_from_slice(&6u32.to_be_bytes());
    assert_eq!(reason(&six), "malformed forwarded message: header count");
}
