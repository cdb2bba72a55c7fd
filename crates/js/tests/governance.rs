//! Governance mode against real QuickJS and a real store: a constitution's `validate`,
//! `resolve` and `apply` and a ballot's `vote` called with JSON arguments; what governance may
//! write; errors and limits; the gov-only API (`ccf.node`, `ccf.network`, `ccf.gov`, JWT keys);
//! and the app context of the thread untouched by governance calls in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use quorate_crypto::{
    Certificate, KeyPair, SubjectAltName, Validity, create_certificate_signing_request,
    create_service_certificate,
};
use quorate_js::{
    Bundle, GovernanceContext, GovernanceScript, Handler, HostInput, HostOutput, JsError, JsLimit,
    JsLimits, JsRequest, NodeAction, call, call_governance, check_module_syntax,
};
use quorate_kv::{Store, Tx};
use quorate_ledger::tables;
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

/// Runs `body` as `apply` (writable) against `store`, with `identity`.
fn apply_with(
    store: &Store,
    identity: GovernanceContext,
    body: &str,
) -> (HostOutput, Result<Value, JsError>) {
    let source = format!("export function apply(proposal, proposalId) {{ {body} }}");
    call_governance(
        script(&source),
        "apply",
        &[json!("{}"), json!("p")],
        JsLimits::default(),
        HostInput {
            tx: Some(store.begin()),
            writable: true,
            governance: Some(identity),
            ..HostInput::default()
        },
    )
}

fn apply(store: &Store, body: &str) -> (HostOutput, Result<Value, JsError>) {
    apply_with(store, identity(), body)
}

fn exception(outcome: Result<Value, JsError>) -> String {
    match outcome {
        Err(JsError::Exception { message, .. }) => message,
        other => panic!("expected an exception, got {other:?}"),
    }
}

fn commit(store: &Store, tx: Tx) {
    store.commit(tx).unwrap();
}

#[test]
fn governance_writes_gov_tables_but_not_internal_ones_and_apps_write_neither() {
    let store = Store::new();
    let write = |map: &str| {
        proposal(json!([{"name": "set", "args": {"map": map, "key": "k", "value": "v"}}]))
    };
    let (output, outcome) = gov(
        &store,
        CONSTITUTION,
        "apply",
        &[write("public:ccf.internal.tree"), json!("p")],
        true,
    );
    assert_eq!(
        exception(outcome),
        "map public:ccf.internal.tree may not be written by governance"
    );
    assert!(output.tx.unwrap().write_set().is_empty());
    let (_, outcome) = gov(
        &store,
        CONSTITUTION,
        "apply",
        &[write("ccf.internal.secret"), json!("p")],
        true,
    );
    assert!(exception(outcome).contains("may not be written by governance"));
    // Apps' own tables and private maps are fine for governance too.
    let (_, outcome) = gov(
        &store,
        CONSTITUTION,
        "apply",
        &[write("records"), json!("p")],
        true,
    );
    outcome.unwrap();

    // resolve, validate and vote run read-only.
    let (_, outcome) = gov(
        &store,
        CONSTITUTION,
        "apply",
        &[write("public:ccf.gov.users.info"), json!("p")],
        false,
    );
    assert_eq!(
        exception(outcome),
        "this governance call is read-only: ccf.kv cannot be written"
    );

    // An app still may not write public:ccf.*, even handed a governance context.
    let app = app_bundle();
    let input = HostInput {
        tx: Some(store.begin()),
        writable: true,
        governance: Some(identity()),
        ..HostInput::default()
    };
    let (_, outcome) = call(
        &app,
        JsLimits::default(),
        Handler {
            module: "app.js",
            function: "write_gov",
        },
        &JsRequest::default(),
        input,
    );
    match outcome {
        Err(JsError::Exception { message, .. }) => {
            assert_eq!(
                message,
                "map public:ccf.gov.users.info may not be written by an app"
            );
        }
        other => panic!("expected an exception, got {other:?}"),
    }
}

