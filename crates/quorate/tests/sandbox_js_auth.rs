//! A JS app's endpoints behind CCF's token and signature policies, end to end on a one-node
//! sandbox. One proposal by member0 deploys the app (`set_js_app`) and makes a JWT issuer
//! whose key is a fresh RSA key of the test's (`set_jwt_issuer` with `jwks`). Then:
//!
//! - `["jwt"]`: a token the key signed is accepted and the handler sees CCF's caller
//!   `{policy: "jwt", jwt: {keyIssuer, header, payload}}`; no token, an expired one, one signed
//!   by another key, one naming an unknown kid and one from another issuer get 401 with CCF's
//!   reason and `WWW-Authenticate` challenge.
//! - `["user_cose_sign1"]`: a body user0 signed is accepted (the handler sees the user's id,
//!   certificate and the signed content as an ArrayBuffer, and `ccf.pemToId` of the
//!   certificate is the id); member0's signature, an unsigned body and a stranger signing with
//!   user0's kid get 401.
//! - `[{"all_of": ["user_cert", "jwt"]}]` needs both; `["magic_token"]`, a policy the node
//!   does not implement, refuses everyone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Method, StatusCode};
use quorate_crypto::cose::{
    CborValue, GovMsgType, HeaderLabel, Sign1Builder, sign_governance_request,
};
use quorate_crypto::{Certificate, KeyPair, Validity, create_self_signed_certificate};
use quorate_node::client::{ClientResponse, ClientTls, Connection};
use serde_json::{Value, json};
use support::{Sandbox, eventually};

const STARTUP: Duration = Duration::from_secs(90);
/// Bound on waiting for the node to serve the newly deployed app.
const SETTLE: Duration = Duration::from_secs(30);
const API_VERSION: &str = "2024-07-01";
const ISSUER: &str = "https://issuer.example.com";
const KID: &str = "test-key-1";
const BEARER_CHALLENGE: &str = r#"Bearer realm="JWT bearer token access", error="invalid_token""#;
const COSE_CHALLENGE: &str = r#"COSE-SIGN1 realm="Signed request access""#;

const MODULE: &str = r#"
export function whoami(request) {
  return { body: request.caller };
}
export function signed(request) {
  const caller = request.caller;
  return { body: {
    policy: caller.policy,
    id: caller.id,
    idOfCert: ccf.pemToId(caller.cert),
    contentIsBuffer: caller.cose.content instanceof ArrayBuffer,
    content: ccf.bufToStr(caller.cose.content),
  } };
}
export function both(request) {
  const caller = request.caller;
  return { body: {
    policy: caller.policy,
    user: caller.user_cert.id,
    sub: caller.jwt.jwt.payload.sub,
  } };
}
"#;

