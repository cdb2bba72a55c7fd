//! COSE_Sign1 (RFC 9052 §4.2) with ES384: building, parsing and verifying.
//!
//! We always emit tag 18 (CCF's Python decoder, `cwt`, refuses untagged messages) with a
//! deterministic protected header, and accept tagged or untagged input.

use ciborium::Value;
use coset::{
    AsCborValue, CborSerializable, CoseSign1, Header, Label, ProtectedHeader, SignatureContext,
    TaggedCborSerializable, iana, sig_structure_data,
};

use crate::cose::headers::{HeaderMap, LABEL_ALG, LABEL_KID, encode};
use crate::{CryptoError, KeyPair, PublicKey};

/// COSE algorithm id of ES384, the only one P-384 keys sign with.
pub const ALG_ES384: i64 = iana::Algorithm::ES384 as i64;
/// CBOR major type 6 (tag), in the top three bits of the initial byte.
const MAJOR_TYPE_TAG: u8 = 6;

/// Collects headers, then signs an attached or detached payload.
#[derive(Clone, Debug, Default)]
pub struct Sign1Builder {
    protected: HeaderMap,
    unprotected: HeaderMap,
}

impl Sign1Builder {
    /// No headers yet; `alg` is added when signing.
    pub fn new() -> Sign1Builder {
        Sign1Builder::default()
    }

    /// Sets the protected `kid` (a bstr, as CCF sends it).
    pub fn kid(self, kid: &[u8]) -> Sign1Builder {
        self.protected(Label::Int(LABEL_KID), Value::Bytes(kid.to_vec()))
    }

    /// Sets a protected header; a later value for the same label wins.
    pub fn protected(mut self, label: Label, value: Value) -> Sign1Builder {
        self.protected.insert(label, value);
        self
    }

    /// Sets an unprotected header; a later value for the same label wins.
    pub fn unprotected(mut self, label: Label, value: Value) -> Sign1Builder {
        self.unprotected.insert(label, value);
        self
    }

    /// A tagged COSE_Sign1 carrying `payload` (governance requests).
    pub fn sign(self, key: &KeyPair, payload: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_with(key, payload, true)
    }

    /// A tagged COSE_Sign1 over `payload` with a nil payload slot (Merkle-root signatures).
    pub fn sign_detached(self, key: &KeyPair, payload: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_with(key, payload, false)
    }

    fn sign_with(
        mut self,
        key: &KeyPair,
        payload: &[u8],
        attach: bool,
    ) -> Result<Vec<u8>, CryptoError> {
        self.protected
            .insert(Label::Int(LABEL_ALG), Value::from(ALG_ES384));
        let protected_bytes = encode(&self.protected.to_deterministic_cbor()?)?;
        let protected = ProtectedHeader {
            header: Header::from_slice(&protected_bytes).map_err(cose_error)?,
            original_data: Some(protected_bytes),
        };
        let tbs = sig_structure_data(
            SignatureContext::CoseSign1,
            protected.clone(),
            None,
            &[],
            payload,
        );
        let message = CoseSign1 {
            protected,
            unprotected: Header::from_cbor_value(self.unprotected.to_deterministic_cbor()?)
                .map_err(cose_error)?,
            payload: attach.then(|| payload.to_vec()),
            signature: key.sign_es384(&tbs)?,
        };
        message.to_tagged_vec().map_err(cose_error)
    }
}

/// A parsed COSE_Sign1, not yet verified.
#[derive(Clone, Debug)]
pub struct Sign1Message {
    inner: CoseSign1,
    protected: HeaderMap,
    unprotected: HeaderMap,
}

impl Sign1Message {
    /// Parses a COSE_Sign1, tagged (18) or untagged; any other tag or trailing bytes are errors.
    pub fn parse(bytes: &[u8]) -> Result<Sign1Message, CryptoError> {
        let tagged = bytes.first().is_some_and(|b| b >> 5 == MAJOR_TYPE_TAG);
        let inner = if tagged {
            CoseSign1::from_tagged_slice(bytes)
        } else {
            CoseSign1::from_slice(bytes)
        }
        .map_err(cose_error)?;
        let protected = match inner.protected.original_data.as_deref() {
            None | Some([]) => HeaderMap::new(),
            Some(raw) => HeaderMap::from_cbor(
                ciborium::from_reader(raw).map_err(|e| CryptoError::InvalidCose(e.to_string()))?,
            )?,
        };
        let unprotected = HeaderMap::from_cbor(
            inner
                .unprotected
                .clone()
                .to_cbor_value()
                .map_err(cose_error)?,
        )?;
        Ok(Sign1Message {
            inner,
            protected,
            unprotected,
        })
    }

