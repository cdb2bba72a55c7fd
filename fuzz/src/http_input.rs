//! Fuzz inputs for the HTTP path: one selector byte for the TLS caller, then the request as
//! it arrives on an HTTP/1.1 connection. The head is parsed by `httparse` (the parser hyper
//! runs for HTTP/1.1) and converted to `http` types the way hyper converts it, so the router
//! sees what the node's frontend would hand it; a head hyper would refuse itself is skipped.
//! The body is everything after the head (hyper's framing is hyper's business).
//!
//! Seeds stay readable: `U` + `GET /app/log/private?id=1 HTTP/1.1\r\n\r\n`.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version};
use quorate_node::frontend::{Caller, RoutedRequest};

use crate::fixtures;

/// hyper's HTTP/1.1 header limit on the node (`headers_backstop_count`: twice CCF's 256).
const MAX_HEADERS: usize = 512;
/// CCF's `max_headers_count`, checked by the node's dispatcher (431) before routing.
const MAX_HEADERS_COUNT: usize = 256;
/// CCF's `max_header_size` for each name and value, checked by the dispatcher (431).
const MAX_HEADER_SIZE_BYTES: usize = 16 * 1024;

/// The TLS caller picked by the first byte: anonymous, the registered user, the registered
/// member, or an unregistered certificate.
pub fn caller(selector: u8) -> Caller {
    let f = fixtures();
    match selector {
        b'U' | b'u' => f.user.caller(),
        b'M' | b'm' => f.member.caller(),
        b'C' | b'c' => f.stranger.caller(),
        _ => Caller::Anonymous,
    }
}

/// The request in `data`, or `None` where hyper or the dispatcher would have answered before
/// routing (malformed head, too many or too large headers).
pub fn parse(data: &[u8]) -> Option<(RoutedRequest, Arc<Caller>)> {
    let (&selector, raw) = data.split_first()?;
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut head = httparse::Request::new(&mut slots);
    let head_len = match head.parse(raw) {
        Ok(httparse::Status::Complete(len)) => len,
        _ => return None,
    };
    let method = Method::from_bytes(head.method?.as_bytes()).ok()?;
    let uri = Uri::from_maybe_shared(Bytes::copy_from_slice(head.path?.as_bytes())).ok()?;
    let version = match head.version? {
        0 => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut headers = HeaderMap::new();
    for header in head.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(header.value).ok()?;
        headers.append(name, value);
    }
    if headers.len() > MAX_HEADERS_COUNT
        || headers.iter().any(|(n, v)| {
            n.as_str().len() > MAX_HEADER_SIZE_BYTES || v.len() > MAX_HEADER_SIZE_BYTES
        })
    {
        return None;
    }
    let body = Bytes::copy_from_slice(&raw[head_len..]);
    Some((
        RoutedRequest {
            method,
            uri,
            version,
            headers,
            body,
        },
        Arc::new(caller(selector)),
    ))
}

/// The bytes of a seed: `caller` then an HTTP/1.1 request.
pub fn seed(
    caller: u8,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut text = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1:8000\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        text.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let mut bytes = vec![caller];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}
