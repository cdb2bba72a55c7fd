//! The client frontend over real TLS on loopback: HTTP/1.1 and HTTP/2, callers and auth
//! policies (certificates, JWT bearer tokens, COSE-signed bodies), CCF's error bodies, limits, session caps, router swaps and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use quorate_crypto::cose::{CborValue, HeaderLabel, Sign1Builder};
use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_endorsed_certificate,
    create_self_signed_certificate, create_service_certificate,
};
use quorate_node::frontend::{
    AuthPolicy, AuthnIdentity, Caller, Endpoint, EndpointRegistry, EndpointRequest,
    EndpointResponse, FrontendLimits, FrontendOptions, FrontendServer, JwtSigningKey,
    KnownIdentity, Router, TransactionId, crypto_provider, server_tls_config,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Every test finishes well within this, or fails.
const TEST_BOUND: Duration = Duration::from_secs(10);
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_BOUND, test)
        .await
        .expect("test exceeded its time bound")
}

/// A service identity, a node certificate it endorses, and two client identities.
struct Pki {
    service_cert: Certificate,
    node_key: KeyPair,
    node_cert: Certificate,
    user: (Certificate, KeyPair),
    stranger: (Certificate, KeyPair),
}

fn validity() -> Validity {
    let now_s = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    Validity {
        not_before_unix_s: now_s - 3600,
        not_after_unix_s: now_s + 86_400,
    }
}

fn client_identity(name: &str, serial: u64) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = create_self_signed_certificate(&key, name, &[], &validity(), serial).unwrap();
    (cert, key)
}

fn pki() -> Pki {
    let service_key = KeyPair::generate().unwrap();
    let service_cert =
        create_service_certificate(&service_key, "CCF Service", &validity(), 1).unwrap();
    let node_key = KeyPair::generate().unwrap();
    let node_cert = create_endorsed_certificate(
        &node_key.public_key(),
        "CCF Node",
        &[SubjectAltName::Ip(LOOPBACK)],
        &validity(),
        2,
        &service_key,
        &service_cert,
    )
    .unwrap();
    Pki {
        service_cert,
        node_key,
        node_cert,
        user: client_identity("user0", 3),
        stranger: client_identity("stranger", 4),
    }
}

/// How a test client connects.
#[derive(Clone, Copy)]
struct ClientOptions<'a> {
    identity: Option<&'a (Certificate, KeyPair)>,
    http2: bool,
    tls12_only: bool,
}

const ANONYMOUS_H1: ClientOptions<'static> = ClientOptions {
    identity: None,
    http2: false,
    tls12_only: false,
};

