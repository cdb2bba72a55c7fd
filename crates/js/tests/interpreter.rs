//! Handlers run against a real KV transaction: requests in, responses out, `ccf.kv` reads and
//! writes, relative imports; exceptions, syntax errors, missing functions, an infinite loop, a
//! memory bomb and runaway recursion each give a typed error, and the thread keeps working.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use bytes::Bytes;
use quorate_js::{
    Bundle, Handler, HostInput, JsError, JsLimit, JsLimits, JsRequest, JsResponse, call,
};
use quorate_kv::{CommitOutcome, Store, TxId};
use serde_json::json;

const APP: &str = r#"
import { prefix } from "./lib/util.js";

export function post(request) {
  const body = request.body.json();
  ccf.kv["records"].set(ccf.strToBuf(String(body.id)), ccf.strToBuf(prefix(body.msg)));
  return { statusCode: 200, body: true };
}

export function get(request) {
  const id = request.query.split("=")[1];
  const value = ccf.kv["records"].get(ccf.strToBuf(id));
  if (value === undefined) {
    return { statusCode: 404, body: { error: { code: "ResourceNotFound", message: `No such record: ${id}.` } } };
  }
  return { body: { msg: ccf.bufToStr(value) }, headers: { "x-custom": "yes" } };
}

export function count(request) {
  let n = 0;
  ccf.kv["records"].forEach((v, k) => { n += 1; });
  return { body: { n, size: ccf.kv["records"].size } };
}

export function echo(request) {
  return { body: { method: request.method, params: request.params, caller: request.caller,
                   headers: request.headers, text: request.body.text() } };
}

export function text(request) { return { body: "plain" }; }
export function thrower(request) { throw new Error("boom"); }
export function spin(request) { for (;;) {} }
export function hog(request) { const a = []; for (;;) { a.push(new Array(100000).fill(1)); } }
export function recurse(request) { const f = (n) => f(n + 1) + 1; return f(0); }
export function governance(request) { ccf.kv["public:ccf.gov.users.certs"].set(ccf.strToBuf("x"), ccf.strToBuf("y")); }
export function digest(request) {
  const d = ccf.crypto.digest("SHA-256", ccf.strToBuf("abc"));
  return { body: Array.from(new Uint8Array(d)).map((b) => b.toString(16).padStart(2, "0")).join("") };
}
export function claims(request) { ccf.rpc.setClaimsDigest(ccf.crypto.digest("SHA-256", ccf.strToBuf("c"))); ccf.rpc.setApplyWrites(true); return { statusCode: 400 }; }
export function committed(request) { return { body: ccf.consensus.getLastCommittedTxId() }; }
export function statuses(request) {
  const c = ccf.consensus;
  return { body: [c.getStatusForTxId(2, 5), c.getStatusForTxId(3, 5), c.getStatusForTxId(3, 11),
                  c.getStatusForTxId(2, 11), c.getStatusForTxId(3, 20), c.getStatusForTxId(4, 13),
                  c.getViewForSeqno(1), c.getViewForSeqno(10), c.getViewForSeqno(13)] };
}
export function unsupported(request) { return ccf.tcbHexToPolicy("x"); }
export function range(request) {
  const states = ccf.historical.getStateRange(7, 3, 5, 1800);
  return { body: { ids: states.map((s) => s.transactionId),
                   msgs: states.map((s) => s.kv["records"].has(ccf.strToBuf("k"))
                     ? ccf.bufToStr(s.kv["records"].get(ccf.strToBuf("k"))) : null),
                   receipt: states[1].receipt, dropped: ccf.historical.dropCachedStates(7),
                   sizes: states.map((s) => s.kv["records"].size),
                   versions: states.map((s) => s.kv["records"].getVersionOfPreviousWrite(ccf.strToBuf("k"))),
                   each: (() => { const seen = []; states[2].kv["records"].forEach((v, k) =>
                     seen.push([ccf.bufToStr(k), ccf.bufToStr(v)])); return seen; })() } };
}
export function bad_range(request) { return ccf.historical.getStateRange(1, 5, 3, 0); }
export function greedy(request) { for (;;) { ccf.historical.getStateRange(1, 1, 6, 0); } }
export function historical(request) {
  const state = ccf.historicalState;
  const edited = state.receipt;
  delete edited.leaf_components.claims_digest;
  return { body: { txid: state.transactionId, edited, again: ccf.historicalState.receipt,
                   msg: ccf.bufToStr(state.kv["records"].get(ccf.strToBuf("1"))) } };
}
"#;

