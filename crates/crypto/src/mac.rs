//! HMAC-SHA256, used for CCF's commit secret and commit-evidence nonces.

use aws_lc_rs::hmac;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    HmacSha256Key::new(key).sign(data)
}

/// An HMAC-SHA256 key prepared once, for keys used on every transaction (the commit secret):
/// preparing the key costs as much as the MAC itself.
#[derive(Clone)]
pub struct HmacSha256Key {
    key: hmac::Key,
}

impl std::fmt::Debug for HmacSha256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256Key(<redacted>)")
    }
}

impl HmacSha256Key {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.key, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            HmacSha256Key::new(b"Jefe").sign(b"what do ya want for nothing?"),
            hmac_sha256(b"Jefe", b"what do ya want for nothing?")
        );
    }
}
