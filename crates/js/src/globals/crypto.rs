//! The natives behind `ccf.crypto`, as CCF's JS API defines it (`@microsoft/ccf-app`'s
//! `global.ts`, CCF's `src/js/extensions/ccf/crypto.cpp`), on aws-lc-rs: signing and
//! verification (ECDSA with IEEE P1363 signatures, RSA-PSS, EdDSA, HMAC), key generation, key
//! wrapping (RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP), digests, PEM/JWK conversion and X.509 checks.
//!
//! The prelude checks what kind of value each argument is and passes buffers as base64 text;
//! these natives take strings and numbers. Every failure is a JS exception whose message starts
//! with the API's name: a `TypeError` for a missing or malformed field, a `RangeError` for an
//! unsupported algorithm, size or curve, an `Error` for a bad key or data. Nothing a handler
//! passes can panic.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_lc_rs::agreement;
use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptingKey, DecryptionContext, EncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian, AsDer, EcPrivateKeyBin, Pkcs8V1Der};
use aws_lc_rs::hmac;
use aws_lc_rs::key_wrap::{self, AesKek, KeyWrapPadded};
use aws_lc_rs::rand::{self as lc_rand, SystemRandom};
use aws_lc_rs::rsa::{
    KeyPairComponents, KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair,
    KeyPair as _, ParsedPublicKey, RsaKeyPair, RsaParameters, RsaPssSaltLength,
    RsaSignatureEncoding, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rquickjs::{Ctx, Exception, Function, Object, Value};
use x509_parser::certificate::X509Certificate;
use zeroize::Zeroize;

use super::natives::{buffer, js_bytes};

/// Why a call failed, and so which JS error it throws.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    /// A missing or malformed argument or field: `TypeError`.
    Type(String),
    /// An algorithm, size or curve that is not supported: `RangeError`.
    Range(String),
    /// A bad key, bad data or a failed operation: `Error`.
    Error(String),
}

type Outcome<T> = Result<T, Failure>;

fn error(message: impl Into<String>) -> Failure {
    Failure::Error(message.into())
}

fn range(message: impl Into<String>) -> Failure {
    Failure::Range(message.into())
}

fn type_error(message: impl Into<String>) -> Failure {
    Failure::Type(message.into())
}

/// `failure` as the exception `api` throws.
fn thrown(ctx: &Ctx<'_>, api: &str, failure: Failure) -> rquickjs::Error {
    match failure {
        Failure::Type(message) => Exception::throw_type(ctx, &format!("{api}: {message}")),
        Failure::Range(message) => Exception::throw_range(ctx, &format!("{api}: {message}")),
        Failure::Error(message) => Exception::throw_message(ctx, &format!("{api}: {message}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Digests

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn parse(name: &str) -> Outcome<Self> {
        match name {
            "SHA-256" => Ok(Self::Sha256),
            "SHA-384" => Ok(Self::Sha384),
            "SHA-512" => Ok(Self::Sha512),
            other => Err(range(format!(
                "hash algorithm {other:?} is not supported (supported: SHA-256, SHA-384, SHA-512)"
            ))),
        }
    }

    /// `algorithm.hash`, which every algorithm but EdDSA needs.
    fn required(name: Option<&str>) -> Outcome<Self> {
        match name {
            Some(name) => Self::parse(name),
            None => Err(type_error(
                "algorithm.hash is required (SHA-256, SHA-384 or SHA-512)",
            )),
        }
    }

    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }

    fn len(self) -> usize {
        self.algorithm().output_len()
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

fn digest_of(algorithm: &str, data: &[u8]) -> Outcome<Vec<u8>> {
    let hash = Hash::parse(algorithm)?;
    Ok(digest::digest(hash.algorithm(), data).as_ref().to_vec())
}

fn random(count: usize) -> Outcome<Vec<u8>> {
    let mut bytes = vec![0u8; count];
    lc_rand::fill(&mut bytes).map_err(|_| error("the random number generator failed"))?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// PEM and DER

struct PemBlock {
    label: String,
    der: Vec<u8>,
}

/// Every `-----BEGIN X-----` … `-----END X-----` block of `text`, in order (text between
/// blocks is ignored, as OpenSSL does).
fn pem_blocks(text: &str) -> Outcome<Vec<PemBlock>> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = after
            .find(DASHES)
            .ok_or_else(|| error("a PEM BEGIN line is not terminated"))?;
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + DASHES.len()..];
        let end_line = format!("-----END {label}-----");
        let body_end = body_and_rest
            .find(&end_line)
            .ok_or_else(|| error(format!("the PEM block {label} has no END line")))?;
        let body = &body_and_rest[..body_end];
        if body.contains(':') {
            return Err(error(format!(
                "the PEM block {label} has headers: encrypted PEM is not supported"
            )));
        }
        let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(base64)
            .map_err(|_| error(format!("the PEM block {label} is not valid base64")))?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            der,
        });
        rest = &body_and_rest[body_end + end_line.len()..];
    }
    Ok(blocks)
}

/// The first PEM block of `text` that `wanted` accepts (as OpenSSL skips, say, the
/// `EC PARAMETERS` block before an `EC PRIVATE KEY`), else the first block.
fn first_pem(text: &str, what: &str, wanted: fn(&str) -> bool) -> Outcome<PemBlock> {
    let mut blocks = pem_blocks(text)?;
    match blocks.iter().position(|block| wanted(&block.label)) {
        Some(index) => Ok(blocks.swap_remove(index)),
        None => blocks
            .into_iter()
            .next()
            .ok_or_else(|| error(format!("expected a PEM-encoded {what}"))),
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// Just enough DER to read and write the key containers (PKCS#1, PKCS#8, SEC1, SPKI).
mod der {
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    /// `[0]` constructed (SEC1's curve parameters, PKCS#8's attributes).
    pub const CONTEXT_0: u8 = 0xa0;
    /// `[1]` primitive (PKCS#8 v2's public key).
    pub const CONTEXT_1: u8 = 0x81;

    pub const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    pub const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    pub const OID_SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
    pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];

    /// Reads TLVs off the front of a buffer.
    pub struct Reader<'a>(&'a [u8]);

    impl<'a> Reader<'a> {
        pub fn new(data: &'a [u8]) -> Self {
            Self(data)
        }

        pub fn is_empty(&self) -> bool {
            self.0.is_empty()
        }

        pub fn peek(&self) -> Option<u8> {
            self.0.first().copied()
        }

        /// The next TLV's tag and contents.
        pub fn any(&mut self) -> Option<(u8, &'a [u8])> {
            let (&tag, rest) = self.0.split_first()?;
            let (&first, mut rest) = rest.split_first()?;
            let length = if first < 0x80 {
                usize::from(first)
            } else {
                let count = usize::from(first & 0x7f);
                if count == 0 || count > 4 {
                    return None;
                }
                let (bytes, after) = rest.split_at_checked(count)?;
                rest = after;
                bytes
                    .iter()
                    .fold(0usize, |length, &byte| (length << 8) | usize::from(byte))
            };
            let (contents, after) = rest.split_at_checked(length)?;
            self.0 = after;
            Some((tag, contents))
        }

        /// The next TLV's contents, if it has tag `tag`.
        pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
            match self.any()? {
                (found, contents) if found == tag => Some(contents),
                _ => None,
            }
        }

        /// The next TLV's contents if it has tag `tag`; nothing is read otherwise.
        pub fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
            if self.peek() == Some(tag) {
                self.expect(tag)
            } else {
                None
            }
        }
    }

    /// The contents of `data`, which must be exactly one TLV with tag `tag`.
    pub fn only(data: &[u8], tag: u8) -> Option<&[u8]> {
        let mut reader = Reader::new(data);
        let contents = reader.expect(tag)?;
        reader.is_empty().then_some(contents)
    }

    pub fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let length = contents.len();
        if length < 0x80 {
            out.push(length as u8);
        } else {
            let bytes = length.to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(contents);
        out
    }

    pub fn sequence(parts: &[&[u8]]) -> Vec<u8> {
        tlv(SEQUENCE, &parts.concat())
    }

    /// An INTEGER holding the unsigned big-endian `value`.
    pub fn unsigned(value: &[u8]) -> Vec<u8> {
        let value = strip_zeros(value);
        if value.is_empty() {
            return tlv(INTEGER, &[0]);
        }
        if value[0] & 0x80 != 0 {
            let mut padded = vec![0];
            padded.extend_from_slice(value);
            return tlv(INTEGER, &padded);
        }
        tlv(INTEGER, value)
    }

    pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
        let mut contents = vec![0];
        contents.extend_from_slice(bytes);
        tlv(BIT_STRING, &contents)
    }

    /// A BIT STRING's contents without its unused-bits octet, which must be zero.
    pub fn bit_string_bytes(contents: &[u8]) -> Option<&[u8]> {
        match contents.split_first() {
            Some((0, bytes)) => Some(bytes),
            _ => None,
        }
    }

    /// An unsigned big-endian number without its leading zero octets.
    pub fn strip_zeros(value: &[u8]) -> &[u8] {
        let zeros = value.iter().take_while(|&&b| b == 0).count();
        &value[zeros..]
    }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// The elliptic curves ECDSA runs on here. CCF has P-256 and P-384; secp256k1 is extra.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
    Secp256k1,
}