fn bundle(extra_modules: &[(&str, &str)]) -> Arc<Bundle> {
    let mut modules = vec![
        json!({"name": "app.js", "module": APP}),
        json!({"name": "lib/util.js", "module": "export const prefix = (m) => `msg:${m}`;"}),
    ];
    for (name, source) in extra_modules {
        modules.push(json!({"name": name, "module": source}));
    }
    let endpoint = |function: &str| {
        json!({"js_module": "app.js", "js_function": function, "authn_policies": ["user_cert"],
               "forwarding_required": "sometimes", "mode": "readwrite"})
    };
    Arc::new(
        Bundle::from_json(&json!({
            "metadata": {"endpoints": {"/log": {"post": endpoint("post"), "get": endpoint("get")}}},
            "modules": modules,
        }))
        .unwrap(),
    )
}

fn request(body: &str, query: &str) -> JsRequest {
    JsRequest {
        method: "POST".into(),
        url: format!("/app/log?{query}"),
        path: "/app/log".into(),
        route: "/log".into(),
        query: query.into(),
        params: vec![("id".into(), "7".into())],
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Bytes::from(body.to_owned()),
        caller: json!({"policy": "user_cert", "id": "abc"}),
        ..JsRequest::default()
    }
}

fn run(
    store: &Store,
    bundle: &Arc<Bundle>,
    module: &str,
    function: &str,
    request: &JsRequest,
    writable: bool,
    limits: JsLimits,
) -> (Result<JsResponse, JsError>, quorate_js::HostOutput) {
    let input = HostInput {
        tx: Some(store.begin()),
        writable,
        consensus: quorate_js::ConsensusView {
            last_committed: TxId::new(2, 9),
            last_seqno: 12,
            view_history: std::sync::Arc::new(vec![(2, 1), (3, 10)]),
        },
        historical: None,
        history: None,
        governance: None,
    };
    let (output, outcome) = call(bundle, limits, Handler { module, function }, request, input);
    (outcome, output)
}

fn body_json(response: &JsResponse) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap()
}

#[test]
fn handlers_read_and_write_the_kv_through_ccf_kv() {
    let store = Store::new();
    let app = bundle(&[]);
    let limits = JsLimits::default();
    let (response, output) = run(
        &store,
        &app,
        "app.js",
        "post",
        &request(r#"{"id": 1, "msg": "hi"}"#, ""),
        true,
        limits,
    );
    let response = response.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_ref(), b"true");
    assert!(
        response
            .headers
            .contains(&("content-type".into(), "application/json".into()))
    );
    let tx = output.tx.unwrap();
    assert!(matches!(
        store.commit(tx).unwrap(),
        CommitOutcome::Committed { .. }
    ));

    let (response, _) = run(
        &store,
        &app,
        "/app.js",
        "get",
        &request("", "id=1"),
        false,
        limits,
    );
    let response = response.unwrap();
    assert_eq!(body_json(&response), json!({"msg": "msg:hi"}));
    assert!(
        response
            .headers
            .contains(&("x-custom".into(), "yes".into()))
    );
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "get",
        &request("", "id=2"),
        false,
        limits,
    );
    assert_eq!(response.unwrap().status, 404);
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "count",
        &request("", ""),
        false,
        limits,
    );
    assert_eq!(body_json(&response.unwrap()), json!({"n": 1, "size": 1}));
}

