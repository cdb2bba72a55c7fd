//! HKDF-SHA256 (RFC 5869): turns an ECDH shared secret into channel keys bound to the exchange
//! transcript.

use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};

use crate::CryptoError;

/// Most output HKDF-SHA256 can produce: 255 blocks of 32 bytes.
pub const HKDF_SHA256_MAX_OUTPUT_BYTES: usize = 255 * 32;

/// An output length for aws-lc's `expand`.
struct OutputLength(usize);

impl KeyType for OutputLength {
    fn len(&self) -> usize {
        self.0
    }
}

/// Fills `okm` with HKDF-SHA256(salt, ikm, info). Fails only when `okm` is longer than
/// [`HKDF_SHA256_MAX_OUTPUT_BYTES`].
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    okm: &mut [u8],
) -> Result<(), CryptoError> {
    let too_long = || CryptoError::InvalidKey("HKDF-SHA256 output too long".into());
    if okm.len() > HKDF_SHA256_MAX_OUTPUT_BYTES {
        return Err(too_long());
    }
    let prk = Salt::new(HKDF_SHA256, salt).extract(ikm);
    let info_parts = [info];
    prk.expand(&info_parts, OutputLength(okm.len()))
        .and_then(|expanded| expanded.fill(okm))
        .map_err(|_| too_long())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5869 appendix A.1.
    #[test]
    fn rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let mut okm = [0u8; 42];
        hkdf_sha256(&salt, &ikm, &info, &mut okm).unwrap();
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn rejects_overlong_output() {
        let mut okm = vec![0u8; HKDF_SHA256_MAX_OUTPUT_BYTES + 1];
        assert!(hkdf_sha256(b"s", b"k", b"i", &mut okm).is_err());
    }
}
