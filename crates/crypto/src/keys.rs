//! ECDSA P-384 keys, the only curve CCF uses for node, service and (by default) member identities.
//!
//! CCF conventions implemented here:
//! - **Identities** are SubjectPublicKeyInfo DER hashes: a node id (and the COSE `kid` of the
//!   service key) is the lowercase hex SHA-256 of the SPKI DER ([`PublicKey::sha256_hex`]). The
//!   SPKI is always re-encoded with an uncompressed point, as OpenSSL and Python's
//!   `cryptography` write it, so the hash matches theirs whatever encoding came in.
//! - **Merkle-root signatures** (`public:ccf.internal.signatures`, JSON receipts) sign the 32-byte
//!   root *as if it were a SHA-256 digest* with the P-384 key, DER-encoded
//!   ([`KeyPair::sign_prehashed_sha256`]). ECDSA's bits2int reads a 32-byte digest as the same
//!   integer as that digest left-padded with 16 zero bytes to the 48-byte P-384 width, which is
//!   how both signers below handle it.
//! - **COSE ES384** (ledger COSE signatures, governance requests) signs SHA-384 of the message
//!   and encodes the signature as raw `r‖s`, 96 bytes ([`KeyPair::sign_es384`]).
//!
//! Signing runs through one of two signers chosen when the key is made:
//! - keys from [`KeyPair::from_seed`] sign with RFC 6979 deterministic nonces (the `p384` crate),
//!   so a seeded ledger generator or simulator produces byte-identical output;
//! - every other key signs with aws-lc-rs's randomised ECDSA, about three times faster.
//!
//! Both produce ordinary ECDSA signatures that any verifier accepts.

use aws_lc_rs::digest::{self, Digest, SHA256, SHA384};
use aws_lc_rs::signature::{
    ECDSA_P384_SHA256_ASN1, ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P384_SHA384_FIXED, EcdsaKeyPair,
    UnparsedPublicKey,
};
use p384::ecdsa::signature::hazmat::PrehashSigner;
use p384::ecdsa::{Signature, SigningKey};
use p384::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::{PemObject, SectionKind};
use zeroize::Zeroizing;

use crate::{CryptoError, pem, sha256};

/// Width of a P-384 scalar and of a SHA-384 digest, in bytes.
const SCALAR_SIZE_BYTES: usize = 48;
/// Length of a raw `r‖s` ES384 signature, in bytes.
pub const ES384_SIGNATURE_SIZE_BYTES: usize = 2 * SCALAR_SIZE_BYTES;
/// Domain separation for [`KeyPair::from_seed`]. Changing it changes every seeded ledger.
const SEED_DERIVATION_LABEL: &[u8] = b"quorate/p384-key-from-seed/v1";
/// Candidate scalars tried before giving up; each is rejected with probability about 2^-190.
const MAX_SCALAR_CANDIDATES: u8 = 8;

/// A P-384 private key with its public key. Private material is zeroized on drop and never
/// printed.
pub struct KeyPair {
    /// The scalar, in the form the deterministic signer wants; zeroized on drop by `ecdsa`.
    signing_key: SigningKey,
    /// aws-lc-rs copy of the key for randomised signing; `None` for seeded keys.
    randomised: Option<EcdsaKeyPair>,
    public_key: PublicKey,
    pkcs8_pem: Zeroizing<String>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_key_sha256", &self.public_key.sha256_hex())
            .field("deterministic", &self.randomised.is_none())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key from the system RNG, signing with randomised nonces.
    pub fn generate() -> Result<KeyPair, CryptoError> {
        let secret = first_valid_scalar(|_| {
            let mut candidate = Zeroizing::new([0u8; SCALAR_SIZE_BYTES]);
            aws_lc_rs::rand::fill(candidate.as_mut())
                .map_err(|_| CryptoError::InvalidKey("system RNG failed".into()))?;
            Ok(candidate)
        })?;
        Self::from_secret(secret, true)
    }

    /// Deterministic key from 32 seed bytes, for the simulator and `quorate ledger generate
    /// --seed`. It signs with RFC 6979 nonces, so equal inputs give equal signatures.
    ///
    /// The scalar is SHA-384(label ‖ seed ‖ counter) for the first counter (from 0) that gives a
    /// valid scalar; this derivation is a Quorate convention and must never change.
    pub fn from_seed(seed: &[u8; 32]) -> Result<KeyPair, CryptoError> {
        let secret = first_valid_scalar(|counter| {
            let mut ctx = digest::Context::new(&SHA384);
            ctx.update(SEED_DERIVATION_LABEL);
            ctx.update(seed);
            ctx.update(&[counter]);
            let mut candidate = Zeroizing::new([0u8; SCALAR_SIZE_BYTES]);
            candidate.copy_from_slice(ctx.finish().as_ref());
            Ok(candidate)
        })?;
        Self::from_secret(secret, false)
    }