    /// The decoded protected header (kid, message type, created_at, txid, CWT claims, ...).
    pub fn protected(&self) -> &HeaderMap {
        &self.protected
    }

    /// The decoded unprotected header (COSE receipts carry their proofs here).
    pub fn unprotected(&self) -> &HeaderMap {
        &self.unprotected
    }

    /// The protected header exactly as received (the bytes the signature covers).
    pub fn protected_bytes(&self) -> &[u8] {
        self.inner
            .protected
            .original_data
            .as_deref()
            .unwrap_or_default()
    }

    /// The attached payload; `None` when detached.
    pub fn payload(&self) -> Option<&[u8]> {
        self.inner.payload.as_deref()
    }

    /// The raw `r‖s` signature.
    pub fn signature(&self) -> &[u8] {
        &self.inner.signature
    }

    /// Checks that `alg` is ES384 and the signature is `key`'s over the attached payload or, when
    /// the message has none, over `detached_payload`. Passing a detached payload for a message
    /// that carries one is an error, as in CCF's Python (`cwt`).
    pub fn verify(
        &self,
        key: &PublicKey,
        detached_payload: Option<&[u8]>,
    ) -> Result<(), CryptoError> {
        match self.protected.alg() {
            Some(ALG_ES384) => {}
            Some(other) => {
                return Err(CryptoError::InvalidCose(format!(
                    "alg {other} is not ES384 ({ALG_ES384})"
                )));
            }
            None => return Err(CryptoError::InvalidCose("no protected alg".into())),
        }
        let verifier = |sig: &[u8], tbs: &[u8]| key.verify_es384(tbs, sig);
        match (self.payload(), detached_payload) {
            (Some(_), None) => self.inner.verify_signature(&[], verifier),
            (None, Some(payload)) => self.inner.verify_detached_signature(payload, &[], verifier),
            (Some(_), Some(_)) => Err(CryptoError::InvalidCose(
                "payload is attached, but a detached payload was given".into(),
            )),
            (None, None) => Err(CryptoError::InvalidCose(
                "payload is detached, but none was given".into(),
            )),
        }
    }
}

/// Parses and verifies in one step; see [`Sign1Message::verify`].
pub fn verify_sign1(
    bytes: &[u8],
    key: &PublicKey,
    detached_payload: Option<&[u8]>,
) -> Result<Sign1Message, CryptoError> {
    let message = Sign1Message::parse(bytes)?;
    message.verify(key, detached_payload)?;
    Ok(message)
}

