//! `ccf.crypto` as a JS handler sees it: every signing algorithm signs and verifies in JS and
//! against aws-lc-rs (and known vectors), tampering fails verification, every key wrapping
//! scheme round-trips (and unwraps what Rust or RFC 5649 wrapped), PEM and JWK convert both ways
//! with RFC 7517/7518/8037 shapes, digests match known vectors, X.509 bundles and chains are
//! judged as CCF judges them, and bad input of every kind is a JS exception with a clear
//! message. When CCF's Python environment is at /tmp/ccfpy, `cryptography` checks our formats
//! too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use proptest::prelude::*;
use quorate_js::{Bundle, Handler, HostInput, JsError, JsLimits, JsRequest, call};
use serde_json::{Value, json};
use x509_parser::prelude::FromDer;

/// Runs `code` as a function body with `input`, `hex`, `unhex` and `str` in scope; a thrown
/// Error comes back as `{error: "Name: message"}`.
const HARNESS: &str = r#"
const hex = (buffer) =>
  Array.from(new Uint8Array(buffer)).map((b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text) => {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out.buffer;
};
const str = (text) => ccf.strToBuf(text);
export function run(request) {
  const { code, input } = request.body.json();
  const f = new Function("input", "hex", "unhex", "str", code);
  try {
    return { body: { result: f(input, hex, unhex, str) } };
  } catch (e) {
    if (e instanceof Error) return { body: { error: `${e.name}: ${e.message}` } };
    throw e;
  }
}
export function uncaught(request) {
  return ccf.crypto.sign({ name: "ECDSA", hash: "SHA-256" }, "not a key", ccf.strToBuf("x"));
}
"#;

fn app() -> Arc<Bundle> {
    static APP: OnceLock<Arc<Bundle>> = OnceLock::new();
    Arc::clone(APP.get_or_init(|| {
        let endpoint = json!({"js_module": "crypto.js", "js_function": "run",
                              "authn_policies": ["no_auth"], "forwarding_required": "never",
                              "mode": "readonly"});
        Arc::new(
            Bundle::from_json(&json!({
                "metadata": {"endpoints": {"/run": {"post": endpoint}}},
                "modules": [{"name": "crypto.js", "module": HARNESS}],
            }))
            .unwrap(),
        )
    }))
}

fn limits() -> JsLimits {
    // Generous time: RSA key generation runs in debug builds here.
    JsLimits {
        max_execution_time_ms: 120_000,
        ..JsLimits::default()
    }
}

fn call_handler(function: &str, body: &Value) -> Result<quorate_js::JsResponse, JsError> {
    let request = JsRequest {
        method: "POST".into(),
        url: "/app/run".into(),
        path: "/app/run".into(),
        route: "/run".into(),
        body: Bytes::from(body.to_string()),
        caller: json!({"policy": "no_auth"}),
        ..JsRequest::default()
    };
    let (_, outcome) = call(
        &app(),
        limits(),
        Handler {
            module: "crypto.js",
            function,
        },
        &request,
        HostInput::default(),
    );
    outcome
}

/// `code`'s result, or the `"Name: message"` of what it threw.
fn js(code: &str, input: Value) -> Result<Value, String> {
    let response = call_handler("run", &json!({"code": code, "input": input}))
        .unwrap_or_else(|error| panic!("the handler failed: {error}\n{code}"));
    assert_eq!(response.status, 200);
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    match body.get("error") {
        Some(error) => Err(error.as_str().unwrap().to_owned()),
        None => Ok(body.get("result").cloned().unwrap_or(Value::Null)),
    }
}

fn ok(code: &str, input: Value) -> Value {
    js(code, input).unwrap_or_else(|error| panic!("threw {error}\n{code}"))
}

fn throws(code: &str, input: Value) -> String {
    match js(code, input) {
        Err(error) => error,
        Ok(value) => panic!("returned {value} instead of throwing\n{code}"),
    }
}

fn assert_throws(code: &str, input: Value, expected: &str) {
    let error = throws(code, input);
    assert!(
        error.contains(expected),
        "{code}\nthrew {error:?}, expected it to contain {expected:?}"
    );
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn unpem(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

fn b64url(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// SPKI DER for an EC point (P-256, P-384, secp256k1) or an Ed25519 key, from its fixed prefix.
fn spki(prefix: &str, key: &[u8]) -> Vec<u8> {
    let mut der = hex::decode(prefix).unwrap();
    der.extend_from_slice(key);
    der
}
const P256_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
const P384_SPKI: &str = "3076301006072a8648ce3d020106052b81040022036200";
const SECP256K1_SPKI: &str = "3056301006072a8648ce3d020106052b8104000a034200";
const ED25519_SPKI: &str = "302a300506032b6570032100";
const ED25519_PKCS8: &str = "302e020100300506032b657004220420";

/// RFC 8032 §7.1, test 1.
const RFC8032_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC8032_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/// Signs and verifies in JS, then checks tampered data and signatures fail.
const SIGN_VERIFY: &str = r#"
const { algorithm, privateKey, publicKey } = input;
const data = str("the quick brown fox");
const signature = ccf.crypto.sign(algorithm, privateKey, data);
const tamperedSignature = new Uint8Array(signature.slice(0));
tamperedSignature[tamperedSignature.length - 1] ^= 1;
return {
  signature: hex(signature),
  valid: ccf.crypto.verifySignature(algorithm, publicKey, signature, data),
  tamperedData: ccf.crypto.verifySignature(algorithm, publicKey, signature, str("the quick brown fox!")),
  tamperedSignature: ccf.crypto.verifySignature(algorithm, publicKey, tamperedSignature.buffer, data),
  truncated: ccf.crypto.verifySignature(algorithm, publicKey, signature.slice(1), data),
};
"#;

fn sign_verify(algorithm: Value, private_key: &str, public_key: &str) -> Vec<u8> {
    let result = ok(
        SIGN_VERIFY,
        json!({"algorithm": algorithm, "privateKey": private_key, "publicKey": public_key}),
    );
    assert_eq!(result["valid"], true, "{algorithm}");
    assert_eq!(result["tamperedData"], false, "{algorithm}");
    assert_eq!(result["tamperedSignature"], false, "{algorithm}");
    assert_eq!(result["truncated"], false, "{algorithm}");
    hex::decode(text(&result["signature"])).unwrap()
}

fn generate(code: &str) -> (String, String) {
    let pair = ok(code, json!(null));
    assert!(text(&pair["publicKey"]).starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(text(&pair["privateKey"]).starts_with("-----BEGIN PRIVATE KEY-----\n"));
    (
        text(&pair["publicKey"]).to_owned(),
        text(&pair["privateKey"]).to_owned(),
    )
}

fn rsa_pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(|| generate("return ccf.crypto.generateRsaKeyPair(2048);"))
}

#[test]
fn digests_match_known_vectors() {
    let result = ok(
        r#"return ["SHA-256", "SHA-384", "SHA-512"].map((a) => hex(ccf.crypto.digest(a, str("abc"))))
             .concat([hex(ccf.crypto.digest("SHA-256", new ArrayBuffer(0))),
                      hex(ccf.digest("SHA-256", new Uint8Array([0x61, 0x62, 0x63])))]);"#,
        json!(null),
    );
    assert_eq!(
        result,
        json!([
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ])
    );
}

#[test]
fn ecdsa_signs_and_verifies_on_each_curve_and_hash_with_p1363_signatures() {
    for (curve, size) in [("secp256r1", 64), ("secp384r1", 96)] {
        let (public, private) = generate(&format!(
            "return ccf.crypto.generateEcdsaKeyPair({curve:?});"
        ));
        for hash in ["SHA-256", "SHA-384", "SHA-512"] {
            let signature = sign_verify(json!({"name": "ECDSA", "hash": hash}), &private, &public);
            assert_eq!(signature.len(), size, "{curve} {hash}");
        }
        // The deprecated alias makes the same kind of key.
        let alias = ok(
            &format!("return ccf.generateEcdsaKeyPair({curve:?}).publicKey;"),
            json!(null),
        );
        assert!(text(&alias).starts_with("-----BEGIN PUBLIC KEY-----"));
    }
}

#[test]
fn ecdsa_interoperates_with_aws_lc() {
    let rng = SystemRandom::new();
    let message = b"signed in one place, verified in another";
    for (signing, verification, prefix) in [
        (
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256_SHA256_FIXED,
            P256_SPKI,
        ),
        (
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &signature::ECDSA_P384_SHA384_FIXED,
            P384_SPKI,
        ),
        (
            &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256K1_SHA256_FIXED,
            SECP256K1_SPKI,
        ),
    ] {
        let pair = EcdsaKeyPair::generate(signing).unwrap();
        let private = pem("PRIVATE KEY", pair.to_pkcs8v1().unwrap().as_ref());
        let public = pem("PUBLIC KEY", &spki(prefix, pair.public_key().as_ref()));
        let hash = if prefix == P384_SPKI {
            "SHA-384"
        } else {
            "SHA-256"
        };
        let algorithm = json!({"name": "ECDSA", "hash": hash});
        // Rust signs, JS verifies.
        let rust_signature = pair.sign(&rng, message).unwrap();
        let verified = ok(
            "return ccf.crypto.verifySignature(input.algorithm, input.key, unhex(input.signature), str(input.message));",
            json!({"algorithm": algorithm, "key": public, "signature": hex::encode(rust_signature.as_ref()),
                   "message": std::str::from_utf8(message).unwrap()}),
        );
        assert_eq!(verified, true, "{prefix}");
        // JS signs, Rust verifies.
        let js_signature = ok(
            "return hex(ccf.crypto.sign(input.algorithm, input.key, str(input.message)));",
            json!({"algorithm": algorithm, "key": private, "message": std::str::from_utf8(message).unwrap()}),
        );
        UnparsedPublicKey::new(verification, pair.public_key().as_ref())
            .verify(message, &hex::decode(text(&js_signature)).unwrap())
            .unwrap();
        sign_verify(algorithm, &private, &public);
    }
}

#[test]
fn ecdsa_accepts_sec1_keys_and_certificates() {
    // rcgen's key (PKCS#8) and a certificate for it.
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["example.com".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    sign_verify(
        json!({"name": "ECDSA", "hash": "SHA-256"}),
        &key.serialize_pem(),
        &certificate.pem(),
    );
    // A SEC1 "EC PRIVATE KEY" (OpenSSL's traditional format) signs too.
    let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let sec1: aws_lc_rs::encoding::EcPrivateKeyRfc5915Der<'_> =
        pair.private_key().as_der().unwrap();
    // As `openssl ecparam -genkey` writes it: the curve's parameters first.
    let with_parameters = format!(
        "{}{}",
        pem(
            "EC PARAMETERS",
            &hex::decode("06082a8648ce3d030107").unwrap()
        ),
        pem("EC PRIVATE KEY", sec1.as_ref())
    );
    sign_verify(
        json!({"name": "ECDSA", "hash": "SHA-256"}),
        &with_parameters,
        &pem("PUBLIC KEY", &spki(P256_SPKI, pair.public_key().as_ref())),
    );
}

#[test]
fn rsa_pss_signs_and_verifies_with_each_hash_and_salt_length() {
    let (public, private) = rsa_pair();
    for hash in ["SHA-256", "SHA-384", "SHA-512"] {
        for salt in [0, 20, 32, 64] {
            let signature = sign_verify(
                json!({"name": "RSA-PSS", "hash": hash, "saltLength": salt}),
                private,
                public,
            );
            assert_eq!(signature.len(), 256);
        }
    }
    // The largest salt for a 2048-bit key and SHA-256 is 256 - 32 - 2.
    sign_verify(
        json!({"name": "RSA-PSS", "hash": "SHA-256", "saltLength": 222}),
        private,
        public,
    );
    // A signature with one salt length does not verify with another.
    let mismatch = ok(
        r#"const data = str("x");
           const signature = ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: 32}, input.private, data);
           return [ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-256", saltLength: 32}, input.public, signature, data),
                   ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-256", saltLength: 20}, input.public, signature, data),
                   ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-256"}, input.public, signature, data),
                   ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-384", saltLength: 32}, input.public, signature, data)];"#,
        json!({"private": private, "public": public}),
    );
    assert_eq!(mismatch, json!([true, false, false, false]));
}

#[test]
fn rsa_pss_interoperates_with_aws_lc() {
    let (public, private) = rsa_pair();
    let message = "interop";
    // JS signs (salt = digest length, aws-lc-rs's default), aws-lc-rs verifies.
    let js_signature = ok(
        r#"return hex(ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: 32}, input.key, str(input.message)));"#,
        json!({"key": private, "message": message}),
    );
    let spki = unpem(public);
    let pkcs1 = spki_key_bits(&spki);
    UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &pkcs1)
        .verify(
            message.as_bytes(),
            &hex::decode(text(&js_signature)).unwrap(),
        )
        .unwrap();
    // aws-lc-rs signs with the JS-made key, JS verifies.
    let pair = signature::RsaKeyPair::from_pkcs8(&unpem(private)).unwrap();
    let mut rust_signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &signature::RSA_PSS_SHA384,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut rust_signature,
    )
    .unwrap();
    let verified = ok(
        r#"return ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-384", saltLength: 48}, input.key, unhex(input.signature), str(input.message));"#,
        json!({"key": public, "signature": hex::encode(&rust_signature), "message": message}),
    );
    assert_eq!(verified, true);
    // A certificate for the key verifies too (rcgen reads the JS-made PKCS#8).
    let key = rcgen::KeyPair::from_pem(private).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["rsa.example".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    sign_verify(
        json!({"name": "RSA-PSS", "hash": "SHA-256", "saltLength": 32}),
        private,
        &certificate.pem(),
    );
}

/// The subjectPublicKey bits of an SPKI (after the unused-bits octet).
fn spki_key_bits(spki: &[u8]) -> Vec<u8> {
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).unwrap();
    info.subject_public_key.data.to_vec()
}

#[test]
fn eddsa_matches_rfc_8032_and_interoperates_with_aws_lc() {
    let private = pem(
        "PRIVATE KEY",
        &hex::decode(format!("{ED25519_PKCS8}{RFC8032_SEED}")).unwrap(),
    );
    let public = pem(
        "PUBLIC KEY",
        &spki(ED25519_SPKI, &hex::decode(RFC8032_PUBLIC).unwrap()),
    );
    let result = ok(
        r#"const signature = ccf.crypto.sign({name: "EdDSA"}, input.private, new ArrayBuffer(0));
           return [hex(signature),
                   ccf.crypto.verifySignature({name: "EdDSA"}, input.public, signature, new ArrayBuffer(0)),
                   ccf.crypto.verifySignature({name: "EdDSA"}, input.public, signature, str("x"))];"#,
        json!({"private": private, "public": public}),
    );
    assert_eq!(result, json!([RFC8032_SIGNATURE, true, false]));
    sign_verify(json!({"name": "EdDSA"}), &private, &public);

    let (public, private) = generate(r#"return ccf.crypto.generateEddsaKeyPair("curve25519");"#);
    let signature = sign_verify(json!({"name": "EdDSA"}), &private, &public);
    assert_eq!(signature.len(), 64);
    UnparsedPublicKey::new(&signature::ED25519, spki_key_bits(&unpem(&public)))
        .verify(b"the quick brown fox", &signature)
        .unwrap();
    // aws-lc-rs's key signs, JS verifies against a certificate for it.
    let rust = Ed25519KeyPair::generate().unwrap();
    let rust_private = pem("PRIVATE KEY", rust.to_pkcs8().unwrap().as_ref());
    let rust_public = pem(
        "PUBLIC KEY",
        &spki(ED25519_SPKI, rust.public_key().as_ref()),
    );
    sign_verify(json!({"name": "EdDSA"}), &rust_private, &rust_public);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["ed.example".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    sign_verify(
        json!({"name": "EdDSA"}),
        &key.serialize_pem(),
        &certificate.pem(),
    );
}

#[test]
fn hmac_matches_rfc_4231() {
    let result = ok(
        r#"const data = str("what do ya want for nothing?");
           return ["SHA-256", "SHA-384", "SHA-512"].map((hash) => {
             const mac = ccf.crypto.sign({name: "HMAC", hash}, "Jefe", data);
             return [hex(mac),
                     ccf.crypto.verifySignature({name: "HMAC", hash}, "Jefe", mac, data),
                     ccf.crypto.verifySignature({name: "HMAC", hash}, "jefe", mac, data),
                     ccf.crypto.verifySignature({name: "HMAC", hash}, "Jefe", mac, str("what do ya want?"))];
           });"#,
        json!(null),
    );
    assert_eq!(
        result,
        json!([
            [
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                true,
                false,
                false
            ],
            [
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                true,
                false,
                false
            ],
            [
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                true,
                false,
                false
            ],
        ])
    );
}

#[test]
fn key_generation_makes_the_sizes_asked_for() {
    let sizes = ok(
        r#"return [128, 192, 256].map((bits) => ccf.crypto.generateAesKey(bits).byteLength)
             .concat([ccf.generateAesKey(256).byteLength]);"#,
        json!(null),
    );
    assert_eq!(sizes, json!([16, 24, 32, 32]));
    let distinct = ok(
        "return hex(ccf.crypto.generateAesKey(256)) !== hex(ccf.crypto.generateAesKey(256));",
        json!(null),
    );
    assert_eq!(distinct, true);
    let (public, _) = generate("return ccf.crypto.generateRsaKeyPair(3072, 65537);");
    let jwk = ok("return ccf.crypto.pubRsaPemToJwk(input);", json!(public));
    assert_eq!(b64url(text(&jwk["n"])).len(), 384);
    assert_eq!(jwk["e"], "AQAB");
    let (public, private) = generate(r#"return ccf.crypto.generateEddsaKeyPair("x25519");"#);
    let jwk = ok(
        "return [ccf.crypto.pubEddsaPemToJwk(input[0]), ccf.crypto.eddsaPemToJwk(input[1])];",
        json!([public, private]),
    );
    assert_eq!(jwk[0]["crv"], "X25519");
    assert_eq!(jwk[0]["x"], jwk[1]["x"]);
}

#[test]
fn wrap_and_unwrap_round_trip_for_each_scheme() {
    let (public, private) = rsa_pair();
    let result = ok(
        r#"const { publicKey, privateKey } = input;
           const key = ccf.crypto.generateAesKey(256);
           const out = {};
           const roundTrip = (name, algo, wrappingKey, unwrappingKey, secret) => {
             const wrapped = ccf.crypto.wrapKey(secret, wrappingKey, algo);
             const unwrapped = ccf.crypto.unwrapKey(wrapped, unwrappingKey, algo);
             out[name] = { same: hex(unwrapped) === hex(secret), size: wrapped.byteLength };
           };
           const pub = str(publicKey), priv = str(privateKey);
           roundTrip("oaep", { name: "RSA-OAEP" }, pub, priv, key);
           roundTrip("oaepLabel", { name: "RSA-OAEP", label: str("a label") }, pub, priv, key);
           for (const bits of [128, 192, 256]) {
             const kek = ccf.crypto.generateAesKey(bits);
             roundTrip(`kwp${bits}`, { name: "AES-KWP" }, kek, kek, key);
             roundTrip(`kwp${bits}odd`, { name: "AES-KWP" }, kek, kek, str("seven b"));
             roundTrip(`composite${bits}`, { name: "RSA-OAEP-AES-KWP", aesKeySize: bits }, pub, priv, key);
             roundTrip(`compositeLabel${bits}`, { name: "RSA-OAEP-AES-KWP", aesKeySize: bits, label: str("l") }, pub, priv, str("a long key ".repeat(40)));
           }
           ccf.wrapKey(key, pub, { name: "RSA-OAEP" });
           const labelled = ccf.crypto.wrapKey(key, pub, { name: "RSA-OAEP", label: str("right") });
           const tampered = new Uint8Array(labelled.slice(0)); tampered[10] ^= 1;
           const kek = ccf.crypto.generateAesKey(128);
           const kwp = new Uint8Array(ccf.crypto.wrapKey(key, kek, { name: "AES-KWP" })); kwp[3] ^= 1;
           const attempt = (f) => { try { f(); return "unwrapped"; } catch (e) { return e.message; } };
           out.wrongLabel = attempt(() => ccf.crypto.unwrapKey(labelled, priv, { name: "RSA-OAEP", label: str("wrong") }));
           out.tamperedOaep = attempt(() => ccf.crypto.unwrapKey(tampered.buffer, priv, { name: "RSA-OAEP", label: str("right") }));
           out.tamperedKwp = attempt(() => ccf.crypto.unwrapKey(kwp.buffer, kek, { name: "AES-KWP" }));
           out.wrongKek = attempt(() => ccf.crypto.unwrapKey(ccf.crypto.wrapKey(key, kek, { name: "AES-KWP" }), ccf.crypto.generateAesKey(128), { name: "AES-KWP" }));
           return out;"#,
        json!({"publicKey": public, "privateKey": private}),
    );
    for name in ["oaep", "oaepLabel"] {
        assert_eq!(result[name], json!({"same": true, "size": 256}), "{name}");
    }
    for bits in [128, 192, 256] {
        assert_eq!(
            result[format!("kwp{bits}")],
            json!({"same": true, "size": 40})
        );
        assert_eq!(
            result[format!("kwp{bits}odd")],
            json!({"same": true, "size": 16})
        );
        assert_eq!(
            result[format!("composite{bits}")],
            json!({"same": true, "size": 256 + 40})
        );
        assert_eq!(result[format!("compositeLabel{bits}")]["same"], json!(true));
    }
    assert_eq!(
        result["wrongLabel"],
        "ccf.crypto.unwrapKey: RSA-OAEP unwrapping failed (wrong key, label or data)"
    );
    assert_eq!(result["tamperedOaep"], result["wrongLabel"]);
    assert_eq!(
        result["tamperedKwp"],
        "ccf.crypto.unwrapKey: AES-KWP unwrapping failed (wrong key or corrupted data)"
    );
    assert_eq!(result["wrongKek"], result["tamperedKwp"]);
}

#[test]
fn unwrapping_reads_what_others_wrapped() {
    // RFC 5649 §6 (a 192-bit KEK).
    let unwrapped = ok(
        r#"const kek = unhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
           return [hex(ccf.crypto.unwrapKey(unhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"), kek, {name: "AES-KWP"})),
                   hex(ccf.crypto.wrapKey(unhex("466f7250617369"), kek, {name: "AES-KWP"}))];"#,
        json!(null),
    );
    assert_eq!(
        unwrapped,
        json!([
            "c37b7e6492584340bed12207808941155068f738",
            "afbeb0f07dfbf5419200f2ccb50bb24f"
        ])
    );
    // aws-lc-rs wraps with RSA-OAEP (SHA-256, label), JS unwraps; and the other way.
    let (public, private) = rsa_pair();
    let encrypting =
        OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&unpem(public)).unwrap())
            .unwrap();
    let mut wrapped = vec![0; encrypting.ciphertext_size()];
    encrypting
        .encrypt(
            &OAEP_SHA256_MGF1SHA256,
            b"secret key",
            &mut wrapped,
            Some(b"label"),
        )
        .unwrap();
    let unwrapped = ok(
        r#"return ccf.bufToStr(ccf.crypto.unwrapKey(unhex(input.wrapped), str(input.key), {name: "RSA-OAEP", label: str("label")}));"#,
        json!({"wrapped": hex::encode(&wrapped), "key": private}),
    );
    assert_eq!(unwrapped, "secret key");
    let js_wrapped = ok(
        r#"return hex(ccf.crypto.wrapKey(str("from js"), str(input), {name: "RSA-OAEP"}));"#,
        json!(public),
    );
    let decrypting =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&unpem(private)).unwrap())
            .unwrap();
    let mut plain = vec![0; decrypting.min_output_size()];
    let plain = decrypting
        .decrypt(
            &OAEP_SHA256_MGF1SHA256,
            &hex::decode(text(&js_wrapped)).unwrap(),
            &mut plain,
            None,
        )
        .unwrap();
    assert_eq!(plain, b"from js");
}

/// Base64url without padding (RFC 7515 §2), of `bytes` decoded bytes if given.
fn assert_b64url(jwk: &Value, member: &str, bytes: Option<usize>) {
    let value = text(&jwk[member]);
    assert!(
        value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{member} of {jwk}"
    );
    if let Some(bytes) = bytes {
        assert_eq!(b64url(value).len(), bytes, "{member} of {jwk}");
    }
}

fn keys(jwk: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = jwk
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// PEM → JWK → PEM → JWK for a public and a private key, with and without `kid`.
const JWK_ROUND_TRIP: &str = r#"
const [toJwk, fromJwk, pubToJwk, pubFromJwk] = input.functions.map((f) => ccf.crypto[f]);
const jwk = toJwk(input.privateKey, "my key");
const pubJwk = pubToJwk(input.publicKey);
const pem = fromJwk(jwk);
const pubPem = pubFromJwk(pubJwk);
return { jwk, pubJwk, pem, pubPem, again: toJwk(pem), pubAgain: pubToJwk(pubPem),
         pubOfPrivate: pubToJwk(input.publicKey, "my key") };
"#;

fn jwk_round_trip(functions: [&str; 4], public: &str, private: &str) -> Value {
    let result = ok(
        JWK_ROUND_TRIP,
        json!({"functions": functions, "privateKey": private, "publicKey": public}),
    );
    assert_eq!(result["jwk"]["kid"], "my key");
    assert!(result["pubJwk"].get("kid").is_none());
    let mut without_kid = result["jwk"].clone();
    without_kid.as_object_mut().unwrap().remove("kid");
    assert_eq!(result["again"], without_kid);
    assert_eq!(result["pubAgain"], result["pubJwk"]);
    assert!(text(&result["pem"]).starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(text(&result["pubPem"]), public);
    // The private JWK's public members are the public JWK's.
    for (member, value) in result["pubOfPrivate"].as_object().unwrap() {
        assert_eq!(&result["jwk"][member], value, "{member}");
    }
    result
}

#[test]
fn ec_keys_convert_between_pem_and_jwk() {
    for (curve, crv, size) in [("secp256r1", "P-256", 32), ("secp384r1", "P-384", 48)] {
        let (public, private) = generate(&format!(
            "return ccf.crypto.generateEcdsaKeyPair({curve:?});"
        ));
        let result = jwk_round_trip(
            ["pemToJwk", "jwkToPem", "pubPemToJwk", "pubJwkToPem"],
            &public,
            &private,
        );
        let jwk = &result["jwk"];
        assert_eq!(keys(jwk), ["crv", "d", "kid", "kty", "x", "y"]);
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], crv);
        for member in ["x", "y", "d"] {
            assert_b64url(jwk, member, Some(size));
        }
        // x and y are the point's coordinates.
        let point = spki_key_bits(&unpem(&public));
        assert_eq!(point[0], 4);
        assert_eq!(b64url(text(&jwk["x"])), point[1..=size]);
        assert_eq!(b64url(text(&jwk["y"])), point[size + 1..]);
        // The PEM made from the JWK signs for the original public key.
        sign_verify(
            json!({"name": "ECDSA", "hash": "SHA-256"}),
            text(&result["pem"]),
            &public,
        );
    }
}

#[test]
fn rsa_keys_convert_between_pem_and_jwk() {
    let (public, private) = rsa_pair();
    let result = jwk_round_trip(
        [
            "rsaPemToJwk",
            "rsaJwkToPem",
            "pubRsaPemToJwk",
            "pubRsaJwkToPem",
        ],
        public,
        private,
    );
    let jwk = &result["jwk"];
    assert_eq!(
        keys(jwk),
        ["d", "dp", "dq", "e", "kid", "kty", "n", "p", "q", "qi"]
    );
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["e"], "AQAB");
    assert_b64url(jwk, "n", Some(256));
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        assert_b64url(jwk, member, None);
    }
    // n has no leading zero octet (RFC 7518 §6.3.1.1).
    assert_ne!(b64url(text(&jwk["n"]))[0], 0);
    assert_eq!(keys(&result["pubJwk"]), ["e", "kty", "n"]);
    sign_verify(
        json!({"name": "RSA-PSS", "hash": "SHA-256", "saltLength": 32}),
        text(&result["pem"]),
        public,
    );
    // aws-lc-rs reads the PEM the JWK became.
    signature::RsaKeyPair::from_pkcs8(&unpem(text(&result["pem"]))).unwrap();
}

#[test]
fn eddsa_keys_convert_between_pem_and_jwk() {
    // RFC 8037 §A.1's key is RFC 8032's test 1.
    let private = pem(
        "PRIVATE KEY",
        &hex::decode(format!("{ED25519_PKCS8}{RFC8032_SEED}")).unwrap(),
    );
    let jwk = ok("return ccf.crypto.eddsaPemToJwk(input);", json!(private));
    assert_eq!(
        jwk,
        json!({"kty": "OKP", "crv": "Ed25519",
               "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
               "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"})
    );
    for curve in ["curve25519", "x25519"] {
        let (public, private) = generate(&format!(
            "return ccf.crypto.generateEddsaKeyPair({curve:?});"
        ));
        let result = jwk_round_trip(
            [
                "eddsaPemToJwk",
                "eddsaJwkToPem",
                "pubEddsaPemToJwk",
                "pubEddsaJwkToPem",
            ],
            &public,
            &private,
        );
        let jwk = &result["jwk"];
        assert_eq!(keys(jwk), ["crv", "d", "kid", "kty", "x"]);
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(
            jwk["crv"],
            if curve == "x25519" {
                "X25519"
            } else {
                "Ed25519"
            }
        );
        assert_b64url(jwk, "x", Some(32));
        assert_b64url(jwk, "d", Some(32));
        assert_eq!(text(&result["pem"]), private);
    }
}

/// Valid from `days.0` to `days.1` days from now.
fn set_validity(params: &mut rcgen::CertificateParams, (from, to): (i64, i64)) {
    let now = x509_parser::time::ASN1Time::now().timestamp();
    let at = |days: i64| {
        x509_parser::time::ASN1Time::from_timestamp(now + days * 86_400)
            .unwrap()
            .to_datetime()
    };
    params.not_before = at(from);
    params.not_after = at(to);
}

struct Ca {
    certificate: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

fn params(name: &str, ca: Option<Option<u8>>, days: (i64, i64)) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = match ca {
        Some(Some(path_length)) => {
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(path_length))
        }
        Some(None) => rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        None => rcgen::IsCa::ExplicitNoCa,
    };
    if ca.is_some() {
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
    }
    set_validity(&mut params, days);
    params
}

