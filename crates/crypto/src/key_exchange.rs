//! Ephemeral ECDH on P-384, the key agreement behind node-to-node channels (CCF runs one
//! authenticated ECDH exchange per ordered node pair instead of TLS between nodes).
//!
//! The private scalar comes from caller-supplied entropy so that a protocol core can take its
//! randomness as an input and a test or the simulator can replay an exchange exactly.

use aws_lc_rs::agreement::{ECDH_P384, PrivateKey, UnparsedPublicKey, agree};
/// Re-exported so callers can hold scalar entropy and shared secrets in wiped buffers without
/// depending on `zeroize` themselves.
pub use zeroize::Zeroizing;

use crate::CryptoError;

/// Length of a P-384 private scalar, in bytes.
pub const ECDH_P384_SCALAR_SIZE_BYTES: usize = 48;
/// Length of an uncompressed SEC1 P-384 point (`04 ‖ x ‖ y`), the public share, in bytes.
pub const ECDH_P384_SHARE_SIZE_BYTES: usize = 97;
/// Length of the raw ECDH shared secret (the x coordinate), in bytes.
pub const ECDH_P384_SECRET_SIZE_BYTES: usize = 48;

/// One side's ephemeral ECDH P-384 key: used for a single exchange, then dropped. The private
/// half lives inside aws-lc, which clears it when freed.
pub struct EcdhP384Ephemeral {
    private_key: PrivateKey,
    share: [u8; ECDH_P384_SHARE_SIZE_BYTES],
}

impl std::fmt::Debug for EcdhP384Ephemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdhP384Ephemeral")
            .field("share", &hex::encode(self.share))
            .finish_non_exhaustive()
    }
}

impl EcdhP384Ephemeral {
    /// The key whose scalar is `scalar` read as a big-endian integer. Fails (with probability
    /// about 2^-190 for uniform entropy) when that integer is zero or not below the group order;
    /// callers draw fresh entropy and try again.
    pub fn from_scalar(
        scalar: &Zeroizing<[u8; ECDH_P384_SCALAR_SIZE_BYTES]>,
    ) -> Result<Self, CryptoError> {
        let private_key = PrivateKey::from_private_key(&ECDH_P384, scalar.as_ref())
            .map_err(|_| CryptoError::InvalidKey("not a valid P-384 scalar".into()))?;
        let public = private_key
            .compute_public_key()
            .map_err(|_| CryptoError::InvalidKey("P-384 public share computation failed".into()))?;
        let share = <[u8; ECDH_P384_SHARE_SIZE_BYTES]>::try_from(public.as_ref())
            .map_err(|_| CryptoError::InvalidKey("unexpected P-384 share length".into()))?;
        Ok(Self { private_key, share })
    }

    /// The public share to send to the peer: an uncompressed SEC1 point.
    pub fn share(&self) -> &[u8; ECDH_P384_SHARE_SIZE_BYTES] {
        &self.share
    }

    /// The shared secret with the peer's share. A share that is not a valid point on P-384 is
    /// rejected, so an off-curve point from a hostile peer never reaches the arithmetic.
    pub fn agree(
        &self,
        peer_share: &[u8],
    ) -> Result<Zeroizing<[u8; ECDH_P384_SECRET_SIZE_BYTES]>, CryptoError> {
        let rejected = || CryptoError::InvalidKey("peer ECDH share is not a P-384 point".into());
        agree(
            &self.private_key,
            UnparsedPublicKey::new(&ECDH_P384, peer_share),
            rejected(),
            |secret| {
                let mut out = Zeroizing::new([0u8; ECDH_P384_SECRET_SIZE_BYTES]);
                if secret.len() != out.len() {
                    return Err(rejected());
                }
                out.copy_from_slice(secret);
                Ok(out)
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(byte: u8) -> EcdhP384Ephemeral {
        EcdhP384Ephemeral::from_scalar(&Zeroizing::new([byte; ECDH_P384_SCALAR_SIZE_BYTES]))
            .unwrap()
    }

    #[test]
    fn both_sides_agree_on_one_secret() {
        let (a, b, c) = (key(1), key(2), key(3));
        let ab = a.agree(b.share()).unwrap();
        assert_eq!(*ab, *b.agree(a.share()).unwrap());
        assert_ne!(*ab, *a.agree(c.share()).unwrap());
        assert_eq!(a.share()[0], 0x04);
    }

    #[test]
    fn equal_scalars_give_equal_shares() {
        assert_eq!(key(5).share(), key(5).share());
    }

    #[test]
    fn rejects_zero_and_out_of_range_scalars() {
        for byte in [0x00, 0xff] {
            assert!(matches!(
                EcdhP384Ephemeral::from_scalar(&Zeroizing::new([byte; 48])),
                Err(CryptoError::InvalidKey(_))
            ));
        }
    }

    #[test]
    fn rejects_points_off_the_curve() {
        let mut share = *key(7).share();
        share[60] ^= 1;
        assert!(matches!(
            key(1).agree(&share),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    proptest! {
        #[test]
        fn agree_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let outcome = key(9).agree(&bytes);
            // A random 49-byte compressed point (0x02/0x03 prefix) is on the curve about half
            // the time; anything else random is not a share.
            if !(bytes.len() == 49 && matches!(bytes[0], 2 | 3)) {
                prop_assert!(outcome.is_err());
            }
        }
    }
}