#[test]
fn exceptions_missing_exports_bad_modules_and_limits() {
    let store = Store::new();
    let throw = proposal(json!([{"name": "throw"}]));
    match gov(&store, CONSTITUTION, "apply", &[throw, json!("p9")], true).1 {
        Err(JsError::Exception { message, stack }) => {
            assert_eq!(message, "apply failed for p9");
            assert!(stack.unwrap().contains("constitution.js"));
        }
        other => panic!("expected an exception, got {other:?}"),
    }
    let (_, thrown) = gov(
        &store,
        "export function vote() { throw 'plain'; }",
        "vote",
        &[],
        false,
    );
    assert_eq!(exception(thrown), "plain");

    assert_eq!(
        gov(&store, CONSTITUTION, "vote", &[], false).1,
        Err(JsError::MissingFunction {
            module: "constitution.js".into(),
            function: "vote".into()
        })
    );
    assert!(matches!(
        gov(&store, "export const vote = 1;", "vote", &[], false).1,
        Err(JsError::MissingFunction { .. })
    ));
    match gov(&store, "export function vote( {", "vote", &[], false).1 {
        Err(JsError::Module { module, message }) => {
            assert_eq!(module, "constitution.js");
            assert_eq!(message, "invalid property name");
        }
        other => panic!("expected a module error, got {other:?}"),
    }
    assert!(matches!(
        gov(&store, "throw new Error('top'); export function vote() {}", "vote", &[], false).1,
        Err(JsError::Module { message, .. }) if message == "top"
    ));
    assert!(matches!(
        gov(
            &store,
            "import { x } from './other.js'; export function vote() { return x; }",
            "vote",
            &[],
            false
        )
        .1,
        Err(JsError::Module { .. })
    ));

    let limits = JsLimits {
        max_execution_time_ms: 100,
        ..JsLimits::default()
    };
    let spin = proposal(json!([{"name": "spin"}]));
    let (output, outcome) = call_governance(
        script(CONSTITUTION),
        "apply",
        &[spin, json!("p")],
        limits,
        input(&store, true),
    );
    assert_eq!(outcome, Err(JsError::Limit(JsLimit::ExecutionTime)));
    assert!(
        output.tx.is_some(),
        "the transaction comes back after a limit"
    );
    let (_, outcome) = call_governance(
        script(
            "export function vote() { const a = []; for (;;) { a.push(new Array(100000).fill(1)); } }",
        ),
        "vote",
        &[],
        JsLimits {
            max_heap_bytes: 16 * 1024 * 1024,
            ..JsLimits::default()
        },
        input(&store, false),
    );
    assert_eq!(outcome, Err(JsError::Limit(JsLimit::Memory)));

    // Without a governance context there is no governance call.
    let (output, outcome) = call_governance(
        script(CONSTITUTION),
        "validate",
        &[json!("{}")],
        JsLimits::default(),
        HostInput {
            tx: Some(store.begin()),
            ..HostInput::default()
        },
    );
    assert!(matches!(outcome, Err(JsError::Interpreter(_))));
    assert!(output.tx.is_some());
}

#[test]
fn ballots_and_results_as_json() {
    let store = Store::new();
    let ballot = r#"export function vote(rawProposal, proposerId) {
        return JSON.parse(rawProposal).actions.length === 1 && proposerId === "m1";
    }"#;
    let raw = proposal(json!([{"name": "a"}]));
    assert_eq!(
        gov(&store, ballot, "vote", &[raw.clone(), json!("m1")], false).1,
        Ok(json!(true))
    );
    assert_eq!(
        gov(&store, ballot, "vote", &[raw, json!("m2")], false).1,
        Ok(json!(false))
    );
    let values = r#"
        export function undef() {}
        export function fn() { return () => 1; }
        export function nested(a) { return { a, n: [1, 2.5, null, "x"], nan: NaN, skip: undefined }; }
        export function big() { return 10n; }
    "#;
    assert_eq!(gov(&store, values, "undef", &[], false).1, Ok(Value::Null));
    assert_eq!(gov(&store, values, "fn", &[], false).1, Ok(Value::Null));
    assert_eq!(
        gov(&store, values, "nested", &[json!({"deep": [true]})], false).1,
        Ok(json!({"a": {"deep": [true]}, "n": [1, 2.5, null, "x"], "nan": null}))
    );
    assert!(matches!(
        gov(&store, values, "big", &[], false).1,
        Err(JsError::Response(_))
    ));
}

