//! Governance mode against real QuickJS and a real store: a constitution's `validate`,
//! `resolve` and `apply` and a ballot's `vote` called with JSON arguments; what governance may
//! write; errors and limits; the gov-only API (`ccf.node`, `ccf.network`, `ccf.gov`, JWT keys);
//! and the app context of the thread untouched by governance calls in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use quorate_crypto::{KeyPair, Validity, create_service_certificate};
use quorate_js::{
    GovernanceContext, GovernanceScript, HostInput, HostOutput, JsError, JsLimits, call_governance,
};
use quorate_kv::Store;
use serde_json::{Value, json};

const CONSTITUTION: &str = r#"
export function validate(input) {
  const proposal = JSON.parse(input);
  const ok = Array.isArray(proposal.actions);
  return { valid: ok, description: ok ? "OK" : "no actions" };
}

export function resolve(proposal, proposerId, votes, proposalId) {
  const yes = votes.filter((v) => v.vote).length;
  if (JSON.parse(proposal).actions[0].name === "reject") {
    return "Rejected";
  }
  return yes >= 2 ? "Accepted" : `Open:${proposerId}:${proposalId}:${votes.length}`;
}

export function apply(proposal, proposalId) {
  const { actions } = JSON.parse(proposal);
  for (const { name, args } of actions) {
    if (name === "set") {
      ccf.kv[args.map].set(ccf.strToBuf(args.key), ccf.strToBuf(args.value));
    } else if (name === "throw") {
      throw new Error(`apply failed for ${proposalId}`);
    } else if (name === "spin") {
      for (;;) {}
    }
  }
}
"#;

fn identity() -> GovernanceContext {
    let key = KeyPair::from_seed(&[7; 32]).unwrap();
    let validity = Validity::from_ccf("20250101000000Z", 365).unwrap();
    let certificate = create_service_certificate(&key, "CCF Service", &validity, 1).unwrap();
    GovernanceContext {
        service_key: Arc::new(key),
        service_certificate: certificate,
        latest_ledger_secret_seqno: 42,
    }
}

fn input(store: &Store, writable: bool) -> HostInput {
    HostInput {
        tx: Some(store.begin()),
        writable,
        governance: Some(identity()),
        ..HostInput::default()
    }
}

fn script(source: &str) -> GovernanceScript<'_> {
    GovernanceScript {
        name: "constitution.js",
        source,
    }
}

fn gov(
    store: &Store,
    source: &str,
    function: &str,
    args: &[Value],
    writable: bool,
) -> (HostOutput, Result<Value, JsError>) {
    call_governance(
        script(source),
        function,
        args,
        JsLimits::default(),
        input(store, writable),
    )
}

fn proposal(actions: Value) -> Value {
    Value::String(json!({ "actions": actions }).to_string())
}

#[test]
fn constitution_functions_take_and_return_json() {
    let store = Store::new();
    let (_, valid) = gov(
        &store,
        CONSTITUTION,
        "validate",
        &[proposal(json!([]))],
        false,
    );
    assert_eq!(valid.unwrap(), json!({"valid": true, "description": "OK"}));
    let (_, invalid) = gov(&store, CONSTITUTION, "validate", &[json!("{}")], false);
    assert_eq!(
        invalid.unwrap(),
        json!({"valid": false, "description": "no actions"})
    );

    let votes = json!([{"member_id": "m0", "vote": true}, {"member_id": "m1", "vote": false}]);
    let set = proposal(json!([{"name": "set", "args": {}}]));
    let (_, open) = gov(
        &store,
        CONSTITUTION,
        "resolve",
        &[set.clone(), json!("m0"), votes, json!("p1")],
        false,
    );
    assert_eq!(open.unwrap(), json!("Open:m0:p1:2"));
    let votes = json!([{"member_id": "m0", "vote": true}, {"member_id": "m1", "vote": true}]);
    let (_, accepted) = gov(
        &store,
        CONSTITUTION,
        "resolve",
        &[set, json!("m0"), votes, json!("p1")],
        false,
    );
    assert_eq!(accepted.unwrap(), json!("Accepted"));

    let write = proposal(
        json!([{"name": "set", "args": {"map": "public:ccf.gov.users.info", "key": "u", "value": "v"}}]),
    );
    let (output, applied) = gov(&store, CONSTITUTION, "apply", &[write, json!("p1")], true);
    assert_eq!(applied.unwrap(), Value::Null);
    let mut tx = output.tx.unwrap();
    assert_eq!(
        tx.get("public:ccf.gov.users.info", b"u").as_deref(),
        Some(&b"v"[..])
    );
    assert!(output.node_actions.is_empty());
}