fn bundle() -> Value {
    let endpoint = |function: &str, policies: Value, mode: &str| {
        json!({"js_module": "auth.js", "js_function": function, "mode": mode,
               "forwarding_required": "sometimes", "authn_policies": policies})
    };
    json!({
        "modules": [{"name": "auth.js", "module": MODULE}],
        "metadata": {"endpoints": {
            "/jwt": {"get": endpoint("whoami", json!(["jwt"]), "readonly")},
            "/signed": {"post": endpoint("signed", json!(["user_cose_sign1"]), "readwrite")},
            "/both": {"get": endpoint("both", json!([{"all_of": ["user_cert", "jwt"]}]), "readonly")},
            "/magic": {"get": endpoint("whoami", json!(["magic_token"]), "readonly")},
        }},
    })
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The JWKS entry of `key` as an OpenID provider publishes it; `issuer` is the key's issuer
/// constraint.
fn jwk(key: &RsaKeyPair) -> Value {
    let components = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
    json!({
        "kty": "RSA",
        "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(&components.n),
        "e": URL_SAFE_NO_PAD.encode(&components.e),
        "issuer": ISSUER,
    })
}

/// An RS256 token for `kid`, signed with `key`.
fn token(key: &RsaKeyPair, kid: &str, payload: &Value) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
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

/// A sandbox identity (`user0`, `member0`).
struct Identity {
    key: KeyPair,
    cert: Certificate,
}

impl Identity {
    fn load(sandbox: &Sandbox, name: &str) -> Identity {
        let read = |file: String| std::fs::read_to_string(sandbox.common().join(file)).unwrap();
        Identity {
            key: KeyPair::from_pem(&read(format!("{name}_privk.pem"))).unwrap(),
            cert: Certificate::from_pem(&read(format!("{name}_cert.pem"))).unwrap(),
        }
    }

    fn stranger() -> Identity {
        let key = KeyPair::generate().unwrap();
        let now = i64::try_from(now_s()).unwrap();
        let validity = Validity::from_days(now - 60, 30).unwrap();
        let cert = create_self_signed_certificate(&key, "stranger", &[], &validity, 7).unwrap();
        Identity { key, cert }
    }

    fn id(&self) -> String {
        self.cert.fingerprint_sha256_hex()
    }

    /// A COSE Sign1 body as CCF's user COSE clients send it, claiming to be `kid`.
    fn sign_as(&self, kid: &str, content: &[u8]) -> Vec<u8> {
        Sign1Builder::new()
            .kid(kid.as_bytes())
            .protected(
                HeaderLabel::Text("ccf.msg.type".into()),
                CborValue::from("greeting"),
            )
            .protected(
                HeaderLabel::Text("ccf.msg.created_at".into()),
                CborValue::from(now_s()),
            )
            .sign(&self.key, content)
            .unwrap()
    }
}

/// One request on a fresh connection.
async fn send(
    tls: &ClientTls,
    address: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> ClientResponse {
    let mut connection = Connection::connect(tls, address).await.unwrap();
    connection
        .request(method, path, headers, Bytes::from(body))
        .await
        .unwrap()
}

fn ok(response: &ClientResponse, what: &str) -> Value {
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response.json().unwrap()
}

/// A 401 with CCF's error code, `reason` in the message and `challenge` (if any).
fn unauthorized(response: &ClientResponse, reason: &str, challenge: Option<&str>, what: &str) {
    let body = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(
        response.error_code().as_deref(),
        Some("InvalidAuthenticationInfo"),
        "{what}: {body}"
    );
    let message = response.error_message().unwrap_or_default();
    assert!(
        message.contains(reason),
        "{what}: {message:?} lacks {reason:?}"
    );
    let sent = response
        .headers
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap());
    assert_eq!(sent, challenge, "{what}");
}

/// member0 proposes `actions` and votes for them: Accepted in the sandbox's one-member
/// consortium.
async fn pass(sandbox: &Sandbox, member0: &Identity, actions: &Value) {
    let anonymous = sandbox.tls(None);
    let address = sandbox.address(0);
    let post = |path: String, envelope: Vec<u8>| {
        let anonymous = anonymous.clone();
        async move {
            send(
                &anonymous,
                address,
                Method::POST,
                &format!("{path}?api-version={API_VERSION}"),
                &[("content-type", "application/cose")],
                envelope,
            )
            .await
        }
    };
    let sign = |msg_type, proposal_id: Option<&str>, payload: &[u8]| {
        sign_governance_request(
            &member0.key,
            &member0.cert,
            msg_type,
            now_s(),
            proposal_id,
            payload,
        )
        .unwrap()
    };
    let proposal = json!({ "actions": actions }).to_string();
    let created = post(
        "/gov/members/proposals:create".into(),
        sign(GovMsgType::Proposal, None, proposal.as_bytes()),
    )
    .await;
    let created = ok(&created, "the proposal");
    let id = created["proposalId"].as_str().unwrap().to_owned();
    let ballot = json!({"ballot": "export function vote (proposal, proposerId) { return true }"})
        .to_string();
    let voted = post(
        format!(
            "/gov/members/proposals/{id}/ballots/{}:submit",
            member0.id()
        ),
        sign(GovMsgType::Ballot, Some(&id), ballot.as_bytes()),
    )
    .await;
    let voted = ok(&voted, "member0's ballot");
    assert_eq!(voted["proposalState"], "Accepted", "{voted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_js_app_endpoints_authenticate_tokens_and_signed_bodies() {
    let sandbox = Sandbox::start(1, STARTUP);
    let address = sandbox.address(0);
    let member0 = Identity::load(&sandbox, "member0");
    let user0 = Identity::load(&sandbox, "user0");
    let issuer_key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let other_key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();

    pass(
        &sandbox,
        &member0,
        &json!([
            {"name": "set_jwt_issuer", "args": {"issuer": ISSUER, "jwks": {"keys": [jwk(&issuer_key)]}}},
            {"name": "set_js_app", "args": {"bundle": bundle()}},
        ]),
    )
    .await;

    let anonymous = sandbox.tls(None);
    let now = now_s();
    let claims = json!({"iss": ISSUER, "sub": "alice", "exp": now + 3600, "nbf": now - 60});
    let good = token(&issuer_key, KID, &claims);
    let bearer = |token: &str| format!("Bearer {token}");

    // The app is served once the node has applied the proposal.
    let accepted = eventually(SETTLE, "the app to accept the token", || {
        let anonymous = anonymous.clone();
        let authorization = bearer(&good);
        async move {
            let mut connection = Connection::connect(&anonymous, address).await.ok()?;
            let response = connection
                .request(
                    Method::GET,
                    "/app/jwt",
                    &[("authorization", &authorization)],
                    Bytes::new(),
                )
                .await
                .ok()?;
            (response.status != StatusCode::NOT_FOUND).then_some(response)
        }
    })
    .await;
    assert_eq!(
        ok(&accepted, "a token the issuer's key signed"),
        json!({"policy": "jwt", "jwt": {
            "keyIssuer": ISSUER,
            "header": {"alg": "RS256", "kid": KID, "typ": "JWT"},
            "payload": claims,
        }})
    );

    // Tokens the endpoint refuses.
    let expired = json!({"iss": ISSUER, "sub": "alice", "exp": now - 60});
    let elsewhere = json!({"iss": "https://evil.example.com", "sub": "alice", "exp": now + 3600});
    let refusals = [
        (None, "Missing authorization header", "no token"),
        (
            Some(token(&issuer_key, KID, &expired)),
            "is after token's Expiration Time (exp) claim",
            "an expired token",
        ),
        (
            Some(token(&other_key, KID, &claims)),
            "Signature verification failed",
            "a token signed by another key",
        ),
        (
            Some(token(&issuer_key, "unknown-kid", &claims)),
            "JWT signing key not found for kid unknown-kid",
            "a token naming an unknown kid",
        ),
        (
            Some(token(&issuer_key, KID, &elsewhere)),
            &format!("Kid {KID} failed issuer constraint validation {ISSUER}"),
            "a token from another issuer",
        ),
    ];
    for (token, reason, what) in refusals {
        let authorization = token.as_deref().map(bearer);
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        let response = send(
            &anonymous,
            address,
            Method::GET,
            "/app/jwt",
            &headers,
            vec![],
        )
        .await;
        unauthorized(&response, reason, Some(BEARER_CHALLENGE), what);
    }

    // Bodies signed by user0, and others.
    let cose = [("content-type", "application/cose")];
    let signed = send(
        &anonymous,
        address,
        Method::POST,
        "/app/signed",
        &cose,
        user0.sign_as(&user0.id(), b"hello from user0"),
    )
    .await;
    assert_eq!(
        ok(&signed, "a body user0 signed"),
        json!({
            "policy": "user_cose_sign1",
            "id": user0.id(),
            "idOfCert": user0.id(),
            "contentIsBuffer": true,
            "content": "hello from user0",
        })
    );
    let stranger = Identity::stranger();
    let refusals = [
        (
            member0.sign_as(&member0.id(), b"hi"),
            "Signer is not a known user",
            "a body member0 signed",
        ),
        (
            b"{\"unsigned\": true}".to_vec(),
            "Failed to parse COSE_Sign1 outer array",
            "an unsigned body",
        ),
        (
            stranger.sign_as(&user0.id(), b"hi"),
            "Failed to validate COSE Sign1",
            "a stranger's signature claiming to be user0",
        ),
    ];
    for (body, reason, what) in refusals {
        let response = send(
            &anonymous,
            address,
            Method::POST,
            "/app/signed",
            &cose,
            body,
        )
        .await;
        unauthorized(&response, reason, Some(COSE_CHALLENGE), what);
    }
    let as_json = send(
        &anonymous,
        address,
        Method::POST,
        "/app/signed",
        &[("content-type", "application/json")],
        user0.sign_as(&user0.id(), b"hi"),
    )
    .await;
    unauthorized(
        &as_json,
        "Content type is not set to application/cose",
        Some(COSE_CHALLENGE),
        "a signed body sent as JSON",
    );

    // all_of: user0's certificate and a token, together.
    let user_tls = sandbox.tls(Some("user0"));
    let authorization = bearer(&good);
    let both = send(
        &user_tls,
        address,
        Method::GET,
        "/app/both",
        &[("authorization", &authorization)],
        vec![],
    )
    .await;
    assert_eq!(
        ok(&both, "user0 with a token"),
        json!({"policy": ["jwt", "user_cert"], "user": user0.id(), "sub": "alice"})
    );
    let certificate_only = send(&user_tls, address, Method::GET, "/app/both", &[], vec![]).await;
    unauthorized(
        &certificate_only,
        "jwt: Missing authorization header",
        None,
        "user0 without a token",
    );
    let token_only = send(
        &anonymous,
        address,
        Method::GET,
        "/app/both",
        &[("authorization", &authorization)],
        vec![],
    )
    .await;
    unauthorized(
        &token_only,
        "user_cert: No caller user certificate",
        None,
        "a token without user0's certificate",
    );

    // A policy the node does not implement: nobody gets in.
    for tls in [&anonymous, &user_tls] {
        let magic = send(
            tls,
            address,
            Method::GET,
            "/app/magic",
            &[("authorization", &authorization)],
            vec![],
        )
        .await;
        unauthorized(
            &magic,
            "Authentication policy magic_token is not supported",
            None,
            "an endpoint declared [\"magic_token\"]",
        );
    }
}