#[test]
fn the_request_object_is_ccfs() {
    let store = Store::new();
    let app = bundle(&[]);
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "echo",
        &request("hello", ""),
        false,
        JsLimits::default(),
    );
    assert_eq!(
        body_json(&response.unwrap()),
        json!({"method": "POST", "params": {"id": "7"}, "caller": {"policy": "user_cert", "id": "abc"},
               "headers": {"content-type": "application/json"}, "text": "hello"})
    );
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "text",
        &request("", ""),
        false,
        JsLimits::default(),
    );
    let response = response.unwrap();
    assert_eq!(response.body.as_ref(), b"plain");
    assert!(
        response
            .headers
            .contains(&("content-type".into(), "text/plain".into()))
    );
}

#[test]
fn read_only_handlers_and_service_tables_refuse_writes() {
    let store = Store::new();
    let app = bundle(&[]);
    let (response, output) = run(
        &store,
        &app,
        "app.js",
        "post",
        &request(r#"{"id": 1, "msg": "hi"}"#, ""),
        false,
        JsLimits::default(),
    );
    match response {
        Err(JsError::Exception { message, .. }) => {
            assert!(message.contains("read-only"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(output.tx.unwrap().is_read_only());
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "governance",
        &request("", ""),
        true,
        JsLimits::default(),
    );
    assert!(
        matches!(response, Err(JsError::Exception { message, .. }) if message.contains("may not be written"))
    );
}

#[test]
fn rpc_consensus_and_digest_reach_the_host() {
    let store = Store::new();
    let app = bundle(&[]);
    let (response, output) = run(
        &store,
        &app,
        "app.js",
        "claims",
        &request("", ""),
        true,
        JsLimits::default(),
    );
    assert_eq!(response.unwrap().status, 400);
    assert_eq!(output.apply_writes, Some(true));
    assert_eq!(output.claims_digest, Some(quorate_crypto::sha256(b"c")));
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "committed",
        &request("", ""),
        false,
        JsLimits::default(),
    );
    assert_eq!(
        body_json(&response.unwrap()),
        json!({"view": 2, "seqno": 9})
    );
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "digest",
        &request("", ""),
        false,
        JsLimits::default(),
    );
    assert_eq!(
        response.unwrap().body.as_ref(),
        b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "unsupported",
        &request("", ""),
        false,
        JsLimits::default(),
    );
    assert!(
        matches!(response, Err(JsError::Exception { message, .. }) if message.contains("not supported"))
    );
}

#[test]
fn failures_are_typed_errors_and_the_thread_keeps_serving() {
    let store = Store::new();
    let app = bundle(&[("broken.js", "export function f( {")]);
    let limits = JsLimits {
        max_heap_bytes: 32 * 1024 * 1024,
        max_stack_bytes: 512 * 1024,
        max_execution_time_ms: 200,
    };
    let ok = || {
        let (response, _) = run(
            &store,
            &app,
            "app.js",
            "text",
            &request("", ""),
            false,
            limits,
        );
        assert_eq!(response.unwrap().status, 200);
    };
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "thrower",
        &request("", ""),
        true,
        limits,
    );
    assert!(
        matches!(response, Err(JsError::Exception { ref message, .. }) if message == "boom"),
        "{response:?}"
    );
    ok();
    let started = std::time::Instant::now();
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "spin",
        &request("", ""),
        true,
        limits,
    );
    assert_eq!(response, Err(JsError::Limit(JsLimit::ExecutionTime)));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    ok();
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "hog",
        &request("", ""),
        true,
        limits,
    );
    assert!(
        matches!(
            response,
            Err(JsError::Limit(JsLimit::Memory | JsLimit::ExecutionTime))
        ),
        "{response:?}"
    );
    ok();
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "recurse",
        &request("", ""),
        true,
        limits,
    );
    assert_eq!(response, Err(JsError::Limit(JsLimit::Stack)));
    ok();
    let (response, _) = run(
        &store,
        &app,
        "broken.js",
        "f",
        &request("", ""),
        true,
        limits,
    );
    assert!(
        matches!(response, Err(JsError::Module { .. })),
        "{response:?}"
    );
    ok();
    let (response, _) = run(
        &store,
        &app,
        "app.js",
        "nope",
        &request("", ""),
        true,
        limits,
    );
    assert!(
        matches!(response, Err(JsError::MissingFunction { .. })),
        "{response:?}"
    );
    ok();
    let (response, _) = run(
        &store,
        &app,
        "missing.js",
        "f",
        &request("", ""),
        true,
        limits,
    );
    assert!(
        matches!(response, Err(JsError::Module { .. })),
        "{response:?}"
    );
    ok();
}

