//! Bad input against a real one-node sandbox, over real TLS: malformed HTTP, bodies that are not
//! what the endpoint reads, oversized bodies and heads, unknown paths and methods, callers who
//! are not users (no certificate, a stranger's, a member's, bytes that are not a certificate),
//! slow clients holding connections open, and bad query parameters and headers. Each gets the
//! status and CCF's error body `{"error": {"code", "message"}}` CCF gives, and after each group
//! the node still serves user0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{Method, StatusCode};
use quorate_crypto::{KeyPair, Validity, create_self_signed_certificate};
use quorate_node::client::{
    ClientError, ClientOptions, ClientResponse, ClientTls, Connection, HttpProtocol,
};
use quorate_node::frontend::TRANSACTION_ID_HEADER;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use serde_json::{Value, json};
use support::Sandbox;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

const STARTUP: Duration = Duration::from_secs(60);
/// Every client request and every raw exchange must finish within this: more is a hang.
const BOUND: Duration = Duration::from_secs(5);
/// CCF's default `max_body_size`, `max_header_size` and `max_headers_count`.
const MAX_BODY_BYTES: usize = 1024 * 1024;
const MAX_HEADER_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 256;

/// Record ids for the liveness checks, distinct across the file's tests.
static NEXT_ID: AtomicU64 = AtomicU64::new(1_000);

fn options(protocol: HttpProtocol) -> ClientOptions {
    ClientOptions {
        timeout: BOUND,
        protocol,
        ..ClientOptions::default()
    }
}

/// `name`'s client (or an anonymous one) with the test's bound, over HTTP/1.1.
fn client(sandbox: &Sandbox, name: Option<&str>) -> ClientTls {
    sandbox.tls(name).with_options(options(HttpProtocol::Http1))
}

