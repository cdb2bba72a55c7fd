//! The HTTPS client against the real frontend over TLS on loopback: client certificates,
//! keep-alive, server authentication by the service certificate (and not by name), failures
//! that must be fast or bounded, and the response readers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_endorsed_certificate,
    create_self_signed_certificate, create_service_certificate,
};
use quorate_node::client::{
    ClientError, ClientOptions, ClientResponse, ClientTls, Connection, HttpProtocol, request_once,
};
use quorate_node::frontend::{
    Caller, Endpoint, EndpointRegistry, EndpointRequest, EndpointResponse, FrontendOptions,
    FrontendServer, Router, TransactionId, crypto_provider, server_tls_config,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{CertificateError, ServerConfig};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Every test finishes well within this, or fails.
const TEST_BOUND: Duration = Duration::from_secs(15);
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
const PROTOCOLS: [HttpProtocol; 2] = [HttpProtocol::Http1, HttpProtocol::Http2];

async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BOUND, test)
        .await
        .expect("test exceeded its time bound")
}

fn now_s() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since_epoch.as_secs()).unwrap()
}

fn validity() -> Validity {
    Validity {
        not_before_unix_s: now_s() - 3600,
        not_after_unix_s: now_s() + 86_400,
    }
}

/// A service identity and the node certificate it endorses.
struct Service {
    cert: Certificate,
    node_key: KeyPair,
    node_cert: Certificate,
}

fn service_with_node(
    service_cn: &str,
    sans: &[SubjectAltName],
    node_validity: &Validity,
) -> Service {
    let key = KeyPair::generate().unwrap();
    let cert = create_service_certificate(&key, service_cn, &validity(), 1).unwrap();
    let node_key = KeyPair::generate().unwrap();
    let node_cert = create_endorsed_certificate(
        &node_key.public_key(),
        "CCF Node",
        sans,
        node_validity,
        2,
        &key,
        &cert,
    )
    .unwrap();
    Service {
        cert,
        node_key,
        node_cert,
    }
}

fn new_service() -> Service {
    service_with_node("CCF Service", &[SubjectAltName::Ip(LOOPBACK)], &validity())
}

fn user_identity() -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = create_self_signed_certificate(&key, "user0", &[], &validity(), 3).unwrap();
    (cert, key)
}

fn anonymous(service: &Service, options: ClientOptions) -> ClientTls {
    ClientTls::new(&service.cert, None)
        .unwrap()
        .with_options(options)
}

fn protocol(protocol: HttpProtocol) -> ClientOptions {
    ClientOptions {
        protocol,
        ..ClientOptions::default()
    }
}

/// Answers with what the frontend told the handler.
async fn describe(request: EndpointRequest) -> EndpointResponse {
    let caller = match request.caller.as_ref() {
        Caller::Anonymous => json!("anonymous"),
        Caller::Certificate {
            fingerprint_sha256_hex,
            ..
        } => json!(fingerprint_sha256_hex),
    };
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok());
    EndpointResponse::json(
        StatusCode::OK,
        &json!({
            "method": request.method.as_str(),
            "version": format!("{:?}", request.version),
            "caller": caller,
            "uri": request.uri.to_string(),
            "content_type": content_type,
            "custom": request.headers.get("x-custom").and_then(|v| v.to_str().ok()),
            "body": String::from_utf8_lossy(&request.body),
        }),
    )
    .with_transaction_id(TransactionId { view: 2, seqno: 42 })
}

async fn never_answers(_: EndpointRequest) -> EndpointResponse {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    EndpointResponse::new(StatusCode::OK)
}

async fn big(_: EndpointRequest) -> EndpointResponse {
    EndpointResponse::new(StatusCode::OK).with_body(vec![b'x'; 4096])
}

async fn not_primary(_: EndpointRequest) -> EndpointResponse {
    EndpointResponse::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "PrimaryNotFound",
        "no primary is known",
    )
}

fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/describe", vec![], describe),
        Endpoint::new(Method::POST, "/describe", vec![], describe),
        Endpoint::new(Method::DELETE, "/describe", vec![], describe),
        Endpoint::new(Method::GET, "/never", vec![], never_answers),
        Endpoint::new(Method::GET, "/big", vec![], big),
        Endpoint::new(Method::GET, "/error", vec![], not_primary),
    ]
}

async fn start_with_config(tls: Arc<ServerConfig>) -> FrontendServer {
    let registry = Arc::new(EndpointRegistry::new(Router::new(endpoints()).unwrap()));
    FrontendServer::bind(
        SocketAddr::new(LOOPBACK, 0),
        tls,
        registry,
        FrontendOptions::default(),
    )
    .await
    .unwrap()
}

async fn start(service: &Service) -> FrontendServer {
    let chain = [service.node_cert.clone(), service.cert.clone()];
    start_with_config(server_tls_config(&chain, &service.node_key).unwrap()).await
}

#[tokio::test]
async fn requests_reach_the_handler_with_and_without_a_client_certificate() {
    bounded(async {
        let service = new_service();
        let server = start(&service).await;
        let (user_cert, user_key) = user_identity();
        for protocol in PROTOCOLS {
            let with_cert = ClientTls::new(&service.cert, Some((&user_cert, &user_key)))
                .unwrap()
                .with_options(self::protocol(protocol));
            assert_eq!(
                with_cert.identity_fingerprint(),
                Some(user_cert.fingerprint_sha256_hex().as_str())
            );
            let mut connection = Connection::connect(&with_cert, server.local_addr())
                .await
                .unwrap();
            assert_eq!(connection.protocol(), protocol);
            assert_eq!(connection.peer_addr(), server.local_addr());
            let response = connection.get("/describe").await.unwrap();
            assert_eq!(response.status, StatusCode::OK);
            let body = response.json().unwrap();
            assert_eq!(body["caller"], user_cert.fingerprint_sha256_hex());
            let expected_version = match protocol {
                HttpProtocol::Http1 => "HTTP/1.1",
                HttpProtocol::Http2 => "HTTP/2.0",
            };
            assert_eq!(body["version"], expected_version);

            let without = anonymous(&service, self::protocol(protocol));
            assert_eq!(without.identity_fingerprint(), None);
            let response = request_once(
                &without,
                server.local_addr(),
                Method::GET,
                "/describe?x=1",
                Bytes::new(),
            )
            .await
            .unwrap();
            let body = response.json().unwrap();
            assert_eq!(body["caller"], "anonymous");
            assert!(body["uri"].as_str().unwrap().ends_with("/describe?x=1"));
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    bounded(async {
        let service = new_service();
        let server = start(&service).await;
        for protocol in PROTOCOLS {
            let tls = anonymous(&service, self::protocol(protocol));
            let mut connection = Connection::connect(&tls, server.local_addr())
                .await
                .unwrap();
            for round in 0..3 {
                let response = connection.get("/describe").await.unwrap();
                assert_eq!(response.json().unwrap()["method"], "GET");

                let sent = json!({ "round": round });
                let response = connection.post_json("/describe", &sent).await.unwrap();
                let body = response.json().unwrap();
                assert_eq!(body["method"], "POST");
                assert_eq!(body["content_type"], "application/json");
                let echoed: Value = serde_json::from_str(body["body"].as_str().unwrap()).unwrap();
                assert_eq!(echoed, sent);

                let response = connection.delete("/describe").await.unwrap();
                assert_eq!(response.json().unwrap()["method"], "DELETE");

                let response = connection
                    .request(
                        Method::POST,
                        "/describe",
                        &[("x-custom", "yes"), ("content-type", "text/plain")],
                        Bytes::from_static(b"plain"),
                    )
                    .await
                    .unwrap();
                let body = response.json().unwrap();
                assert_eq!(body["custom"], "yes");
                assert_eq!(body["body"], "plain");
                assert_eq!(server.open_sessions(), 1, "one session serves them all");
            }
            assert!(!connection.is_closed());
            drop(connection);
            while server.open_sessions() != 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn request_once_sends_a_body_as_json() {
    bounded(async {
        let service = new_service();
        let server = start(&service).await;
        let tls = anonymous(&service, ClientOptions::default());
        let address = server.local_addr();
        // Spawned, as pollers and load generators run it: the future must be `Send`.
        let response = tokio::spawn(async move {
            let body = Bytes::from_static(br#"{"a":1}"#);
            request_once(&tls, address, Method::POST, "/describe", body).await
        })
        .await
        .unwrap()
        .unwrap();
        let body = response.json().unwrap();
        assert_eq!(body["content_type"], "application/json");
        assert_eq!(body["body"], r#"{"a":1}"#);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

fn assert_refused_certificate(result: Result<Connection, ClientError>) -> CertificateError {
    match result {
        Err(ClientError::Tls(rustls::Error::InvalidCertificate(reason))) => reason,
        other => panic!("expected a refused server certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_whose_certificate_the_service_did_not_issue_is_refused() {
    bounded(async {
        let service = new_service();
        let other_service = service_with_node(
            "Other Service",
            &[SubjectAltName::Ip(LOOPBACK)],
            &validity(),
        );
        let server = start(&other_service).await;
        let tls = anonymous(&service, ClientOptions::default());
        let reason =
            assert_refused_certificate(Connection::connect(&tls, server.local_addr()).await);
        assert_eq!(reason, CertificateError::UnknownIssuer);
        server.shutdown(SHUTDOWN_GRACE).await;

        // Same issuer name, another key: the signature gives it away.
        let impostor = new_service();
        let pretender_key = KeyPair::generate().unwrap();
        let pretender_cert =
            create_service_certificate(&pretender_key, "CCF Service", &validity(), 1).unwrap();
        let forged = create_endorsed_certificate(
            &impostor.node_key.public_key(),
            "CCF Node",
            &[SubjectAltName::Ip(LOOPBACK)],
            &validity(),
            2,
            &pretender_key,
            &pretender_cert,
        )
        .unwrap();
        let chain = [forged, impostor.cert.clone()];
        let server =
            start_with_config(server_tls_config(&chain, &impostor.node_key).unwrap()).await;
        let tls = anonymous(&impostor, ClientOptions::default());
        let reason =
            assert_refused_certificate(Connection::connect(&tls, server.local_addr()).await);
        assert_eq!(reason, CertificateError::BadSignature);
        server.shutdown(SHUTDOWN_GRACE).await;

        // A node's own self-signed certificate, as before it joined.
        let node_key = KeyPair::generate().unwrap();
        let self_signed = create_self_signed_certificate(
            &node_key,
            "CCF Node",
            &[SubjectAltName::Ip(LOOPBACK)],
            &validity(),
            5,
        )
        .unwrap();
        let server = start_with_config(server_tls_config(&[self_signed], &node_key).unwrap()).await;
        assert_refused_certificate(Connection::connect(&tls, server.local_addr()).await);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn an_expired_node_certificate_is_refused() {
    bounded(async {
        let expired = Validity {
            not_before_unix_s: now_s() - 7200,
            not_after_unix_s: now_s() - 3600,
        };
        let service = service_with_node("CCF Service", &[SubjectAltName::Ip(LOOPBACK)], &expired);
        let server = start(&service).await;
        let tls = anonymous(&service, ClientOptions::default());
        let reason =
            assert_refused_certificate(Connection::connect(&tls, server.local_addr()).await);
        assert!(matches!(reason, CertificateError::Other(_)), "{reason:?}");
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn the_host_name_is_not_checked() {
    bounded(async {
        let sans = [SubjectAltName::Dns("node.elsewhere.example".into())];
        let service = service_with_node("CCF Service", &sans, &validity());
        let server = start(&service).await;
        let tls = anonymous(&service, ClientOptions::default());
        let mut connection = Connection::connect(&tls, server.local_addr())
            .await
            .unwrap();
        assert_eq!(
            connection.get("/describe").await.unwrap().status,
            StatusCode::OK
        );
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn tls12_servers_are_supported() {
    bounded(async {
        let service = new_service();
        let chain = [&service.node_cert, &service.cert]
            .map(|certificate| CertificateDer::from(certificate.der().to_vec()))
            .to_vec();
        let key = PrivateKeyDer::from_pem_slice(service.node_key.to_pem().as_bytes()).unwrap();
        let mut config = ServerConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let server = start_with_config(Arc::new(config)).await;
        for protocol in PROTOCOLS {
            let tls = anonymous(&service, self::protocol(protocol));
            let mut connection = Connection::connect(&tls, server.local_addr())
                .await
                .unwrap();
            let response = connection.get("/describe").await.unwrap();
            assert_eq!(response.status, StatusCode::OK);
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn a_connect_to_a_closed_port_fails_fast() {
    bounded(async {
        let service = new_service();
        let listener = TcpListener::bind(SocketAddr::new(LOOPBACK, 0))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let tls = anonymous(&service, ClientOptions::default());
        let started = tokio::time::Instant::now();
        let result = Connection::connect(&tls, address).await;
        assert!(matches!(result, Err(ClientError::Connect(_))), "{result:?}");
        let result = request_once(&tls, address, Method::GET, "/", Bytes::new()).await;
        assert!(matches!(result, Err(ClientError::Connect(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout() {
    bounded(async {
        let service = new_service();
        let timeout = Duration::from_millis(300);
        let options = ClientOptions {
            timeout,
            ..ClientOptions::default()
        };
        let tls = anonymous(&service, options);

        // Accepts TCP but never speaks TLS.
        let silent = TcpListener::bind(SocketAddr::new(LOOPBACK, 0))
            .await
            .unwrap();
        let address = silent.local_addr().unwrap();
        let accepting = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });
        let started = tokio::time::Instant::now();
        let result = Connection::connect(&tls, address).await;
        assert!(matches!(result, Err(ClientError::Timeout)), "{result:?}");
        let elapsed = started.elapsed();
        assert!(
            elapsed >= timeout && elapsed < timeout + Duration::from_secs(2),
            "{elapsed:?}"
        );
        accepting.abort();

        // Completes the handshake, then never answers the request.
        let server = start(&service).await;
        for protocol in PROTOCOLS {
            let tls = anonymous(
                &service,
                ClientOptions {
                    protocol,
                    ..options
                },
            );
            let mut connection = Connection::connect(&tls, server.local_addr())
                .await
                .unwrap();
            let started = tokio::time::Instant::now();
            let result = connection.get("/never").await;
            assert!(matches!(result, Err(ClientError::Timeout)), "{result:?}");
            let elapsed = started.elapsed();
            assert!(
                elapsed >= timeout && elapsed < timeout + Duration::from_secs(2),
                "{elapsed:?}"
            );
            match protocol {
                HttpProtocol::Http1 => {
                    // The abandoned response would desynchronise the connection.
                    tokio::task::yield_now().await;
                    let next = connection.get("/describe").await;
                    assert!(matches!(next, Err(ClientError::Http(_))), "{next:?}");
                    assert!(connection.is_closed());
                }
                HttpProtocol::Http2 => {
                    let next = connection.get("/describe").await.unwrap();
                    assert_eq!(next.status, StatusCode::OK, "only the stream was dropped");
                }
            }
        }
        server.shutdown(Duration::from_millis(100)).await;
    })
    .await;
}

#[tokio::test]
async fn oversized_responses_and_malformed_requests_are_refused() {
    bounded(async {
        let service = new_service();
        let server = start(&service).await;
        let options = ClientOptions {
            max_response_body_bytes: 1024,
            ..ClientOptions::default()
        };
        let tls = anonymous(&service, options);
        let mut connection = Connection::connect(&tls, server.local_addr())
            .await
            .unwrap();
        let result = connection.get("/big").await;
        assert!(
            matches!(result, Err(ClientError::InvalidResponse(_))),
            "{result:?}"
        );

        let mut connection = Connection::connect(&tls, server.local_addr())
            .await
            .unwrap();
        for path in ["describe", "/has space", "http://host/describe"] {
            let result = connection.get(path).await;
            assert!(
                matches!(result, Err(ClientError::InvalidRequest(_))),
                "{path}: {result:?}"
            );
        }
        let result = connection
            .request(Method::GET, "/describe", &[("bad name", "v")], Bytes::new())
            .await;
        assert!(matches!(result, Err(ClientError::InvalidRequest(_))));
        let result = connection
            .request(
                Method::GET,
                "/describe",
                &[("x-ok", "line\nbreak")],
                Bytes::new(),
            )
            .await;
        assert!(matches!(result, Err(ClientError::InvalidRequest(_))));
        assert_eq!(
            connection.get("/describe").await.unwrap().status,
            StatusCode::OK,
            "a request refused before sending leaves the connection usable"
        );
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn json_transaction_id_and_error_code_are_read_from_real_responses() {
    bounded(async {
        let service = new_service();
        let server = start(&service).await;
        let tls = anonymous(&service, ClientOptions::default());
        let mut connection = Connection::connect(&tls, server.local_addr())
            .await
            .unwrap();
        let response = connection.get("/describe").await.unwrap();
        assert_eq!(response.transaction_id(), Some((2, 42)));
        assert_eq!(response.error_code(), None);
        assert!(response.json().is_ok());

        let response = connection.get("/error").await.unwrap();
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.error_code().as_deref(), Some("PrimaryNotFound"));
        assert_eq!(
            response.error_message().as_deref(),
            Some("no primary is known")
        );

        let response = connection.get("/nowhere").await.unwrap();
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.error_code().as_deref(), Some("ResourceNotFound"));
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

fn response(transaction_id: Option<&str>, body: &'static [u8]) -> ClientResponse {
    let mut headers = HeaderMap::new();
    if let Some(value) = transaction_id {
        headers.insert(
            "x-ms-ccf-transaction-id",
            HeaderValue::from_str(value).unwrap(),
        );
    }
    ClientResponse {
        status: StatusCode::OK,
        headers,
        body: Bytes::from_static(body),
    }
}

#[test]
fn response_readers_tolerate_anything_a_server_sends() {
    assert_eq!(response(Some("3.17"), b"").transaction_id(), Some((3, 17)));
    assert_eq!(
        response(Some("18446744073709551615.0"), b"").transaction_id(),
        Some((u64::MAX, 0))
    );
    for bad in [
        "",
        "3",
        "3.",
        ".17",
        "3.17.1",
        "+3.17",
        "3.-1",
        "a.b",
        " 3.17",
        "18446744073709551616.1",
    ] {
        assert_eq!(response(Some(bad), b"").transaction_id(), None, "{bad:?}");
    }
    assert_eq!(response(None, b"").transaction_id(), None);

    assert!(matches!(
        response(None, b"not json").json(),
        Err(ClientError::InvalidResponse(_))
    ));
    assert_eq!(
        response(None, br#"{"a":[1]}"#).json().unwrap(),
        json!({"a": [1]})
    );

    for body in [
        &b""[..],
        b"not json",
        b"[]",
        br#"{"error":"flat"}"#,
        br#"{"error":{"code":7}}"#,
        br#"{"code":"X"}"#,
    ] {
        let body: &'static [u8] = body;
        assert_eq!(response(None, body).error_code(), None, "{body:?}");
    }
    let ccf_error = br#"{"error":{"code":"InvalidAuthenticationInfo","message":"who?"}}"#;
    assert_eq!(
        response(None, ccf_error).error_code().as_deref(),
        Some("InvalidAuthenticationInfo")
    );
}