#[test]
fn bundles_check_their_metadata_and_modules() {
    let bad = [
        json!({"metadata": {"endpoints": {"log": {}}}, "modules": []}),
        json!({"metadata": {"endpoints": {"/log": {"fetch": {"js_module": "a.js", "js_function": "f", "authn_policies": [], "forwarding_required": "always"}}}}, "modules": [{"name": "a.js", "module": ""}]}),
        json!({"metadata": {"endpoints": {"/log": {"get": {"js_module": "a.js", "js_function": "f", "authn_policies": [], "forwarding_required": "always"}}}}, "modules": []}),
        json!({"metadata": {"endpoints": {"/log": {"get": {"js_module": "a.js", "js_function": "f", "forwarding_required": "always"}}}}, "modules": [{"name": "a.js", "module": ""}]}),
        json!({"modules": []}),
    ];
    for value in bad {
        assert!(
            matches!(Bundle::from_json(&value), Err(JsError::Bundle { .. })),
            "{value}"
        );
    }
    assert_eq!(
        quorate_js::resolve_specifier("/a/b.js", "./c.js").unwrap(),
        "/a/c.js"
    );
    assert_eq!(
        quorate_js::resolve_specifier("/a/b.js", "../c.js").unwrap(),
        "/c.js"
    );
    assert_eq!(quorate_js::resolve_specifier("/b.js", "../../c.js"), None);
    assert_eq!(
        quorate_js::resolve_specifier("/b.js", "c.js").unwrap(),
        "/c.js"
    );
}

