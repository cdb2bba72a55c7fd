//! Any id and any non-empty message survive POST then GET, in both domains, and are stored in
//! CCF's encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Harness, Req};
use http::StatusCode;
use proptest::prelude::*;
use quorate_app_logging::records::{decode_value, encode_key};
use serde_json::json;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn post_then_get_round_trips(
        id in any::<u64>(),
        msg in any::<String>().prop_filter("non-empty", |msg| !msg.is_empty()),
        public in any::<bool>(),
    ) {
        let (domain, map) = if public {
            ("public", "public:records")
        } else {
            ("private", "records")
        };
        let harness = Harness::new();
        let posted = harness.call(
            Req::post(&format!("/log/{domain}")).json(&json!({"id": id, "msg": msg})),
        );
        prop_assert_eq!(posted.status(), StatusCode::OK);

        let got = harness.get(domain, id);
        prop_assert_eq!(got.status(), StatusCode::OK);
        prop_assert_eq!(got.json(), json!({"msg": msg}));

        let stored = harness.stored(map, &encode_key(id)).unwrap();
        prop_assert_eq!(decode_value(&stored), Some(msg.clone()));
        let json_literal = serde_json::to_string(&msg).unwrap();
        prop_assert_eq!(stored.as_ref(), json_literal.as_bytes());
    }

    #[test]
    fn raw_text_round_trips(id in any::<u64>(), msg in any::<String>()) {
        let harness = Harness::new();
        let posted = harness.call(
            Req::post("/log/private/raw_text/{id}")
                .path_param("id", &id.to_string())
                .header("content-type", "text/plain")
                .body(msg.clone()),
        );
        prop_assert_eq!(posted.status(), StatusCode::OK);
        prop_assert_eq!(harness.get("private", id).json(), json!({"msg": msg}));
    }
}