#[test]
fn gov_only_api_is_only_in_governance_contexts() {
    let store = Store::new();
    let probe = r#"export function vote() {
        return [typeof ccf.node, typeof ccf.network, typeof ccf.gov, typeof ccf.setJwtPublicSigningKeys,
                typeof ccf.removeJwtPublicSigningKeys, typeof ccf.refreshAppBytecodeCache,
                typeof ccf.kv, typeof ccf.crypto.sign, Object.isFrozen(ccf), Object.isFrozen(ccf.node)];
    }"#;
    assert_eq!(
        gov(&store, probe, "vote", &[], false).1,
        Ok(json!([
            "object", "object", "object", "function", "function", "function", "object", "function",
            true, true
        ]))
    );
    let app = app_bundle();
    let input = HostInput {
        tx: Some(store.begin()),
        ..HostInput::default()
    };
    let (_, response) = call(
        &app,
        JsLimits::default(),
        Handler {
            module: "app.js",
            function: "probe",
        },
        &JsRequest::default(),
        input,
    );
    let body: Value = serde_json::from_slice(&response.unwrap().body).unwrap();
    assert_eq!(
        body,
        json!(["undefined", "undefined", "undefined", "undefined"])
    );
}

#[test]
fn node_actions_and_ledger_secret_seqno() {
    let store = Store::new();
    let (output, outcome) = apply(
        &store,
        "ccf.node.triggerLedgerRekey(); ccf.node.triggerRecoverySharesRefresh(); \
         ccf.node.triggerLedgerChunk(); ccf.node.triggerSnapshot(); ccf.refreshAppBytecodeCache(); \
         return ccf.network.getLatestLedgerSecretSeqno();",
    );
    assert_eq!(outcome, Ok(json!(42)));
    assert_eq!(
        output.node_actions,
        vec![
            NodeAction::TriggerLedgerRekey,
            NodeAction::TriggerRecoverySharesRefresh,
            NodeAction::TriggerLedgerChunk,
            NodeAction::TriggerSnapshot
        ]
    );
    let (_, outcome) = apply(&store, "ccf.node.triggerLedgerRekey(1);");
    assert_eq!(exception(outcome), "Passed 1 arguments but expected none");
    // Effects belong to apply: a read-only call may not ask for them.
    let (output, outcome) = gov(
        &store,
        "export function resolve() { ccf.node.triggerSnapshot(); }",
        "resolve",
        &[],
        false,
    );
    assert!(exception(outcome).contains("may only be called from apply"));
    assert!(output.node_actions.is_empty());
    let (_, outcome) = gov(
        &store,
        "export function resolve() { return ccf.network.getLatestLedgerSecretSeqno(); }",
        "resolve",
        &[],
        false,
    );
    assert_eq!(outcome, Ok(json!(42)));
}

fn put_service_info(store: &Store, status: &str, cert: &str) {
    let mut tx = store.begin();
    tx.put(
        tables::SERVICE_INFO,
        tables::SINGLETON_KEY.to_vec(),
        serde_json::to_vec(&json!({"cert": cert, "status": status, "recovery_count": 0})).unwrap(),
    );
    commit(store, tx);
}

fn service_info(tx: &mut Tx) -> Value {
    serde_json::from_slice(
        &tx.get(tables::SERVICE_INFO, &tables::SINGLETON_KEY)
            .unwrap(),
    )
    .unwrap()
}

const OPEN: &str =
    "ccf.node.transitionServiceToOpen(undefined, ccf.strToBuf(JSON.parse(proposal).next));";

fn open_service(store: &Store, next: &str) -> (HostOutput, Result<Value, JsError>) {
    let source = format!("export function apply(proposal, proposalId) {{ {OPEN} }}");
    call_governance(
        script(&source),
        "apply",
        &[Value::String(json!({"next": next}).to_string()), json!("p")],
        JsLimits::default(),
        input(store, true),
    )
}