impl Curve {
    fn from_oid(oid: &[u8]) -> Outcome<Self> {
        match oid {
            der::OID_P256 => Ok(Self::P256),
            der::OID_P384 => Ok(Self::P384),
            der::OID_SECP256K1 => Ok(Self::Secp256k1),
            _ => Err(range(
                "the key's elliptic curve is not supported (supported: P-256, P-384, secp256k1)",
            )),
        }
    }

    fn from_jwk(name: &str) -> Outcome<Self> {
        match name {
            "P-256" => Ok(Self::P256),
            "P-384" => Ok(Self::P384),
            "secp256k1" => Ok(Self::Secp256k1),
            other => Err(range(format!(
                "jwk.crv {other:?} is not supported (supported: P-256, P-384, secp256k1)"
            ))),
        }
    }

    fn oid(self) -> &'static [u8] {
        match self {
            Self::P256 => der::OID_P256,
            Self::P384 => der::OID_P384,
            Self::Secp256k1 => der::OID_SECP256K1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::Secp256k1 => "secp256k1",
        }
    }

    fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Self::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
        }
    }

    fn verification(self) -> &'static EcdsaVerificationAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Self::Secp256k1 => &signature::ECDSA_P256K1_SHA256_FIXED,
        }
    }

    /// The digest the signing algorithm above is bound to (its length is the order's).
    fn digest(self) -> &'static digest::Algorithm {
        match self {
            Self::P256 | Self::Secp256k1 => &digest::SHA256,
            Self::P384 => &digest::SHA384,
        }
    }

    /// Bytes in a coordinate, a scalar, and half a P1363 signature.
    fn size(self) -> usize {
        match self {
            Self::P256 | Self::Secp256k1 => 32,
            Self::P384 => 48,
        }
    }
}

/// An RSA private key's PKCS#1 fields (big-endian, leading zeros stripped).
struct RsaPrivateParts {
    n: Vec<u8>,
    e: Vec<u8>,
    d: Vec<u8>,
    p: Vec<u8>,
    q: Vec<u8>,
    dp: Vec<u8>,
    dq: Vec<u8>,
    qi: Vec<u8>,
}

impl Drop for RsaPrivateParts {
    fn drop(&mut self) {
        for secret in [
            &mut self.d,
            &mut self.p,
            &mut self.q,
            &mut self.dp,
            &mut self.dq,
            &mut self.qi,
        ] {
            secret.zeroize();
        }
    }
}

enum PrivateKey {
    Ec {
        curve: Curve,
        pair: EcdsaKeyPair,
    },
    Rsa {
        /// The PKCS#1 `RSAPrivateKey`.
        pkcs1: Vec<u8>,
        parts: RsaPrivateParts,
    },
    Ed25519 {
        seed: [u8; 32],
        pair: Ed25519KeyPair,
    },
    X25519 {
        seed: [u8; 32],
    },
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        match self {
            Self::Rsa { pkcs1, .. } => pkcs1.zeroize(),
            Self::Ed25519 { seed, .. } | Self::X25519 { seed } => seed.zeroize(),
            Self::Ec { .. } => {}
        }
    }
}

impl PrivateKey {
    fn kind(&self) -> &'static str {
        match self {
            Self::Ec { .. } => "an EC key",
            Self::Rsa { .. } => "an RSA key",
            Self::Ed25519 { .. } => "an Ed25519 key",
            Self::X25519 { .. } => "an X25519 key",
        }
    }
}

enum PublicKey {
    /// The uncompressed point.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
    X25519(Vec<u8>),
}

impl PublicKey {
    fn kind(&self) -> &'static str {
        match self {
            Self::Ec { .. } => "an EC key",
            Self::Rsa { .. } => "an RSA key",
            Self::Ed25519(_) => "an Ed25519 key",
            Self::X25519(_) => "an X25519 key",
        }
    }
}

fn rsa_pkcs1_public(n: &[u8], e: &[u8]) -> Vec<u8> {
    der::sequence(&[&der::unsigned(n), &der::unsigned(e)])
}

/// `SubjectPublicKeyInfo` DER.
fn spki(key: &PublicKey) -> Vec<u8> {
    match key {
        PublicKey::Ec { curve, point } => der::sequence(&[
            &der::sequence(&[
                &der::tlv(der::OID, der::OID_EC),
                &der::tlv(der::OID, curve.oid()),
            ]),
            &der::bit_string(point),
        ]),
        PublicKey::Rsa { n, e } => der::sequence(&[
            &der::sequence(&[&der::tlv(der::OID, der::OID_RSA), &der::tlv(der::NULL, &[])]),
            &der::bit_string(&rsa_pkcs1_public(n, e)),
        ]),
        PublicKey::Ed25519(x) => der::sequence(&[
            &der::sequence(&[&der::tlv(der::OID, der::OID_ED25519)]),
            &der::bit_string(x),
        ]),
        PublicKey::X25519(x) => der::sequence(&[
            &der::sequence(&[&der::tlv(der::OID, der::OID_X25519)]),
            &der::bit_string(x),
        ]),
    }
}

fn public_pem(key: &PublicKey) -> String {
    pem_encode("PUBLIC KEY", &spki(key))
}

/// PKCS#8 `PrivateKeyInfo` (v1) holding `private_key` under `algorithm`.
fn pkcs8(algorithm: &[u8], private_key: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &der::unsigned(&[0]),
        &der::sequence(&[algorithm]),
        &der::tlv(der::OCTET_STRING, private_key),
    ])
}

fn rsa_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    pkcs8(
        &[der::tlv(der::OID, der::OID_RSA), der::tlv(der::NULL, &[])].concat(),
        pkcs1,
    )
}

fn x25519_pkcs8(seed: &[u8]) -> Vec<u8> {
    pkcs8(
        &der::tlv(der::OID, der::OID_X25519),
        &der::tlv(der::OCTET_STRING, seed),
    )
}

fn private_pem(der: &[u8]) -> String {
    pem_encode("PRIVATE KEY", der)
}

fn rsa_public_parts(pkcs1: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut fields = der::Reader::new(der::only(pkcs1, der::SEQUENCE)?);
    let n = der::strip_zeros(fields.expect(der::INTEGER)?).to_vec();
    let e = der::strip_zeros(fields.expect(der::INTEGER)?).to_vec();
    (fields.is_empty() && !n.is_empty() && !e.is_empty()).then_some((n, e))
}

fn rsa_private_parts(pkcs1: &[u8]) -> Option<RsaPrivateParts> {
    let mut fields = der::Reader::new(der::only(pkcs1, der::SEQUENCE)?);
    if fields.expect(der::INTEGER)? != [0] {
        return None; // multi-prime keys (version 1) are not supported
    }
    let mut next = || {
        fields
            .expect(der::INTEGER)
            .map(|value| der::strip_zeros(value).to_vec())
    };
    Some(RsaPrivateParts {
        n: next()?,
        e: next()?,
        d: next()?,
        p: next()?,
        q: next()?,
        dp: next()?,
        dq: next()?,
        qi: next()?,
    })
}

fn rsa_private(pkcs1: Vec<u8>) -> Outcome<PrivateKey> {
    let parts =
        rsa_private_parts(&pkcs1).ok_or_else(|| error("not a valid PKCS#1 RSA private key"))?;
    Ok(PrivateKey::Rsa { pkcs1, parts })
}

fn ec_private(curve: Curve, der: &[u8]) -> Outcome<PrivateKey> {
    let pair = EcdsaKeyPair::from_private_key_der(curve.signing(), der).map_err(|rejected| {
        error(format!(
            "not a valid {} private key ({rejected})",
            curve.name()
        ))
    })?;
    Ok(PrivateKey::Ec { curve, pair })
}

/// The curve named by a SEC1 `ECPrivateKey`'s parameters, if it names one.
fn sec1_curve(sec1: &[u8]) -> Option<&[u8]> {
    let mut fields = der::Reader::new(der::only(sec1, der::SEQUENCE)?);
    fields.expect(der::INTEGER)?;
    fields.expect(der::OCTET_STRING)?;
    der::only(fields.optional(der::CONTEXT_0)?, der::OID)
}

fn ed25519_private(seed: &[u8], public: Option<&[u8]>) -> Outcome<PrivateKey> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| error("an Ed25519 private key is 32 bytes"))?;
    let pair = match public {
        Some(public) => Ed25519KeyPair::from_seed_and_public_key(&seed, public),
        None => Ed25519KeyPair::from_seed_unchecked(&seed),
    }
    .map_err(|rejected| error(format!("not a valid Ed25519 private key ({rejected})")))?;
    Ok(PrivateKey::Ed25519 { seed, pair })
}

fn x25519_private(seed: &[u8]) -> Outcome<PrivateKey> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| error("an X25519 private key is 32 bytes"))?;
    Ok(PrivateKey::X25519 { seed })
}

