//! Bundle parsing never panics: arbitrary JSON, and bundles of the right shape with random
//! names, paths, methods and module references, give a bundle or a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use quorate_js::{Bundle, JsError};
use serde_json::{Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn endpoint() -> impl Strategy<Value = Value> {
    (
        ".{0,10}",
        ".{0,10}",
        prop::sample::select(vec!["always", "sometimes", "never", "bogus"]),
        prop::sample::select(vec!["readwrite", "readonly", "historical", "other"]),
    )
        .prop_map(|(module, function, forwarding, mode)| {
            json!({"js_module": module, "js_function": function, "authn_policies": ["user_cert"],
                   "forwarding_required": forwarding, "mode": mode})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_is_a_bundle_or_a_typed_error(value in any_json()) {
        match Bundle::from_json(&value) {
            Ok(_) | Err(JsError::Bundle { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other:?}"),
        }
        let wrapped = json!({"metadata": value, "modules": []});
        let _ = Bundle::from_json(&wrapped);
    }

    #[test]
    fn bundles_of_the_right_shape_check_every_reference(
        paths in prop::collection::btree_map(".{0,12}", prop::collection::btree_map(
            prop::sample::select(vec!["get", "post", "delete", "PUT", "fetch"]).prop_map(str::to_owned),
            endpoint(), 1..3), 0..4),
        modules in prop::collection::vec((".{0,10}", ".{0,20}"), 0..4),
    ) {
        let modules: Vec<Value> = modules
            .into_iter()
            .map(|(name, module)| json!({"name": name, "module": module}))
            .collect();
        let value = json!({"metadata": {"endpoints": paths}, "modules": modules});
        match Bundle::from_json(&value) {
            Ok(bundle) => {
                for methods in bundle.metadata.endpoints.values() {
                    for endpoint in methods.values() {
                        prop_assert!(bundle.modules.contains_key(&quorate_js::module_key(&endpoint.js_module)));
                    }
                }
                // What was accepted survives its own JSON.
                prop_assert_eq!(Bundle::from_json(&bundle.to_json()).unwrap(), bundle);
            }
            Err(JsError::Bundle { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other:?}"),
        }
    }
}