fn root(name: &str, path_length: Option<u8>) -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = params(name, Some(path_length), (-1, 30));
    Ca {
        certificate: params.self_signed(&key).unwrap(),
        issuer: rcgen::Issuer::new(params, key),
    }
}

fn issue(issuer: &Ca, name: &str, ca: Option<Option<u8>>, days: (i64, i64)) -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = params(name, ca, days);
    Ca {
        certificate: params.signed_by(&key, &issuer.issuer).unwrap(),
        issuer: rcgen::Issuer::new(params, key),
    }
}

fn chain_valid(chain: &[&Ca], trusted: &[&Ca]) -> bool {
    let bundle = |certs: &[&Ca]| -> String {
        certs
            .iter()
            .map(|ca| ca.certificate.pem())
            .collect::<Vec<_>>()
            .join("\n")
    };
    ok(
        "return ccf.crypto.isValidX509CertChain(input[0], input[1]);",
        json!([bundle(chain), bundle(trusted)]),
    )
    .as_bool()
    .unwrap()
}

#[test]
fn x509_bundles_are_checked_for_syntax() {
    let a = root("a", None);
    let b = root("b", None);
    let (public, _) = rsa_pair();
    let both = format!(
        "# a comment, as CA bundles have\n{}\n{}",
        a.certificate.pem(),
        b.certificate.pem()
    );
    // A line of base64 missing: the DER is cut short.
    let mut lines: Vec<String> = a.certificate.pem().lines().map(str::to_owned).collect();
    lines.remove(3);
    let truncated = lines.join("\n");
    let result = ok(
        "return input.map((pem) => ccf.crypto.isValidX509CertBundle(pem)).concat([ccf.isValidX509CertBundle(input[0])]);",
        json!([
            a.certificate.pem(),
            both,
            "",
            "not a certificate",
            public,
            truncated,
            format!("{}{}", a.certificate.pem(), public),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ]),
    );
    assert_eq!(
        result,
        json!([true, true, false, false, false, false, false, false, true])
    );
}

