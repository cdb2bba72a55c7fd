//! Cryptography for Quorate: the primitives CCF uses, behind small types that keep secrets
//! zeroized and make CCF's conventions (P-384 everywhere, prehashed SHA-256 roots, COSE Sign1
//! with CCF's headers) the easy path.
//!
//! | module | CCF convention |
//! |---|---|
//! | [`keys`] | P-384 ECDSA; node id = SHA-256 of SPKI DER; Merkle roots signed as prehashed SHA-256 |
//! | [`certificate`] | service cert (CA, pathlen 1), service-endorsed node certs (from PKCS#10 requests), member/user id = SHA-256 of cert DER |
//! | [`cose`] | COSE_Sign1 ES384: ledger root signatures (detached, vds 395 = 2, `ccf.v1` txid) and governance requests (`ccf.gov.msg.*`) |
//! | [`hash`], [`mac`], [`aead`] | SHA-256 tree and digests; HMAC commit secrets; AES-256-GCM ledger domains |
//! | [`key_exchange`], [`kdf`] | ephemeral ECDH P-384 and HKDF-SHA256 for node-to-node channel keys |

pub mod aead;
pub mod certificate;
pub mod cose;
pub mod error;
pub mod hash;
pub mod kdf;
pub mod key_exchange;
pub mod keys;
pub mod mac;
mod pem;
pub mod random;

pub use certificate::{
    Certificate, SubjectAltName, Validity, certificate_signing_request_public_key,
    create_certificate_signing_request, create_endorsed_certificate,
    create_self_signed_certificate, create_service_certificate,
    endorse_certificate_signing_request, parse_ccf_time, random_serial, renew_service_certificate,
};
pub use error::CryptoError;
pub use hash::{Sha256Digest, sha256, sha256_concat};
pub use keys::{KeyPair, PublicKey};
pub use mac::{HmacSha256Key, hmac_sha256};
