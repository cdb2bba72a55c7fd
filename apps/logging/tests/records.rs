//! The record endpoints, private and public: write, read, delete, clear, count, with CCF's
//! exact bodies for success and failure, and `?scope=` maps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Req, error_body};
use http::StatusCode;
use quorate_app_logging::records::{encode_key, encode_value};
use serde_json::json;

const DOMAINS: [(&str, &str); 2] = [("private", "records"), ("public", "public:records")];

#[test]
fn post_then_get_returns_the_message_in_ccf_shapes() {
    for (domain, map) in DOMAINS {
        let harness = Harness::new();
        let posted = harness.call(
            Req::post(&format!("/log/{domain}")).json(&json!({"id": 42, "msg": "hello world"})),
        );
        assert_eq!(posted.status(), StatusCode::OK);
        assert_eq!(posted.json(), json!(true));
        assert_eq!(posted.header("content-type"), Some("application/json"));
        assert_eq!(
            harness.stored(map, b"42").as_deref(),
            Some(&b"\"hello world\""[..])
        );

        let got = harness.get(domain, 42);
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.json(), json!({"msg": "hello world"}));
        assert_eq!(got.header("content-type"), Some("application/json"));
        assert!(got.committed.is_none(), "a GET writes nothing");
    }
}

#[test]
fn post_overwrites_and_writes_only_its_own_domain() {
    let harness = Harness::new();
    harness.post("private", 1, "first");
    harness.post("private", 1, "second");
    assert_eq!(harness.get("private", 1).json(), json!({"msg": "second"}));
    assert_eq!(harness.get("public", 1).status(), StatusCode::NOT_FOUND);
}

#[test]
fn get_of_a_missing_record_is_ccf_404() {
    for (domain, _) in DOMAINS {
        let got = Harness::new().get(domain, 7);
        assert_eq!(got.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            got.json(),
            error_body("ResourceNotFound", "No such record: 7.")
        );
    }
}

#[test]
fn get_and_delete_need_a_whole_unsigned_id() {
    let cases = [
        (None, "Missing query parameter 'id'"),
        (Some("scope=x"), "Missing query parameter 'id'"),
        (Some("id="), "Unable to parse value '' in parameter 'id'"),
        (Some("id"), "Unable to parse value '' in parameter 'id'"),
        (
            Some("id=abc"),
            "Unable to parse value 'abc' in parameter 'id'",
        ),
        (
            Some("id=-1"),
            "Unable to parse value '-1' in parameter 'id'",
        ),
        // The query is URL-decoded first, as CCF does: `+` is a space.
        (
            Some("id=+1"),
            "Unable to parse value ' 1' in parameter 'id'",
        ),
        (
            Some("id=%2B1"),
            "Unable to parse value '+1' in parameter 'id'",
        ),
        (
            Some("id=1.5"),
            "Unable to parse value '1.5' in parameter 'id'",
        ),
        (
            Some("id=%201"),
            "Unable to parse value ' 1' in parameter 'id'",
        ),
        (
            Some("id=18446744073709551616"),
            "Unable to parse value '18446744073709551616' in parameter 'id'",
        ),
    ];
    let harness = Harness::new();
    for (domain, _) in DOMAINS {
        for (query, message) in cases {
            for method in [http::Method::GET, http::Method::DELETE] {
                let mut req = Req::new(method.clone(), &format!("/log/{domain}"));
                if let Some(query) = query {
                    req = req.query(query);
                }
                let outcome = harness.call(req);
                assert_eq!(
                    outcome.status(),
                    StatusCode::BAD_REQUEST,
                    "{method} {query:?}"
                );
                assert_eq!(
                    outcome.json(),
                    error_body("InvalidQueryParameterValue", message),
                    "{method} {query:?}"
                );
            }
        }
    }
}

#[test]
fn ids_parse_as_ccf_parses_them() {
    let harness = Harness::new();
    harness.post("private", u64::MAX, "max");
    harness.post("private", 7, "seven");
    let max = harness.call(Req::get("/log/private").query("id=18446744073709551615"));
    assert_eq!(max.json(), json!({"msg": "max"}));
    // Leading zeros are the same number to `std::from_chars`; the first `id` wins.
    let padded = harness.call(Req::get("/log/private").query("id=007&id=8"));
    assert_eq!(padded.json(), json!({"msg": "seven"}));
}