#[test]
fn x509_chains_are_verified_as_openssl_does() {
    let root_ca = root("root", None);
    let other_root = root("other root", None);
    let intermediate = issue(&root_ca, "intermediate", Some(None), (-1, 30));
    let leaf = issue(&intermediate, "leaf", None, (-1, 30));
    let direct_leaf = issue(&root_ca, "direct leaf", None, (-1, 30));
    let expired = issue(&root_ca, "expired", None, (-10, -1));
    let not_yet = issue(&root_ca, "not yet", None, (1, 10));
    let non_ca = issue(&root_ca, "not a CA", None, (-1, 30));
    let under_non_ca = issue(&non_ca, "under a non-CA", None, (-1, 30));
    let constrained = root("pathlen 0", Some(0));
    let constrained_intermediate = issue(&constrained, "intermediate", Some(None), (-1, 30));
    let too_deep = issue(&constrained_intermediate, "too deep", None, (-1, 30));

    assert!(chain_valid(&[&direct_leaf], &[&root_ca]));
    assert!(chain_valid(&[&leaf, &intermediate], &[&root_ca]));
    assert!(chain_valid(
        &[&leaf, &intermediate],
        &[&other_root, &root_ca]
    ));
    // An intermediate may anchor the chain (CCF sets X509_V_FLAG_PARTIAL_CHAIN).
    assert!(chain_valid(&[&leaf], &[&intermediate]));
    // A trusted certificate is valid on its own.
    assert!(chain_valid(&[&root_ca], &[&root_ca]));

    assert!(!chain_valid(&[&leaf], &[&root_ca]), "missing intermediate");
    assert!(!chain_valid(&[&direct_leaf], &[&other_root]), "wrong root");
    assert!(!chain_valid(&[&expired], &[&root_ca]), "expired");
    assert!(!chain_valid(&[&not_yet], &[&root_ca]), "not yet valid");
    assert!(
        !chain_valid(&[&under_non_ca, &non_ca], &[&root_ca]),
        "issued by a non-CA"
    );
    assert!(
        !chain_valid(&[&direct_leaf], &[&root_ca, &non_ca]),
        "every trusted certificate must be a CA"
    );
    assert!(
        !chain_valid(&[&too_deep, &constrained_intermediate], &[&constrained]),
        "path length"
    );
    assert!(chain_valid(&[&constrained_intermediate], &[&constrained]));

    // Certificates that all issue one another (one key, one name) do not make the search
    // explode: each is followed once.
    let key = rcgen::KeyPair::generate().unwrap();
    let tangle: Vec<Ca> = (1..=60u64)
        .map(|serial| {
            let mut params = params("tangle", Some(None), (-1, 30));
            params.serial_number = Some(rcgen::SerialNumber::from(serial));
            Ca {
                certificate: params.self_signed(&key).unwrap(),
                issuer: rcgen::Issuer::new(params, rcgen::KeyPair::generate().unwrap()),
            }
        })
        .collect();
    let started = std::time::Instant::now();
    assert!(!chain_valid(
        &tangle.iter().collect::<Vec<_>>(),
        &[&other_root]
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    let malformed = ok(
        r#"return [ccf.crypto.isValidX509CertChain("", input), ccf.crypto.isValidX509CertChain(input, ""),
                   ccf.crypto.isValidX509CertChain("junk", input), ccf.isValidX509CertChain(input, input)];"#,
        json!(root_ca.certificate.pem()),
    );
    assert_eq!(malformed, json!([false, false, false, true]));
}

#[test]
fn bad_input_throws_clear_errors() {
    let (rsa_public, rsa_private) = rsa_pair();
    let (ec_public, ec_private) =
        generate(r#"return ccf.crypto.generateEcdsaKeyPair("secp256r1");"#);
    let (ed_public, ed_private) =
        generate(r#"return ccf.crypto.generateEddsaKeyPair("curve25519");"#);
    let keys = json!({"rsaPublic": rsa_public, "rsaPrivate": rsa_private, "ecPublic": ec_public,
                      "ecPrivate": ec_private, "edPublic": ed_public, "edPrivate": ed_private});
    let cases: &[(&str, &str)] = &[
        // sign / verifySignature
        (
            r#"ccf.crypto.sign("ECDSA", input.ecPrivate, str("x"))"#,
            r#"TypeError: ccf.crypto.sign: signing algorithm "ECDSA" is not supported: pass an object such as {name: "ECDSA", hash: "SHA-256"}"#,
        ),
        (
            r#"ccf.crypto.sign({hash: "SHA-256"}, input.ecPrivate, str("x"))"#,
            "TypeError: ccf.crypto.sign: algorithm.name must be a string",
        ),
        (
            r#"ccf.crypto.sign({name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"}, input.rsaPrivate, str("x"))"#,
            r#"RangeError: ccf.crypto.sign: signing algorithm "RSASSA-PKCS1-v1_5" is not supported (supported: RSA-PSS, ECDSA, EdDSA, HMAC)"#,
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA"}, input.ecPrivate, str("x"))"#,
            "TypeError: ccf.crypto.sign: algorithm.hash is required (SHA-256, SHA-384 or SHA-512)",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-1"}, input.ecPrivate, str("x"))"#,
            r#"RangeError: ccf.crypto.sign: hash algorithm "SHA-1" is not supported (supported: SHA-256, SHA-384, SHA-512)"#,
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: 256}, input.ecPrivate, str("x"))"#,
            "TypeError: ccf.crypto.sign: algorithm.hash must be a string",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, input.rsaPrivate, str("x"))"#,
            "Error: ccf.crypto.sign: ECDSA needs an EC private key, not an RSA key",
        ),
        (
            r#"ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256"}, input.ecPrivate, str("x"))"#,
            "Error: ccf.crypto.sign: RSA-PSS needs an RSA private key, not an EC key",
        ),
        (
            r#"ccf.crypto.sign({name: "EdDSA"}, input.ecPrivate, str("x"))"#,
            "Error: ccf.crypto.sign: EdDSA needs an Ed25519 private key, not an EC key",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, input.ecPublic, str("x"))"#,
            "Error: ccf.crypto.sign: expected a private key PEM, not PUBLIC KEY",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, "no pem here", str("x"))"#,
            "Error: ccf.crypto.sign: expected a PEM-encoded private key",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----", str("x"))"#,
            "Error: ccf.crypto.sign: the PEM block PRIVATE KEY is not valid base64",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----", str("x"))"#,
            "Error: ccf.crypto.sign: not a valid PKCS#8 private key",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, "-----BEGIN PRIVATE KEY-----\nAAAA", str("x"))"#,
            "Error: ccf.crypto.sign: the PEM block PRIVATE KEY has no END line",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, input.ecPrivate.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"), str("x"))"#,
            "Error: ccf.crypto.sign: the PEM block PRIVATE KEY has headers: encrypted PEM is not supported",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, 42, str("x"))"#,
            "TypeError: ccf.crypto.sign: key must be a string",
        ),
        (
            r#"ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, input.ecPrivate, "x")"#,
            "TypeError: ccf.crypto.sign: data must be an ArrayBuffer or a typed array",
        ),
        (
            r#"ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: 223}, input.rsaPrivate, str("x"))"#,
            "RangeError: ccf.crypto.sign: algorithm.saltLength 223 is too large for a 2048-bit key with SHA-256 (at most 222)",
        ),
        (
            r#"ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: -1}, input.rsaPrivate, str("x"))"#,
            "RangeError: ccf.crypto.sign: algorithm.saltLength -1 is not a byte count",
        ),
        (
            r#"ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: 1.5}, input.rsaPrivate, str("x"))"#,
            "RangeError: ccf.crypto.sign: algorithm.saltLength 1.5 is not a byte count",
        ),
        (
            r#"ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256", saltLength: "32"}, input.rsaPrivate, str("x"))"#,
            "TypeError: ccf.crypto.sign: algorithm.saltLength must be a number",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-256"}, input.ecPrivate, str("s"), str("x"))"#,
            "Error: ccf.crypto.verifySignature: expected a public key or certificate PEM, not a private key",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-256"}, input.rsaPublic, str("s"), str("x"))"#,
            "Error: ccf.crypto.verifySignature: ECDSA needs an EC public key or certificate, not an RSA key",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "EdDSA"}, input.ecPublic, str("s"), str("x"))"#,
            "Error: ccf.crypto.verifySignature: EdDSA needs an Ed25519 public key or certificate, not an EC key",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "RSA-PSS", hash: "SHA-256"}, input.edPublic, str("s"), str("x"))"#,
            "Error: ccf.crypto.verifySignature: RSA-PSS needs an RSA public key or certificate, not an Ed25519 key",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-256"}, input.ecPublic, "sig", str("x"))"#,
            "TypeError: ccf.crypto.verifySignature: signature must be an ArrayBuffer or a typed array",
        ),
        (
            r#"ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-256"}, input.ecPublic.replace("MF", "MG"), str("s"), str("x"))"#,
            "Error: ccf.crypto.verifySignature: not a valid",
        ),
        (
            r#"ccf.crypto.verifySignature(null, input.ecPublic, str("s"), str("x"))"#,
            "TypeError: ccf.crypto.verifySignature: signing algorithm null is not supported",
        ),
        // key generation
        (
            "ccf.crypto.generateAesKey(100)",
            "RangeError: ccf.crypto.generateAesKey: invalid key size 100 (not one of 128, 192, 256)",
        ),
        (
            r#"ccf.crypto.generateAesKey("128")"#,
            "TypeError: ccf.crypto.generateAesKey: size must be a number",
        ),
        (
            "ccf.crypto.generateRsaKeyPair(1024)",
            "RangeError: ccf.crypto.generateRsaKeyPair: 1024-bit RSA keys are not supported yet (supported: 2048, 3072, 4096, 8192)",
        ),
        (
            "ccf.crypto.generateRsaKeyPair(2048, 3)",
            "RangeError: ccf.crypto.generateRsaKeyPair: public exponent 3 is not supported yet (only 65537 is)",
        ),
        (
            "ccf.crypto.generateRsaKeyPair()",
            "TypeError: ccf.crypto.generateRsaKeyPair: size must be a number",
        ),
        (
            r#"ccf.crypto.generateEcdsaKeyPair("secp521r1")"#,
            r#"RangeError: ccf.crypto.generateEcdsaKeyPair: curve "secp521r1" is not supported (supported: secp256r1, secp384r1)"#,
        ),
        (
            r#"ccf.crypto.generateEddsaKeyPair("ed448")"#,
            r#"RangeError: ccf.crypto.generateEddsaKeyPair: curve "ed448" is not supported (supported: curve25519, x25519)"#,
        ),
        // wrapping
        (
            r#"ccf.crypto.wrapKey(str("k"), str("k"), {name: "AES-GCM"})"#,
            r#"RangeError: ccf.crypto.wrapKey: key wrapping algorithm "AES-GCM" is not supported (supported: RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP)"#,
        ),
        (
            r#"ccf.crypto.unwrapKey(str("k"), str("k"), {name: "AES-GCM"})"#,
            r#"RangeError: ccf.crypto.unwrapKey: key unwrapping algorithm "AES-GCM" is not supported"#,
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), str("k"), "AES-KWP")"#,
            r#"TypeError: ccf.crypto.wrapKey: wrapping algorithm "AES-KWP" is not supported: pass an object such as {name: "RSA-OAEP"}"#,
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), new ArrayBuffer(10), {name: "AES-KWP"})"#,
            "Error: ccf.crypto.wrapKey: an AES wrapping key is 16, 24 or 32 bytes, not 10",
        ),
        (
            r#"ccf.crypto.wrapKey(new ArrayBuffer(0), new ArrayBuffer(16), {name: "AES-KWP"})"#,
            "Error: ccf.crypto.wrapKey: the key to wrap is empty",
        ),
        (
            r#"ccf.crypto.unwrapKey(new ArrayBuffer(12), new ArrayBuffer(16), {name: "AES-KWP"})"#,
            "Error: ccf.crypto.unwrapKey: AES-KWP wrapped data is a multiple of 8 bytes, at least 16",
        ),
        (
            r#"ccf.crypto.unwrapKey(new ArrayBuffer(24), new ArrayBuffer(24), {name: "AES-KWP"})"#,
            "Error: ccf.crypto.unwrapKey: AES-KWP unwrapping failed (wrong key or corrupted data)",
        ),
        (
            r#"ccf.crypto.wrapKey(new ArrayBuffer(300), str(input.rsaPublic), {name: "RSA-OAEP"})"#,
            "Error: ccf.crypto.wrapKey: RSA-OAEP with a 2048-bit key wraps at most 190 bytes, not 300",
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), str(input.ecPublic), {name: "RSA-OAEP"})"#,
            "Error: ccf.crypto.wrapKey: RSA-OAEP needs an RSA public key, not an EC key",
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), new Uint8Array([0xff, 0xfe]), {name: "RSA-OAEP"})"#,
            "Error: ccf.crypto.wrapKey: the wrapping key is not PEM text",
        ),
        (
            r#"ccf.crypto.unwrapKey(new ArrayBuffer(256), str(input.rsaPublic), {name: "RSA-OAEP"})"#,
            "Error: ccf.crypto.unwrapKey: expected a private key PEM, not PUBLIC KEY",
        ),
        (
            r#"ccf.crypto.unwrapKey(new ArrayBuffer(100), str(input.rsaPrivate), {name: "RSA-OAEP"})"#,
            "Error: ccf.crypto.unwrapKey: RSA-OAEP unwrapping failed (wrong key, label or data)",
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), str(input.rsaPublic), {name: "RSA-OAEP-AES-KWP"})"#,
            "TypeError: ccf.crypto.wrapKey: wrapAlgo.aesKeySize is required for RSA-OAEP-AES-KWP (128, 192 or 256)",
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), str(input.rsaPublic), {name: "RSA-OAEP-AES-KWP", aesKeySize: 100})"#,
            "RangeError: ccf.crypto.wrapKey: wrapAlgo.aesKeySize 100 is not supported (128, 192 or 256)",
        ),
        (
            r#"ccf.crypto.unwrapKey(new ArrayBuffer(256), str(input.rsaPrivate), {name: "RSA-OAEP-AES-KWP", aesKeySize: 256})"#,
            "Error: ccf.crypto.unwrapKey: the wrapped data is too short for RSA-OAEP-AES-KWP with this key",
        ),
        (
            r#"ccf.crypto.wrapKey(str("k"), str(input.rsaPublic), {name: "RSA-OAEP", label: "l"})"#,
            "TypeError: ccf.crypto.wrapKey: wrapAlgo.label must be an ArrayBuffer or a typed array",
        ),
        (
            r#"ccf.crypto.wrapKey("k", str(input.rsaPublic), {name: "RSA-OAEP"})"#,
            "TypeError: ccf.crypto.wrapKey: key must be an ArrayBuffer or a typed array",
        ),
        (
            r#"ccf.crypto.unwrapKey(str("k"), input.rsaPrivate, {name: "RSA-OAEP"})"#,
            "TypeError: ccf.crypto.unwrapKey: unwrappingKey must be an ArrayBuffer or a typed array",
        ),
        // digest
        (
            r#"ccf.crypto.digest("SHA-1", str("x"))"#,
            r#"RangeError: ccf.crypto.digest: hash algorithm "SHA-1" is not supported (supported: SHA-256, SHA-384, SHA-512)"#,
        ),
        (
            r#"ccf.digest("SHA-256", "abc")"#,
            "TypeError: ccf.crypto.digest: data must be an ArrayBuffer or a typed array",
        ),
        // PEM -> JWK
        (
            "ccf.crypto.pubPemToJwk(input.rsaPublic)",
            "Error: ccf.crypto.pubPemToJwk: the PEM holds an RSA key, not an EC public key (see pubRsaPemToJwk, pubEddsaPemToJwk)",
        ),
        (
            "ccf.crypto.pemToJwk(input.edPrivate)",
            "Error: ccf.crypto.pemToJwk: the PEM holds an Ed25519 key, not an EC private key (see rsaPemToJwk, eddsaPemToJwk)",
        ),
        (
            "ccf.crypto.rsaPemToJwk(input.rsaPublic)",
            "Error: ccf.crypto.rsaPemToJwk: expected a private key PEM, not PUBLIC KEY",
        ),
        (
            "ccf.crypto.pubEddsaPemToJwk(input.ecPublic)",
            "Error: ccf.crypto.pubEddsaPemToJwk: the PEM holds an EC key, not an Ed25519 or X25519 public key",
        ),
        (
            "ccf.crypto.pubPemToJwk(input.ecPublic, 7)",
            "TypeError: ccf.crypto.pubPemToJwk: kid must be a string",
        ),
        (
            "ccf.crypto.pubPemToJwk()",
            "TypeError: ccf.crypto.pubPemToJwk: pem must be a string",
        ),
        // JWK -> PEM
        (
            "ccf.crypto.pubJwkToPem(\"{}\")",
            "TypeError: ccf.crypto.pubJwkToPem: jwk must be a JSON Web Key object",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-256\", x: \"AA\"})",
            "TypeError: ccf.crypto.pubJwkToPem: jwk.y is missing",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"RSA\", crv: \"P-256\", x: \"AA\", y: \"AA\"})",
            "Error: ccf.crypto.pubJwkToPem: jwk.kty must be \"EC\", not \"RSA\"",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-521\", x: \"AA\", y: \"AA\"})",
            "RangeError: ccf.crypto.pubJwkToPem: jwk.crv \"P-521\" is not supported (supported: P-256, P-384, secp256k1)",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-256\", x: \"A+A\", y: \"AA\"})",
            "Error: ccf.crypto.pubJwkToPem: jwk.x is not base64url",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-256\", x: 5, y: \"AA\"})",
            "TypeError: ccf.crypto.pubJwkToPem: jwk.x must be a string",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-256\", x: \"AQ\", y: \"AQ\"})",
            "Error: ccf.crypto.pubJwkToPem: jwk is not a valid P-256 public key",
        ),
        (
            "ccf.crypto.pubJwkToPem({kty: \"EC\", crv: \"P-256\", x: \"A\".repeat(60), y: \"AA\"})",
            "Error: ccf.crypto.pubJwkToPem: jwk.x is 45 bytes; P-256 needs 32",
        ),
        (
            "(() => { const jwk = ccf.crypto.pemToJwk(input.ecPrivate); jwk.d = \"AQ\"; return ccf.crypto.jwkToPem(jwk); })()",
            "Error: ccf.crypto.jwkToPem: jwk is not a valid P-256 private key (or d does not match x and y)",
        ),
        (
            "(() => { const jwk = ccf.crypto.rsaPemToJwk(input.rsaPrivate); jwk.d = jwk.p; return ccf.crypto.rsaJwkToPem(jwk); })()",
            "Error: ccf.crypto.rsaJwkToPem: jwk is not a consistent RSA private key",
        ),
        (
            "ccf.crypto.rsaJwkToPem({kty: \"RSA\", n: \"AQAB\".repeat(42), e: \"AQAB\", d: \"AQAB\", p: \"AQAB\", q: \"AQAB\", dp: \"AQAB\", dq: \"AQAB\", qi: \"AQAB\"})",
            "RangeError: ccf.crypto.rsaJwkToPem: 1001-bit RSA keys are not supported yet (2048 to 8192 bits are)",
        ),
        (
            "(() => { const jwk = ccf.crypto.rsaPemToJwk(input.rsaPrivate); delete jwk.qi; return ccf.crypto.rsaJwkToPem(jwk); })()",
            "TypeError: ccf.crypto.rsaJwkToPem: jwk.qi is missing",
        ),
        (
            "(() => { const jwk = ccf.crypto.eddsaPemToJwk(input.edPrivate); jwk.x = ccf.crypto.pubEddsaPemToJwk(ccf.crypto.generateEddsaKeyPair(\"curve25519\").publicKey).x; return ccf.crypto.eddsaJwkToPem(jwk); })()",
            "Error: ccf.crypto.eddsaJwkToPem: jwk is not a valid Ed25519 key pair (d does not match x)",
        ),
        (
            "ccf.crypto.pubEddsaJwkToPem({kty: \"OKP\", crv: \"Ed448\", x: \"AA\"})",
            "RangeError: ccf.crypto.pubEddsaJwkToPem: jwk.crv \"Ed448\" is not supported (supported: Ed25519, X25519)",
        ),
        (
            "ccf.crypto.pubEddsaJwkToPem({kty: \"OKP\", crv: \"Ed25519\", x: \"AA\"})",
            "Error: ccf.crypto.pubEddsaJwkToPem: jwk.x is 1 bytes, not 32",
        ),
        // X.509
        (
            "ccf.crypto.isValidX509CertBundle(42)",
            "TypeError: ccf.crypto.isValidX509CertBundle: pem must be a string",
        ),
        (
            "ccf.crypto.isValidX509CertChain(\"\")",
            "TypeError: ccf.crypto.isValidX509CertChain: trusted must be a string",
        ),
    ];
    for (expression, expected) in cases {
        assert_throws(&format!("return {expression};"), keys.clone(), expected);
    }
}