    /// Reads a PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`, as `openssl ecparam -genkey`
    /// writes it, with or without the `EC PARAMETERS` block) P-384 private key.
    pub fn from_pem(pem: &str) -> Result<KeyPair, CryptoError> {
        let der = Zeroizing::new(
            PrivateKeyDer::from_pem_slice(pem.as_bytes())
                .map_err(|e| CryptoError::InvalidPem(e.to_string()))?,
        );
        let secret = match &*der {
            PrivateKeyDer::Pkcs8(key) => p384::SecretKey::from_pkcs8_der(key.secret_pkcs8_der())
                .map_err(|_| CryptoError::InvalidKey("not a P-384 PKCS#8 private key".into())),
            PrivateKeyDer::Sec1(key) => p384::SecretKey::from_sec1_der(key.secret_sec1_der())
                .map_err(|_| CryptoError::InvalidKey("not a P-384 SEC1 private key".into())),
            _ => Err(CryptoError::InvalidKey(
                "only EC P-384 private keys are supported".into(),
            )),
        }?;
        Self::from_secret(secret, true)
    }

    fn from_secret(secret: p384::SecretKey, randomised: bool) -> Result<KeyPair, CryptoError> {
        let public_key = PublicKey::from_p384(&secret.public_key())?;
        let pkcs8 = secret
            .to_pkcs8_der()
            .map_err(|_| CryptoError::InvalidKey("PKCS#8 encoding failed".into()))?;
        let pkcs8_pem = pem::encode_secret("PRIVATE KEY", pkcs8.as_bytes());
        let randomised = if randomised {
            let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8.as_bytes())
                .map_err(|_| CryptoError::InvalidKey("aws-lc-rs rejected the key".into()))?;
            Some(key)
        } else {
            None
        };
        Ok(KeyPair {
            signing_key: SigningKey::from(secret),
            randomised,
            public_key,
            pkcs8_pem,
        })
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), zeroized when dropped.
    pub fn to_pem(&self) -> Zeroizing<String> {
        self.pkcs8_pem.clone()
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    /// CCF node signature over a Merkle root: ECDSA P-384 over the 32 bytes treated as a
    /// prehashed SHA-256 digest, DER-encoded (Python verifies with
    /// `ECDSA(Prehashed(SHA256()))`).
    pub fn sign_prehashed_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, CryptoError> {
        let mut widened = [0u8; SCALAR_SIZE_BYTES];
        widened[SCALAR_SIZE_BYTES - digest.len()..].copy_from_slice(digest);
        Ok(self.sign_digest(&widened)?.to_der().as_bytes().to_vec())
    }

    /// ES384 for COSE: SHA-384 over `msg`, raw `r‖s` (96 bytes).
    pub fn sign_es384(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self.sign_digest(&sha384(msg))?.to_bytes().to_vec())
    }

    /// ecdsa-with-SHA384 over `msg`, DER-encoded: the X.509 certificate signature.
    pub(crate) fn sign_sha384_der(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(self.sign_digest(&sha384(msg))?.to_der().as_bytes().to_vec())
    }

    /// Signs a 48-byte digest with whichever signer this key was made with.
    fn sign_digest(&self, digest: &[u8; SCALAR_SIZE_BYTES]) -> Result<Signature, CryptoError> {
        match &self.randomised {
            Some(key) => {
                let imported = Digest::import_less_safe(digest, &SHA384)
                    .map_err(|_| CryptoError::SigningFailed)?;
                let der = key
                    .sign_digest(&imported)
                    .map_err(|_| CryptoError::SigningFailed)?;
                Signature::from_der(der.as_ref()).map_err(|_| CryptoError::SigningFailed)
            }
            None => self
                .signing_key
                .sign_prehash(digest)
                .map_err(|_| CryptoError::SigningFailed),
        }
    }
}

/// The first candidate (counter 0, 1, …) that is a valid non-zero scalar below the group order.
fn first_valid_scalar(
    mut candidate: impl FnMut(u8) -> Result<Zeroizing<[u8; SCALAR_SIZE_BYTES]>, CryptoError>,
) -> Result<p384::SecretKey, CryptoError> {
    for counter in 0..MAX_SCALAR_CANDIDATES {
        if let Ok(secret) = p384::SecretKey::from_slice(candidate(counter)?.as_ref()) {
            return Ok(secret);
        }
    }
    Err(CryptoError::InvalidKey(
        "no valid P-384 scalar could be derived".into(),
    ))
}

fn sha384(msg: &[u8]) -> [u8; SCALAR_SIZE_BYTES] {
    let mut out = [0u8; SCALAR_SIZE_BYTES];
    out.copy_from_slice(digest::digest(&SHA384, msg).as_ref());
    out
}