#[test]
fn transition_service_to_open() {
    let service = identity();
    let pem = service.service_certificate.pem().to_owned();

    // No service information yet.
    let store = Store::new();
    let (_, outcome) = open_service(&store, &pem);
    assert_eq!(
        exception(outcome),
        "Unable to open service: Service information cannot be found to transition service to open"
    );

    // Opening → Open, in the call's transaction, and a snapshot asked for.
    put_service_info(&store, "Opening", &pem);
    let (output, outcome) = open_service(&store, &pem);
    outcome.unwrap();
    assert_eq!(output.node_actions, vec![NodeAction::TriggerSnapshot]);
    let mut tx = output.tx.unwrap();
    assert_eq!(
        service_info(&mut tx),
        json!({"cert": pem, "status": "Open", "recovery_count": 0})
    );
    assert_eq!(service_info(&mut store.begin())["status"], "Opening");
    commit(&store, tx);

    // Already open: nothing to do, as in CCF.
    let (output, outcome) = open_service(&store, &pem);
    outcome.unwrap();
    assert!(output.node_actions.is_empty());
    assert!(output.tx.unwrap().write_set().is_empty());

    // Another identity.
    let store = Store::new();
    put_service_info(&store, "Opening", &pem);
    let other = KeyPair::from_seed(&[8; 32]).unwrap();
    let validity = Validity::from_ccf("20250101000000Z", 365).unwrap();
    let impostor = create_service_certificate(&other, "CCF Service", &validity, 1).unwrap();
    let (output, outcome) = open_service(&store, impostor.pem());
    let message = exception(outcome);
    assert!(
        message.starts_with("Unable to open service: Service identity mismatch: the next service identity in the transition_service_to_open proposal does not match the current service identity"),
        "{message}"
    );
    assert!(output.node_actions.is_empty());
    // The same certificate with other line endings is the same identity.
    let (_, outcome) = open_service(&store, &pem.replace('\n', "\r\n"));
    outcome.unwrap();

    // Recovery is not here yet.
    let store = Store::new();
    put_service_info(&store, "Recovering", &pem);
    let (_, outcome) = open_service(&store, &pem);
    assert_eq!(
        exception(outcome),
        "Unable to open service: service recovery is not supported yet"
    );

    // CCF's argument checks, and read-only calls.
    let store = Store::new();
    put_service_info(&store, "Opening", &pem);
    let (_, outcome) = apply(&store, "ccf.node.transitionServiceToOpen(undefined);");
    assert_eq!(exception(outcome), "Passed 1 arguments but expected two");
    let (_, outcome) = apply(
        &store,
        "ccf.node.transitionServiceToOpen(undefined, undefined);",
    );
    assert_eq!(exception(outcome), "Proposal requires a service identity");
    let (_, outcome) = apply(
        &store,
        "ccf.node.transitionServiceToOpen(undefined, 'pem');",
    );
    assert_eq!(
        exception(outcome),
        "Next service identity argument is not an array buffer"
    );
    let (_, outcome) = apply(
        &store,
        "ccf.node.transitionServiceToOpen('x', new ArrayBuffer(1));",
    );
    assert_eq!(
        exception(outcome),
        "Previous service identity argument is not an array buffer"
    );
    let source = format!("export function resolve(proposal) {{ {OPEN} }}");
    let next = Value::String(json!({"next": pem}).to_string());
    let (_, outcome) = gov(&store, &source, "resolve", &[next], false);
    assert!(exception(outcome).contains("may only be called from apply"));
}

#[test]
fn endorsed_certificates_from_signing_requests() {
    let store = Store::new();
    let service = identity();
    let node_key = KeyPair::from_seed(&[9; 32]).unwrap();
    let sans = [
        SubjectAltName::Ip("10.0.0.1".parse().unwrap()),
        SubjectAltName::Dns("node1.example".into()),
    ];
    let csr = create_certificate_signing_request(&node_key, "CCF Node", &sans).unwrap();
    let source = r#"export function apply(proposal) {
        const { csr, from, days } = JSON.parse(proposal);
        return ccf.network.generateEndorsedCertificate(csr, from, days);
    }"#;
    let args = [Value::String(
        json!({"csr": csr, "from": "250301000000Z", "days": 30}).to_string(),
    )];
    let (_, outcome) = call_governance(
        script(source),
        "apply",
        &args,
        JsLimits::default(),
        input(&store, true),
    );
    let pem = outcome.unwrap();
    let cert = Certificate::from_pem(pem.as_str().unwrap()).unwrap();
    cert.verify_issued_by(&service.service_certificate).unwrap();
    assert_eq!(cert.public_key().unwrap(), node_key.public_key());
    assert_eq!(cert.subject_common_name().as_deref(), Some("CCF Node"));
    // 2025-03-01T00:00:00Z for 30 days, the last second inclusive.
    let from = 1_740_787_200;
    assert!(cert.is_valid_at(from));
    assert!(!cert.is_valid_at(from - 1));
    assert!(cert.is_valid_at(from + 30 * 86_400 - 1));
    assert!(!cert.is_valid_at(from + 30 * 86_400));

    // Also read-only (CCF's validate may check a CSR), and with a GeneralizedTime.
    let args = [Value::String(
        json!({"csr": csr, "from": "20250301000000Z", "days": 1}).to_string(),
    )];
    let (_, outcome) = call_governance(
        script(&source.replace("apply", "validate")),
        "validate",
        &args,
        JsLimits::default(),
        input(&store, false),
    );
    assert!(
        outcome
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    // Bad requests, times and argument counts.
    for (csr, from, expected) in [
        (
            "not a csr",
            "250301000000Z",
            "Failed to create endorsed cert: invalid PEM",
        ),
        (
            csr.as_str(),
            "yesterday",
            "Failed to create endorsed cert: certificate generation failed: 'yesterday' does not match any accepted time format",
        ),
    ] {
        let args = [Value::String(
            json!({"csr": csr, "from": from, "days": 1}).to_string(),
        )];
        let (_, outcome) = call_governance(
            script(source),
            "apply",
            &args,
            JsLimits::default(),
            input(&store, true),
        );
        let message = exception(outcome);
        assert!(message.starts_with(expected), "{message}");
    }
    let (_, outcome) = apply(&store, "ccf.network.generateEndorsedCertificate('a', 'b');");
    assert_eq!(exception(outcome), "Passed 2 arguments but expected 3");
    let (_, outcome) = apply(
        &store,
        "ccf.network.generateEndorsedCertificate('a', 'b', -1);",
    );
    assert_eq!(exception(outcome), "invalid array index");
}