#[test]
fn an_uncaught_crypto_error_is_a_js_exception() {
    let outcome = call_handler("uncaught", &json!({}));
    match outcome {
        Err(JsError::Exception { message, .. }) => assert_eq!(
            message,
            "ccf.crypto.sign: expected a PEM-encoded private key"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ccf_crypto_is_frozen_and_matches_global_ts() {
    let names = ok(
        r#"return [Object.isFrozen(ccf.crypto), Object.keys(ccf.crypto).sort(),
                   ["digest", "generateAesKey", "generateRsaKeyPair", "generateEcdsaKeyPair", "wrapKey",
                    "isValidX509CertBundle", "isValidX509CertChain"].every((n) => ccf[n] === ccf.crypto[n])];"#,
        json!(null),
    );
    assert_eq!(
        names,
        json!([
            true,
            [
                "digest",
                "eddsaJwkToPem",
                "eddsaPemToJwk",
                "generateAesKey",
                "generateEcdsaKeyPair",
                "generateEddsaKeyPair",
                "generateRsaKeyPair",
                "isValidX509CertBundle",
                "isValidX509CertChain",
                "jwkToPem",
                "pemToJwk",
                "pubEddsaJwkToPem",
                "pubEddsaPemToJwk",
                "pubJwkToPem",
                "pubPemToJwk",
                "pubRsaJwkToPem",
                "pubRsaPemToJwk",
                "rsaJwkToPem",
                "rsaPemToJwk",
                "sign",
                "unwrapKey",
                "verifySignature",
                "wrapKey"
            ],
            true
        ])
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Arbitrary bytes as keys, signatures, wrapped data and JWK members never panic: each
    /// call returns or throws.
    #[test]
    fn arbitrary_input_returns_or_throws(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let body = STANDARD.encode(&bytes);
        let code = r#"
          const data = unhex(input.hex);
          const attempts = [
            () => ccf.crypto.sign({name: "ECDSA", hash: "SHA-256"}, `-----BEGIN PRIVATE KEY-----\n${input.b64}\n-----END PRIVATE KEY-----`, data),
            () => ccf.crypto.sign({name: "EdDSA"}, `-----BEGIN EC PRIVATE KEY-----\n${input.b64}\n-----END EC PRIVATE KEY-----`, data),
            () => ccf.crypto.sign({name: "RSA-PSS", hash: "SHA-256"}, `-----BEGIN RSA PRIVATE KEY-----\n${input.b64}\n-----END RSA PRIVATE KEY-----`, data),
            () => ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-384"}, `-----BEGIN PUBLIC KEY-----\n${input.b64}\n-----END PUBLIC KEY-----`, data, data),
            () => ccf.crypto.verifySignature({name: "ECDSA", hash: "SHA-256"}, input.ecPublic, data, data),
            () => ccf.crypto.verifySignature({name: "EdDSA"}, `-----BEGIN CERTIFICATE-----\n${input.b64}\n-----END CERTIFICATE-----`, data, data),
            () => ccf.crypto.unwrapKey(data, data, {name: "AES-KWP"}),
            () => ccf.crypto.unwrapKey(data, new ArrayBuffer(24), {name: "AES-KWP"}),
            () => ccf.crypto.unwrapKey(data, str(`-----BEGIN PRIVATE KEY-----\n${input.b64}\n-----END PRIVATE KEY-----`), {name: "RSA-OAEP-AES-KWP", aesKeySize: 128}),
            () => ccf.crypto.pubJwkToPem({kty: "EC", crv: "P-256", x: input.b64url, y: input.b64url}),
            () => ccf.crypto.eddsaJwkToPem({kty: "OKP", crv: "Ed25519", x: input.b64url, d: input.b64url}),
            () => ccf.crypto.rsaJwkToPem({kty: "RSA", n: input.b64url, e: "AQAB", d: input.b64url, p: input.b64url, q: input.b64url, dp: input.b64url, dq: input.b64url, qi: input.b64url}),
            () => ccf.crypto.isValidX509CertChain(`-----BEGIN CERTIFICATE-----\n${input.b64}\n-----END CERTIFICATE-----`, input.cert),
          ];
          return attempts.map((f) => { try { f(); return "returned"; } catch (e) { return e instanceof Error ? "threw" : "other"; } });
        "#;
        let result = ok(code, json!({
            "hex": hex::encode(&bytes), "b64": body, "b64url": URL_SAFE_NO_PAD.encode(&bytes),
            "ecPublic": P256_EXAMPLE_PUBLIC, "cert": P256_EXAMPLE_PUBLIC,
        }));
        for outcome in result.as_array().unwrap() {
            prop_assert!(outcome == "returned" || outcome == "threw", "{result}");
        }
    }
}

/// Any P-256 public key.
const P256_EXAMPLE_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcx/mgDNCV4abwCYP6QWpLTb/7NOn
TKO8b7+EsD9E70nfwBL6qLzbSWkRkJYiaAg5ZjZNAqCoEhQBdoK3qUJOtg==
-----END PUBLIC KEY-----
";

const CCF_PYTHON: &str = "/tmp/ccfpy/bin/python";

/// Verifies the signatures JS made, checks our PEMs and JWKs against `cryptography`'s reading
/// of them, and makes signatures and wrapped keys for JS to check.
const PYTHON_CHECK: &str = r#"
import base64, json, os, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

d = sys.argv[1]
data = json.load(open(os.path.join(d, "in.json")))
H = {"SHA-256": hashes.SHA256, "SHA-384": hashes.SHA384, "SHA-512": hashes.SHA512}
def b64u(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")
msg = data["message"].encode()
for e in data["ecdsa"]:
    pub = serialization.load_pem_public_key(e["public"].encode())
    sig = bytes.fromhex(e["signature"])
    half = len(sig) // 2
    der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
    pub.verify(der, msg, ec.ECDSA(H[e["hash"]]()))
    priv = serialization.load_pem_private_key(e["private"].encode(), None)
    n = priv.private_numbers()
    jwk = e["jwk"]
    assert (b64u(jwk["x"]), b64u(jwk["y"]), b64u(jwk["d"])) == (n.public_numbers.x, n.public_numbers.y, n.private_value), "EC JWK"
for e in data["pss"]:
    pub = serialization.load_pem_public_key(e["public"].encode())
    pub.verify(bytes.fromhex(e["signature"]), msg,
               padding.PSS(mgf=padding.MGF1(H[e["hash"]]()), salt_length=e["salt"]), H[e["hash"]]())
rsa_priv = serialization.load_pem_private_key(data["rsaPrivate"].encode(), None)
n = rsa_priv.private_numbers()
jwk = data["rsaJwk"]
assert [b64u(jwk[k]) for k in ["n", "e", "d", "p", "q", "dp", "dq", "qi"]] == [
    n.public_numbers.n, n.public_numbers.e, n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp], "RSA JWK"
for e in data["eddsa"]:
    pub = serialization.load_pem_public_key(e["public"].encode())
    pub.verify(bytes.fromhex(e["signature"]), msg)
    serialization.load_pem_private_key(e["private"].encode(), None)
serialization.load_pem_private_key(data["x25519Private"].encode(), None)
serialization.load_pem_public_key(data["x25519Public"].encode())

out = {"ecdsa": [], "pss": []}
for curve, name in [(ec.SECP256R1(), "P-256"), (ec.SECP384R1(), "P-384"), (ec.SECP256K1(), "secp256k1")]:
    key = ec.generate_private_key(curve)
    size = (curve.key_size + 7) // 8
    for h in H:
        r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(H[h]())))
        out["ecdsa"].append({"curve": name, "hash": h,
            "public": key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            "signature": (r.to_bytes(size, "big") + s.to_bytes(size, "big")).hex()})
key = rsa.generate_private_key(65537, 2048)
public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
for h, salt in [("SHA-256", 0), ("SHA-384", 20), ("SHA-512", 64)]:
    out["pss"].append({"hash": h, "salt": salt, "public": public_pem,
        "signature": key.sign(msg, padding.PSS(mgf=padding.MGF1(H[h]()), salt_length=salt), H[h]()).hex()})
out["rsaPrivate"] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
secret = os.urandom(32)
oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=b"py label")
out["oaep"] = key.public_key().encrypt(secret, oaep).hex()
kek = os.urandom(24)
out["kek"] = kek.hex()
out["kwp"] = aes_key_wrap_with_padding(kek, secret).hex()
temp = os.urandom(16)
out["composite"] = (key.public_key().encrypt(temp, oaep) + aes_key_wrap_with_padding(temp, secret)).hex()
out["secret"] = secret.hex()
ed = ed25519.Ed25519PrivateKey.generate()
out["eddsa"] = {"public": ed.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
                "signature": ed.sign(msg).hex()}
json.dump(out, open(os.path.join(d, "out.json"), "w"))
"#;

#[test]
fn ccf_python_accepts_our_formats_and_we_accept_its() {
    if !Path::new(CCF_PYTHON).exists() {
        eprintln!("skipped: {CCF_PYTHON} is missing (run /work/shared/ccf-compat/setup_venv.sh)");
        return;
    }
    let (rsa_public, rsa_private) = rsa_pair();
    let ours = ok(
        r#"const message = str(input.message);
           const out = { message: input.message, ecdsa: [], pss: [], eddsa: [] };
           for (const curve of ["secp256r1", "secp384r1"]) {
             const { publicKey, privateKey } = ccf.crypto.generateEcdsaKeyPair(curve);
             for (const hash of ["SHA-256", "SHA-384", "SHA-512"]) {
               out.ecdsa.push({ public: publicKey, private: privateKey, hash, jwk: ccf.crypto.pemToJwk(privateKey),
                                signature: hex(ccf.crypto.sign({ name: "ECDSA", hash }, privateKey, message)) });
             }
           }
           for (const [hash, salt] of [["SHA-256", 0], ["SHA-256", 32], ["SHA-384", 48], ["SHA-512", 100]]) {
             out.pss.push({ public: input.rsaPublic, hash, salt,
                            signature: hex(ccf.crypto.sign({ name: "RSA-PSS", hash, saltLength: salt }, input.rsaPrivate, message)) });
           }
           out.rsaPrivate = input.rsaPrivate;
           out.rsaJwk = ccf.crypto.rsaPemToJwk(input.rsaPrivate);
           const ed = ccf.crypto.generateEddsaKeyPair("curve25519");
           out.eddsa.push({ public: ed.publicKey, private: ed.privateKey,
                            signature: hex(ccf.crypto.sign({ name: "EdDSA" }, ed.privateKey, message)) });
           const x = ccf.crypto.generateEddsaKeyPair("x25519");
           out.x25519Private = x.privateKey;
           out.x25519Public = x.publicKey;
           return out;"#,
        json!({"message": "checked by CCF's Python", "rsaPublic": rsa_public, "rsaPrivate": rsa_private}),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.json"), ours.to_string()).unwrap();
    let output = Command::new(CCF_PYTHON)
        .arg("-c")
        .arg(PYTHON_CHECK)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cryptography rejected our output:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    let checked = ok(
        r#"const { theirs, message } = input;
           const msg = str(message);
           return {
             ecdsa: theirs.ecdsa.map((e) => ccf.crypto.verifySignature({ name: "ECDSA", hash: e.hash }, e.public, unhex(e.signature), msg)),
             pss: theirs.pss.map((e) => ccf.crypto.verifySignature({ name: "RSA-PSS", hash: e.hash, saltLength: e.salt }, e.public, unhex(e.signature), msg)),
             eddsa: ccf.crypto.verifySignature({ name: "EdDSA" }, theirs.eddsa.public, unhex(theirs.eddsa.signature), msg),
             oaep: hex(ccf.crypto.unwrapKey(unhex(theirs.oaep), str(theirs.rsaPrivate), { name: "RSA-OAEP", label: str("py label") })),
             kwp: hex(ccf.crypto.unwrapKey(unhex(theirs.kwp), unhex(theirs.kek), { name: "AES-KWP" })),
             composite: hex(ccf.crypto.unwrapKey(unhex(theirs.composite), str(theirs.rsaPrivate), { name: "RSA-OAEP-AES-KWP", aesKeySize: 128, label: str("py label") })),
           };"#,
        json!({"theirs": theirs, "message": "checked by CCF's Python"}),
    );
    assert_eq!(checked["ecdsa"], json!(vec![true; 9]));
    assert_eq!(checked["pss"], json!(vec![true; 3]));
    assert_eq!(checked["eddsa"], true);
    for scheme in ["oaep", "kwp", "composite"] {
        assert_eq!(checked[scheme], theirs["secret"], "{scheme}");
    }
}
