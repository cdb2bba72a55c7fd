//! AES-256-GCM with detached tags, as CCF lays out ledger entries (tag and IV in the entry header,
//! ciphertext after the public domain).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// Length of a GCM tag in bytes.
pub const TAG_SIZE_BYTES: usize = 16;
/// Length of a GCM IV in bytes.
pub const IV_SIZE_BYTES: usize = 12;
/// Length of an AES-256 key in bytes.
pub const KEY_SIZE_BYTES: usize = 32;

/// A 32-byte AES-256-GCM key such as CCF's ledger secret. Zeroized on drop; never printed.
/// The expanded cipher key is built once: every ledger entry is sealed with the same key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AesGcmKey {
    raw: [u8; KEY_SIZE_BYTES],
    #[zeroize(skip)]
    cipher: LessSafeKey,
}

impl Clone for AesGcmKey {
    fn clone(&self) -> Self {
        Self::from_bytes(self.raw)
    }
}

impl std::fmt::Debug for AesGcmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesGcmKey(<redacted>)")
    }
}

impl AesGcmKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(raw: [u8; KEY_SIZE_BYTES]) -> Self {
        // AES-256 accepts every 32-byte key, so this cannot fail for a correctly sized array.
        let cipher = match UnboundKey::new(&AES_256_GCM, &raw) {
            Ok(unbound) => LessSafeKey::new(unbound),
            Err(_) => unreachable!("AES-256-GCM accepts any 32-byte key"),
        };
        Self { raw, cipher }
    }

    /// A fresh random key from the system RNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut raw = [0u8; KEY_SIZE_BYTES];
        aws_lc_rs::rand::fill(&mut raw)
            .map_err(|_| CryptoError::InvalidKey("system RNG failed".into()))?;
        Ok(Self::from_bytes(raw))
    }

    /// The raw key bytes, for wrapping or sealing the key itself.
    pub fn as_bytes(&self) -> &[u8; KEY_SIZE_BYTES] {
        &self.raw
    }

    /// Encrypts `in_out` in place and returns the detached tag.
    pub fn seal_in_place(
        &self,
        iv: &[u8; IV_SIZE_BYTES],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_SIZE_BYTES], CryptoError> {
        let tag = self
            .cipher
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), in_out)
            .map_err(|_| CryptoError::AeadSealFailed)?;
        let mut out = [0u8; TAG_SIZE_BYTES];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `ciphertext` after checking `tag` over it and `aad`.
    pub fn open(
        &self,
        iv: &[u8; IV_SIZE_BYTES],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8; TAG_SIZE_BYTES],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut plaintext = vec![0u8; ciphertext.len()];
        self.cipher
            .open_separate_gather(
                Nonce::assume_unique_for_key(*iv),
                Aad::from(aad),
                ciphertext,
                tag,
                &mut plaintext,
            )
            .map_err(|_| CryptoError::AeadOpenFailed)?;
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = AesGcmKey::from_bytes([7u8; 32]);
        let iv = [1u8; 12];
        let mut data = b"private domain".to_vec();
        let tag = key.seal_in_place(&iv, b"public", &mut data).unwrap();
        assert_ne!(data, b"private domain");
        assert_eq!(
            key.open(&iv, b"public", &data, &tag).unwrap(),
            b"private domain"
        );
        assert_eq!(
            key.open(&iv, b"publiC", &data, &tag),
            Err(CryptoError::AeadOpenFailed)
        );
    }
}
