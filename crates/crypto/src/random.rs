//! The system's cryptographic random number generator, for callers that take randomness as an
//! input (protocol cores) and need a production source for it.

use crate::CryptoError;

/// Fills `out` with bytes from the operating system's CSPRNG (through aws-lc).
pub fn fill_random(out: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(out).map_err(|_| CryptoError::InvalidKey("system RNG failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_with_fresh_bytes() {
        let (mut first, mut second) = ([0u8; 32], [0u8; 32]);
        fill_random(&mut first).unwrap();
        fill_random(&mut second).unwrap();
        assert_ne!(first, second);
    }
}