fn x25519_public_of(seed: &[u8]) -> Outcome<Vec<u8>> {
    let private = agreement::PrivateKey::from_private_key(&agreement::X25519, seed)
        .map_err(|_| error("not a valid X25519 private key"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| error("not a valid X25519 private key"))?;
    Ok(public.as_ref().to_vec())
}

fn private_from_pkcs8(der: &[u8]) -> Outcome<PrivateKey> {
    let bad = || error("not a valid PKCS#8 private key");
    let mut fields = der::Reader::new(der::only(der, der::SEQUENCE).ok_or_else(bad)?);
    fields.expect(der::INTEGER).ok_or_else(bad)?;
    let mut algorithm = der::Reader::new(fields.expect(der::SEQUENCE).ok_or_else(bad)?);
    let oid = algorithm.expect(der::OID).ok_or_else(bad)?;
    let parameters = algorithm.any();
    let private_key = fields.expect(der::OCTET_STRING).ok_or_else(bad)?;
    fields.optional(der::CONTEXT_0);
    let public_key = fields.optional(der::CONTEXT_1);
    match oid {
        der::OID_RSA => rsa_private(private_key.to_vec()),
        der::OID_EC => {
            let curve = match parameters {
                Some((der::OID, curve)) => curve,
                _ => sec1_curve(private_key)
                    .ok_or_else(|| error("the EC private key does not name its curve"))?,
            };
            ec_private(Curve::from_oid(curve)?, der)
        }
        der::OID_ED25519 => {
            let seed = der::only(private_key, der::OCTET_STRING).ok_or_else(bad)?;
            let public = match public_key {
                Some(bits) => Some(der::bit_string_bytes(bits).ok_or_else(bad)?),
                None => None,
            };
            ed25519_private(seed, public)
        }
        der::OID_X25519 => {
            x25519_private(der::only(private_key, der::OCTET_STRING).ok_or_else(bad)?)
        }
        _ => Err(range(
            "the private key's algorithm is not supported (supported: RSA, EC, Ed25519, X25519)",
        )),
    }
}

/// A private key PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
/// (`EC PRIVATE KEY`).
fn parse_private(pem: &str) -> Outcome<PrivateKey> {
    let block = first_pem(pem, "private key", |label| label.ends_with("PRIVATE KEY"))?;
    match block.label.as_str() {
        "PRIVATE KEY" => private_from_pkcs8(&block.der),
        "RSA PRIVATE KEY" => rsa_private(block.der),
        "EC PRIVATE KEY" => {
            let curve = sec1_curve(&block.der)
                .ok_or_else(|| error("the EC private key does not name its curve"))?;
            ec_private(Curve::from_oid(curve)?, &block.der)
        }
        "ENCRYPTED PRIVATE KEY" => Err(error("encrypted private keys are not supported")),
        other => Err(error(format!("expected a private key PEM, not {other}"))),
    }
}

fn public_from_spki(spki: &[u8]) -> Outcome<PublicKey> {
    let bad = || error("not a valid SubjectPublicKeyInfo");
    let mut fields = der::Reader::new(der::only(spki, der::SEQUENCE).ok_or_else(bad)?);
    let mut algorithm = der::Reader::new(fields.expect(der::SEQUENCE).ok_or_else(bad)?);
    let oid = algorithm.expect(der::OID).ok_or_else(bad)?;
    let parameters = algorithm.any();
    let key =
        der::bit_string_bytes(fields.expect(der::BIT_STRING).ok_or_else(bad)?).ok_or_else(bad)?;
    if !fields.is_empty() {
        return Err(bad());
    }
    match oid {
        der::OID_RSA => {
            let (n, e) =
                rsa_public_parts(key).ok_or_else(|| error("not a valid RSA public key"))?;
            Ok(PublicKey::Rsa { n, e })
        }
        der::OID_EC => {
            let Some((der::OID, curve)) = parameters else {
                return Err(error("the EC public key does not name its curve"));
            };
            ec_public(Curve::from_oid(curve)?, key.to_vec())
        }
        der::OID_ED25519 => {
            if key.len() != 32 {
                return Err(error("an Ed25519 public key is 32 bytes"));
            }
            Ok(PublicKey::Ed25519(key.to_vec()))
        }
        der::OID_X25519 => {
            if key.len() != 32 {
                return Err(error("an X25519 public key is 32 bytes"));
            }
            Ok(PublicKey::X25519(key.to_vec()))
        }
        _ => Err(range(
            "the public key's algorithm is not supported (supported: RSA, EC, Ed25519, X25519)",
        )),
    }
}

fn ec_public(curve: Curve, point: Vec<u8>) -> Outcome<PublicKey> {
    ParsedPublicKey::new(curve.verification(), &point)
        .map_err(|_| error(format!("not a valid {} public key", curve.name())))?;
    Ok(PublicKey::Ec { curve, point })
}

/// A public key PEM (`PUBLIC KEY`, `RSA PUBLIC KEY`) or a certificate's key.
fn parse_public(pem: &str) -> Outcome<PublicKey> {
    let block = first_pem(pem, "public key or certificate", |label| {
        matches!(label, "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE")
    })?;
    match block.label.as_str() {
        "PUBLIC KEY" => public_from_spki(&block.der),
        "RSA PUBLIC KEY" => {
            let (n, e) =
                rsa_public_parts(&block.der).ok_or_else(|| error("not a valid RSA public key"))?;
            Ok(PublicKey::Rsa { n, e })
        }
        "CERTIFICATE" => {
            let (_, certificate) = x509_parser::parse_x509_certificate(&block.der)
                .map_err(|_| error("not a valid X.509 certificate"))?;
            public_from_spki(certificate.public_key().raw)
        }
        label if label.contains("PRIVATE KEY") => Err(error(
            "expected a public key or certificate PEM, not a private key",
        )),
        other => Err(error(format!(
            "expected a public key or certificate PEM, not {other}"
        ))),
    }
}

fn rsa_bits(n: &[u8]) -> usize {
    match n.first() {
        Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

fn check_rsa_size(n: &[u8]) -> Outcome<()> {
    let bits = rsa_bits(n);
    if !(2048..=8192).contains(&bits) {
        return Err(range(format!(
            "{bits}-bit RSA keys are not supported yet (2048 to 8192 bits are)"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Signing and verification

/// `algorithm.saltLength` (CCF reads a missing one as 0).
fn salt_length(salt: Option<f64>) -> Outcome<u16> {
    match salt {
        None => Ok(0),
        Some(salt) if salt.fract() == 0.0 && (0.0..=f64::from(u16::MAX)).contains(&salt) => {
            Ok(salt as u16)
        }
        Some(salt) => Err(range(format!(
            "algorithm.saltLength {salt} is not a byte count"
        ))),
    }
}

/// The largest PSS salt for a key with modulus `n` and `hash` (RFC 8017 §9.1.1).
fn max_salt(n: &[u8], hash: Hash) -> usize {
    let em_len = rsa_bits(n).saturating_sub(1).div_ceil(8);
    em_len.saturating_sub(hash.len() + 2)
}

fn check_salt(n: &[u8], hash: Hash, salt: u16) -> Outcome<()> {
    let max = max_salt(n, hash);
    if usize::from(salt) > max {
        return Err(range(format!(
            "algorithm.saltLength {salt} is too large for a {}-bit key with {} (at most {max})",
            rsa_bits(n),
            hash.name()
        )));
    }
    Ok(())
}

type PssCache<T> = OnceLock<Mutex<HashMap<(Hash, u16), &'static T>>>;

/// aws-lc-rs takes RSA-PSS parameters by `'static` reference: one per (hash, salt length)
/// used, made on first use and kept (there are at most 3 × 65536).
fn cached<T: Sync>(
    cache: &'static PssCache<T>,
    key: (Hash, u16),
    make: impl FnOnce() -> T,
) -> &'static T {
    let mut map = cache
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(key)
        .or_insert_with(|| Box::leak(Box::new(make())))
}

fn pss_signing(hash: Hash, salt: u16) -> &'static RsaSignatureEncoding {
    static CACHE: PssCache<RsaSignatureEncoding> = OnceLock::new();
    cached(&CACHE, (hash, salt), || {
        let salt = RsaPssSaltLength::Custom(salt);
        match hash {
            Hash::Sha256 => signature::RSA_PSS_SHA256.with_pss_salt_length(salt),
            Hash::Sha384 => signature::RSA_PSS_SHA384.with_pss_salt_length(salt),
            Hash::Sha512 => signature::RSA_PSS_SHA512.with_pss_salt_length(salt),
        }
    })
}

fn pss_verification(hash: Hash, salt: u16) -> &'static RsaParameters {
    static CACHE: PssCache<RsaParameters> = OnceLock::new();
    cached(&CACHE, (hash, salt), || {
        let salt = RsaPssSaltLength::Custom(salt);
        match hash {
            Hash::Sha256 => signature::RSA_PSS_2048_8192_SHA256.with_pss_salt_length(salt),
            Hash::Sha384 => signature::RSA_PSS_2048_8192_SHA384.with_pss_salt_length(salt),
            Hash::Sha512 => signature::RSA_PSS_2048_8192_SHA512.with_pss_salt_length(salt),
        }
    })
}

/// `hash` of `data` as the digest ECDSA on `curve` signs: ECDSA uses the leftmost bits of the
/// hash, as many as the group order has (FIPS 186-5 §6.4.1), so a longer hash is truncated and
/// a shorter one is the same number left-padded with zeros.
fn ecdsa_digest(curve: Curve, hash: Hash, data: &[u8]) -> Outcome<digest::Digest> {
    let full = digest::digest(hash.algorithm(), data);
    let full = full.as_ref();
    let size = curve.digest().output_len();
    let adjusted = if full.len() >= size {
        full[..size].to_vec()
    } else {
        let mut padded = vec![0u8; size - full.len()];
        padded.extend_from_slice(full);
        padded
    };
    digest::Digest::import_less_safe(&adjusted, curve.digest())
        .map_err(|_| error("could not prepare the digest"))
}

const SIGNING_ALGORITHMS: &str = "supported: RSA-PSS, ECDSA, EdDSA, HMAC";

fn unsupported_signing(name: &str) -> Failure {
    range(format!(
        "signing algorithm {name:?} is not supported ({SIGNING_ALGORITHMS})"
    ))
}

fn sign(
    name: &str,
    hash: Option<&str>,
    salt: Option<f64>,
    key: &str,
    data: &[u8],
) -> Outcome<Vec<u8>> {
    match name {
        "EdDSA" => match &parse_private(key)? {
            PrivateKey::Ed25519 { pair, .. } => Ok(pair.sign(data).as_ref().to_vec()),
            other => Err(error(format!(
                "EdDSA needs an Ed25519 private key, not {}",
                other.kind()
            ))),
        },
        "ECDSA" => {
            let hash = Hash::required(hash)?;
            match &parse_private(key)? {
                PrivateKey::Ec { curve, pair } => {
                    let digest = ecdsa_digest(*curve, hash, data)?;
                    let signature = pair
                        .sign_digest(&digest)
                        .map_err(|_| error("ECDSA signing failed"))?;
                    Ok(signature.as_ref().to_vec())
                }
                other => Err(error(format!(
                    "ECDSA needs an EC private key, not {}",
                    other.kind()
                ))),
            }
        }
        "RSA-PSS" => {
            let hash = Hash::required(hash)?;
            let salt = salt_length(salt)?;
            let private = parse_private(key)?;
            let PrivateKey::Rsa { pkcs1, parts } = &private else {
                return Err(error(format!(
                    "RSA-PSS needs an RSA private key, not {}",
                    private.kind()
                )));
            };
            check_rsa_size(&parts.n)?;
            check_salt(&parts.n, hash, salt)?;
            let pair = RsaKeyPair::from_der(pkcs1)
                .map_err(|rejected| error(format!("not a usable RSA private key ({rejected})")))?;
            let mut signature = vec![0u8; pair.public_modulus_len()];
            pair.sign(
                pss_signing(hash, salt),
                &SystemRandom::new(),
                data,
                &mut signature,
            )
            .map_err(|_| error("RSA-PSS signing failed"))?;
            Ok(signature)
        }
        "HMAC" => {
            let hash = Hash::required(hash)?;
            let key = hmac::Key::new(hash.hmac(), key.as_bytes());
            Ok(hmac::sign(&key, data).as_ref().to_vec())
        }
        other => Err(unsupported_signing(other)),
    }
}

fn verify(
    name: &str,
    hash: Option<&str>,
    salt: Option<f64>,
    key: &str,
    signature: &[u8],
    data: &[u8],
) -> Outcome<bool> {
    match name {
        "EdDSA" => match parse_public(key)? {
            PublicKey::Ed25519(public) => Ok(UnparsedPublicKey::new(&signature::ED25519, public)
                .verify(data, signature)
                .is_ok()),
            other => Err(error(format!(
                "EdDSA needs an Ed25519 public key or certificate, not {}",
                other.kind()
            ))),
        },
        "ECDSA" => {
            let hash = Hash::required(hash)?;
            match parse_public(key)? {
                PublicKey::Ec { curve, point } => {
                    if signature.len() != 2 * curve.size() {
                        return Ok(false);
                    }
                    let digest = ecdsa_digest(curve, hash, data)?;
                    Ok(UnparsedPublicKey::new(curve.verification(), point)
                        .verify_digest(&digest, signature)
                        .is_ok())
                }
                other => Err(error(format!(
                    "ECDSA needs an EC public key or certificate, not {}",
                    other.kind()
                ))),
            }
        }
        "RSA-PSS" => {
            let hash = Hash::required(hash)?;
            let salt = salt_length(salt)?;
            match parse_public(key)? {
                PublicKey::Rsa { n, e } => {
                    check_rsa_size(&n)?;
                    if usize::from(salt) > max_salt(&n, hash) {
                        return Ok(false);
                    }
                    Ok(UnparsedPublicKey::new(
                        pss_verification(hash, salt),
                        rsa_pkcs1_public(&n, &e),
                    )
                    .verify(data, signature)
                    .is_ok())
                }
                other => Err(error(format!(
                    "RSA-PSS needs an RSA public key or certificate, not {}",
                    other.kind()
                ))),
            }
        }
        "HMAC" => {
            let hash = Hash::required(hash)?;
            let key = hmac::Key::new(hash.hmac(), key.as_bytes());
            Ok(hmac::verify(&key, data, signature).is_ok())
        }
        other => Err(unsupported_signing(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// Key generation

/// `(publicKey, privateKey)` PEMs.
type PemPair = (String, String);

fn generate_aes_key(bits: f64) -> Outcome<Vec<u8>> {
    if bits != 128.0 && bits != 192.0 && bits != 256.0 {
        return Err(range(format!(
            "invalid key size {bits} (not one of 128, 192, 256)"
        )));
    }
    random(bits as usize / 8)
}

fn generate_rsa(bits: f64, exponent: Option<f64>) -> Outcome<PemPair> {
    if let Some(exponent) = exponent
        && exponent != 65537.0
    {
        return Err(range(format!(
            "public exponent {exponent} is not supported yet (only 65537 is)"
        )));
    }
    let size = match bits {
        2048.0 => KeySize::Rsa2048,
        3072.0 => KeySize::Rsa3072,
        4096.0 => KeySize::Rsa4096,
        8192.0 => KeySize::Rsa8192,
        other => {
            return Err(range(format!(
                "{other}-bit RSA keys are not supported yet (supported: 2048, 3072, 4096, 8192)"
            )));
        }
    };
    let pair = RsaKeyPair::generate(size).map_err(|_| error("RSA key generation failed"))?;
    let private: Pkcs8V1Der<'_> =
        AsDer::as_der(&pair).map_err(|_| error("could not encode the RSA key"))?;
    let public = pair.public_key();
    let (n, e) = (
        public.modulus().big_endian_without_leading_zero().to_vec(),
        public.exponent().big_endian_without_leading_zero().to_vec(),
    );
    Ok((
        public_pem(&PublicKey::Rsa { n, e }),
        private_pem(private.as_ref()),
    ))
}

fn generate_ecdsa(curve: &str) -> Outcome<PemPair> {
    let curve = match curve {
        "secp256r1" => Curve::P256,
        "secp384r1" => Curve::P384,
        other => {
            return Err(range(format!(
                "curve {other:?} is not supported (supported: secp256r1, secp384r1)"
            )));
        }
    };
    let pair = EcdsaKeyPair::generate(curve.signing())
        .map_err(|_| error("ECDSA key generation failed"))?;
    let private = pair
        .to_pkcs8v1()
        .map_err(|_| error("could not encode the EC key"))?;
    let public = PublicKey::Ec {
        curve,
        point: pair.public_key().as_ref().to_vec(),
    };
    Ok((public_pem(&public), private_pem(private.as_ref())))
}

fn generate_eddsa(curve: &str) -> Outcome<PemPair> {
    let mut seed = random(32)?;
    let pair = match curve {
        "curve25519" => {
            let pair = Ed25519KeyPair::from_seed_unchecked(&seed)
                .map_err(|_| error("Ed25519 key generation failed"))?;
            let private = pair
                .to_pkcs8v1()
                .map_err(|_| error("could not encode the Ed25519 key"))?;
            let public = PublicKey::Ed25519(pair.public_key().as_ref().to_vec());
            Ok((public_pem(&public), private_pem(private.as_ref())))
        }
        "x25519" => {
            let public = PublicKey::X25519(x25519_public_of(&seed)?);
            let mut private = x25519_pkcs8(&seed);
            let pem = private_pem(&private);
            private.zeroize();
            Ok((public_pem(&public), pem))
        }
        other => Err(range(format!(
            "curve {other:?} is not supported (supported: curve25519, x25519)"
        ))),
    };
    seed.zeroize();
    pair
}

// ---------------------------------------------------------------------------------------------
// Key wrapping

const AES_KWP_IV: [u8; 4] = [0xa6, 0x59, 0x59, 0xa6];

fn aes_cipher(kek: &[u8]) -> Outcome<&'static aws_lc_rs::cipher::Algorithm> {
    match kek.len() {
        16 => Ok(&AES_128),
        24 => Ok(&AES_192),
        32 => Ok(&AES_256),
        other => Err(error(format!(
            "an AES wrapping key is 16, 24 or 32 bytes, not {other}"
        ))),
    }
}

/// RFC 5649 key wrap with padding over AES-ECB (aws-lc-rs's own has no AES-192).
fn kwp_wrap_ecb(kek: &[u8], key: &[u8]) -> Outcome<Vec<u8>> {
    let failed = || error("AES-KWP wrapping failed");
    let cipher = UnboundCipherKey::new(aes_cipher(kek)?, kek).map_err(|_| failed())?;
    let aes = EncryptingKey::ecb(cipher).map_err(|_| failed())?;
    let length = u32::try_from(key.len()).map_err(|_| error("the key is too large to wrap"))?;
    let mut a = [0u8; 8];
    a[..4].copy_from_slice(&AES_KWP_IV);
    a[4..].copy_from_slice(&length.to_be_bytes());
    let mut blocks: Vec<[u8; 8]> = key
        .chunks(8)
        .map(|chunk| {
            let mut block = [0u8; 8];
            block[..chunk.len()].copy_from_slice(chunk);
            block
        })
        .collect();
    let mut buffer = [0u8; 16];
    if blocks.len() == 1 {
        buffer[..8].copy_from_slice(&a);
        buffer[8..].copy_from_slice(&blocks[0]);
        aes.encrypt(&mut buffer).map_err(|_| failed())?;
        let out = buffer.to_vec();
        buffer.zeroize();
        blocks.zeroize();
        return Ok(out);
    }
    let n = blocks.len() as u64;
    for j in 0..6u64 {
        for (i, block) in blocks.iter_mut().enumerate() {
            buffer[..8].copy_from_slice(&a);
            buffer[8..].copy_from_slice(block);
            aes.encrypt(&mut buffer).map_err(|_| failed())?;
            let t = n * j + i as u64 + 1;
            for (out, (byte, counter)) in a.iter_mut().zip(buffer[..8].iter().zip(t.to_be_bytes()))
            {
                *out = byte ^ counter;
            }
            block.copy_from_slice(&buffer[8..]);
        }
    }
    let mut out = a.to_vec();
    for block in &blocks {
        out.extend_from_slice(block);
    }
    buffer.zeroize();
    blocks.zeroize();
    Ok(out)
}

fn kwp_unwrap_ecb(kek: &[u8], wrapped: &[u8]) -> Outcome<Vec<u8>> {
    let failed = || error("AES-KWP unwrapping failed (wrong key or corrupted data)");
    if wrapped.len() < 16 || !wrapped.len().is_multiple_of(8) {
        return Err(error(
            "AES-KWP wrapped data is a multiple of 8 bytes, at least 16",
        ));
    }
    let cipher = UnboundCipherKey::new(aes_cipher(kek)?, kek).map_err(|_| failed())?;
    let aes = DecryptingKey::ecb(cipher).map_err(|_| failed())?;
    let mut buffer = [0u8; 16];
    let mut a = [0u8; 8];
    let mut blocks: Vec<[u8; 8]> = wrapped[8..]
        .chunks(8)
        .map(|chunk| {
            let mut block = [0u8; 8];
            block.copy_from_slice(chunk);
            block
        })
        .collect();
    if blocks.len() == 1 {
        buffer.copy_from_slice(wrapped);
        aes.decrypt(&mut buffer, DecryptionContext::None)
            .map_err(|_| failed())?;
        a.copy_from_slice(&buffer[..8]);
        blocks[0].copy_from_slice(&buffer[8..]);
    } else {
        a.copy_from_slice(&wrapped[..8]);
        let n = blocks.len() as u64;
        for j in (0..6u64).rev() {
            for (i, block) in blocks.iter_mut().enumerate().rev() {
                let t = n * j + i as u64 + 1;
                for (out, (byte, counter)) in
                    buffer[..8].iter_mut().zip(a.iter().zip(t.to_be_bytes()))
                {
                    *out = byte ^ counter;
                }
                buffer[8..].copy_from_slice(block);
                aes.decrypt(&mut buffer, DecryptionContext::None)
                    .map_err(|_| failed())?;
                a.copy_from_slice(&buffer[..8]);
                block.copy_from_slice(&buffer[8..]);
            }
        }
    }
    buffer.zeroize();
    let mut plain: Vec<u8> = blocks.iter().flatten().copied().collect();
    blocks.zeroize();
    let length = u32::from_be_bytes([a[4], a[5], a[6], a[7]]) as usize;
    let valid = a[..4] == AES_KWP_IV
        && length <= plain.len()
        && length > plain.len() - 8
        && plain[length..].iter().all(|&b| b == 0);
    if !valid {
        plain.zeroize();
        return Err(failed());
    }
    plain.truncate(length);
    Ok(plain)
}

/// RFC 5649 AES key wrap with padding (CKM_AES_KEY_WRAP_PAD) under the AES key `kek`.
fn kwp_wrap(kek: &[u8], key: &[u8]) -> Outcome<Vec<u8>> {
    if key.is_empty() {
        return Err(error("the key to wrap is empty"));
    }
    let cipher = match kek.len() {
        16 => &key_wrap::AES_128,
        32 => &key_wrap::AES_256,
        _ => return kwp_wrap_ecb(kek, key),
    };
    let kek = AesKek::new(cipher, kek).map_err(|_| error("not a usable AES key"))?;
    let mut out = vec![0u8; key.len().div_ceil(8) * 8 + 8];
    let length = kek
        .wrap_with_padding(key, &mut out)
        .map_err(|_| error("AES-KWP wrapping failed"))?
        .len();
    out.truncate(length);
    Ok(out)
}

fn kwp_unwrap(kek: &[u8], wrapped: &[u8]) -> Outcome<Vec<u8>> {
    let cipher = match kek.len() {
        16 => &key_wrap::AES_128,
        32 => &key_wrap::AES_256,
        _ => return kwp_unwrap_ecb(kek, wrapped),
    };
    if wrapped.len() < 16 || !wrapped.len().is_multiple_of(8) {
        return Err(error(
            "AES-KWP wrapped data is a multiple of 8 bytes, at least 16",
        ));
    }
    let kek = AesKek::new(cipher, kek).map_err(|_| error("not a usable AES key"))?;
    let mut out = vec![0u8; wrapped.len()];
    let length = kek
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| error("AES-KWP unwrapping failed (wrong key or corrupted data)"))?
        .len();
    out.truncate(length);
    Ok(out)
}

/// A wrapping key passed as the bytes of a PEM.
fn pem_text(bytes: &[u8]) -> Outcome<&str> {
    std::str::from_utf8(bytes).map_err(|_| error("the wrapping key is not PEM text"))
}

fn oaep_label(label: Option<&[u8]>) -> Option<&[u8]> {
    // CCF treats an empty label as none (they are the same to OAEP anyway).
    label.filter(|label| !label.is_empty())
}

fn rsa_oaep_wrap(public_pem: &str, key: &[u8], label: Option<&[u8]>) -> Outcome<Vec<u8>> {
    let public = parse_public(public_pem)?;
    if !matches!(public, PublicKey::Rsa { .. }) {
        return Err(error(format!(
            "RSA-OAEP needs an RSA public key, not {}",
            public.kind()
        )));
    }
    if let PublicKey::Rsa { n, .. } = &public {
        check_rsa_size(n)?;
    }
    let rsa = PublicEncryptingKey::from_der(&spki(&public))
        .map_err(|rejected| error(format!("not a usable RSA public key ({rejected})")))?;
    let oaep = OaepPublicEncryptingKey::new(rsa).map_err(|_| error("not a usable RSA key"))?;
    let max = oaep.max_plaintext_size(&OAEP_SHA256_MGF1SHA256);
    if key.len() > max {
        return Err(error(format!(
            "RSA-OAEP with a {}-bit key wraps at most {max} bytes, not {}",
            oaep.key_size_bits(),
            key.len()
        )));
    }
    let mut out = vec![0u8; oaep.ciphertext_size()];
    let length = oaep
        .encrypt(&OAEP_SHA256_MGF1SHA256, key, &mut out, oaep_label(label))
        .map_err(|_| error("RSA-OAEP wrapping failed"))?
        .len();
    out.truncate(length);
    Ok(out)
}

fn rsa_oaep_private(private_pem: &str) -> Outcome<OaepPrivateDecryptingKey> {
    let private = parse_private(private_pem)?;
    let PrivateKey::Rsa { pkcs1, parts } = &private else {
        return Err(error(format!(
            "RSA-OAEP needs an RSA private key, not {}",
            private.kind()
        )));
    };
    check_rsa_size(&parts.n)?;
    let mut pkcs8 = rsa_pkcs8(pkcs1);
    let key = PrivateDecryptingKey::from_pkcs8(&pkcs8);
    pkcs8.zeroize();
    let key =
        key.map_err(|rejected| error(format!("not a usable RSA private key ({rejected})")))?;
    OaepPrivateDecryptingKey::new(key).map_err(|_| error("not a usable RSA private key"))
}

fn rsa_oaep_unwrap(
    private: &OaepPrivateDecryptingKey,
    wrapped: &[u8],
    label: Option<&[u8]>,
) -> Outcome<Vec<u8>> {
    let mut out = vec![0u8; private.min_output_size()];
    let length = private
        .decrypt(
            &OAEP_SHA256_MGF1SHA256,
            wrapped,
            &mut out,
            oaep_label(label),
        )
        .map_err(|_| error("RSA-OAEP unwrapping failed (wrong key, label or data)"))?
        .len();
    out.truncate(length);
    Ok(out)
}

fn aes_key_bits(bits: Option<f64>) -> Outcome<usize> {
    match bits {
        Some(bits) if bits == 128.0 || bits == 192.0 || bits == 256.0 => Ok(bits as usize),
        Some(bits) => Err(range(format!(
            "wrapAlgo.aesKeySize {bits} is not supported (128, 192 or 256)"
        ))),
        None => Err(type_error(
            "wrapAlgo.aesKeySize is required for RSA-OAEP-AES-KWP (128, 192 or 256)",
        )),
    }
}

const WRAP_ALGORITHMS: &str = "supported: RSA-OAEP, AES-KWP, RSA-OAEP-AES-KWP";

fn wrap_key(
    key: &[u8],
    wrapping_key: &[u8],
    name: &str,
    aes_key_size: Option<f64>,
    label: Option<&[u8]>,
) -> Outcome<Vec<u8>> {
    match name {
        "RSA-OAEP" => rsa_oaep_wrap(pem_text(wrapping_key)?, key, label),
        "AES-KWP" => kwp_wrap(wrapping_key, key),
        "RSA-OAEP-AES-KWP" => {
            let bits = aes_key_bits(aes_key_size)?;
            let pem = pem_text(wrapping_key)?;
            let mut temporary = random(bits / 8)?;
            let wrapped = rsa_oaep_wrap(pem, &temporary, label).and_then(|mut wrapped| {
                wrapped.extend_from_slice(&kwp_wrap(&temporary, key)?);
                Ok(wrapped)
            });
            temporary.zeroize();
            wrapped
        }
        other => Err(range(format!(
            "key wrapping algorithm {other:?} is not supported ({WRAP_ALGORITHMS})"
        ))),
    }
}

fn unwrap_key(
    wrapped: &[u8],
    unwrapping_key: &[u8],
    name: &str,
    aes_key_size: Option<f64>,
    label: Option<&[u8]>,
) -> Outcome<Vec<u8>> {
    match name {
        "RSA-OAEP" => {
            let private = rsa_oaep_private(pem_text(unwrapping_key)?)?;
            rsa_oaep_unwrap(&private, wrapped, label)
        }
        "AES-KWP" => kwp_unwrap(unwrapping_key, wrapped),
        "RSA-OAEP-AES-KWP" => {
            // As in CCF, the AES key's size is read back from the wrapped data, but the
            // parameter must still be a valid size.
            aes_key_bits(aes_key_size)?;
            let private = rsa_oaep_private(pem_text(unwrapping_key)?)?;
            let split = private.key_size_bytes();
            if wrapped.len() <= split {
                return Err(error(
                    "the wrapped data is too short for RSA-OAEP-AES-KWP with this key",
                ));
            }
            let (wrapped_aes, wrapped_key) = wrapped.split_at(split);
            let mut temporary = rsa_oaep_unwrap(&private, wrapped_aes, label)?;
            let key = if matches!(temporary.len(), 16 | 24 | 32) {
                kwp_unwrap(&temporary, wrapped_key)
            } else {
                Err(error("the wrapped AES key has an invalid size"))
            };
            temporary.zeroize();
            key
        }
        other => Err(range(format!(
            "key unwrapping algorithm {other:?} is not supported ({WRAP_ALGORITHMS})"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// PEM <-> JWK (RFC 7517, 7518 §6, 8037)

/// Which of CCF's six conversions (both directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JwkKind {
    EcPublic,
    EcPrivate,
    RsaPublic,
    RsaPrivate,
    EddsaPublic,
    EddsaPrivate,
}

impl JwkKind {
    fn parse(kind: &str) -> Option<Self> {
        Some(match kind {
            "ec-public" => Self::EcPublic,
            "ec-private" => Self::EcPrivate,
            "rsa-public" => Self::RsaPublic,
            "rsa-private" => Self::RsaPrivate,
            "eddsa-public" => Self::EddsaPublic,
            "eddsa-private" => Self::EddsaPrivate,
            _ => return None,
        })
    }

    fn describe(self) -> &'static str {
        match self {
            Self::EcPublic => "an EC public key (see pubRsaPemToJwk, pubEddsaPemToJwk)",
            Self::EcPrivate => "an EC private key (see rsaPemToJwk, eddsaPemToJwk)",
            Self::RsaPublic => "an RSA public key (see pubPemToJwk, pubEddsaPemToJwk)",
            Self::RsaPrivate => "an RSA private key (see pemToJwk, eddsaPemToJwk)",
            Self::EddsaPublic => {
                "an Ed25519 or X25519 public key (see pubPemToJwk, pubRsaPemToJwk)"
            }
            Self::EddsaPrivate => "an Ed25519 or X25519 private key (see pemToJwk, rsaPemToJwk)",
        }
    }
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `bytes` left-padded with zeros to `size` (EC coordinates and scalars are fixed-size).
fn fixed(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

fn ec_public_fields(curve: Curve, point: &[u8]) -> Outcome<Vec<(&'static str, String)>> {
    let size = curve.size();
    match point.split_first() {
        Some((4, xy)) if xy.len() == 2 * size => Ok(vec![
            ("kty", "EC".to_owned()),
            ("crv", curve.name().to_owned()),
            ("x", b64url(&xy[..size])),
            ("y", b64url(&xy[size..])),
        ]),
        _ => Err(range(
            "compressed EC public keys are not supported yet (only uncompressed points)",
        )),
    }
}

/// The JWK members of the key in `pem`, in order (`kid` after `kty`).
fn pem_to_jwk(kind: JwkKind, pem: &str, kid: Option<&str>) -> Outcome<Vec<(&'static str, String)>> {
    let mismatch = |found: &str| error(format!("the PEM holds {found}, not {}", kind.describe()));
    let mut fields = match kind {
        JwkKind::EcPublic | JwkKind::RsaPublic | JwkKind::EddsaPublic => {
            match (kind, parse_public(pem)?) {
                (JwkKind::EcPublic, PublicKey::Ec { curve, point }) => {
                    ec_public_fields(curve, &point)?
                }
                (JwkKind::RsaPublic, PublicKey::Rsa { n, e }) => vec![
                    ("kty", "RSA".to_owned()),
                    ("n", b64url(&n)),
                    ("e", b64url(&e)),
                ],
                (JwkKind::EddsaPublic, PublicKey::Ed25519(x)) => vec![
                    ("kty", "OKP".to_owned()),
                    ("crv", "Ed25519".to_owned()),
                    ("x", b64url(&x)),
                ],
                (JwkKind::EddsaPublic, PublicKey::X25519(x)) => vec![
                    ("kty", "OKP".to_owned()),
                    ("crv", "X25519".to_owned()),
                    ("x", b64url(&x)),
                ],
                (_, other) => return Err(mismatch(other.kind())),
            }
        }
        JwkKind::EcPrivate | JwkKind::RsaPrivate | JwkKind::EddsaPrivate => {
            let private = parse_private(pem)?;
            match (kind, &private) {
                (JwkKind::EcPrivate, PrivateKey::Ec { curve, pair }) => {
                    let mut fields = ec_public_fields(*curve, pair.public_key().as_ref())?;
                    let d: EcPrivateKeyBin<'_> = pair
                        .private_key()
                        .as_be_bytes()
                        .map_err(|_| error("could not read the EC private key"))?;
                    fields.push(("d", b64url(&fixed(d.as_ref(), curve.size()))));
                    fields
                }
                (JwkKind::RsaPrivate, PrivateKey::Rsa { parts, .. }) => vec![
                    ("kty", "RSA".to_owned()),
                    ("n", b64url(&parts.n)),
                    ("e", b64url(&parts.e)),
                    ("d", b64url(&parts.d)),
                    ("p", b64url(&parts.p)),
                    ("q", b64url(&parts.q)),
                    ("dp", b64url(&parts.dp)),
                    ("dq", b64url(&parts.dq)),
                    ("qi", b64url(&parts.qi)),
                ],
                (JwkKind::EddsaPrivate, PrivateKey::Ed25519 { seed, pair }) => vec![
                    ("kty", "OKP".to_owned()),
                    ("crv", "Ed25519".to_owned()),
                    ("x", b64url(pair.public_key().as_ref())),
                    ("d", b64url(seed)),
                ],
                (JwkKind::EddsaPrivate, PrivateKey::X25519 { seed }) => vec![
                    ("kty", "OKP".to_owned()),
                    ("crv", "X25519".to_owned()),
                    ("x", b64url(&x25519_public_of(seed)?)),
                    ("d", b64url(seed)),
                ],
                (_, other) => return Err(mismatch(other.kind())),
            }
        }
    };
    if let Some(kid) = kid {
        fields.insert(1, ("kid", kid.to_owned()));
    }
    Ok(fields)
}

/// A JWK's members, read with clear errors.
struct Jwk(serde_json::Map<String, serde_json::Value>);

impl Jwk {
    fn parse(json: &str) -> Outcome<Self> {
        match serde_json::from_str(json) {
            Ok(serde_json::Value::Object(members)) => Ok(Self(members)),
            _ => Err(type_error("jwk must be a JSON Web Key object")),
        }
    }

    fn text(&self, name: &str) -> Outcome<&str> {
        match self.0.get(name) {
            Some(serde_json::Value::String(text)) => Ok(text),
            Some(_) => Err(type_error(format!("jwk.{name} must be a string"))),
            None => Err(type_error(format!("jwk.{name} is missing"))),
        }
    }

    fn expect_kty(&self, kty: &str) -> Outcome<()> {
        let found = self.text("kty")?;
        if found != kty {
            return Err(error(format!("jwk.kty must be {kty:?}, not {found:?}")));
        }
        Ok(())
    }

    /// A base64url member (padding tolerated).
    fn bytes(&self, name: &str) -> Outcome<Vec<u8>> {
        let text = self.text(name)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| error(format!("jwk.{name} is not base64url")))?;
        if bytes.is_empty() {
            return Err(error(format!("jwk.{name} is empty")));
        }
        Ok(bytes)
    }

    /// A base64url number of at most `size` bytes, left-padded to `size`.
    fn fixed(&self, name: &str, size: usize, curve: &str) -> Outcome<Vec<u8>> {
        let bytes = self.bytes(name)?;
        if bytes.len() > size {
            return Err(error(format!(
                "jwk.{name} is {} bytes; {curve} needs {size}",
                bytes.len()
            )));
        }
        Ok(fixed(&bytes, size))
    }

    fn ec_curve(&self) -> Outcome<(Curve, Vec<u8>)> {
        self.expect_kty("EC")?;
        let curve = Curve::from_jwk(self.text("crv")?)?;
        let mut point = vec![4];
        point.extend(self.fixed("x", curve.size(), curve.name())?);
        point.extend(self.fixed("y", curve.size(), curve.name())?);
        Ok((curve, point))
    }

    fn okp_curve(&self) -> Outcome<(bool, Vec<u8>)> {
        self.expect_kty("OKP")?;
        let ed25519 = match self.text("crv")? {
            "Ed25519" => true,
            "X25519" => false,
            other => {
                return Err(range(format!(
                    "jwk.crv {other:?} is not supported (supported: Ed25519, X25519)"
                )));
            }
        };
        let x = self.bytes("x")?;
        if x.len() != 32 {
            return Err(error(format!("jwk.x is {} bytes, not 32", x.len())));
        }
        Ok((ed25519, x))
    }

    fn rsa_public(&self) -> Outcome<(Vec<u8>, Vec<u8>)> {
        self.expect_kty("RSA")?;
        let n = der::strip_zeros(&self.bytes("n")?).to_vec();
        let e = der::strip_zeros(&self.bytes("e")?).to_vec();
        if n.is_empty() || e.is_empty() {
            return Err(error("jwk.n and jwk.e must not be zero"));
        }
        Ok((n, e))
    }
}

fn jwk_to_pem(kind: JwkKind, json: &str) -> Outcome<String> {
    let jwk = Jwk::parse(json)?;
    match kind {
        JwkKind::EcPublic => {
            let (curve, point) = jwk.ec_curve()?;
            ec_public(curve, point)
                .map_err(|_| error(format!("jwk is not a valid {} public key", curve.name())))
                .map(|key| public_pem(&key))
        }
        JwkKind::EcPrivate => {
            let (curve, point) = jwk.ec_curve()?;
            let mut d = jwk.fixed("d", curve.size(), curve.name())?;
            let pair = EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), &d, &point);
            d.zeroize();
            let pair = pair.map_err(|_| {
                error(format!(
                    "jwk is not a valid {} private key (or d does not match x and y)",
                    curve.name()
                ))
            })?;
            let der = pair
                .to_pkcs8v1()
                .map_err(|_| error("could not encode the EC key"))?;
            Ok(private_pem(der.as_ref()))
        }
        JwkKind::RsaPublic => {
            let (n, e) = jwk.rsa_public()?;
            Ok(public_pem(&PublicKey::Rsa { n, e }))
        }
        JwkKind::RsaPrivate => {
            let (n, e) = jwk.rsa_public()?;
            check_rsa_size(&n)?;
            let mut secrets = [
                jwk.bytes("d")?,
                jwk.bytes("p")?,
                jwk.bytes("q")?,
                jwk.bytes("dp")?,
                jwk.bytes("dq")?,
                jwk.bytes("qi")?,
            ];
            let [d, p, q, dp, dq, qi] = &secrets;
            let pair = RsaKeyPair::from_components(&KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                },
                d: d.as_slice(),
                p: p.as_slice(),
                q: q.as_slice(),
                dP: dp.as_slice(),
                dQ: dq.as_slice(),
                qInv: qi.as_slice(),
            });
            secrets.iter_mut().for_each(Zeroize::zeroize);
            let pair = pair.map_err(|rejected| {
                error(format!(
                    "jwk is not a consistent RSA private key ({rejected})"
                ))
            })?;
            let der: Pkcs8V1Der<'_> =
                AsDer::as_der(&pair).map_err(|_| error("could not encode the RSA key"))?;
            Ok(private_pem(der.as_ref()))
        }
        JwkKind::EddsaPublic => {
            let (ed25519, x) = jwk.okp_curve()?;
            if ed25519 {
                ParsedPublicKey::new(&signature::ED25519, &x)
                    .map_err(|_| error("jwk is not a valid Ed25519 public key"))?;
                Ok(public_pem(&PublicKey::Ed25519(x)))
            } else {
                Ok(public_pem(&PublicKey::X25519(x)))
            }
        }
        JwkKind::EddsaPrivate => {
            let (ed25519, x) = jwk.okp_curve()?;
            let mut d = jwk.bytes("d")?;
            let result = if d.len() != 32 {
                Err(error(format!("jwk.d is {} bytes, not 32", d.len())))
            } else if ed25519 {
                Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map_err(|_| error("jwk is not a valid Ed25519 key pair (d does not match x)"))
                    .and_then(|pair| {
                        pair.to_pkcs8v1()
                            .map_err(|_| error("could not encode the Ed25519 key"))
                    })
                    .map(|der| private_pem(der.as_ref()))
            } else if x25519_public_of(&d)? != x {
                Err(error(
                    "jwk is not a valid X25519 key pair (d does not match x)",
                ))
            } else {
                let mut der = x25519_pkcs8(&d);
                let pem = private_pem(&der);
                der.zeroize();
                Ok(pem)
            };
            d.zeroize();
            result
        }
    }
}

// ---------------------------------------------------------------------------------------------
// X.509

/// The DER of each certificate in a PEM bundle; `None` unless every block is a certificate
/// that parses, and there is at least one.
fn certificates(bundle: &str) -> Option<Vec<Vec<u8>>> {
    let blocks = pem_blocks(bundle).ok()?;
    if blocks.is_empty() {
        return None;
    }
    blocks
        .into_iter()
        .map(|block| {
            let parses = block.label == "CERTIFICATE"
                && matches!(
                    x509_parser::parse_x509_certificate(&block.der),
                    Ok((rest, _)) if rest.is_empty()
                );
            parses.then_some(block.der)
        })
        .collect()
}

/// `isValidX509CertBundle`: one or more well-formed certificates (syntax only, as in CCF).
fn is_valid_bundle(pem: &str) -> bool {
    certificates(pem).is_some()
}

fn parsed(ders: &[Vec<u8>]) -> Option<Vec<X509Certificate<'_>>> {
    ders.iter()
        .map(|der| {
            x509_parser::parse_x509_certificate(der)
                .ok()
                .map(|(_, certificate)| certificate)
        })
        .collect()
}

fn self_issued(certificate: &X509Certificate<'_>) -> bool {
    certificate.subject().as_raw() == certificate.issuer().as_raw()
}

/// OpenSSL's `X509_check_ca`: 1 for basicConstraints CA, 3 for a self-signed v1 certificate,
/// 4 for keyCertSign without basicConstraints, 0 for not a CA.
fn ca_kind(certificate: &X509Certificate<'_>) -> u8 {
    match certificate.basic_constraints() {
        Ok(Some(constraints)) => u8::from(constraints.value.ca),
        Ok(None) => {
            if let Ok(Some(usage)) = certificate.key_usage()
                && usage.value.key_cert_sign()
            {
                return 4;
            }
            if certificate.version() == x509_parser::x509::X509Version::V1
                && self_issued(certificate)
            {
                3
            } else {
                0
            }
        }
        Err(_) => 0,
    }
}

/// Whether `issuer` may issue a certificate with `below` CA certificates under it.
fn may_issue(issuer: &X509Certificate<'_>, below: u32) -> bool {
    if ca_kind(issuer) == 0 {
        return false;
    }
    if let Ok(Some(usage)) = issuer.key_usage()
        && !usage.value.key_cert_sign()
    {
        return false;
    }
    match issuer.basic_constraints() {
        Ok(Some(constraints)) => constraints
            .value
            .path_len_constraint
            .is_none_or(|limit| below <= limit),
        _ => true,
    }
}

/// OpenSSL's default verification depth: longer chains are not valid.
const MAX_CHAIN: usize = 100;

struct ChainSearch<'a, 'c> {
    intermediates: &'a [X509Certificate<'c>],
    trusted: &'a [X509Certificate<'c>],
    /// Intermediates already tried as issuers: each is followed at most once, so a bundle of
    /// certificates that all issue one another costs at most intermediates² signature checks.
    tried: Vec<bool>,
}

impl ChainSearch<'_, '_> {
    /// Whether `certificate` chains to a trusted certificate; `below` counts the CA
    /// certificates between it and the target.
    fn chains(&mut self, certificate: &X509Certificate<'_>, below: u32) -> bool {
        if !certificate.validity().is_valid() {
            return false;
        }
        // A trusted certificate anchors the chain wherever it appears (OpenSSL's
        // X509_V_FLAG_PARTIAL_CHAIN, which CCF sets).
        if self
            .trusted
            .iter()
            .any(|anchor| anchor.as_raw() == certificate.as_raw())
        {
            return true;
        }
        let issued_by = |candidate: &X509Certificate<'_>| {
            candidate.subject().as_raw() == certificate.issuer().as_raw()
                && may_issue(candidate, below)
                && certificate
                    .verify_signature(Some(candidate.public_key()))
                    .is_ok()
        };
        if self
            .trusted
            .iter()
            .any(|anchor| issued_by(anchor) && anchor.validity().is_valid())
        {
            return true;
        }
        let next = if self_issued(certificate) {
            below
        } else {
            below + 1
        };
        for index in 0..self.intermediates.len() {
            let intermediate = &self.intermediates[index];
            if self.tried[index] || !issued_by(intermediate) {
                continue;
            }
            self.tried[index] = true;
            if self.chains(intermediate, next) {
                return true;
            }
        }
        false
    }
}

/// `isValidX509CertChain`: whether the first certificate of `chain` chains, through the rest
/// of `chain`, to one of `trusted` (each of which must be a CA), all currently valid, with
/// signatures, CA flags, key usage and path lengths checked as OpenSSL does.
fn is_valid_chain(chain: &str, trusted: &str) -> bool {
    let (Some(chain), Some(trusted)) = (certificates(chain), certificates(trusted)) else {
        return false;
    };
    if chain.len() > MAX_CHAIN {
        return false;
    }
    let (Some(chain), Some(trusted)) = (parsed(&chain), parsed(&trusted)) else {
        return false;
    };
    if trusted
        .iter()
        .any(|anchor| !matches!(ca_kind(anchor), 1 | 3))
    {
        return false;
    }
    let Some((target, intermediates)) = chain.split_first() else {
        return false;
    };
    ChainSearch {
        intermediates,
        trusted: &trusted,
        tried: vec![false; intermediates.len()],
    }
    .chains(target, 0)
}

// ---------------------------------------------------------------------------------------------
// Natives

fn key_pair<'js>(ctx: &Ctx<'js>, (public, private): PemPair) -> rquickjs::Result<Object<'js>> {
    let pair = Object::new(ctx.clone())?;
    pair.set("privateKey", private)?;
    pair.set("publicKey", public)?;
    Ok(pair)
}

fn optional_bytes(ctx: &Ctx<'_>, value: Option<String>) -> rquickjs::Result<Option<Vec<u8>>> {
    value.map(|value| js_bytes(ctx, &value)).transpose()
}

/// Installs the `crypto_*` natives on `natives` (see the prelude's `ccf.crypto`).
pub(super) fn install<'js>(ctx: &Ctx<'js>, natives: &Object<'js>) -> rquickjs::Result<()> {
    natives.set(
        "crypto_digest",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, algorithm: String, data: String| -> rquickjs::Result<Value<'js>> {
                let data = js_bytes(&ctx, &data)?;
                let digest = digest_of(&algorithm, &data)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.digest", f))?;
                buffer(&ctx, &digest)
            },
        )?,
    )?;
    natives.set(
        "crypto_generate_aes_key",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bits: f64| -> rquickjs::Result<Value<'js>> {
                let mut key = generate_aes_key(bits)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.generateAesKey", f))?;
                let value = buffer(&ctx, &key);
                key.zeroize();
                value
            },
        )?,
    )?;
    natives.set(
        "crypto_generate_rsa",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bits: f64, exponent: Option<f64>| -> rquickjs::Result<Object<'js>> {
                let pair = generate_rsa(bits, exponent)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.generateRsaKeyPair", f))?;
                key_pair(&ctx, pair)
            },
        )?,
    )?;
    natives.set(
        "crypto_generate_ecdsa",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, curve: String| -> rquickjs::Result<Object<'js>> {
                let pair = generate_ecdsa(&curve)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.generateEcdsaKeyPair", f))?;
                key_pair(&ctx, pair)
            },
        )?,
    )?;
    natives.set(
        "crypto_generate_eddsa",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, curve: String| -> rquickjs::Result<Object<'js>> {
                let pair = generate_eddsa(&curve)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.generateEddsaKeyPair", f))?;
                key_pair(&ctx, pair)
            },
        )?,
    )?;
    natives.set(
        "crypto_sign",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             name: String,
             hash: Option<String>,
             salt: Option<f64>,
             key: String,
             data: String|
             -> rquickjs::Result<Value<'js>> {
                let data = js_bytes(&ctx, &data)?;
                let signature = sign(&name, hash.as_deref(), salt, &key, &data)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.sign", f))?;
                buffer(&ctx, &signature)
            },
        )?,
    )?;
    natives.set(
        "crypto_verify",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             name: String,
             hash: Option<String>,
             salt: Option<f64>,
             key: String,
             signature: String,
             data: String|
             -> rquickjs::Result<bool> {
                let signature = js_bytes(&ctx, &signature)?;
                let data = js_bytes(&ctx, &data)?;
                verify(&name, hash.as_deref(), salt, &key, &signature, &data)
                    .map_err(|f| thrown(&ctx, "ccf.crypto.verifySignature", f))
            },
        )?,
    )?;
    for (native, api, wrap) in [
        ("crypto_wrap_key", "ccf.crypto.wrapKey", true),
        ("crypto_unwrap_key", "ccf.crypto.unwrapKey", false),
    ] {
        natives.set(
            native,
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>,
                      key: String,
                      wrapping_key: String,
                      name: String,
                      aes_key_size: Option<f64>,
                      label: Option<String>|
                      -> rquickjs::Result<Value<'js>> {
                    let key = js_bytes(&ctx, &key)?;
                    let mut wrapping_key = js_bytes(&ctx, &wrapping_key)?;
                    let label = optional_bytes(&ctx, label)?;
                    let result = if wrap {
                        wrap_key(&key, &wrapping_key, &name, aes_key_size, label.as_deref())
                    } else {
                        unwrap_key(&key, &wrapping_key, &name, aes_key_size, label.as_deref())
                    };
                    wrapping_key.zeroize();
                    let mut out = result.map_err(|f| thrown(&ctx, api, f))?;
                    let value = buffer(&ctx, &out);
                    out.zeroize();
                    value
                },
            )?,
        )?;
    }
    natives.set(
        "crypto_pem_to_jwk",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>,
             kind: String,
             api: String,
             pem: String,
             kid: Option<String>|
             -> rquickjs::Result<Object<'js>> {
                let kind = JwkKind::parse(&kind)
                    .ok_or_else(|| Exception::throw_internal(&ctx, "unknown JWK kind"))?;
                let fields =
                    pem_to_jwk(kind, &pem, kid.as_deref()).map_err(|f| thrown(&ctx, &api, f))?;
                let jwk = Object::new(ctx.clone())?;
                for (name, value) in fields {
                    jwk.set(name, value)?;
                }
                Ok(jwk)
            },
        )?,
    )?;
    natives.set(
        "crypto_jwk_to_pem",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, kind: String, api: String, jwk: String| -> rquickjs::Result<String> {
                let kind = JwkKind::parse(&kind)
                    .ok_or_else(|| Exception::throw_internal(&ctx, "unknown JWK kind"))?;
                jwk_to_pem(kind, &jwk).map_err(|f| thrown(&ctx, &api, f))
            },
        )?,
    )?;
    natives.set(
        "crypto_is_valid_cert_bundle",
        Function::new(ctx.clone(), |pem: String| is_valid_bundle(&pem))?,
    )?;
    natives.set(
        "crypto_is_valid_cert_chain",
        Function::new(ctx.clone(), |chain: String, trusted: String| {
            is_valid_chain(&chain, &trusted)
        })?,
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text.replace(' ', "")).unwrap()
    }

    /// RFC 5649 §6's vectors (a 192-bit KEK, which aws-lc-rs's own key wrap lacks).
    #[test]
    fn aes_kwp_matches_rfc_5649() {
        let kek = unhex("5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8");
        let key = unhex("c37b7e6492584340 bed1220780894115 5068f738");
        let wrapped = unhex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a");
        assert_eq!(kwp_wrap(&kek, &key).unwrap(), wrapped);
        assert_eq!(kwp_unwrap(&kek, &wrapped).unwrap(), key);
        let key = unhex("466f7250617369");
        let wrapped = unhex("afbeb0f07dfbf541 9200f2ccb50bb24f");
        assert_eq!(kwp_wrap(&kek, &key).unwrap(), wrapped);
        assert_eq!(kwp_unwrap(&kek, &wrapped).unwrap(), key);
        let mut tampered = wrapped.clone();
        tampered[3] ^= 1;
        assert!(kwp_unwrap(&kek, &tampered).is_err());
    }

    /// The ECB implementation agrees with aws-lc-rs's key wrap where both exist.
    #[test]
    fn aes_kwp_over_ecb_matches_aws_lc() {
        for kek_len in [16, 32] {
            let kek = random(kek_len).unwrap();
            for key_len in [1, 7, 8, 9, 16, 31, 32, 33, 100] {
                let key = random(key_len).unwrap();
                let ours = kwp_wrap_ecb(&kek, &key).unwrap();
                assert_eq!(ours, kwp_wrap(&kek, &key).unwrap(), "{kek_len}/{key_len}");
                assert_eq!(kwp_unwrap_ecb(&kek, &ours).unwrap(), key);
            }
        }
    }

    #[test]
    fn der_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 70000] {
            let contents = vec![7u8; len];
            let encoded = der::tlv(der::OCTET_STRING, &contents);
            assert_eq!(der::only(&encoded, der::OCTET_STRING).unwrap(), contents);
        }
        assert!(der::only(&[0x04, 0x85, 1, 1, 1, 1, 1], der::OCTET_STRING).is_none());
        assert!(der::only(&[0x04, 0x80], der::OCTET_STRING).is_none());
        assert!(der::only(&[0x04, 0x05, 1], der::OCTET_STRING).is_none());
        assert_eq!(der::unsigned(&[0, 0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der::unsigned(&[0, 0, 0x7f]), vec![0x02, 0x01, 0x7f]);
    }
}
