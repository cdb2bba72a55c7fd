//! PEM armour (RFC 7468) for the DER blobs CCF stores as PEM text: keys, certificates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::pem::{PemObject, SectionKind};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Base64 characters per PEM line, as OpenSSL writes them.
const LINE_CHARS: usize = 64;
/// DER bytes that encode to exactly one full PEM line.
const LINE_BYTES: usize = LINE_CHARS / 4 * 3;

/// PEM text for `der` under `label`, with 64-character lines and a trailing newline.
///
/// The output buffer is sized up front so it never reallocates, which lets callers wrap it in
/// [`Zeroizing`] for secrets without earlier copies being left behind.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body_chars = der.len().div_ceil(3) * 4;
    let lines = der.len().div_ceil(LINE_BYTES);
    let mut out = String::with_capacity(2 * label.len() + 32 + body_chars + lines);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in der.chunks(LINE_BYTES) {
        STANDARD.encode_string(chunk, &mut out);
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Secret variant of [`encode`]: the text is zeroized when dropped.
pub(crate) fn encode_secret(label: &str, der: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(encode(label, der))
}

/// The DER of the first section of `kind` in `pem`, skipping any other sections (such as the
/// `EC PARAMETERS` block `openssl ecparam -genkey` writes before the key).
pub(crate) fn decode_first(pem: &str, kind: SectionKind) -> Result<Vec<u8>, CryptoError> {
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes()) {
        let (found, der) = item.map_err(|e| CryptoError::InvalidPem(e.to_string()))?;
        if found == kind {
            return Ok(der);
        }
    }
    Err(CryptoError::InvalidPem(format!(
        "no {kind:?} section found"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_with_line_breaks() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= LINE_CHARS));
        assert_eq!(decode_first(&pem, SectionKind::Certificate).unwrap(), der);
    }

    #[test]
    fn missing_section_is_an_error() {
        let pem = encode("PUBLIC KEY", b"abc");
        assert!(matches!(
            decode_first(&pem, SectionKind::Certificate),
            Err(CryptoError::InvalidPem(_))
        ));
    }

    proptest! {
        #[test]
        fn decode_never_panics(text in ".{0,400}") {
            let _ = decode_first(&text, SectionKind::Certificate);
        }

        #[test]
        fn encode_decode_round_trip(der in proptest::collection::vec(any::<u8>(), 0..300)) {
            let pem = encode("PUBLIC KEY", &der);
            prop_assert_eq!(decode_first(&pem, SectionKind::PublicKey).unwrap(), der);
        }
    }
}
