//! `anonymous`, `prefix_cert` and `raw_text`: records whose stored line is built by the app or
//! taken from a plain-text body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Req, error_body, user_id};
use http::StatusCode;
use serde_json::json;

#[test]
fn anonymous_records_say_so() {
    let harness = Harness::new();
    let outcome = harness.call(
        Req::post("/log/private/anonymous")
            .anonymous()
            .json(&json!({"id": 9, "msg": "whisper"})),
    );
    assert_eq!(outcome.status(), StatusCode::OK);
    assert_eq!(outcome.json(), json!(true));
    assert_eq!(
        harness.get("private", 9).json(),
        json!({"msg": "Anonymous: whisper"})
    );
}

#[test]
fn anonymous_refuses_what_the_json_endpoints_refuse() {
    let harness = Harness::new();
    let empty = harness.call(
        Req::post("/log/private/anonymous")
            .anonymous()
            .json(&json!({"id": 9, "msg": ""})),
    );
    assert_eq!(
        empty.json(),
        error_body("InvalidInput", "Cannot record an empty log message.")
    );
    let missing = harness.call(Req::post("/log/private/anonymous").anonymous());
    assert_eq!(
        missing.json(),
        error_body(
            "InvalidInput",
            "At #/: Missing required field 'id' in object: {}"
        )
    );
}

#[test]
fn anonymous_honours_scope() {
    let harness = Harness::new();
    harness.call(
        Req::post("/log/private/anonymous")
            .anonymous()
            .query("scope=s")
            .json(&json!({"id": 1, "msg": "m"})),
    );
    assert_eq!(
        harness.stored("records-s", b"1").as_deref(),
        Some(&b"\"Anonymous: m\""[..])
    );
}

#[test]
fn prefix_cert_prefixes_the_caller_user_id() {
    let harness = Harness::new();
    let outcome = harness
        .call(Req::post("/log/private/prefix_cert").json(&json!({"id": 2, "msg": "signed, me"})));
    assert_eq!(outcome.status(), StatusCode::OK);
    assert_eq!(outcome.json(), json!(true));
    assert_eq!(outcome.header("content-type"), Some("application/json"));
    let expected = format!("{}: signed, me", user_id());
    assert_eq!(harness.get("private", 2).json(), json!({ "msg": expected }));
    assert_eq!(user_id().len(), 64, "CCF's user id: hex SHA-256 of the DER");
}

#[test]
fn prefix_cert_errors() {
    let harness = Harness::new();
    let empty =
        harness.call(Req::post("/log/private/prefix_cert").json(&json!({"id": 2, "msg": ""})));
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        empty.json(),
        error_body("InvalidInput", "Cannot record an empty log message")
    );
    // CCF parses this body directly: an empty body is a JSON error, not `{}`.
    let no_body = harness.call(Req::post("/log/private/prefix_cert"));
    assert_eq!(no_body.status(), StatusCode::BAD_REQUEST);
    assert_eq!(no_body.json()["error"]["code"], "InvalidInput");
    let no_msg = harness.call(Req::post("/log/private/prefix_cert").json(&json!({"id": 2})));
    assert_eq!(
        no_msg.json(),
        error_body(
            "InvalidInput",
            r#"At #/: Missing required field 'msg' in object: {"id":2}"#
        )
    );
}

#[test]
fn prefix_cert_without_a_user_identity_is_an_internal_error() {
    let harness = Harness::new();
    let outcome = harness.call(
        Req::post("/log/private/prefix_cert")
            .anonymous()
            .json(&json!({"id": 2, "msg": "m"})),
    );
    assert_eq!(outcome.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(outcome.json()["error"]["code"], "InternalError");
}

fn raw_text(id: &str) -> Req {
    Req::post("/log/private/raw_text/{id}").path_param("id", id)
}

#[test]
fn raw_text_stores_the_body() {
    let harness = Harness::new();
    let outcome = harness.call(
        raw_text("17")
            .header("content-type", "text/plain")
            .body("plain \"text\"\nwith lines"),
    );
    assert_eq!(outcome.status(), StatusCode::OK);
    assert!(outcome.response.body.is_empty());
    assert_eq!(
        harness.get("private", 17).json(),
        json!({"msg": "plain \"text\"\nwith lines"})
    );
    assert_eq!(
        harness.stored("records", b"17").as_deref(),
        Some(&br#""plain \"text\"\nwith lines""#[..])
    );
    // CCF does not refuse an empty text body.
    let empty = harness.call(raw_text("18").header("content-type", "text/plain"));
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(harness.get("private", 18).json(), json!({"msg": ""}));
    // Scoped.
    harness.call(
        raw_text("19")
            .query("scope=t")
            .header("content-type", "text/plain")
            .body("s"),
    );
    assert!(harness.stored("records-t", b"19").is_some());
}

#[test]
fn raw_text_needs_exactly_text_plain() {
    let harness = Harness::new();
    for (content_type, shown) in [
        (Some("application/json"), "application/json"),
        (
            Some("text/plain; charset=utf-8"),
            "text/plain; charset=utf-8",
        ),
        (None, ""),
    ] {
        let mut req = raw_text("1").body("x");
        if let Some(content_type) = content_type {
            req = req.header("content-type", content_type);
        }
        let outcome = harness.call(req);
        assert_eq!(outcome.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            outcome.json(),
            error_body(
                "InvalidHeaderValue",
                &format!("Expected content-type 'text/plain'. Got '{shown}'.")
            )
        );
    }
}

#[test]
fn raw_text_refuses_ids_that_are_not_whole_numbers() {
    let harness = Harness::new();
    for id in ["abc", "12abc", "-1", "", "18446744073709551616"] {
        let outcome = harness.call(raw_text(id).header("content-type", "text/plain").body("x"));
        assert_eq!(outcome.status(), StatusCode::BAD_REQUEST, "{id:?}");
        assert_eq!(
            outcome.json(),
            error_body(
                "InvalidInput",
                &format!("Unable to parse value '{id}' in path parameter 'id'")
            )
        );
    }
    let no_param = harness.call(
        Req::post("/log/private/raw_text/{id}")
            .header("content-type", "text/plain")
            .body("x"),
    );
    assert_eq!(
        no_param.json(),
        error_body("InvalidInput", "Missing ID component in request path")
    );
}

#[test]
fn raw_text_refuses_bodies_that_are_not_utf8_with_nlohmann_text() {
    let harness = Harness::new();
    let cases: [(&[u8], &str); 4] = [
        (b"ok\xff", "invalid UTF-8 byte at index 2: 0xFF"),
        (b"\xe2\x28\xa1", "invalid UTF-8 byte at index 1: 0x28"),
        (b"a\xed\xa0\x80", "invalid UTF-8 byte at index 2: 0xA0"),
        (b"ab\xe2\x82", "incomplete UTF-8 string; last byte: 0x82"),
    ];
    for (body, message) in cases {
        let outcome = harness.call(
            raw_text("1")
                .header("content-type", "text/plain")
                .body(body.to_vec()),
        );
        assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            outcome.json(),
            error_body(
                "InvalidInput",
                &format!("[json.exception.type_error.316] {message}")
            )
        );
    }
}