#[test]
fn an_empty_message_is_refused() {
    for (domain, _) in DOMAINS {
        let harness = Harness::new();
        let outcome =
            harness.call(Req::post(&format!("/log/{domain}")).json(&json!({"id": 1, "msg": ""})));
        assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            outcome.json(),
            error_body("InvalidInput", "Cannot record an empty log message.")
        );
        assert!(outcome.committed.is_none());
    }
}

#[test]
fn malformed_bodies_get_ccf_parse_errors() {
    let cases = [
        (
            json!({"msg": "x"}),
            r#"At #/: Missing required field 'id' in object: {"msg":"x"}"#,
        ),
        (
            json!({"id": 1}),
            r#"At #/: Missing required field 'msg' in object: {"id":1}"#,
        ),
        (json!([1, 2]), "At #/: Expected object, found: [1,2]"),
        (json!(null), "At #/: Expected object, found: null"),
        (
            json!({"id": "1", "msg": "x"}),
            "[json.exception.type_error.302] type must be number, but is string",
        ),
        (
            json!({"id": 1, "msg": 5}),
            "[json.exception.type_error.302] type must be string, but is number",
        ),
        (
            json!({"id": 1, "msg": "x", "record_claim": "yes"}),
            "[json.exception.type_error.302] type must be boolean, but is string",
        ),
        (
            json!({"id": -1, "msg": "x"}),
            "At #/id: Expected an unsigned 64-bit integer, found: -1",
        ),
        (
            json!({"id": 1.5, "msg": "x"}),
            "At #/id: Expected an unsigned 64-bit integer, found: 1.5",
        ),
        (
            json!({"id": true, "msg": "x"}),
            "At #/id: Expected an unsigned 64-bit integer, found: true",
        ),
    ];
    let harness = Harness::new();
    for (domain, _) in DOMAINS {
        for (body, message) in &cases {
            let outcome = harness.call(Req::post(&format!("/log/{domain}")).json(body));
            assert_eq!(outcome.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                outcome.json(),
                error_body("InvalidInput", message),
                "{body}"
            );
        }
        // No body at all is `{}` to CCF's JSON adapter.
        let empty = harness.call(Req::post(&format!("/log/{domain}")));
        assert_eq!(
            empty.json(),
            error_body(
                "InvalidInput",
                "At #/: Missing required field 'id' in object: {}"
            )
        );
        // Not JSON: 400 InvalidInput (the text is the parser's own).
        let garbage = harness.call(Req::post(&format!("/log/{domain}")).body("{not json"));
        assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
        assert_eq!(garbage.json()["error"]["code"], "InvalidInput");
    }
}

#[test]
fn unknown_fields_and_any_content_type_are_accepted_as_in_ccf() {
    let harness = Harness::new();
    let outcome = harness.call(
        Req::post("/log/private")
            .header("content-type", "text/plain")
            .body(r#"{"id": 3, "msg": "m", "extra": [1]}"#),
    );
    assert_eq!(outcome.status(), StatusCode::OK);
    assert_eq!(harness.get("private", 3).json(), json!({"msg": "m"}));
}

#[test]
fn record_claim_sets_the_claims_digest_on_public_writes_only() {
    let harness = Harness::new();
    let public = harness.call(
        Req::post("/log/public").json(&json!({"id": 1, "msg": "claimed", "record_claim": true})),
    );
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(
        public.claims_digest(),
        quorate_crypto::sha256(b"claimed"),
        "CCF's ClaimsDigest::Digest(msg) is SHA-256 of the message bytes"
    );

    let unclaimed = harness.call(
        Req::post("/log/public").json(&json!({"id": 1, "msg": "claimed", "record_claim": false})),
    );
    assert_eq!(unclaimed.claims_digest(), [0; 32]);
    let default = harness.post("public", 1, "claimed");
    assert_eq!(default.claims_digest(), [0; 32]);

    // CCF's private endpoint accepts the flag and ignores it.
    let private = harness.call(
        Req::post("/log/private").json(&json!({"id": 1, "msg": "claimed", "record_claim": true})),
    );
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(private.claims_digest(), [0; 32]);
}

#[test]
fn delete_answers_whether_there_was_a_record() {
    for (domain, map) in DOMAINS {
        let harness = Harness::new();
        harness.post(domain, 5, "doomed");
        let deleted = harness.call(Req::delete(&format!("/log/{domain}")).query("id=5"));
        assert_eq!(deleted.status(), StatusCode::OK);
        assert_eq!(deleted.json(), json!(true));
        assert_eq!(harness.stored(map, b"5"), None);
        assert_eq!(harness.get(domain, 5).status(), StatusCode::NOT_FOUND);

        let again = harness.call(Req::delete(&format!("/log/{domain}")).query("id=5"));
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.json(), json!(false));
    }
}