fn client_tls_config(pki: &Pki, options: ClientOptions<'_>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.service_cert.der().to_vec()))
        .unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] = if options.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match options.identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::from_pem_slice(key.to_pem().as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![if options.http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    Arc::new(config)
}

async fn connect_tls(
    pki: &Pki,
    address: SocketAddr,
    options: ClientOptions<'_>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(address).await?;
    TlsConnector::from(client_tls_config(pki, options))
        .connect(ServerName::from(LOOPBACK), tcp)
        .await
}

/// One HTTP connection; its driver task ends when the server closes the connection.
struct Client {
    sender: Sender,
    address: SocketAddr,
    driver: JoinHandle<()>,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

struct Reply {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Checks CCF's error shape and content type, and returns the code.
    fn ccf_error_code(&self) -> String {
        assert_eq!(self.headers["content-type"], "application/json");
        let body = self.json();
        let error = body["error"].as_object().expect("an error object");
        assert_eq!(error.len(), 2, "error has exactly code and message: {body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        error["code"].as_str().expect("a string code").to_owned()
    }
}

impl Client {
    async fn connect(pki: &Pki, address: SocketAddr, options: ClientOptions<'_>) -> Client {
        let tls = connect_tls(pki, address, options).await.unwrap();
        let io = TokioIo::new(tls);
        if options.http2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
            let driver = tokio::spawn(async move {
                let _ = connection.await;
            });
            Client {
                sender: Sender::Http2(sender),
                address,
                driver,
            }
        } else {
            let (sender, connection) = http1::handshake(io).await.unwrap();
            let driver = tokio::spawn(async move {
                let _ = connection.await;
            });
            Client {
                sender: Sender::Http1(sender),
                address,
                driver,
            }
        }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> hyper::Result<Reply> {
        let response = match &mut self.sender {
            Sender::Http1(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
            Sender::Http2(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
        };
        let status = response.status();
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply {
            status,
            version,
            headers,
            body,
        })
    }

    fn request(&self, method: Method, path: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
        let builder = match self.sender {
            Sender::Http1(_) => Request::builder()
                .uri(path)
                .header("host", self.address.to_string()),
            Sender::Http2(_) => Request::builder()
                .version(Version::HTTP_2)
                .uri(format!("https://{}{path}", self.address)),
        };
        builder.method(method).body(Full::new(body.into())).unwrap()
    }

    async fn get(&mut self, path: &str) -> Reply {
        let request = self.request(Method::GET, path, Bytes::new());
        self.send(request).await.unwrap()
    }
}

/// Answers with what the frontend told the handler.
async fn describe(request: EndpointRequest) -> EndpointResponse {
    let caller = match request.caller.as_ref() {
        Caller::Anonymous => json!("anonymous"),
        Caller::Certificate {
            fingerprint_sha256_hex,
            der,
            ..
        } => json!({ "fingerprint": fingerprint_sha256_hex, "der_len": der.len() }),
    };
    let identity = match &request.identity {
        AuthnIdentity::User(identity) | AuthnIdentity::Member(identity) => json!(identity.id),
        AuthnIdentity::AnyCert {
            fingerprint_sha256_hex,
        } => json!(fingerprint_sha256_hex),
        AuthnIdentity::UserCose(identity) | AuthnIdentity::MemberCose(identity) => {
            json!({ "id": identity.id, "content": String::from_utf8_lossy(&identity.content) })
        }
        AuthnIdentity::Jwt(identity) => {
            json!({ "issuer": identity.key_issuer, "sub": identity.payload["sub"] })
        }
        AuthnIdentity::AllOf(identities) => json!(identities.len()),
        AuthnIdentity::Unauthenticated | AuthnIdentity::NoAuth => Value::Null,
    };
    EndpointResponse::json(
        StatusCode::OK,
        &json!({
            "version": format!("{:?}", request.version),
            "caller": caller,
            "policy": request.identity.policy_name(),
            "identity": identity,
            "params": request.path_params,
            "body_len": request.body.len(),
        }),
    )
}

async fn start(
    pki: &Pki,
    endpoints: Vec<Endpoint>,
    options: FrontendOptions,
) -> (FrontendServer, Arc<EndpointRegistry>) {
    let registry = Arc::new(EndpointRegistry::new(Router::new(endpoints).unwrap()));
    let tls = server_tls_config(
        &[pki.node_cert.clone(), pki.service_cert.clone()],
        &pki.node_key,
    )
    .unwrap();
    let server = FrontendServer::bind(
        SocketAddr::new(LOOPBACK, 0),
        tls,
        Arc::clone(&registry),
        options,
    )
    .await
    .unwrap();
    (server, registry)
}

fn limits(adjust: impl FnOnce(&mut FrontendLimits)) -> FrontendOptions {
    let mut limits = FrontendLimits::default();
    adjust(&mut limits);
    FrontendOptions {
        limits,
        response_decorator: None,
    }
}

const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

#[tokio::test]
async fn http1_and_http2_are_served_over_tls13_and_tls12() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(
            Method::GET,
            "/node/version",
            vec![AuthPolicy::NoAuth],
            describe,
        )];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        for http2 in [false, true] {
            for tls12_only in [false, true] {
                let options = ClientOptions {
                    identity: None,
                    http2,
                    tls12_only,
                };
                let tls = connect_tls(&pki, server.local_addr(), options)
                    .await
                    .unwrap();
                let (_, session) = tls.get_ref();
                let expected_alpn: &[u8] = if http2 { b"h2" } else { b"http/1.1" };
                assert_eq!(session.alpn_protocol(), Some(expected_alpn));
                let expected_tls = if tls12_only {
                    rustls::ProtocolVersion::TLSv1_2
                } else {
                    rustls::ProtocolVersion::TLSv1_3
                };
                assert_eq!(session.protocol_version(), Some(expected_tls));
                drop(tls);

                let mut client = Client::connect(&pki, server.local_addr(), options).await;
                let reply = client.get("/node/version").await;
                assert_eq!(reply.status, StatusCode::OK);
                let expected_version = if http2 {
                    Version::HTTP_2
                } else {
                    Version::HTTP_11
                };
                assert_eq!(reply.version, expected_version);
                assert_eq!(reply.json()["version"], format!("{expected_version:?}"));
            }
        }
        let report = server.shutdown(SHUTDOWN_GRACE).await;
        assert_eq!(report.sessions_aborted, 0);
    })
    .await;
}