#[test]
fn renewed_network_certificate() {
    let store = Store::new();
    let service = identity();
    let (_, outcome) = apply(
        &store,
        "return ccf.network.generateNetworkCertificate('20260101000000Z', 90);",
    );
    let renewed = Certificate::from_pem(outcome.unwrap().as_str().unwrap()).unwrap();
    assert_eq!(
        renewed.public_key().unwrap(),
        service.service_key.public_key()
    );
    assert_eq!(
        renewed.subject_common_name().as_deref(),
        Some("CCF Service")
    );
    renewed
        .verify_issued_by(&service.service_certificate)
        .unwrap();
    assert!(renewed.is_valid_at(1_767_225_600));
    assert!(!renewed.is_valid_at(1_767_225_600 + 90 * 86_400));
    let (_, outcome) = apply(
        &store,
        "return ccf.network.generateNetworkCertificate('20260101000000Z');",
    );
    assert_eq!(exception(outcome), "Passed 1 arguments but expected 2");
    let (_, outcome) = apply(
        &store,
        "return ccf.network.generateNetworkCertificate('soon', 1);",
    );
    assert!(exception(outcome).starts_with("Error: "));
}

#[test]
fn validate_constitution_and_check_module_syntax() {
    let store = Store::new();
    let check = |constitution: &str| {
        let source = r#"export function apply(proposal) { return ccf.gov.validateConstitution(JSON.parse(proposal).c); }"#;
        let args = [Value::String(json!({"c": constitution}).to_string())];
        call_governance(
            script(source),
            "apply",
            &args,
            JsLimits::default(),
            input(&store, true),
        )
        .1
    };
    assert_eq!(check(CONSTITUTION), Ok(json!(true)));
    let syntax = exception(check("export function apply( {"));
    assert!(syntax.starts_with("proposed constitution does not export a function named apply: Failed to compile proposed constitution"), "{syntax}");
    let thrown = exception(check(
        "throw new Error('no'); export function apply(p, i) {}",
    ));
    assert_eq!(
        thrown,
        "proposed constitution does not export a function named apply: Failed to execute proposed constitution: no"
    );
    assert_eq!(
        exception(check(
            "export function apply(p, i) {} export function resolve(p, i, v) {}"
        )),
        "proposed constitution does not export a function named validate: Failed to find export 'validate' in module 'proposed constitution'"
    );
    assert_eq!(
        exception(check(
            "export function apply(p, i) {} export const resolve = 3; export function validate(i) {}"
        )),
        "proposed constitution does not export a function named resolve: Export 'resolve' of module 'proposed constitution' is not a function"
    );
    assert_eq!(
        exception(check(
            "export function apply(p) {} export function resolve(p, i, v) {} export function validate(i) {}"
        )),
        "proposed constitution exports function apply with 1 arg, expected 2 args (proposal, proposerId)"
    );
    assert_eq!(
        exception(check(
            "export function apply(p, i) {} export function resolve(p, i) {} export function validate(i) {}"
        )),
        "proposed constitution exports function resolve with 2 args, expected between 3 and 4 args (proposal, proposerId, votes[, proposalId])"
    );
    // Evaluating the proposed constitution cannot touch the caller's context.
    assert_eq!(
        check(
            "globalThis.leak = 1; export function apply(p, i) {} export function resolve(p, i, v) {} export function validate(i) {}"
        ),
        Ok(json!(true))
    );
    let (_, outcome) = apply(
        &store,
        "ccf.gov.validateConstitution('export function apply(p, i) {} export function resolve(p, i, v) {} export function validate(i) {}'); return typeof globalThis.leak;",
    );
    assert_eq!(outcome, Ok(json!("undefined")));
    let (_, outcome) = apply(
        &store,
        "return ccf.gov.validateConstitution('for (;;) {}');",
    );
    assert!(exception(outcome).contains("ExecutionTime"));
    let (_, outcome) = apply(&store, "ccf.gov.validateConstitution(1);");
    assert_eq!(exception(outcome), "constitution is not a string");
    let (_, outcome) = apply(&store, "ccf.gov.validateConstitution('');");
    assert_eq!(exception(outcome), "constitution is empty");

    assert_eq!(check_module_syntax("ok.js", CONSTITUTION), Ok(()));
    // Nothing runs: a module that would throw or loop still compiles.
    assert_eq!(check_module_syntax("ok.js", "for (;;) {} throw 1;"), Ok(()));
    match check_module_syntax("bad.js", "export function f( {") {
        Err(JsError::Module { module, message }) => {
            assert_eq!(module, "/bad.js");
            assert!(!message.is_empty());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(check_module_syntax("bad.js", "return 1;").is_err());
}

fn jwt_keys(tx: &mut Tx) -> Vec<(String, Value)> {
    let mut keys = Vec::new();
    tx.foreach(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2, |kid, value| {
        keys.push((
            String::from_utf8(kid.to_vec()).unwrap(),
            serde_json::from_slice(value).unwrap(),
        ));
        true
    });
    keys
}

fn spki_base64(public_pem: &str) -> String {
    let body: String = public_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.encode(STANDARD.decode(body).unwrap())
}

#[test]
fn jwt_public_signing_keys_set_and_removed() {
    let store = Store::new();
    let service = identity();
    let cert_der = STANDARD.encode(service.service_certificate.der());
    let setup = format!(
        r#"
        const rsa = ccf.crypto.generateRsaKeyPair(2048);
        const ec = ccf.crypto.generateEcdsaKeyPair("secp256r1");
        const jwks = {{ keys: [
          Object.assign(ccf.crypto.pubRsaPemToJwk(rsa.publicKey, "rsa1"), {{ alg: "RS256", use: "sig" }}),
          ccf.crypto.pubPemToJwk(ec.publicKey, "ec1"),
          {{ kty: "RSA", kid: "cert1", x5c: ["{cert_der}"], issuer: "https://login.example.com" }},
        ] }};
        ccf.setJwtPublicSigningKeys("https://login.example.com", {{ auto_refresh: false }}, jwks);
        return [rsa.publicKey, ec.publicKey];
        "#
    );
    let (output, outcome) = apply_with(&store, service.clone(), &setup);
    let pems = outcome.unwrap();
    let mut tx = output.tx.unwrap();
    let issuer = "https://login.example.com";
    assert_eq!(
        jwt_keys(&mut tx),
        vec![
            (
                "cert1".to_owned(),
                json!([{"constraint": issuer, "issuer": issuer, "public_key": STANDARD.encode(service.service_certificate.public_key().unwrap().spki_der())}])
            ),
            (
                "ec1".to_owned(),
                json!([{"issuer": issuer, "public_key": spki_base64(pems[1].as_str().unwrap())}])
            ),
            (
                "rsa1".to_owned(),
                json!([{"issuer": issuer, "public_key": spki_base64(pems[0].as_str().unwrap())}])
            ),
        ]
    );
    commit(&store, tx);

    // Another issuer shares a kid; then the first issuer's key set shrinks to one key.
    let (output, outcome) = apply(
        &store,
        &format!(
            r#"ccf.setJwtPublicSigningKeys("https://other.example", {{}}, {{ keys: [{{ kty: "EC", kid: "ec1", x5c: ["{cert_der}"] }}] }});"#
        ),
    );
    outcome.unwrap();
    commit(&store, output.tx.unwrap());
    let (output, outcome) = apply(
        &store,
        &format!(
            r#"ccf.setJwtPublicSigningKeys("{issuer}", {{}}, {{ keys: [{{ kty: "EC", kid: "cert1", x5c: ["{cert_der}"] }}] }});"#
        ),
    );
    outcome.unwrap();
    let mut tx = output.tx.unwrap();
    let service_spki =
        STANDARD.encode(service.service_certificate.public_key().unwrap().spki_der());
    assert_eq!(
        jwt_keys(&mut tx),
        vec![
            (
                "cert1".to_owned(),
                json!([{"issuer": issuer, "public_key": service_spki}])
            ),
            (
                "ec1".to_owned(),
                json!([{"issuer": "https://other.example", "public_key": service_spki}])
            ),
        ]
    );
    commit(&store, tx);

    // Setting the same keys again writes nothing.
    let (output, outcome) = apply(
        &store,
        &format!(
            r#"ccf.setJwtPublicSigningKeys("{issuer}", {{}}, {{ keys: [{{ kty: "EC", kid: "cert1", x5c: ["{cert_der}"] }}] }});"#
        ),
    );
    outcome.unwrap();
    assert!(output.tx.unwrap().write_set().is_empty());

    // Removal drops only that issuer's entries, and legacy tables' entries.
    let mut tx = store.begin();
    tx.put(
        tables::JWT_PUBLIC_SIGNING_KEY_ISSUER,
        b"old".to_vec(),
        issuer.as_bytes().to_vec(),
    );
    tx.put(
        "public:ccf.gov.jwt.public_signing_key",
        b"old".to_vec(),
        b"der".to_vec(),
    );
    tx.put(
        tables::JWT_PUBLIC_SIGNING_KEYS_METADATA,
        b"old".to_vec(),
        serde_json::to_vec(
            &json!([{"cert": "AA==", "issuer": issuer}, {"cert": "AA==", "issuer": "x"}]),
        )
        .unwrap(),
    );
    commit(&store, tx);
    let (output, outcome) = apply(
        &store,
        &format!(r#"ccf.removeJwtPublicSigningKeys("{issuer}");"#),
    );
    outcome.unwrap();
    let mut tx = output.tx.unwrap();
    assert_eq!(
        jwt_keys(&mut tx),
        vec![(
            "ec1".to_owned(),
            json!([{"issuer": "https://other.example", "public_key": service_spki}])
        )]
    );
    assert!(!tx.has(tables::JWT_PUBLIC_SIGNING_KEY_ISSUER, b"old"));
    assert!(!tx.has("public:ccf.gov.jwt.public_signing_key", b"old"));
    let legacy: Value = serde_json::from_slice(
        &tx.get(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA, b"old")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(legacy, json!([{"cert": "AA==", "issuer": "x"}]));
}

#[test]
fn jwt_key_sets_are_validated() {
    let store = Store::new();
    let cases = [
        (
            r#"{ keys: [] }"#,
            "set_jwt_public_signing_keys() failed: JWKS has no keys",
        ),
        (
            r#"{ keys: [{ kty: "RSA", n: "AQAB" }] }"#,
            "set_jwt_public_signing_keys() failed: Missing kid for JWT signing key",
        ),
        (
            r#"{ keys: [{ kty: "RSA", kid: "k" }] }"#,
            "set_jwt_public_signing_keys() failed: JWKS kid k has neither RSA/EC public key or x5c",
        ),
        (
            r#"{ keys: [{ kty: "EC", kid: "k", crv: "P-256", x: "AQ", y: "AQ" }] }"#,
            "set_jwt_public_signing_keys() failed: Failed to construct EC public key",
        ),
        (
            r#"{ keys: [{ kty: "EC", kid: "k", x5c: ["!!"] }] }"#,
            "set_jwt_public_signing_keys() failed: Could not parse x5c of key id k",
        ),
        (
            r#"{ keys: [{ kty: "EC", kid: "k", x5c: ["AAAA"] }] }"#,
            "set_jwt_public_signing_keys() failed: JWKS kid k has an invalid X.509 certificate",
        ),
        (
            r#"{ keys: [{ kty: "XX", kid: "k" }] }"#,
            "Error setting JWT public signing keys: jwks:",
        ),
        (r#"{}"#, "Error setting JWT public signing keys: jwks:"),
    ];
    for (jwks, expected) in cases {
        let (output, outcome) = apply(
            &store,
            &format!(r#"ccf.setJwtPublicSigningKeys("https://a.example", {{}}, {jwks});"#),
        );
        let message = exception(outcome);
        assert!(message.starts_with(expected), "{jwks}: {message}");
        assert!(output.tx.unwrap().write_set().is_empty());
    }
    let service = identity();
    let cert_der = STANDARD.encode(service.service_certificate.der());
    let (_, outcome) = apply(
        &store,
        &format!(
            r#"ccf.setJwtPublicSigningKeys("https://a.example", {{}}, {{ keys: [{{ kty: "EC", kid: "k", x5c: ["{cert_der}"], issuer: "https://b.example" }}] }});"#
        ),
    );
    assert_eq!(
        exception(outcome),
        "set_jwt_public_signing_keys() failed: JWKS kid k with issuer constraint https://b.example fails validation against issuer https://a.example"
    );
    let (_, outcome) = apply(
        &store,
        r#"ccf.setJwtPublicSigningKeys("https://a.example", { auto_refresh: "yes" }, { keys: [] });"#,
    );
    assert!(exception(outcome).starts_with("Error setting JWT public signing keys: metadata:"));
    let (_, outcome) = apply(
        &store,
        r#"ccf.setJwtPublicSigningKeys("https://a.example", {});"#,
    );
    assert_eq!(exception(outcome), "Passed 2 arguments but expected 3");
    let (_, outcome) = gov(
        &store,
        r#"export function resolve() { ccf.removeJwtPublicSigningKeys("x"); }"#,
        "resolve",
        &[],
        false,
    );
    assert!(exception(outcome).contains("may only be called from apply"));
}

const APP: &str = r#"
let calls = 0;
export function count(request) { calls += 1; return { body: { calls } }; }
export function write_gov(request) { ccf.kv["public:ccf.gov.users.info"].set(ccf.strToBuf("x"), ccf.strToBuf("y")); }
export function probe(request) {
  return { body: [typeof ccf.node, typeof ccf.network, typeof ccf.gov, typeof ccf.setJwtPublicSigningKeys] };
}
"#;

fn app_bundle() -> Arc<Bundle> {
    Arc::new(
        Bundle::from_json(&json!({
            "metadata": {"endpoints": {}},
            "modules": [{"name": "app.js", "module": APP}],
        }))
        .unwrap(),
    )
}

#[test]
fn governance_calls_leave_the_app_context_alone() {
    let store = Store::new();
    let app = app_bundle();
    let count = || {
        let input = HostInput {
            tx: Some(store.begin()),
            ..HostInput::default()
        };
        let (_, response) = call(
            &app,
            JsLimits::default(),
            Handler {
                module: "app.js",
                function: "count",
            },
            &JsRequest::default(),
            input,
        );
        let body: Value = serde_json::from_slice(&response.unwrap().body).unwrap();
        body["calls"].as_u64().unwrap()
    };
    assert_eq!(count(), 1);
    let (_, outcome) = gov(
        &store,
        CONSTITUTION,
        "validate",
        &[proposal(json!([]))],
        false,
    );
    outcome.unwrap();
    assert_eq!(count(), 2);
    // Even one that hits a limit, with other limits than the app's.
    let limits = JsLimits {
        max_execution_time_ms: 50,
        ..JsLimits::default()
    };
    let spin = proposal(json!([{"name": "spin"}]));
    let (_, outcome) = call_governance(
        script(CONSTITUTION),
        "apply",
        &[spin, json!("p")],
        limits,
        input(&store, true),
    );
    assert_eq!(outcome, Err(JsError::Limit(JsLimit::ExecutionTime)));
    assert_eq!(count(), 3);
    // And governance state does not carry over between calls either.
    let source = "let n = 0; export function vote() { n += 1; globalThis.seen = (globalThis.seen || 0) + 1; return [n, globalThis.seen]; }";
    assert_eq!(gov(&store, source, "vote", &[], false).1, Ok(json!([1, 1])));
    assert_eq!(gov(&store, source, "vote", &[], false).1, Ok(json!([1, 1])));
    assert_eq!(count(), 4);
}
