//! Historical reads: the handler sees one committed transaction's writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Req, error_body};
use http::StatusCode;
use serde_json::json;

fn historical(domain: &str, query: &str) -> Req {
    Req::get(&format!("/log/{domain}/historical")).query(query)
}

#[test]
fn finds_what_the_transaction_wrote() {
    for domain in ["private", "public"] {
        let harness = Harness::new();
        let first = harness.post(domain, 1, "first");
        let second = harness.post(domain, 1, "second");

        let at_first =
            harness.call_historical(historical(domain, "id=1"), &first.historical_state());
        assert_eq!(at_first.status(), StatusCode::OK);
        assert_eq!(at_first.json(), json!({"msg": "first"}));
        let at_second =
            harness.call_historical(historical(domain, "id=1"), &second.historical_state());
        assert_eq!(at_second.json(), json!({"msg": "second"}));
    }
}

#[test]
fn an_id_the_transaction_did_not_write_is_204_as_in_ccf() {
    for domain in ["private", "public"] {
        let harness = Harness::new();
        harness.post(domain, 1, "earlier");
        let later = harness.post(domain, 2, "later");
        let state = later.historical_state();
        // Written before, but not by this transaction.
        let outcome = harness.call_historical(historical(domain, "id=1"), &state);
        assert_eq!(outcome.status(), StatusCode::NO_CONTENT);
        assert!(outcome.response.body.is_empty());
        // Never written.
        let never = harness.call_historical(historical(domain, "id=3"), &state);
        assert_eq!(never.status(), StatusCode::NO_CONTENT);
    }
}

#[test]
fn a_removal_is_not_a_write_of_a_message() {
    let harness = Harness::new();
    harness.post("private", 1, "gone soon");
    let deleted = harness.call(Req::delete("/log/private").query("id=1"));
    let outcome =
        harness.call_historical(historical("private", "id=1"), &deleted.historical_state());
    assert_eq!(outcome.status(), StatusCode::NO_CONTENT);
}

#[test]
fn domains_and_scopes_are_kept_apart() {
    let harness = Harness::new();
    let private = harness.post("private", 1, "private");
    let scoped = harness.post_scoped("public", 1, "scoped", Some("s"));

    let public_at_private =
        harness.call_historical(historical("public", "id=1"), &private.historical_state());
    assert_eq!(public_at_private.status(), StatusCode::NO_CONTENT);

    let unscoped =
        harness.call_historical(historical("public", "id=1"), &scoped.historical_state());
    assert_eq!(unscoped.status(), StatusCode::NO_CONTENT);
    let with_scope = harness.call_historical(
        historical("public", "id=1&scope=s"),
        &scoped.historical_state(),
    );
    assert_eq!(with_scope.json(), json!({"msg": "scoped"}));
}

#[test]
fn a_bad_id_is_ccf_400() {
    let harness = Harness::new();
    let state = harness.post("private", 1, "x").historical_state();
    let missing = harness.call_historical(Req::get("/log/private/historical"), &state);
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json(),
        error_body("InvalidQueryParameterValue", "Missing query parameter 'id'")
    );
    let bad = harness.call_historical(historical("private", "id=x"), &state);
    assert_eq!(
        bad.json(),
        error_body(
            "InvalidQueryParameterValue",
            "Unable to parse value 'x' in parameter 'id'"
        )
    );
}