#[tokio::test]
async fn the_handler_sees_the_client_certificate_or_anonymous() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/whoami", vec![], describe)];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        for (http2, tls12_only) in [(false, false), (true, false), (false, true), (true, true)] {
            let with_cert = ClientOptions {
                identity: Some(&pki.user),
                http2,
                tls12_only,
            };
            let reply = Client::connect(&pki, server.local_addr(), with_cert)
                .await
                .get("/whoami")
                .await;
            assert_eq!(reply.status, StatusCode::OK);
            let body = reply.json();
            assert_eq!(
                body["caller"]["fingerprint"],
                pki.user.0.fingerprint_sha256_hex()
            );
            assert_eq!(body["caller"]["der_len"], pki.user.0.der().len());
            assert_eq!(body["policy"], Value::Null, "no policies: unauthenticated");

            let anonymous = ClientOptions {
                identity: None,
                http2,
                tls12_only: false,
            };
            let reply = Client::connect(&pki, server.local_addr(), anonymous)
                .await
                .get("/whoami")
                .await;
            assert_eq!(reply.json()["caller"], "anonymous");
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn auth_policies_accept_or_answer_401() {
    bounded(async {
        let pki = pki();
        let user_id = pki.user.0.fingerprint_sha256_hex();
        let known_user =
            move |fingerprint: &str| (fingerprint == user_id).then(|| json!({ "name": "user0" }));
        let no_members = |_: &str| None;
        let endpoints = vec![
            Endpoint::new(Method::GET, "/open", vec![AuthPolicy::NoAuth], describe),
            Endpoint::new(Method::GET, "/any", vec![AuthPolicy::AnyCert], describe),
            Endpoint::new(
                Method::GET,
                "/user",
                vec![AuthPolicy::user_cert(known_user.clone())],
                describe,
            ),
            Endpoint::new(
                Method::GET,
                "/member_or_user",
                vec![
                    AuthPolicy::member_cert(no_members),
                    AuthPolicy::user_cert(known_user),
                ],
                describe,
            ),
        ];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let cases = [
            (None, "/open", Some("no_auth")),
            (None, "/any", None),
            (None, "/user", None),
            (Some(&pki.user), "/open", Some("no_auth")),
            (Some(&pki.user), "/any", Some("any_cert")),
            (Some(&pki.user), "/user", Some("user_cert")),
            (Some(&pki.user), "/member_or_user", Some("user_cert")),
            (Some(&pki.stranger), "/any", Some("any_cert")),
            (Some(&pki.stranger), "/user", None),
            (Some(&pki.stranger), "/member_or_user", None),
        ];
        for (identity, path, accepted_by) in cases {
            let options = ClientOptions {
                identity,
                http2: false,
                tls12_only: false,
            };
            let reply = Client::connect(&pki, server.local_addr(), options)
                .await
                .get(path)
                .await;
            match accepted_by {
                Some(policy) => {
                    assert_eq!(reply.status, StatusCode::OK, "{path}");
                    let body = reply.json();
                    assert_eq!(body["policy"], policy, "{path}");
                    if let Some((cert, _)) = identity
                        && policy != "no_auth"
                    {
                        assert_eq!(body["identity"], cert.fingerprint_sha256_hex());
                    }
                }
                None => {
                    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
                    assert_eq!(reply.ccf_error_code(), "InvalidAuthenticationInfo");
                }
            }
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

/// A JWT for `kid`, signed with `key`.
fn rs256_token(key: &RsaKeyPair, kid: &str, payload: &Value) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Bearer tokens and signed bodies through the server: accepted with the identity the policy
/// established, refused with 401, CCF's reasons and `WWW-Authenticate` challenge; a policy the
/// node does not implement refuses everyone.
#[tokio::test]
async fn jwt_and_cose_policies_accept_or_answer_401() {
    bounded(async {
        let pki = pki();
        let issuer_key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let stranger_key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let key = JwtSigningKey {
            public_key_der: issuer_key.public_key().as_der().unwrap().as_ref().to_vec(),
            issuer: "https://issuer.example.com".into(),
            constraint: None,
        };
        let keys = move |kid: &str| Ok(if kid == "k1" { vec![key.clone()] } else { vec![] });
        let (user_cert, user_key) = (pki.user.0.clone(), &pki.user.1);
        let user_id = user_cert.fingerprint_sha256_hex();
        let users = move |id: &str| {
            (id == user_cert.fingerprint_sha256_hex()).then(|| KnownIdentity {
                cert_pem: user_cert.pem().to_owned(),
                data: Value::Null,
                active: false,
            })
        };
        let endpoints = vec![
            Endpoint::new(Method::GET, "/jwt", vec![AuthPolicy::jwt(keys)], describe),
            Endpoint::new(
                Method::POST,
                "/signed",
                vec![AuthPolicy::user_cose_sign1(users)],
                describe,
            ),
            Endpoint::new(
                Method::GET,
                "/magic",
                vec![AuthPolicy::Unsupported("magic_token".into())],
                describe,
            ),
        ];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        let now = unix_now();
        let claims = json!({"iss": "https://issuer.example.com", "sub": "alice", "exp": now + 600});
        let expired = json!({"iss": "https://issuer.example.com", "sub": "alice", "exp": now - 600});
        let jwt_cases = [
            (Some(rs256_token(&issuer_key, "k1", &claims)), None),
            (None, Some("Missing authorization header")),
            (
                Some(rs256_token(&issuer_key, "k1", &expired)),
                Some("is after token's Expiration Time (exp) claim"),
            ),
            (
                Some(rs256_token(&issuer_key, "k2", &claims)),
                Some("JWT signing key not found for kid k2"),
            ),
            (
                Some(rs256_token(&stranger_key, "k1", &claims)),
                Some("Signature verification failed"),
            ),
        ];
        for (token, refusal) in jwt_cases {
            let mut request = client.request(Method::GET, "/jwt", Bytes::new());
            if let Some(token) = &token {
                request.headers_mut().insert(
                    "authorization",
                    format!("Bearer {token}").parse().unwrap(),
                );
            }
            let reply = client.send(request).await.unwrap();
            match refusal {
                None => {
                    assert_eq!(reply.status, StatusCode::OK);
                    let body = reply.json();
                    assert_eq!(body["policy"], "jwt");
                    assert_eq!(
                        body["identity"],
                        json!({"issuer": "https://issuer.example.com", "sub": "alice"})
                    );
                }
                Some(reason) => {
                    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reason}");
                    assert_eq!(reply.ccf_error_code(), "InvalidAuthenticationInfo");
                    let message = reply.json()["error"]["message"].as_str().unwrap().to_owned();
                    assert!(message.contains(reason), "{message}");
                    assert_eq!(
                        reply.headers["www-authenticate"],
                        r#"Bearer realm="JWT bearer token access", error="invalid_token""#
                    );
                }
            }
        }

        let sign = |key: &KeyPair, kid: &str| {
            Sign1Builder::new()
                .kid(kid.as_bytes())
                .protected(HeaderLabel::Text("ccf.msg.type".into()), CborValue::from("t"))
                .sign(key, b"signed content")
                .unwrap()
        };
        let cose_cases = [
            (sign(user_key, &user_id), "application/cose", None),
            (
                b"signed content".to_vec(),
                "application/cose",
                Some("Failed to parse COSE_Sign1 outer array"),
            ),
            (
                sign(user_key, &user_id),
                "application/json",
                Some("Content type is not set to application/cose"),
            ),
            (
                sign(&pki.stranger.1, &pki.stranger.0.fingerprint_sha256_hex()),
                "application/cose",
                Some("Signer is not a known user"),
            ),
            (
                sign(&pki.stranger.1, &user_id),
                "application/cose",
                Some("Failed to validate COSE Sign1"),
            ),
        ];
        for (body, content_type, refusal) in cose_cases {
            let mut request = client.request(Method::POST, "/signed", body);
            request
                .headers_mut()
                .insert("content-type", content_type.parse().unwrap());
            let reply = client.send(request).await.unwrap();
            match refusal {
                None => {
                    assert_eq!(reply.status, StatusCode::OK);
                    let body = reply.json();
                    assert_eq!(body["policy"], "user_cose_sign1");
                    assert_eq!(
                        body["identity"],
                        json!({"id": pki.user.0.fingerprint_sha256_hex(), "content": "signed content"})
                    );
                }
                Some(reason) => {
                    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reason}");
                    let message = reply.json()["error"]["message"].as_str().unwrap().to_owned();
                    assert!(message.contains(reason), "{message}");
                    assert_eq!(
                        reply.headers["www-authenticate"],
                        r#"COSE-SIGN1 realm="Signed request access""#
                    );
                }
            }
        }

        let reply = client.get("/magic").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.ccf_error_code(), "InvalidAuthenticationInfo");
        assert!(
            reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Authentication policy magic_token is not supported")
        );
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_with_ccf_bodies() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![
            Endpoint::new(Method::GET, "/log/private", vec![], describe),
            Endpoint::new(Method::POST, "/log/private", vec![], describe),
            Endpoint::new(Method::GET, "/records/{id}", vec![], describe),
        ];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        for http2 in [false, true] {
            let options = ClientOptions {
                identity: None,
                http2,
                tls12_only: false,
            };
            let mut client = Client::connect(&pki, server.local_addr(), options).await;

            let reply = client.get("/records/42?since=3").await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.json()["params"], json!({ "id": "42" }));

            let reply = client.get("/no/such/path").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(reply.ccf_error_code(), "ResourceNotFound");

            let request = client.request(Method::DELETE, "/log/private", Bytes::new());
            let reply = client.send(request).await.unwrap();
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(reply.ccf_error_code(), "UnsupportedHttpVerb");
            assert_eq!(reply.headers["allow"], "GET, POST");

            let request = client.request(Method::OPTIONS, "/log/private", Bytes::new());
            let reply = client.send(request).await.unwrap();
            assert_eq!(reply.status, StatusCode::NO_CONTENT);
            assert_eq!(reply.headers["allow"], "GET, POST");
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::POST, "/echo", vec![], describe)];
        let options = limits(|limits| limits.max_body_size_bytes = 1024);
        let (server, _) = start(&pki, endpoints, options).await;
        for http2 in [false, true] {
            let options = ClientOptions {
                identity: None,
                http2,
                tls12_only: false,
            };
            let mut client = Client::connect(&pki, server.local_addr(), options).await;
            let request = client.request(Method::POST, "/echo", vec![b'x'; 1024]);
            let reply = client.send(request).await.unwrap();
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.json()["body_len"], 1024);

            let mut client = Client::connect(&pki, server.local_addr(), options).await;
            let request = client.request(Method::POST, "/echo", vec![b'x'; 2048]);
            let reply = client.send(request).await.unwrap();
            assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(reply.ccf_error_code(), "RequestBodyTooLarge");
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn headers_over_the_limits_are_431() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let options = limits(|limits| {
            limits.max_header_size_bytes = 8192;
            limits.max_headers_count = 16;
        });
        let (server, _) = start(&pki, endpoints, options).await;

        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        let mut request = client.request(Method::GET, "/echo", Bytes::new());
        request
            .headers_mut()
            .insert("x-big", "a".repeat(10_000).parse().unwrap());
        let reply = client.send(request).await.unwrap();
        assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(reply.ccf_error_code(), "RequestHeaderTooLarge");

        // Two headers of 6,000 bytes each: each is under the limit, as CCF counts.
        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        let mut request = client.request(Method::GET, "/echo", Bytes::new());
        for name in ["x-a", "x-b"] {
            request
                .headers_mut()
                .insert(name, "a".repeat(6_000).parse().unwrap());
        }
        assert_eq!(client.send(request).await.unwrap().status, StatusCode::OK);

        // Past the backstop (4 × the limit), hyper refuses the head itself.
        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        let mut request = client.request(Method::GET, "/echo", Bytes::new());
        request
            .headers_mut()
            .insert("x-huge", "a".repeat(100_000).parse().unwrap());
        let reply = client.send(request).await.unwrap();
        assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        let mut request = client.request(Method::GET, "/echo", Bytes::new());
        for i in 0..20 {
            request.headers_mut().insert(
                format!("x-h{i}").parse::<http::HeaderName>().unwrap(),
                "v".parse().unwrap(),
            );
        }
        let reply = client.send(request).await.unwrap();
        assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(reply.ccf_error_code(), "RequestHeaderTooLarge");

        let h2 = ClientOptions {
            identity: None,
            http2: true,
            tls12_only: false,
        };
        let mut client = Client::connect(&pki, server.local_addr(), h2).await;
        let mut request = client.request(Method::GET, "/echo", Bytes::new());
        request
            .headers_mut()
            .insert("x-big", "a".repeat(10_000).parse().unwrap());
        let reply = client.send(request).await.unwrap();
        assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(reply.ccf_error_code(), "RequestHeaderTooLarge");
        assert_eq!(
            client.get("/echo").await.status,
            StatusCode::OK,
            "HTTP/2 refuses the stream, not the connection"
        );

        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(client.get("/echo").await.status, StatusCode::OK);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

/// Polls until the server counts `expected` sessions (a closed connection frees its slot when
/// the server notices the close, shortly after the client's).
async fn wait_for_open_sessions(server: &FrontendServer, expected: usize) {
    while server.open_sessions() != expected {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn past_the_soft_cap_a_session_gets_503_and_is_closed() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let options = limits(|limits| {
            limits.max_open_sessions_soft = 1;
            limits.max_open_sessions_hard = 4;
        });
        let (server, _) = start(&pki, endpoints, options).await;
        let mut first = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(first.get("/echo").await.status, StatusCode::OK);

        for http2 in [false, true] {
            let options = ClientOptions {
                identity: None,
                http2,
                tls12_only: false,
            };
            let mut refused = Client::connect(&pki, server.local_addr(), options).await;
            let reply = refused.get("/echo").await;
            assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(reply.ccf_error_code(), "SessionCapExhausted");
            tokio::time::timeout(Duration::from_secs(2), &mut refused.driver)
                .await
                .expect("the refused session is closed by the server")
                .unwrap();
        }

        assert_eq!(first.get("/echo").await.status, StatusCode::OK);
        wait_for_open_sessions(&server, 1).await;
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn at_the_hard_cap_a_connection_is_closed_before_the_handshake() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let options = limits(|limits| {
            limits.max_open_sessions_soft = 1;
            limits.max_open_sessions_hard = 1;
        });
        let (server, _) = start(&pki, endpoints, options).await;
        let mut first = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(first.get("/echo").await.status, StatusCode::OK);

        let handshake = connect_tls(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert!(handshake.is_err(), "the handshake must not complete");

        drop(first);
        wait_for_open_sessions(&server, 0).await;
        let mut later = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(later.get("/echo").await.status, StatusCode::OK);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn a_router_swap_applies_to_the_next_request() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/app/v1", vec![], describe)];
        let (server, registry) = start(&pki, endpoints, FrontendOptions::default()).await;
        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(client.get("/app/v1").await.status, StatusCode::OK);
        assert_eq!(client.get("/app/v2").await.status, StatusCode::NOT_FOUND);

        let replacement = Router::new([Endpoint::new(Method::GET, "/app/v2", vec![], describe)]);
        let previous = registry.replace(replacement.unwrap());
        assert_eq!(previous.len(), 1);

        assert_eq!(client.get("/app/v1").await.status, StatusCode::NOT_FOUND);
        assert_eq!(client.get("/app/v2").await.status, StatusCode::OK);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn shutdown_drains_idle_sessions_and_aborts_stuck_ones_within_the_bound() {
    bounded(async {
        let pki = pki();
        let entered = Arc::new(Notify::new());
        let signal = Arc::clone(&entered);
        let stuck = move |_: EndpointRequest| {
            let signal = Arc::clone(&signal);
            async move {
                signal.notify_one();
                tokio::time::sleep(Duration::from_secs(60)).await;
                EndpointResponse::new(StatusCode::OK)
            }
        };
        let endpoints = vec![
            Endpoint::new(Method::GET, "/echo", vec![], describe),
            Endpoint::new(Method::GET, "/stuck", vec![], stuck),
        ];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let address = server.local_addr();
        let mut idle = Client::connect(&pki, address, ANONYMOUS_H1).await;
        assert_eq!(idle.get("/echo").await.status, StatusCode::OK);
        let mut busy = Client::connect(&pki, address, ANONYMOUS_H1).await;
        let in_flight = tokio::spawn(async move {
            let request = busy.request(Method::GET, "/stuck", Bytes::new());
            busy.send(request).await.map(|reply| reply.status)
        });
        entered.notified().await;
        assert_eq!(server.open_sessions(), 2);

        let grace = Duration::from_millis(300);
        let started = tokio::time::Instant::now();
        let report = server.shutdown(grace).await;
        let elapsed = started.elapsed();
        assert!(
            elapsed >= grace,
            "the stuck session was given the grace period"
        );
        assert!(elapsed < grace + Duration::from_secs(1), "took {elapsed:?}");
        assert_eq!(
            (report.sessions_drained, report.sessions_aborted),
            (1, 1),
            "the idle session drains, the stuck one is aborted"
        );

        assert!(
            in_flight.await.unwrap().is_err(),
            "the stuck request was cut off"
        );
        tokio::time::timeout(Duration::from_secs(2), &mut idle.driver)
            .await
            .expect("the idle session was closed")
            .unwrap();
        assert!(
            TcpStream::connect(address).await.is_err(),
            "the listener is closed"
        );
    })
    .await;
}

#[tokio::test]
async fn responses_carry_the_transaction_id_of_the_handler_or_the_decorator() {
    bounded(async {
        let pki = pki();
        let written = |_: EndpointRequest| async {
            EndpointResponse::new(StatusCode::NO_CONTENT)
                .with_transaction_id(TransactionId { view: 2, seqno: 15 })
        };
        let endpoints = vec![
            Endpoint::new(Method::POST, "/log/private", vec![], written),
            Endpoint::new(Method::GET, "/log/private", vec![], describe),
        ];
        let last_committed = || Some(TransactionId { view: 2, seqno: 10 });
        let options = FrontendOptions {
            limits: FrontendLimits::default(),
            response_decorator: Some(Arc::new(last_committed)),
        };
        let (server, _) = start(&pki, endpoints, options).await;
        for http2 in [false, true] {
            let options = ClientOptions {
                identity: None,
                http2,
                tls12_only: false,
            };
            let mut client = Client::connect(&pki, server.local_addr(), options).await;
            let request = client.request(Method::POST, "/log/private", Bytes::new());
            let reply = client.send(request).await.unwrap();
            assert_eq!(reply.headers["x-ms-ccf-transaction-id"], "2.15");
            let reply = client.get("/log/private").await;
            assert_eq!(reply.headers["x-ms-ccf-transaction-id"], "2.10");
            let reply = client.get("/unknown").await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(reply.headers["x-ms-ccf-transaction-id"], "2.10");
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn a_body_that_stalls_past_the_request_timeout_is_408() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::POST, "/echo", vec![], describe)];
        let options = limits(|limits| limits.request_timeout = Duration::from_millis(300));
        let (server, _) = start(&pki, endpoints, options).await;
        let mut tls = connect_tls(&pki, server.local_addr(), ANONYMOUS_H1)
            .await
            .unwrap();
        tls.write_all(b"POST /echo HTTP/1.1\r\nhost: node\r\ncontent-length: 100\r\n\r\nonly-part")
            .await
            .unwrap();
        tls.flush().await.unwrap();
        let mut response = Vec::new();
        let mut buffer = [0_u8; 4096];
        while !String::from_utf8_lossy(&response).contains("RequestTimeout") {
            let read = tls.read(&mut buffer).await.unwrap();
            assert_ne!(read, 0, "closed without an answer: {response:?}");
            response.extend_from_slice(&buffer[..read]);
        }
        let response = String::from_utf8(response).unwrap();
        assert!(response.starts_with("HTTP/1.1 408 "), "{response}");
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn malformed_http_gets_400_and_the_server_keeps_serving() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let mut tls = connect_tls(&pki, server.local_addr(), ANONYMOUS_H1)
            .await
            .unwrap();
        tls.write_all(b"NOT AN HTTP REQUEST\r\n\x00\x01\r\n\r\n")
            .await
            .unwrap();
        let mut response = Vec::new();
        tls.read_to_end(&mut response).await.unwrap_or_default();
        assert!(
            String::from_utf8_lossy(&response).starts_with("HTTP/1.1 400 "),
            "{response:?}"
        );
        let mut client = Client::connect(&pki, server.local_addr(), ANONYMOUS_H1).await;
        assert_eq!(client.get("/echo").await.status, StatusCode::OK);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn dropping_the_server_handle_stops_it() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let address = server.local_addr();
        let mut client = Client::connect(&pki, address, ANONYMOUS_H1).await;
        assert_eq!(client.get("/echo").await.status, StatusCode::OK);
        drop(server);
        client.driver.await.unwrap();
        while TcpStream::connect(address).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Presents whatever certificate and key it was given, unchecked, as a misbehaving client would.
#[derive(Debug)]
struct ForgedClientCertificate(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for ForgedClientCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Whether a client presenting `certificate_der` and signing with `key` gets a request answered.
async fn forged_client_is_answered(
    pki: &Pki,
    address: SocketAddr,
    certificate_der: Vec<u8>,
    key: &KeyPair,
) -> bool {
    let provider = crypto_provider();
    let signing_key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::from_pem_slice(key.to_pem().as_bytes()).unwrap())
        .unwrap();
    let certified =
        rustls::sign::CertifiedKey::new(vec![CertificateDer::from(certificate_der)], signing_key);
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.service_cert.der().to_vec()))
        .unwrap();
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(ForgedClientCertificate(Arc::new(certified))));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(address).await.unwrap();
    // In TLS 1.3 the server judges the client's certificate after the client considers the
    // handshake done, so a refusal may only show on the first request.
    let Ok(tls) = TlsConnector::from(Arc::new(config))
        .connect(ServerName::from(LOOPBACK), tcp)
        .await
    else {
        return false;
    };
    let Ok((mut sender, connection)) = http1::handshake(TokioIo::new(tls)).await else {
        return false;
    };
    let driver = tokio::spawn(connection);
    let request = Request::builder()
        .uri("/echo")
        .header("host", address.to_string())
        .body(Full::new(Bytes::new()))
        .unwrap();
    let answered = sender.send_request(request).await.is_ok();
    driver.abort();
    answered
}

#[tokio::test]
async fn garbage_certificates_and_certificates_without_their_key_are_refused_at_tls() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let (server, _) = start(&pki, endpoints, FrontendOptions::default()).await;
        let address = server.local_addr();
        let (user_cert, user_key) = &pki.user;
        let (_, stranger_key) = &pki.stranger;

        assert!(forged_client_is_answered(&pki, address, user_cert.der().to_vec(), user_key).await);
        assert!(
            !forged_client_is_answered(&pki, address, b"not a certificate".to_vec(), user_key)
                .await
        );
        assert!(
            !forged_client_is_answered(&pki, address, user_cert.der().to_vec(), stranger_key).await,
            "the certificate's key must sign the handshake"
        );

        let mut client = Client::connect(&pki, address, ANONYMOUS_H1).await;
        assert_eq!(client.get("/echo").await.status, StatusCode::OK);
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}

#[tokio::test]
async fn idle_sessions_are_closed_after_the_idle_timeout() {
    bounded(async {
        let pki = pki();
        let endpoints = vec![Endpoint::new(Method::GET, "/echo", vec![], describe)];
        let idle_timeout = Duration::from_millis(300);
        let options = limits(|limits| limits.idle_connection_timeout = idle_timeout);
        let (server, _) = start(&pki, endpoints, options).await;
        let address = server.local_addr();
        let close_bound = idle_timeout + Duration::from_secs(2);

        let h2 = ClientOptions {
            identity: None,
            http2: true,
            tls12_only: false,
        };
        let mut idle_h2 = Client::connect(&pki, address, h2).await;
        assert_eq!(idle_h2.get("/echo").await.status, StatusCode::OK);
        let mut idle_h1 = Client::connect(&pki, address, ANONYMOUS_H1).await;
        assert_eq!(idle_h1.get("/echo").await.status, StatusCode::OK);
        let mut silent = connect_tls(&pki, address, ANONYMOUS_H1).await.unwrap();
        assert_eq!(server.open_sessions(), 3);

        for driver in [&mut idle_h2.driver, &mut idle_h1.driver] {
            tokio::time::timeout(close_bound, driver)
                .await
                .expect("the idle session was closed")
                .unwrap();
        }
        let mut buffer = [0_u8; 64];
        let read = tokio::time::timeout(close_bound, silent.read(&mut buffer))
            .await
            .expect("the silent session was closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        wait_for_open_sessions(&server, 0).await;

        let mut active = Client::connect(&pki, address, ANONYMOUS_H1).await;
        for _ in 0..4 {
            tokio::time::sleep(idle_timeout / 2).await;
            assert_eq!(active.get("/echo").await.status, StatusCode::OK);
        }
        server.shutdown(SHUTDOWN_GRACE).await;
    })
    .await;
}