fn cose_error(e: coset::CoseError) -> CryptoError {
    CryptoError::InvalidCose(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> KeyPair {
        KeyPair::from_seed(&[11; 32]).unwrap()
    }

    /// Derived once: proptest cases would otherwise spend their time on key derivation.
    static PUBLIC_KEY: std::sync::LazyLock<PublicKey> =
        std::sync::LazyLock::new(|| key().public_key());

    /// A message whose only unsigned part, the unprotected header, is empty.
    static SIGNED: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        Sign1Builder::new()
            .kid(b"abc")
            .sign(&key(), b"payload")
            .unwrap()
    });

    fn builder() -> Sign1Builder {
        Sign1Builder::new()
            .kid(b"abc")
            .protected(
                Label::Text("ccf.gov.msg.type".into()),
                Value::from("proposal"),
            )
            .protected(
                Label::Text("ccf.gov.msg.created_at".into()),
                Value::from(1_735_689_600),
            )
            .unprotected(
                Label::Int(396),
                Value::Map(vec![(
                    Value::from(-1),
                    Value::Array(vec![Value::Bytes(vec![1])]),
                )]),
            )
    }

    #[test]
    fn attached_round_trip() {
        let key = key();
        let bytes = builder().sign(&key, b"{}").unwrap();
        assert_eq!(bytes[0], 0xd2, "tag 18");
        let msg = verify_sign1(&bytes, &key.public_key(), None).unwrap();
        assert_eq!(msg.payload(), Some(&b"{}"[..]));
        assert_eq!(msg.protected().kid(), Some(&b"abc"[..]));
        assert_eq!(msg.protected().alg(), Some(ALG_ES384));
        assert_eq!(msg.protected().gov_msg_type(), Some("proposal"));
        assert_eq!(msg.protected().gov_msg_created_at(), Some(1_735_689_600));
        assert!(msg.unprotected().get_int(396).is_some());
        assert_eq!(msg.signature().len(), 96);
        assert!(msg.verify(&key.public_key(), Some(b"{}")).is_err());
    }

    #[test]
    fn detached_round_trip() {
        let key = key();
        let root = [7u8; 32];
        let bytes = builder().sign_detached(&key, &root).unwrap();
        let msg = verify_sign1(&bytes, &key.public_key(), Some(&root)).unwrap();
        assert_eq!(msg.payload(), None);
        assert!(msg.verify(&key.public_key(), None).is_err());
        assert_eq!(
            msg.verify(&key.public_key(), Some(&[8u8; 32])),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn untagged_input_is_accepted_and_other_tags_are_not() {
        let key = key();
        let bytes = builder().sign(&key, b"x").unwrap();
        let untagged = &bytes[1..];
        verify_sign1(untagged, &key.public_key(), None).unwrap();
        let mut other_tag = bytes.clone();
        other_tag[0] = 0xd1;
        assert!(Sign1Message::parse(&other_tag).is_err());
        let mut trailing = bytes;
        trailing.push(0);
        assert!(Sign1Message::parse(&trailing).is_err());
    }

    #[test]
    fn seeded_signing_is_byte_identical() {
        assert_eq!(
            builder().sign(&key(), b"x").unwrap(),
            builder().sign(&key(), b"x").unwrap()
        );
    }

    #[test]
    fn tampering_is_rejected() {
        let key = key();
        let public = key.public_key();
        let good = builder().sign(&key, b"payload").unwrap();
        let position = |needle: &[u8]| {
            good.windows(needle.len())
                .position(|w| w == needle)
                .unwrap()
        };
        let mut payload = good.clone();
        payload[position(b"payload")] ^= 1;
        assert_eq!(
            verify_sign1(&payload, &public, None).unwrap_err(),
            CryptoError::BadSignature
        );
        let mut header = good.clone();
        header[position(b"proposal")] ^= 1;
        assert_eq!(
            verify_sign1(&header, &public, None).unwrap_err(),
            CryptoError::BadSignature
        );
        let mut signature = good.clone();
        let last = signature.len() - 1;
        signature[last] ^= 1;
        assert_eq!(
            verify_sign1(&signature, &public, None).unwrap_err(),
            CryptoError::BadSignature
        );
        let other = KeyPair::from_seed(&[12; 32]).unwrap().public_key();
        assert_eq!(
            verify_sign1(&good, &other, None).unwrap_err(),
            CryptoError::BadSignature
        );
    }

    #[test]
    fn wrong_or_missing_alg_is_rejected() {
        let key = key();
        let protected = encode(&Value::Map(vec![(Value::from(1), Value::from(-7))])).unwrap();
        let message = CoseSign1 {
            protected: ProtectedHeader {
                header: Header::from_slice(&protected).unwrap(),
                original_data: Some(protected),
            },
            payload: Some(b"x".to_vec()),
            ..CoseSign1::default()
        };
        let bytes = message.to_tagged_vec().unwrap();
        assert!(matches!(
            verify_sign1(&bytes, &key.public_key(), None),
            Err(CryptoError::InvalidCose(_))
        ));
        let no_alg = CoseSign1 {
            payload: Some(b"x".to_vec()),
            ..CoseSign1::default()
        };
        assert!(matches!(
            verify_sign1(&no_alg.to_tagged_vec().unwrap(), &key.public_key(), None),
            Err(CryptoError::InvalidCose(_))
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(msg) = Sign1Message::parse(&bytes) {
                let _ = msg.verify(&PUBLIC_KEY, Some(b"x"));
            }
        }

        #[test]
        fn random_protected_headers_never_panic(header in proptest::collection::vec(any::<u8>(), 0..120)) {
            let envelope = Value::Tag(18, Box::new(Value::Array(vec![
                Value::Bytes(header),
                Value::Map(vec![]),
                Value::Bytes(b"x".to_vec()),
                Value::Bytes(vec![0; 96]),
            ])));
            if let Ok(msg) = Sign1Message::parse(&encode(&envelope).unwrap()) {
                let _ = msg.protected().cwt_claims();
                let _ = msg.protected().ccf_txid();
                prop_assert!(msg.verify(&PUBLIC_KEY, None).is_err());
            }
        }

        #[test]
        fn flipping_any_byte_never_verifies(index in 0usize..4096, bit in 0u8..8) {
            let mut bytes = SIGNED.clone();
            let index = index % bytes.len();
            bytes[index] ^= 1 << bit;
            prop_assert!(verify_sign1(&bytes, &PUBLIC_KEY, None).is_err());
        }
    }
}
