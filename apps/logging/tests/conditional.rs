//! ETags and `If-Match` / `If-None-Match` on public records, following CCF's e2e
//! `test_etags`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Req, error_body};
use http::StatusCode;
use quorate_app_logging::etag::{Matcher, etag};
use serde_json::json;

const ID: u64 = 999_999;

fn sha256_hex(text: &str) -> String {
    hex::encode(quorate_crypto::sha256(text.as_bytes()))
}

fn post(harness: &Harness, msg: &str, header: Option<(&'static str, &str)>) -> common::Outcome {
    let mut req = Req::post("/log/public").json(&json!({"id": ID, "msg": msg}));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    harness.call(req)
}

fn get(harness: &Harness, id: u64, header: Option<(&'static str, &str)>) -> common::Outcome {
    let mut req = Req::get("/log/public").query(&format!("id={id}"));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    harness.call(req)
}

fn delete(harness: &Harness, id: u64, header: Option<(&'static str, &str)>) -> common::Outcome {
    let mut req = Req::delete("/log/public").query(&format!("id={id}"));
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    harness.call(req)
}

#[test]
fn etag_is_the_unquoted_hex_sha256_of_the_message() {
    assert_eq!(etag("hello world"), sha256_hex("hello world"));
    let harness = Harness::new();
    let posted = post(&harness, "hello world", None);
    assert_eq!(
        posted.header("etag"),
        Some(sha256_hex("hello world").as_str())
    );
    let got = get(&harness, ID, None);
    assert_eq!(got.header("etag"), Some(sha256_hex("hello world").as_str()));
    // Private records carry no tag.
    harness.post("private", 1, "hello world");
    assert_eq!(harness.get("private", 1).header("etag"), None);
}

#[test]
fn conditional_get() {
    let harness = Harness::new();
    post(&harness, "hello world", None);
    let tag = sha256_hex("hello world");

    assert_eq!(
        get(&harness, 999_998, Some(("if-match", "*"))).status(),
        StatusCode::NOT_FOUND
    );
    let any = get(&harness, ID, Some(("if-match", "*")));
    assert_eq!(any.status(), StatusCode::OK);
    assert_eq!(any.header("etag"), Some(tag.as_str()));

    let mismatch = get(&harness, ID, Some(("if-match", "\"abc\"")));
    assert_eq!(mismatch.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        mismatch.json(),
        error_body("PreconditionFailed", "Resource has changed.")
    );

    let quoted = format!("\"{tag}\"");
    let matching = get(&harness, ID, Some(("if-match", &quoted)));
    assert_eq!(matching.json(), json!({"msg": "hello world"}));
    let list = format!("\"{tag}\", \"abc\"");
    assert_eq!(
        get(&harness, ID, Some(("if-match", &list))).status(),
        StatusCode::OK
    );

    let not_modified = get(&harness, ID, Some(("if-none-match", "*")));
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert!(not_modified.response.body.is_empty());
    assert_eq!(
        get(&harness, ID, Some(("if-none-match", &quoted))).status(),
        StatusCode::NOT_MODIFIED
    );
    let changed = get(&harness, ID, Some(("if-none-match", "\"abc\"")));
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.header("etag"), Some(tag.as_str()));
}

#[test]
fn conditional_post() {
    let harness = Harness::new();
    post(&harness, "hello world", None);
    let old = format!("\"{}\"", sha256_hex("hello world"));

    let refused = post(&harness, "saluton mondo", Some(("if-match", "\"abc\"")));
    assert_eq!(refused.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        refused.json(),
        error_body("PreconditionFailed", "Resource has changed.")
    );
    assert_eq!(
        get(&harness, ID, None).json(),
        json!({"msg": "hello world"})
    );

    let accepted = post(&harness, "saluton mondo", Some(("if-match", &old)));
    assert_eq!(accepted.status(), StatusCode::OK);
    let new_tag = sha256_hex("saluton mondo");
    assert_eq!(accepted.header("etag"), Some(new_tag.as_str()));

    let first = format!("\"{new_tag}\", \"abc\"");
    assert_eq!(
        post(&harness, "saluton mondo", Some(("if-match", &first))).status(),
        StatusCode::OK
    );
    let second = format!("\"abc\", \"{new_tag}\"");
    assert_eq!(
        post(&harness, "saluton mondo", Some(("if-match", &second))).status(),
        StatusCode::OK
    );
    assert_eq!(
        post(
            &harness,
            "saluton mondo",
            Some(("if-match", "\"abc\", \"def\""))
        )
        .status(),
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        post(&harness, "saluton mondo", Some(("if-none-match", "*"))).status(),
        StatusCode::PRECONDITION_FAILED
    );

    // No record yet: the conditions are not evaluated, as in CCF.
    let fresh = Harness::new();
    assert_eq!(
        post(&fresh, "new", Some(("if-match", "\"abc\""))).status(),
        StatusCode::OK
    );
}

#[test]
fn conditional_delete() {
    let harness = Harness::new();
    post(&harness, "saluton mondo", None);
    let tag = format!("\"{}\"", sha256_hex("saluton mondo"));

    let refused = delete(&harness, ID, Some(("if-match", "\"abc\"")));
    assert_eq!(refused.status(), StatusCode::PRECONDITION_FAILED);
    assert!(get(&harness, ID, None).status().is_success());

    let deleted = delete(&harness, ID, Some(("if-match", &tag)));
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(deleted.json(), json!(true));
    assert_eq!(
        delete(&harness, ID, Some(("if-match", &tag))).status(),
        StatusCode::OK
    );
    assert_eq!(
        delete(&harness, ID, Some(("if-match", "\"abc\""))).status(),
        StatusCode::OK
    );

    post(&harness, "saluton mondo", None);
    assert_eq!(
        delete(&harness, 999_998, Some(("if-none-match", "*"))).status(),
        StatusCode::OK
    );
    let kept = delete(&harness, ID, Some(("if-none-match", "*")));
    assert_eq!(kept.status(), StatusCode::NOT_MODIFIED);
    assert!(get(&harness, ID, None).status().is_success());
    assert_eq!(
        delete(&harness, ID, Some(("if-none-match", "\"abc\""))).status(),
        StatusCode::OK
    );
    assert_eq!(get(&harness, ID, None).status(), StatusCode::NOT_FOUND);
}

#[test]
fn both_headers_at_once_are_refused() {
    let harness = Harness::new();
    post(&harness, "x", None);
    let both = |req: Req| req.header("if-match", "*").header("if-none-match", "*");
    let expected = error_body(
        "InvalidHeaderValue",
        "Cannot have both If-Match and If-None-Match headers.",
    );
    for req in [
        Req::post("/log/public").json(&json!({"id": ID, "msg": "y"})),
        Req::get("/log/public").query(&format!("id={ID}")),
        Req::delete("/log/public").query(&format!("id={ID}")),
    ] {
        let outcome = harness.call(both(req));
        assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
        assert_eq!(outcome.json(), expected);
    }
}

#[test]
fn malformed_match_headers_are_refused() {
    let harness = Harness::new();
    post(&harness, "x", None);
    for header in ["abc", "\"ABC\"", "W/\"abc\"", "\"abc\" junk", "", "\"\""] {
        let outcome = get(&harness, ID, Some(("if-match", header)));
        assert_eq!(outcome.status(), StatusCode::BAD_REQUEST, "{header:?}");
        assert_eq!(
            outcome.json(),
            error_body("InvalidHeaderValue", "Invalid If-Match header")
        );
    }
}

#[test]
fn matcher_reads_ccf_etag_lists() {
    let any = Matcher::parse("*").unwrap();
    assert!(any.matches("anything"));
    let list = Matcher::parse("\"ab\",\"cd\",\t\"ef\"").unwrap();
    assert!(list.matches("ab") && list.matches("ef") && !list.matches("a"));
    assert!(
        Matcher::parse("\"ab\" \"cd\"").is_some(),
        "the comma is optional"
    );
    assert!(
        Matcher::parse("\"ab\", ").is_some(),
        "a trailing comma is allowed"
    );
    assert!(Matcher::parse("\"cd\" ,").is_none());
    assert!(Matcher::parse(" \"ab\"").is_none());
    assert!(Matcher::parse("**").is_none());
}