/// The body as CCF hands it over: `text()` and `json()` of a UTF-8 body, `arrayBuffer()` a
/// fresh copy on every call (so writing into one changes nothing else), a body that is not
/// UTF-8 still readable as bytes while `text()` throws; and response bodies keep their bytes:
/// UTF-8 for text, each byte for binary, the app's headers (lowercased) over the default type.
#[test]
fn request_and_response_bodies_keep_their_bytes() {
    let store = Store::new();
    let module = r#"
export function echo(request) {
  const first = request.body.arrayBuffer();
  new Uint8Array(first).fill(0);
  const again = new Uint8Array(request.body.arrayBuffer());
  let text;
  try { text = request.body.text(); } catch (e) { text = `threw: ${e.message}`; }
  try { Object.getPrototypeOf(request.body).text = () => "changed"; } catch (e) {}
  return { body: again, headers: { "X-Text": encodeURIComponent(text) } };
}
export function unicode(request) {
  return { body: `${request.body.text()} ✓ ${request.body.json().n}`, headers: { "Content-Type": "text/x-mine" } };
}
"#;
    let app = bundle(&[("bodies.js", module)]);
    let limits = JsLimits::default();
    let binary = JsRequest {
        body: Bytes::from_static(&[0xff, 0x01, 0x80]),
        ..request("", "")
    };
    let (response, _) = run(&store, &app, "bodies.js", "echo", &binary, false, limits);
    let response = response.unwrap();
    assert_eq!(response.body.as_ref(), [0xff, 0x01, 0x80]);
    assert!(
        response
            .headers
            .contains(&("content-type".into(), "application/octet-stream".into()))
    );
    assert!(response.headers.contains(&(
        "x-text".into(),
        "threw%3A%20the%20buffer%20is%20not%20valid%20UTF-8".into()
    )));
    let (response, _) = run(
        &store,
        &app,
        "bodies.js",
        "echo",
        &request("h\u{e9}llo", ""),
        false,
        limits,
    );
    let response = response.unwrap();
    assert_eq!(response.body.as_ref(), "h\u{e9}llo".as_bytes());
    assert!(
        response
            .headers
            .contains(&("x-text".into(), "h%C3%A9llo".into()))
    );
    let (response, _) = run(
        &store,
        &app,
        "bodies.js",
        "unicode",
        &request(r#"{"n": 5}"#, ""),
        false,
        limits,
    );
    let response = response.unwrap();
    assert_eq!(response.body.as_ref(), "{\"n\": 5} \u{2713} 5".as_bytes());
    assert_eq!(
        response.headers,
        [("content-type".to_owned(), "text/x-mine".to_owned())]
    );
}

#[test]
fn requests_cannot_change_the_ccf_global_for_later_ones() {
    let store = Store::new();
    let tamper = "export function tamper(request) { \
        try { ccf.kv = null; } catch (e) {} \
        try { ccf.strToBuf = () => 1; } catch (e) {} \
        try { ccf.rpc.setApplyWrites = null; } catch (e) {} \
        try { globalThis.ccf = {}; } catch (e) {} \
        return { body: 'done' }; }";
    let app = bundle(&[("tamper.js", tamper)]);
    let limits = JsLimits::default();
    let (response, _) = run(
        &store,
        &app,
        "tamper.js",
        "tamper",
        &request("", ""),
        true,
        limits,
    );
    assert_eq!(response.unwrap().body.as_ref(), b"done");
    let (response, output) = run(
        &store,
        &app,
        "app.js",
        "post",
        &request(r#"{"id": 5, "msg": "still"}"#, ""),
        true,
        limits,
    );
    assert_eq!(response.unwrap().status, 200);
    assert!(!output.tx.unwrap().is_read_only());
    let (response, output) = run(
        &store,
        &app,
        "app.js",
        "claims",
        &request("", ""),
        true,
        limits,
    );
    assert_eq!(response.unwrap().status, 400);
    assert_eq!(output.apply_writes, Some(true));
}

#[test]
fn runtime_options_read_ccfs_table_value_with_defaults() {
    use quorate_js::JsRuntimeOptions;
    let defaults = JsRuntimeOptions::default();
    assert_eq!(defaults.limits, JsLimits::default());
    assert!(!defaults.return_exception_details);
    let options = JsRuntimeOptions::from_json(&json!({
        "max_heap_bytes": 1024, "max_stack_bytes": 2048, "max_execution_time_ms": 30,
        "return_exception_details": true, "log_exception_details": true,
        "max_cached_interpreters": 10
    }));
    assert_eq!(
        options.limits,
        JsLimits {
            max_heap_bytes: 1024,
            max_stack_bytes: 2048,
            max_execution_time_ms: 30
        }
    );
    assert!(options.return_exception_details && options.log_exception_details);
    let partial =
        JsRuntimeOptions::from_json(&json!({"max_execution_time_ms": 7, "max_heap_bytes": "x"}));
    assert_eq!(partial.limits.max_execution_time_ms, 7);
    assert_eq!(
        partial.limits.max_heap_bytes,
        defaults.limits.max_heap_bytes
    );
    assert_eq!(JsRuntimeOptions::from_json(&json!([1, 2])), defaults);
}

#[test]
fn historical_state_gives_the_transaction_its_writes_and_a_fresh_receipt_each_time() {
    let mut writes = quorate_kv::WriteSet::new();
    writes.put(
        "records",
        Bytes::from_static(b"1"),
        Bytes::from_static(b"then"),
    );
    let receipt = fake_receipt(TxId::new(2, 5));
    let input = HostInput {
        historical: Some((TxId::new(2, 5), writes)),
        history: Some(Arc::new(FakeHistory)),
        ..HostInput::default()
    };
    let body = body_json(&call_app("historical", input).unwrap());
    assert_eq!(body["txid"], "2.5");
    assert_eq!(body["msg"], "then");
    assert_eq!(
        body["again"], receipt,
        "one handler's edit must not reach the next read"
    );
    let mut edited = receipt.clone();
    edited["leaf_components"]
        .as_object_mut()
        .unwrap()
        .remove("claims_digest");
    assert_eq!(body["edited"], edited);
}

/// An in-memory committed log: seqnos 1..=6 in view 2, each writing `records[k] = "v<seqno>"`
/// except seqno 4, which writes nothing there.
struct FakeHistory;

impl quorate_js::History for FakeHistory {
    fn range(
        &self,
        start_seqno: u64,
        end_seqno: u64,
    ) -> Result<Vec<(TxId, quorate_kv::WriteSet)>, String> {
        if end_seqno > 6 {
            return Err(format!("{end_seqno} is not committed"));
        }
        Ok((start_seqno..=end_seqno)
            .map(|seqno| {
                let mut writes = quorate_kv::WriteSet::new();
                if seqno != 4 {
                    writes.put("records", Bytes::from_static(b"k"), format!("v{seqno}"));
                }
                (TxId::new(2, seqno), writes)
            })
            .collect())
    }

    fn receipt_json(&self, txid: TxId) -> Result<String, String> {
        Ok(fake_receipt(txid).to_string())
    }
}

/// A receipt in CCF's JS shape that names the transaction it is for.
fn fake_receipt(txid: TxId) -> serde_json::Value {
    json!({"cert": "PEM", "node_id": "ab", "signature": "c2ln",
        "is_signature_transaction": false, "proof": [{"left": "00"}],
        "leaf_components": {"write_set_digest": "11", "commit_evidence": format!("ce:{txid}:22"),
                            "claims_digest": "33"}})
}

fn call_with_history(
    function: &str,
    history: Option<Arc<dyn quorate_js::History>>,
) -> Result<JsResponse, JsError> {
    let store = Store::new();
    let input = HostInput {
        tx: Some(store.begin()),
        history,
        ..HostInput::default()
    };
    call_app(function, input)
}

/// `function` of the test app with default limits and an empty request.
fn call_app(function: &str, input: HostInput) -> Result<JsResponse, JsError> {
    let handler = Handler {
        module: "app.js",
        function,
    };
    call(
        &bundle(&[]),
        JsLimits::default(),
        handler,
        &request("", ""),
        input,
    )
    .1
}

#[test]
fn get_state_range_gives_each_committed_state_with_its_writes_and_receipt() {
    let body = body_json(&call_with_history("range", Some(Arc::new(FakeHistory))).unwrap());
    assert_eq!(body["ids"], json!(["2.3", "2.4", "2.5"]));
    assert_eq!(body["msgs"], json!(["v3", null, "v5"]));
    assert_eq!(body["receipt"], fake_receipt(TxId::new(2, 4)));
    assert_eq!(body["dropped"], true);
    assert_eq!(
        body["sizes"],
        json!([1, 0, 1]),
        "a state holds its own writes only"
    );
    assert_eq!(body["each"], json!([["k", "v5"]]));
    assert_eq!(body["versions"], json!([3, null, 5]));
}

#[test]
fn get_state_range_refuses_bad_ranges_and_handlers_without_history() {
    let bad = call_with_history("bad_range", Some(Arc::new(FakeHistory)));
    assert!(
        matches!(&bad, Err(JsError::Exception { message, .. }) if message.contains("before startSeqno")),
        "{bad:?}"
    );
    let greedy = call_with_history("greedy", Some(Arc::new(FakeHistory)));
    assert!(
        matches!(&greedy, Err(JsError::Exception { message, .. }) if message.contains("at most 20000 states")),
        "{greedy:?}"
    );
    let without = call_with_history("range", None);
    assert!(
        matches!(&without, Err(JsError::Exception { message, .. }) if message.contains("read-only and historical endpoints")),
        "{without:?}"
    );
}