#[test]
fn delete_refuses_a_body_that_is_not_json_as_ccf_adapter_does() {
    let harness = Harness::new();
    harness.post("private", 5, "kept");
    let outcome = harness.call(Req::delete("/log/private").query("id=5").body("nope"));
    assert_eq!(outcome.status(), StatusCode::BAD_REQUEST);
    assert_eq!(outcome.json()["error"]["code"], "InvalidInput");
    assert_eq!(harness.get("private", 5).json(), json!({"msg": "kept"}));
}

#[test]
fn count_follows_posts_deletes_and_clears() {
    for (domain, _) in DOMAINS {
        let harness = Harness::new();
        assert_eq!(harness.count(domain, None), 0);
        for id in 0..5 {
            harness.post(domain, id, &format!("message {id}"));
        }
        harness.post(domain, 3, "overwritten");
        assert_eq!(harness.count(domain, None), 5);

        harness.call(Req::delete(&format!("/log/{domain}")).query("id=1"));
        harness.call(Req::delete(&format!("/log/{domain}")).query("id=1"));
        harness.call(Req::delete(&format!("/log/{domain}")).query("id=99"));
        assert_eq!(harness.count(domain, None), 4);

        let count = harness.call(Req::get(&format!("/log/{domain}/count")));
        assert_eq!(count.response.body.as_ref(), b"4", "a bare JSON number");

        let cleared = harness.call(Req::delete(&format!("/log/{domain}/all")));
        assert_eq!(cleared.status(), StatusCode::OK);
        assert_eq!(cleared.json(), json!(true));
        assert_eq!(harness.count(domain, None), 0);
        assert_eq!(harness.get(domain, 0).status(), StatusCode::NOT_FOUND);
    }
}

#[test]
fn clear_of_one_domain_leaves_the_other() {
    let harness = Harness::new();
    harness.post("private", 1, "p");
    harness.post("public", 1, "q");
    harness.call(Req::delete("/log/private/all"));
    assert_eq!(harness.count("private", None), 0);
    assert_eq!(harness.count("public", None), 1);
    // Clearing an empty map is still `true`.
    let again = harness.call(Req::delete("/log/private/all"));
    assert_eq!(again.json(), json!(true));
}

#[test]
fn scope_selects_a_suffixed_map() {
    for (domain, map) in DOMAINS {
        let harness = Harness::new();
        harness.post_scoped(domain, 1, "scoped", Some("alpha"));
        harness.post(domain, 1, "unscoped");
        assert_eq!(
            harness.stored(&format!("{map}-alpha"), &encode_key(1)),
            Some(encode_value("scoped").into())
        );

        let scoped = harness.call(Req::get(&format!("/log/{domain}")).query("id=1&scope=alpha"));
        assert_eq!(scoped.json(), json!({"msg": "scoped"}));
        assert_eq!(harness.get(domain, 1).json(), json!({"msg": "unscoped"}));
        let other = harness.call(Req::get(&format!("/log/{domain}")).query("scope=beta&id=1"));
        assert_eq!(other.status(), StatusCode::NOT_FOUND);

        assert_eq!(harness.count(domain, Some("alpha")), 1);
        assert_eq!(harness.count(domain, Some("beta")), 0);

        let deleted =
            harness.call(Req::delete(&format!("/log/{domain}")).query("id=1&scope=alpha"));
        assert_eq!(deleted.json(), json!(true));
        assert_eq!(harness.count(domain, Some("alpha")), 0);
        assert_eq!(harness.count(domain, None), 1);

        harness.post_scoped(domain, 2, "scoped again", Some("alpha"));
        harness.call(Req::delete(&format!("/log/{domain}/all")).query("scope=alpha"));
        assert_eq!(harness.count(domain, Some("alpha")), 0);
        assert_eq!(harness.count(domain, None), 1);
    }
}

#[test]
fn an_empty_scope_is_still_a_scope() {
    let harness = Harness::new();
    harness.post_scoped("private", 1, "empty scope", Some(""));
    assert!(harness.stored("records-", b"1").is_some());
    assert!(harness.stored("records", b"1").is_none());
}