/// One request on a fresh connection, with `headers` as given.
async fn send(
    tls: &ClientTls,
    address: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<ClientResponse, ClientError> {
    let mut connection = Connection::connect(tls, address).await?;
    connection.request(method, path, headers, body.into()).await
}

/// As [`send`], for requests that must get an answer.
async fn answer(
    tls: &ClientTls,
    address: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> ClientResponse {
    send(tls, address, method.clone(), path, headers, body)
        .await
        .unwrap_or_else(|error| panic!("{method} {path}: no answer: {error}"))
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Checks CCF's error shape: `status`, JSON content type, and a body that is exactly
/// `{"error": {"code": code, "message": <non-empty>}}`. Returns the message.
fn assert_ccf_error(
    response: &ClientResponse,
    status: StatusCode,
    code: &str,
    what: &str,
) -> String {
    let body = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status, status, "{what}: {body}");
    let content_type = response
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    assert_eq!(content_type, Some("application/json"), "{what}: {body}");
    let value: Value = serde_json::from_slice(&response.body)
        .unwrap_or_else(|error| panic!("{what}: the body is not JSON ({error}): {body}"));
    let error = value
        .as_object()
        .filter(|object| object.len() == 1)
        .and_then(|object| object.get("error"))
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{what}: not CCF's error shape: {body}"));
    assert_eq!(error.len(), 2, "{what}: {body}");
    assert_eq!(
        error.get("code").and_then(Value::as_str),
        Some(code),
        "{what}: {body}"
    );
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no message: {body}"));
    assert!(!message.is_empty(), "{what}: empty message");
    message.to_owned()
}

/// user0 writes a fresh record and reads it back, each on a new connection, within the bound.
async fn serves_everyone(sandbox: &Sandbox, after: &str) {
    let user = client(sandbox, Some("user0"));
    let address = sandbox.address(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let msg = format!("still serving after {after}");
    let body = json!({ "id": id, "msg": msg }).to_string();
    let posted = send(
        &user,
        address,
        Method::POST,
        "/app/log/private",
        &[JSON],
        body,
    )
    .await
    .unwrap_or_else(|error| panic!("after {after}: POST failed: {error}"));
    assert_eq!(
        posted.status,
        StatusCode::OK,
        "after {after}: {:?}",
        posted.body
    );
    assert_eq!(posted.body.as_ref(), b"true", "after {after}");
    let path = format!("/app/log/private?id={id}");
    let got = send(&user, address, Method::GET, &path, &[], Bytes::new())
        .await
        .unwrap_or_else(|error| panic!("after {after}: GET failed: {error}"));
    assert_eq!(got.status, StatusCode::OK, "after {after}: {:?}", got.body);
    assert_eq!(got.json().unwrap()["msg"], msg.as_str(), "after {after}");
}

/// A TLS connection on which the test writes whatever bytes it likes.
async fn raw_tls(
    config: Arc<ClientConfig>,
    address: SocketAddr,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    TlsConnector::from(config)
        .connect(ServerName::from(address.ip()), tcp)
        .await
}

/// Writes `request` on a new TLS connection while reading until the node closes it (the node
/// may answer and close before it has read everything, as CCF does for an oversized body; what it
/// said still counts). Panics if that takes longer than the bound: a node that neither answers
/// nor closes is hanging.
async fn raw_exchange(config: Arc<ClientConfig>, address: SocketAddr, request: &[u8]) -> Vec<u8> {
    let request = request.to_vec();
    let shown = String::from_utf8_lossy(&request[..request.len().min(80)]).into_owned();
    let exchange = async move {
        let stream = raw_tls(config, address).await.expect("TLS connect");
        let (mut reader, mut writer) = tokio::io::split(stream);
        let writing = tokio::spawn(async move {
            let _ = writer.write_all(&request).await;
            let _ = writer.flush().await;
            // Dropping the write half would not close the connection; keep it until read.
            writer
        });
        let received = read_to_close(&mut reader).await;
        writing.abort();
        received
    };
    tokio::time::timeout(BOUND, exchange)
        .await
        .unwrap_or_else(|_| {
            panic!("the node neither answered nor closed within {BOUND:?}: {shown:?}")
        })
}

/// The first HTTP/1.1 response in `bytes`, if they start with a whole one.
fn parse_raw(bytes: &[u8]) -> Option<ClientResponse> {
    let head_end = bytes.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let code = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let status = StatusCode::from_bytes(code.as_bytes()).ok()?;
    let mut headers = http::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            http::HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            http::HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let body = &bytes[head_end + 4..];
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(body.len());
    Some(ClientResponse {
        status,
        headers,
        body: Bytes::copy_from_slice(body.get(..length)?),
    })
}

/// Everything the peer sends until it closes (cleanly or not).
async fn read_to_close(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(read) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// The status of a raw HTTP/1.1 response, if the bytes start with one.
fn raw_status(response: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(response.get(..12)?).ok()?;
    let code = text.strip_prefix("HTTP/1.1 ")?;
    code.parse().ok()
}

/// Malformed HTTP/1.1 gets 400 and the connection closes, or the connection just closes; never
/// a hang, never another status.
async fn malformed_http(sandbox: &Sandbox) {
    let config = client(sandbox, Some("user0")).rustls_config(HttpProtocol::Http1);
    let address = sandbox.address(0);

    // The harness itself: a well-formed raw request is answered.
    let good = raw_exchange(
        Arc::clone(&config),
        address,
        b"GET /node/commit HTTP/1.1\r\nhost: node\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        raw_status(&good),
        Some(200),
        "{}",
        String::from_utf8_lossy(&good)
    );

    let mut junk: Vec<u8> = (0..=255u8).cycle().take(2048).collect();
    junk.extend_from_slice(b"\r\n\r\n");
    let cases: [(&str, &[u8]); 8] = [
        ("a garbage request line", b"GARBAGE\r\n\r\n"),
        (
            "a request line with no version",
            b"GET /node/commit\r\nhost: node\r\n\r\n",
        ),
        ("binary junk", &junk),
        (
            "a header line without a colon",
            b"GET /node/commit HTTP/1.1\r\nhost: node\r\nno colon here\r\n\r\n",
        ),
        (
            "a space in a header name",
            b"GET /node/commit HTTP/1.1\r\nhost: node\r\nbad name: value\r\n\r\n",
        ),
        (
            "a content length that is not a number",
            b"POST /app/log/private HTTP/1.1\r\nhost: node\r\ncontent-length: lots\r\n\r\n{}",
        ),
        (
            "two different content lengths",
            b"POST /app/log/private HTTP/1.1\r\nhost: node\r\ncontent-length: 2\r\n\
              content-length: 3\r\n\r\n{}",
        ),
        (
            "a malformed chunked body",
            b"POST /app/log/private HTTP/1.1\r\nhost: node\r\ntransfer-encoding: chunked\r\n\
              \r\nzz\r\n{}\r\n0\r\n\r\n",
        ),
    ];
    for (what, request) in cases {
        let response = raw_exchange(Arc::clone(&config), address, request).await;
        let status = raw_status(&response);
        println!("{what}: {status:?} ({} bytes)", response.len());
        assert!(
            response.is_empty() || status == Some(400),
            "{what}: expected 400 or a closed connection, got {:?}",
            String::from_utf8_lossy(&response)
        );
    }
}

/// Bodies the logging app cannot read.
async fn bad_bodies(sandbox: &Sandbox) {
    let user = client(sandbox, Some("user0"));
    let address = sandbox.address(0);
    let post = |headers: &'static [(&'static str, &'static str)], body: String| {
        let user = user.clone();
        async move {
            answer(
                &user,
                address,
                Method::POST,
                "/app/log/private",
                headers,
                body,
            )
            .await
        }
    };

    // Like CCF's logging app (its JSON adapter ignores the content type), the body is read as
    // JSON whatever the request says it is.
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let text_plain = post(
        &[("content-type", "text/plain")],
        json!({ "id": id, "msg": "sent as text/plain" }).to_string(),
    )
    .await;
    assert_eq!(text_plain.status, StatusCode::OK, "{:?}", text_plain.body);
    let read = answer(
        &user,
        address,
        Method::GET,
        &format!("/app/log/private?id={id}"),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(read.json().unwrap()["msg"], "sent as text/plain");
    // And a body that is not JSON is refused whatever its content type.
    let form = post(
        &[("content-type", "application/x-www-form-urlencoded")],
        "id=1&msg=form".into(),
    )
    .await;
    assert_ccf_error(
        &form,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "a form body",
    );

    let invalid_json = [
        ("truncated JSON", r#"{"id": 1, "msg": "#.to_owned()),
        ("not JSON at all", "hello".to_owned()),
        (
            "JSON with a trailing comma",
            r#"{"id": 1, "msg": "x",}"#.to_owned(),
        ),
    ];
    for (what, body) in invalid_json {
        let response = post(&[JSON], body).await;
        assert_ccf_error(&response, StatusCode::BAD_REQUEST, "InvalidInput", what);
    }
    let raw_invalid_utf8 = answer(
        &user,
        address,
        Method::POST,
        "/app/log/private",
        &[JSON],
        Bytes::from_static(b"{\"id\":1,\"msg\":\"\xff\xfe\"}"),
    )
    .await;
    assert_ccf_error(
        &raw_invalid_utf8,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "raw bytes that are not UTF-8",
    );

    let wrong_shapes = [
        (
            "no msg",
            json!({ "id": 1 }),
            Some("Missing required field 'msg'"),
        ),
        (
            "no id",
            json!({ "msg": "x" }),
            Some("Missing required field 'id'"),
        ),
        (
            "an empty object",
            json!({}),
            Some("Missing required field 'id'"),
        ),
        ("an array", json!([1, "x"]), None),
        ("a string id", json!({ "id": "1", "msg": "x" }), None),
        ("a negative id", json!({ "id": -1, "msg": "x" }), None),
        ("a fractional id", json!({ "id": 1.5, "msg": "x" }), None),
        ("a numeric msg", json!({ "id": 1, "msg": 7 }), None),
        ("an empty msg", json!({ "id": 1, "msg": "" }), None),
    ];
    for (what, body, expected) in wrong_shapes {
        let response = post(&[JSON], body.to_string()).await;
        let message = assert_ccf_error(&response, StatusCode::BAD_REQUEST, "InvalidInput", what);
        if let Some(expected) = expected {
            assert!(message.contains(expected), "{what}: {message}");
        }
    }
}

/// Bodies past `max_body_size`; a body of exactly the limit is still read.
async fn oversized_bodies(sandbox: &Sandbox) {
    let user = client(sandbox, Some("user0"));
    let address = sandbox.address(0);

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut at_limit = json!({ "id": id, "msg": "padded to the limit" }).to_string();
    at_limit.push_str(&" ".repeat(MAX_BODY_BYTES - at_limit.len()));
    assert_eq!(at_limit.len(), MAX_BODY_BYTES);
    let accepted = answer(
        &user,
        address,
        Method::POST,
        "/app/log/private",
        &[JSON],
        at_limit,
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);

    let config = user.rustls_config(HttpProtocol::Http1);
    let post = |path: &str, length: usize| {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nhost: node\r\ncontent-type: application/json\r\n\
             content-length: {length}\r\n\r\n"
        )
        .into_bytes();
        request.resize(request.len() + length, b' ');
        request
    };
    let chunked = |chunks: usize| {
        let mut request = b"POST /app/log/private HTTP/1.1\r\nhost: node\r\n\
            content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
        for _ in 0..chunks {
            request.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
            request.extend_from_slice(&[b' '; 64 * 1024]);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        request
    };
    let cases = [
        ("1 MiB + 1", post("/app/log/private", MAX_BODY_BYTES + 1)),
        // Whatever the path: like CCF, the body is refused before routing.
        (
            "3 MiB to an unknown path",
            post("/app/no/such/path", 3 * MAX_BODY_BYTES),
        ),
        // A declared length past the limit is refused before any of the body arrives.
        (
            "a declared length of 100 GB",
            b"POST /app/log/private HTTP/1.1\r\nhost: node\r\ncontent-type: application/json\r\n\
              content-length: 99999999999\r\n\r\n"
                .to_vec(),
        ),
        // No declared length: a chunked body that grows past the limit.
        ("a chunked body of 1 MiB + 64 KiB", chunked(17)),
    ];
    for (what, request) in cases {
        let received = raw_exchange(Arc::clone(&config), address, &request).await;
        let response = parse_raw(&received).unwrap_or_else(|| {
            panic!(
                "{what}: not an HTTP response: {:?}",
                String::from_utf8_lossy(&received[..received.len().min(400)])
            )
        });
        assert_ccf_error(
            &response,
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestBodyTooLarge",
            what,
        );
    }
}

/// Request heads past `max_header_size` or `max_headers_count` get 431.
async fn oversized_heads(sandbox: &Sandbox) {
    let user = client(sandbox, Some("user0"));
    let address = sandbox.address(0);

    let big = "a".repeat(MAX_HEADER_BYTES + 1);
    let response = answer(
        &user,
        address,
        Method::GET,
        "/app/log/private?id=1",
        &[("x-big", big.as_str())],
        Bytes::new(),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "one header of 16 KiB + 1"
    );

    let names: Vec<String> = (0..=MAX_HEADERS).map(|i| format!("x-header-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "v")).collect();
    let response = answer(
        &user,
        address,
        Method::GET,
        "/app/log/private?id=1",
        &many,
        Bytes::new(),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{} headers",
        many.len() + 1
    );

    // The URL is not a header: a 16 KiB one is served (the record does not exist, so 404 from
    // the app). hyper refuses heads past four times the header limit, which no client here can
    // send as a URL (the `http` crate stops at 64 KiB).
    let long_path = format!("/app/log/private?id=1&pad={}", "p".repeat(MAX_HEADER_BYTES));
    let response = send(&user, address, Method::GET, &long_path, &[], Bytes::new())
        .await
        .expect("a 16 KiB URL is answered");
    assert!(
        matches!(response.status.as_u16(), 200 | 404),
        "a 16 KiB URL: {}",
        response.status
    );
}

/// Unknown paths and methods.
async fn routing(sandbox: &Sandbox) {
    let user = client(sandbox, Some("user0"));
    let anonymous = client(sandbox, None);
    let address = sandbox.address(0);

    for (tls, path) in [
        (&user, "/app/no/such/path"),
        (&anonymous, "/app/no/such/path"),
        (&user, "/app/log/privat"),
        (&user, "/nowhere"),
    ] {
        let response = answer(tls, address, Method::GET, path, &[], Bytes::new()).await;
        let message = assert_ccf_error(&response, StatusCode::NOT_FOUND, "ResourceNotFound", path);
        assert!(
            message.contains(path.split('?').next().unwrap()),
            "{message}"
        );
    }

    for method in [Method::PUT, Method::PATCH] {
        let response = answer(
            &user,
            address,
            method.clone(),
            "/app/log/private",
            &[JSON],
            "{}",
        )
        .await;
        assert_ccf_error(
            &response,
            StatusCode::METHOD_NOT_ALLOWED,
            "UnsupportedHttpVerb",
            &format!("{method} /app/log/private"),
        );
        let allow = response
            .headers
            .get(ALLOW)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{method}: no Allow header"));
        let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
        allowed.sort_unstable();
        assert_eq!(
            allowed,
            ["DELETE", "GET", "POST"],
            "{method}: Allow: {allow}"
        );
    }
    let response = answer(&user, address, Method::POST, "/app/commit", &[JSON], "{}").await;
    assert_ccf_error(
        &response,
        StatusCode::METHOD_NOT_ALLOWED,
        "UnsupportedHttpVerb",
        "POST /app/commit",
    );
    assert_eq!(
        response.headers.get(ALLOW).and_then(|v| v.to_str().ok()),
        Some("GET")
    );
}

/// A self-signed certificate nobody registered.
fn stranger(sandbox: &Sandbox) -> ClientTls {
    let key = KeyPair::generate().unwrap();
    let now = quorate_node::service::unix_now_s();
    let validity = Validity {
        not_before_unix_s: now - 3600,
        not_after_unix_s: now + 86_400,
    };
    let certificate = create_self_signed_certificate(&key, "stranger", &[], &validity, 1).unwrap();
    ClientTls::new(&sandbox.service_cert(), Some((&certificate, &key)))
        .unwrap()
        .with_options(options(HttpProtocol::Http1))
}

/// Always presents one certificate chain, well-formed or not.
#[derive(Debug)]
struct PresentChain(Arc<CertifiedKey>);

impl rustls::client::ResolvesClientCert for PresentChain {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A client configuration that presents `certificate` (any bytes) with a fresh key, and no
/// session resumption (a resumed session would not send it).
fn presenting(sandbox: &Sandbox, certificate: Vec<u8>) -> Arc<ClientConfig> {
    let mut config = (*sandbox.tls(None).rustls_config(HttpProtocol::Http1)).clone();
    let key = KeyPair::generate().unwrap();
    let key = PrivateKeyDer::from_pem_slice(key.to_pem().as_bytes()).unwrap();
    let signer = quorate_node::frontend::crypto_provider()
        .key_provider
        .load_private_key(key)
        .unwrap();
    let chain = vec![CertificateDer::from(certificate)];
    config.client_auth_cert_resolver =
        Arc::new(PresentChain(Arc::new(CertifiedKey::new(chain, signer))));
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// User endpoints refuse callers who are not users, and a certificate that is not one is
/// refused in the handshake.
async fn authentication(sandbox: &Sandbox) {
    let address = sandbox.address(0);
    let callers = [
        (
            "no certificate",
            client(sandbox, None),
            "No caller user certificate",
        ),
        (
            "an unregistered certificate",
            stranger(sandbox),
            "Could not find matching user certificate",
        ),
        (
            "member0",
            client(sandbox, Some("member0")),
            "Could not find matching user certificate",
        ),
    ];
    for (who, tls, reason) in &callers {
        for (method, path, body) in [
            (Method::GET, "/app/log/private?id=1", String::new()),
            (
                Method::POST,
                "/app/log/private",
                json!({ "id": 1, "msg": "intruder" }).to_string(),
            ),
            (Method::DELETE, "/app/log/public?id=1", String::new()),
            (
                Method::GET,
                "/app/log/private/historical?id=1",
                String::new(),
            ),
        ] {
            let what = format!("{who}: {method} {path}");
            let response = answer(tls, address, method, path, &[JSON], body).await;
            let message = assert_ccf_error(
                &response,
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationInfo",
                &what,
            );
            assert!(message.contains(reason), "{what}: {message}");
        }
    }
    // Nothing the intruders posted was stored.
    let user = client(sandbox, Some("user0"));
    let read = answer(
        &user,
        address,
        Method::GET,
        "/app/log/private?id=1",
        &[],
        Bytes::new(),
    )
    .await;
    assert_ne!(
        read.json()
            .ok()
            .and_then(|body| body["msg"].as_str().map(str::to_owned)),
        Some("intruder".to_owned())
    );

    // Bytes that are not a certificate: the handshake fails, or (TLS 1.3, where the client
    // finishes first) the first request does. No HTTP answer in any case.
    for garbage in [
        b"not a certificate".to_vec(),
        vec![0x30, 0x82, 0x01, 0x00, 0x00],
        Vec::new(),
    ] {
        let attempt = async {
            let mut stream = raw_tls(presenting(sandbox, garbage.clone()), address).await?;
            let request = b"GET /app/log/private?id=1 HTTP/1.1\r\nhost: node\r\n\
                            connection: close\r\n\r\n";
            stream.write_all(request).await?;
            stream.flush().await?;
            Ok::<_, std::io::Error>(read_to_close(&mut stream).await)
        };
        match tokio::time::timeout(BOUND, attempt).await {
            Err(_) => panic!("a garbage certificate {garbage:?}: the node hung"),
            Ok(Err(refused)) => println!("a garbage certificate {garbage:?}: {refused}"),
            Ok(Ok(response)) => {
                assert!(
                    response.is_empty(),
                    "a garbage certificate {garbage:?} was answered: {}",
                    String::from_utf8_lossy(&response)
                );
                println!("a garbage certificate {garbage:?}: connected, then closed unanswered");
            }
        }
    }
}

/// Slow clients holding connections open do not slow anyone else down: 50 TLS connections
/// trickle a request head a byte every 500 ms, and 20 TCP connections never start TLS, while
/// user0's requests are answered as usual.
async fn slowloris(sandbox: &Sandbox) {
    const SLOW_CLIENTS: usize = 50;
    const SILENT_CLIENTS: usize = 20;
    const NORMAL_REQUESTS: usize = 20;
    let address = sandbox.address(0);
    let config = client(sandbox, None).rustls_config(HttpProtocol::Http1);
    let connecting: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| tokio::spawn(raw_tls(Arc::clone(&config), address)))
        .collect();
    let mut silent = Vec::new();
    for _ in 0..SILENT_CLIENTS {
        silent.push(TcpStream::connect(address).await.unwrap());
    }
    let cut_off = Arc::new(AtomicU64::new(0));
    let mut slow = tokio::task::JoinSet::new();
    for handshake in connecting {
        let mut stream = tokio::time::timeout(BOUND, handshake)
            .await
            .expect("a slow client's handshake hung")
            .unwrap()
            .expect("a slow client connects");
        let cut_off = Arc::clone(&cut_off);
        slow.spawn(async move {
            let head = b"GET /app/log/private?id=1 HTTP/1.1\r\nhost: node\r\nx-slow: ";
            for byte in head.iter().chain(std::iter::repeat(&b'z')) {
                if stream.write_all(&[*byte]).await.is_err() || stream.flush().await.is_err() {
                    cut_off.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
    // Let them get going: a few bytes each.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let user = client(sandbox, Some("user0"));
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut connection = Connection::connect(&user, address).await.unwrap();
    for i in 0..NORMAL_REQUESTS {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let sent = Instant::now();
        let response = if i % 2 == 0 {
            // A fresh connection each time, so accepting is not starved either.
            answer(
                &user,
                address,
                Method::POST,
                "/app/log/private",
                &[JSON],
                json!({ "id": id, "msg": "during slowloris" }).to_string(),
            )
            .await
        } else {
            connection.get("/app/commit").await.unwrap()
        };
        slowest = slowest.max(sent.elapsed());
        assert_eq!(
            response.status,
            StatusCode::OK,
            "request {i}: {:?}",
            response.body
        );
    }
    let elapsed = started.elapsed();
    println!("slowloris: {NORMAL_REQUESTS} requests in {elapsed:?}, the slowest {slowest:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "{NORMAL_REQUESTS} requests took {elapsed:?} next to {SLOW_CLIENTS} slow clients"
    );
    // The slow clients really were holding their connections all along.
    assert_eq!(
        cut_off.load(Ordering::Relaxed),
        0,
        "slow clients were cut off early"
    );
    slow.shutdown().await;
    drop(silent);
}

/// Query parameters and headers that do not parse, and transactions that do not exist.
async fn bad_parameters(sandbox: &Sandbox) {
    let user = client(sandbox, Some("user0"));
    let anonymous = client(sandbox, None);
    let address = sandbox.address(0);
    let get = |tls: &ClientTls, path: &str, headers: &[(&str, &str)]| {
        let tls = tls.clone();
        let path = path.to_owned();
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        async move {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            answer(&tls, address, Method::GET, &path, &headers, Bytes::new()).await
        }
    };

    for (path, expected) in [
        (
            "/app/log/private?id=abc",
            Some("Unable to parse value 'abc' in parameter 'id'"),
        ),
        ("/app/log/private?id=-1", None),
        ("/app/log/private?id=1.5", None),
        ("/app/log/private?id=99999999999999999999999", None),
        ("/app/log/private?id=", None),
        ("/app/log/private", Some("Missing query parameter 'id'")),
        ("/app/log/public?id=abc", None),
    ] {
        let response = get(&user, path, &[]).await;
        let message = assert_ccf_error(
            &response,
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            path,
        );
        if let Some(expected) = expected {
            assert!(message.contains(expected), "{path}: {message}");
        }
    }

    // A write to learn the current view and the last seqno.
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let posted = answer(
        &user,
        address,
        Method::POST,
        "/app/log/private",
        &[JSON],
        json!({ "id": id, "msg": "for the historical query" }).to_string(),
    )
    .await;
    let (view, seqno) = posted.transaction_id().expect("a transaction id");
    let future = format!("{view}.{}", seqno + 1_000_000);

    for path in [
        "/app/tx?transaction_id=garbage",
        "/app/tx?transaction_id=1",
        "/app/tx?transaction_id=1.",
        "/app/tx?transaction_id=.1",
        "/app/tx?transaction_id=1.2.3",
        "/app/tx?transaction_id=a.b",
        "/app/tx?transaction_id=",
        "/app/tx",
        "/app/receipt?transaction_id=garbage",
        "/app/receipt",
        "/node/tx?transaction_id=garbage",
    ] {
        let response = get(&anonymous, path, &[]).await;
        assert_ccf_error(
            &response,
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            path,
        );
    }

    // A transaction id that parses but is not there yet.
    let status = get(&anonymous, &format!("/app/tx?transaction_id={future}"), &[]).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json().unwrap()["status"], "Unknown");
    let path = format!("/app/receipt?transaction_id={future}");
    let receipt = get(&anonymous, &path, &[]).await;
    assert_ccf_error(
        &receipt,
        StatusCode::NOT_FOUND,
        "TransactionPendingOrUnknown",
        &path,
    );

    // Historical reads take the transaction from a header.
    let historical = format!("/app/log/private/historical?id={id}");
    let missing = get(&user, &historical, &[]).await;
    let message = assert_ccf_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "InvalidHeaderValue",
        "no header",
    );
    assert!(
        message.contains(TRANSACTION_ID_HEADER.as_str()),
        "{message}"
    );
    for garbage in ["garbage", "1", "1.x", "-1.2", ""] {
        let response = get(
            &user,
            &historical,
            &[(TRANSACTION_ID_HEADER.as_str(), garbage)],
        )
        .await;
        assert_ccf_error(
            &response,
            StatusCode::BAD_REQUEST,
            "InvalidHeaderValue",
            &format!("header {garbage:?}"),
        );
    }
    let response = get(
        &user,
        &historical,
        &[(TRANSACTION_ID_HEADER.as_str(), future.as_str())],
    )
    .await;
    assert_ccf_error(
        &response,
        StatusCode::NOT_FOUND,
        "TransactionPendingOrUnknown",
        "a future txid",
    );

    // The same header naming the write, once committed, reads it back (the header is honoured).
    let txid = format!("{view}.{seqno}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = get(
            &user,
            &historical,
            &[(TRANSACTION_ID_HEADER.as_str(), txid.as_str())],
        )
        .await;
        if response.status == StatusCode::OK {
            assert_eq!(response.json().unwrap()["msg"], "for the historical query");
            break;
        }
        assert_ccf_error(
            &response,
            StatusCode::NOT_FOUND,
            "TransactionPendingOrUnknown",
            "pending",
        );
        assert!(Instant::now() < deadline, "{txid} did not commit");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A valid transaction with a bad id parameter is still the parameter's 400.
    let path = "/app/log/private/historical?id=abc";
    let response = get(
        &user,
        path,
        &[(TRANSACTION_ID_HEADER.as_str(), txid.as_str())],
    )
    .await;
    assert_ccf_error(
        &response,
        StatusCode::BAD_REQUEST,
        "InvalidQueryParameterValue",
        path,
    );
}

/// The same answers over HTTP/2.
async fn http2(sandbox: &Sandbox) {
    let address = sandbox.address(0);
    let user = sandbox
        .tls(Some("user0"))
        .with_options(options(HttpProtocol::Http2));
    let mut connection = Connection::connect(&user, address).await.unwrap();
    assert_eq!(connection.protocol(), HttpProtocol::Http2);

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let posted = connection
        .post_json("/app/log/private", &json!({ "id": id, "msg": "over h2" }))
        .await
        .unwrap();
    assert_eq!(posted.status, StatusCode::OK, "{:?}", posted.body);
    let got = connection
        .get(&format!("/app/log/private?id={id}"))
        .await
        .unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json().unwrap()["msg"], "over h2");

    let json = [(CONTENT_TYPE.as_str(), "application/json")];
    let invalid = connection
        .request(
            Method::POST,
            "/app/log/private",
            &json,
            Bytes::from_static(b"{\"id\":"),
        )
        .await
        .unwrap();
    assert_ccf_error(
        &invalid,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "h2 invalid JSON",
    );
    let missing = connection
        .request(
            Method::POST,
            "/app/log/private",
            &json,
            Bytes::from_static(b"{\"id\":1}"),
        )
        .await
        .unwrap();
    assert_ccf_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "InvalidInput",
        "h2 missing msg",
    );
    let unknown = connection.get("/app/no/such/path").await.unwrap();
    assert_ccf_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "h2 unknown path",
    );
    let verb = connection
        .request(
            Method::PUT,
            "/app/log/private",
            &json,
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();
    assert_ccf_error(
        &verb,
        StatusCode::METHOD_NOT_ALLOWED,
        "UnsupportedHttpVerb",
        "h2 PUT",
    );
    assert!(verb.headers.contains_key(ALLOW));
    let query = connection.get("/app/log/private?id=abc").await.unwrap();
    assert_ccf_error(
        &query,
        StatusCode::BAD_REQUEST,
        "InvalidQueryParameterValue",
        "h2 id=abc",
    );
    let too_large = connection
        .request(
            Method::POST,
            "/app/log/private",
            &json,
            Bytes::from(vec![b' '; MAX_BODY_BYTES + 1]),
        )
        .await
        .unwrap();
    assert_ccf_error(
        &too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestBodyTooLarge",
        "h2 1 MiB + 1",
    );

    // The connection survives its bad requests.
    let again = connection
        .get(&format!("/app/log/private?id={id}"))
        .await
        .unwrap();
    assert_eq!(again.status, StatusCode::OK);

    // Oversized header lists: h2 answers 431, or the client refuses to send them (the node
    // advertised its limit in SETTINGS_MAX_HEADER_LIST_SIZE). Either way, no hang.
    let big = "a".repeat(MAX_HEADER_BYTES + 1);
    match tokio::time::timeout(
        BOUND,
        connection.request(
            Method::GET,
            "/app/commit",
            &[("x-big", big.as_str())],
            Bytes::new(),
        ),
    )
    .await
    {
        Err(_) => panic!("h2 oversized header: hang"),
        Ok(Ok(response)) => {
            println!(
                "h2 oversized header: {} {:?}",
                response.status, response.body
            );
            assert_eq!(response.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        }
        Ok(Err(refused)) => println!("h2 oversized header: not sent: {refused}"),
    }

    let anonymous = sandbox.tls(None).with_options(options(HttpProtocol::Http2));
    let mut connection = Connection::connect(&anonymous, address).await.unwrap();
    let unauthorised = connection.get("/app/log/private?id=1").await.unwrap();
    assert_ccf_error(
        &unauthorised,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationInfo",
        "h2 without a certificate",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_ccf_errors_and_the_node_keeps_serving() {
    let started = Instant::now();
    let sandbox = Sandbox::start(1, STARTUP);
    println!("sandbox open after {:?}", started.elapsed());
    serves_everyone(&sandbox, "startup").await;

    let mut step = Instant::now();
    let mut done = |group: &str| {
        println!("{group}: {:?}", step.elapsed());
        step = Instant::now();
    };
    malformed_http(&sandbox).await;
    serves_everyone(&sandbox, "malformed HTTP").await;
    done("malformed HTTP");
    bad_bodies(&sandbox).await;
    serves_everyone(&sandbox, "bad bodies").await;
    done("bad bodies");
    oversized_bodies(&sandbox).await;
    serves_everyone(&sandbox, "oversized bodies").await;
    done("oversized bodies");
    oversized_heads(&sandbox).await;
    serves_everyone(&sandbox, "oversized heads").await;
    done("oversized heads");
    routing(&sandbox).await;
    serves_everyone(&sandbox, "unknown paths and methods").await;
    done("routing");
    authentication(&sandbox).await;
    serves_everyone(&sandbox, "callers who are not users").await;
    done("authentication");
    slowloris(&sandbox).await;
    serves_everyone(&sandbox, "slow clients").await;
    done("slowloris");
    bad_parameters(&sandbox).await;
    serves_everyone(&sandbox, "bad parameters").await;
    done("bad parameters");
    http2(&sandbox).await;
    serves_everyone(&sandbox, "HTTP/2").await;
    done("HTTP/2");
    // Nothing above made the node panic (and carry on in a half-dead task).
    for name in ["out", "err"] {
        let log = std::fs::read_to_string(sandbox.node_dir(0).join(name)).unwrap_or_default();
        assert!(!log.contains("panicked"), "the node's {name} log: {log}");
    }
    println!("total {:?}", started.elapsed());
}

/// CCF answers a request head past its limits with its error body,
/// `{"error": {"code": "RequestHeaderTooLarge", ...}}` (`http_session.h` catches
/// `RequestHeaderTooLarge` and sends `http::error(...)`), over HTTP/1.1 and HTTP/2; so does
/// the node, up to hyper's and h2's backstop of four times the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_ccf_error_bodies() {
    let sandbox = Sandbox::start(1, STARTUP);
    let address = sandbox.address(0);
    let user = client(&sandbox, Some("user0"));
    let big = "a".repeat(MAX_HEADER_BYTES + 1);
    let names: Vec<String> = (0..=MAX_HEADERS).map(|i| format!("x-header-{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "v")).collect();
    let one_big = [("x-big", big.as_str())];
    for (what, headers) in [
        ("one header of 16 KiB + 1", &one_big[..]),
        ("257 headers", &many[..]),
    ] {
        let response = answer(
            &user,
            address,
            Method::GET,
            "/app/log/private?id=1",
            headers,
            Bytes::new(),
        )
        .await;
        assert_ccf_error(
            &response,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "RequestHeaderTooLarge",
            what,
        );
    }
    let h2 = sandbox
        .tls(Some("user0"))
        .with_options(options(HttpProtocol::Http2));
    let mut connection = Connection::connect(&h2, address).await.unwrap();
    if let Ok(response) = connection
        .request(Method::GET, "/app/commit", &one_big, Bytes::new())
        .await
    {
        assert_ccf_error(
            &response,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "RequestHeaderTooLarge",
            "h2: one header of 16 KiB + 1",
        );
    }
    serves_everyone(&sandbox, "oversized heads").await;
}

/// CCF reads transaction ids with `std::from_chars` (`ccf::TxID::from_str`): digits only, so
/// `+2.+3` is not a transaction id (Rust's `u64::from_str` would take the `+`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_ids_are_digits_only() {
    let sandbox = Sandbox::start(1, STARTUP);
    let address = sandbox.address(0);
    let anonymous = client(&sandbox, None);
    for path in [
        "/app/tx?transaction_id=%2B2.%2B3",
        "/app/tx?transaction_id=2.%2B3",
        "/app/receipt?transaction_id=%2B2.3",
    ] {
        let response = answer(&anonymous, address, Method::GET, path, &[], Bytes::new()).await;
        assert_ccf_error(
            &response,
            StatusCode::BAD_REQUEST,
            "InvalidQueryParameterValue",
            path,
        );
    }
    let user = client(&sandbox, Some("user0"));
    let response = answer(
        &user,
        address,
        Method::GET,
        "/app/log/private/historical?id=1",
        &[(TRANSACTION_ID_HEADER.as_str(), "+2.+3")],
        Bytes::new(),
    )
    .await;
    assert_ccf_error(
        &response,
        StatusCode::BAD_REQUEST,
        "InvalidHeaderValue",
        "header +2.+3",
    );
    serves_everyone(&sandbox, "signed transaction ids").await;
}