/// A P-384 public key, kept as its canonical SubjectPublicKeyInfo DER.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki_der: Vec<u8>,
    /// The uncompressed SEC1 point, which is what aws-lc-rs and rcgen take.
    point: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&self.sha256_hex())
            .finish()
    }
}

impl PublicKey {
    /// Parses SubjectPublicKeyInfo DER; the key must be on P-384.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, CryptoError> {
        let key = p384::PublicKey::from_public_key_der(der)
            .map_err(|_| CryptoError::InvalidKey("not a P-384 SubjectPublicKeyInfo".into()))?;
        Self::from_p384(&key)
    }

    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn from_pem(pem: &str) -> Result<PublicKey, CryptoError> {
        Self::from_spki_der(&pem::decode_first(pem, SectionKind::PublicKey)?)
    }

    fn from_p384(key: &p384::PublicKey) -> Result<PublicKey, CryptoError> {
        let spki_der = key
            .to_public_key_der()
            .map_err(|_| CryptoError::InvalidKey("SPKI encoding failed".into()))?
            .into_vec();
        let point = key.to_sec1_bytes().into_vec();
        Ok(PublicKey { spki_der, point })
    }

    /// SubjectPublicKeyInfo DER, with the point uncompressed.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The uncompressed SEC1 point (`04 ‖ x ‖ y`).
    pub(crate) fn sec1_point(&self) -> &[u8] {
        &self.point
    }

    /// `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der)
    }

    /// Hex SHA-256 of the SPKI DER: CCF's node id and the COSE `kid` of the service key.
    pub fn sha256_hex(&self) -> String {
        hex::encode(sha256(&self.spki_der))
    }

    /// Checks a DER ECDSA signature over `digest` taken as a prehashed SHA-256 value (CCF's
    /// Merkle-root signature).
    pub fn verify_prehashed_sha256(
        &self,
        digest: &[u8; 32],
        der_sig: &[u8],
    ) -> Result<(), CryptoError> {
        let imported =
            Digest::import_less_safe(digest, &SHA256).map_err(|_| CryptoError::BadSignature)?;
        UnparsedPublicKey::new(&ECDSA_P384_SHA256_ASN1, &self.point)
            .verify_digest(&imported, der_sig)
            .map_err(|_| CryptoError::BadSignature)
    }

    /// Checks a raw `r‖s` ES384 signature over `msg`.
    pub fn verify_es384(&self, msg: &[u8], raw_sig: &[u8]) -> Result<(), CryptoError> {
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &self.point)
            .verify(msg, raw_sig)
            .map_err(|_| CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::KeyPair as _;
    use p384::ecdsa::VerifyingKey;
    use p384::ecdsa::signature::hazmat::PrehashVerifier;
    use proptest::prelude::*;

    const ROOT: [u8; 32] = [0xab; 32];

    /// Derived once: proptest cases would otherwise spend their time on key derivation.
    static FUZZ_KEY: std::sync::LazyLock<PublicKey> =
        std::sync::LazyLock::new(|| KeyPair::from_seed(&[8; 32]).unwrap().public_key());

    fn p384_verifier(key: &PublicKey) -> VerifyingKey {
        VerifyingKey::from_public_key_der(key.spki_der()).unwrap()
    }

    #[test]
    fn seeded_keys_and_signatures_are_deterministic() {
        let a = KeyPair::from_seed(&[1; 32]).unwrap();
        let b = KeyPair::from_seed(&[1; 32]).unwrap();
        let c = KeyPair::from_seed(&[2; 32]).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
        assert_eq!(*a.to_pem(), *b.to_pem());
        assert_eq!(
            a.sign_prehashed_sha256(&ROOT).unwrap(),
            b.sign_prehashed_sha256(&ROOT).unwrap()
        );
        assert_eq!(a.sign_es384(b"m").unwrap(), b.sign_es384(b"m").unwrap());
    }

    #[test]
    fn random_keys_sign_with_fresh_nonces() {
        let key = KeyPair::generate().unwrap();
        assert_ne!(
            key.sign_prehashed_sha256(&ROOT).unwrap(),
            key.sign_prehashed_sha256(&ROOT).unwrap()
        );
    }

    #[test]
    fn prehashed_signatures_verify_with_aws_lc_and_p384() {
        for key in [
            KeyPair::generate().unwrap(),
            KeyPair::from_seed(&[9; 32]).unwrap(),
        ] {
            let sig = key.sign_prehashed_sha256(&ROOT).unwrap();
            let public = key.public_key();
            public.verify_prehashed_sha256(&ROOT, &sig).unwrap();
            let parsed = p384::ecdsa::Signature::from_der(&sig).unwrap();
            p384_verifier(&public)
                .verify_prehash(&ROOT, &parsed)
                .unwrap();
            let mut other = ROOT;
            other[0] ^= 1;
            assert_eq!(
                public.verify_prehashed_sha256(&other, &sig),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn es384_signatures_verify_with_aws_lc_and_p384() {
        use p384::ecdsa::signature::Verifier;
        for key in [
            KeyPair::generate().unwrap(),
            KeyPair::from_seed(&[3; 32]).unwrap(),
        ] {
            let sig = key.sign_es384(b"payload").unwrap();
            assert_eq!(sig.len(), ES384_SIGNATURE_SIZE_BYTES);
            let public = key.public_key();
            public.verify_es384(b"payload", &sig).unwrap();
            let parsed = p384::ecdsa::Signature::from_slice(&sig).unwrap();
            p384_verifier(&public).verify(b"payload", &parsed).unwrap();
            assert_eq!(
                public.verify_es384(b"payloaD", &sig),
                Err(CryptoError::BadSignature)
            );
        }
    }

    #[test]
    fn pem_round_trips_and_sec1_with_parameters_block() {
        let key = KeyPair::generate().unwrap();
        let again = KeyPair::from_pem(&key.to_pem()).unwrap();
        assert_eq!(again.public_key(), key.public_key());

        let secret = p384::SecretKey::from_pkcs8_der(
            &pem::decode_first(&key.to_pem(), SectionKind::PrivateKey).unwrap(),
        )
        .unwrap();
        let sec1 = secret.to_sec1_der().unwrap();
        let openssl_style = format!(
            "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n{}",
            *pem::encode_secret("EC PRIVATE KEY", &sec1)
        );
        assert_eq!(
            KeyPair::from_pem(&openssl_style).unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn reads_openssl_ecparam_keys() {
        let key =
            KeyPair::from_pem(include_str!("../tests/vectors/openssl_ecparam_key.pem")).unwrap();
        let public =
            PublicKey::from_pem(include_str!("../tests/vectors/openssl_ecparam_pub.pem")).unwrap();
        assert_eq!(key.public_key(), public);
    }

    #[test]
    fn public_key_pem_and_identity() {
        let key = KeyPair::from_seed(&[5; 32]).unwrap().public_key();
        assert_eq!(key.spki_der().len(), 120);
        assert_eq!(key.sec1_point().len(), 97);
        assert_eq!(PublicKey::from_pem(&key.to_pem()).unwrap(), key);
        assert_eq!(key.sha256_hex(), hex::encode(sha256(key.spki_der())));
    }

    #[test]
    fn compressed_spki_is_canonicalised() {
        let key = KeyPair::from_seed(&[6; 32]).unwrap().public_key();
        let p384_key = p384::PublicKey::from_public_key_der(key.spki_der()).unwrap();
        let compressed =
            p384::elliptic_curve::sec1::ToSec1Point::to_sec1_point(p384_key.as_affine(), true);
        let parsed = p384::PublicKey::from_sec1_bytes(compressed.as_bytes()).unwrap();
        assert_eq!(PublicKey::from_p384(&parsed).unwrap(), key);
    }

    #[test]
    fn rejects_other_curves_and_garbage() {
        let p256 = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        )
        .unwrap();
        let p256_pem = pem::encode("PRIVATE KEY", p256.to_pkcs8v1().unwrap().as_ref());
        assert!(matches!(
            KeyPair::from_pem(&p256_pem),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(KeyPair::from_pem("not a key").is_err());
        assert!(PublicKey::from_spki_der(&[0x30, 0x00]).is_err());
    }

    #[test]
    fn aws_lc_copy_matches_the_public_key() {
        let key = KeyPair::generate().unwrap();
        let aws = key.randomised.as_ref().unwrap();
        assert_eq!(aws.public_key().as_ref(), key.public_key().sec1_point());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = KeyPair::from_seed(&[7; 32]).unwrap();
        let shown = format!("{key:?}");
        let pem_body: String = key
            .to_pem()
            .lines()
            .nth(1)
            .unwrap()
            .chars()
            .take(20)
            .collect();
        assert!(!shown.contains(&pem_body));
        assert!(shown.contains(&key.public_key().sha256_hex()));
    }

    proptest! {
        #[test]
        fn key_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = PublicKey::from_spki_der(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            let _ = KeyPair::from_pem(&text);
            let _ = PublicKey::from_pem(&text);
        }

        #[test]
        fn verify_never_panics(sig in proptest::collection::vec(any::<u8>(), 0..120)) {
            prop_assert!(FUZZ_KEY.verify_prehashed_sha256(&ROOT, &sig).is_err());
            prop_assert!(FUZZ_KEY.verify_es384(b"m", &sig).is_err());
        }
    }
}
