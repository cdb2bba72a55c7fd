//! Randomness as an input: the channel draws its ephemeral ECDH scalars from an
//! [`EntropySource`], so the node uses the system RNG while tests and the simulator supply
//! reproducible bytes.

use quorate_crypto::random::fill_random;

use super::ChannelError;

/// Where a channel gets the bytes of its ephemeral keys.
pub trait EntropySource {
    /// Fills `out` with fresh unpredictable bytes.
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ChannelError>;
}

/// The operating system's cryptographic RNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEntropy;

impl EntropySource for SystemEntropy {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ChannelError> {
        fill_random(out).map_err(|_| ChannelError::EntropyFailed)
    }
}
