//! The KV bytes: what CCF's `ccf::kv::Map<size_t, std::string>` (JSON serialisers) writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_app_logging::records::{
    Domain, decode_key, decode_value, encode_key, encode_value, message_from_bytes,
};

#[test]
fn keys_are_json_numbers() {
    assert_eq!(encode_key(0), b"0");
    assert_eq!(encode_key(42), b"42");
    assert_eq!(encode_key(u64::MAX), b"18446744073709551615");
    assert_eq!(decode_key(b"42"), Some(42));
    assert_eq!(decode_key(b"0"), Some(0));
    for not_ours in [&b"042"[..], b"-1", b"+1", b"", b"1.0", b"\"1\""] {
        assert_eq!(decode_key(not_ours), None, "{not_ours:?}");
    }
}

#[test]
fn values_are_json_strings_escaped_as_nlohmann_dumps_them() {
    let cases: [(&str, &[u8]); 6] = [
        ("hello", b"\"hello\""),
        ("", b"\"\""),
        ("say \"hi\"\\", br#""say \"hi\"\\""#),
        ("tab\tnl\ncr\rbs\x08ff\x0c", br#""tab\tnl\ncr\rbs\bff\f""#),
        ("\x01\x1f\x7f", b"\"\\u0001\\u001f\x7f\""),
        (
            "caf\u{e9} \u{1f600} /",
            "\"caf\u{e9} \u{1f600} /\"".as_bytes(),
        ),
    ];
    for (msg, bytes) in cases {
        assert_eq!(encode_value(msg), bytes, "{msg:?}");
        assert_eq!(decode_value(bytes).as_deref(), Some(msg));
    }
    assert_eq!(decode_value(b"raw text"), None);
    assert_eq!(decode_value(b"42"), None);
}

#[test]
fn map_names_follow_ccf_scope_suffixes() {
    assert_eq!(Domain::Private.map_name(None), "records");
    assert_eq!(Domain::Public.map_name(None), "public:records");
    assert_eq!(Domain::Private.map_name(Some("x")), "records-x");
    assert_eq!(Domain::Public.map_name(Some("x")), "public:records-x");
    assert_eq!(Domain::Public.map_name(Some("")), "public:records-");
}

#[test]
fn text_bodies_must_be_utf8() {
    assert_eq!(message_from_bytes(b"fine \xc3\xa9"), Ok("fine \u{e9}"));
    assert_eq!(
        message_from_bytes(b"\x80"),
        Err("[json.exception.type_error.316] invalid UTF-8 byte at index 0: 0x80".to_owned())
    );
    assert_eq!(
        message_from_bytes(b"\xc0\xaf"),
        Err("[json.exception.type_error.316] invalid UTF-8 byte at index 0: 0xC0".to_owned())
    );
    assert_eq!(
        message_from_bytes(b"xy\xf0\x90\x80z"),
        Err("[json.exception.type_error.316] invalid UTF-8 byte at index 5: 0x7A".to_owned())
    );
    assert_eq!(
        message_from_bytes(b"\xf0\x90"),
        Err("[json.exception.type_error.316] incomplete UTF-8 string; last byte: 0x90".to_owned())
    );
}
