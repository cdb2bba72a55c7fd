//! The seed inputs of each target, made with the code that makes the real thing (the node's
//! encoders, the ledger generator, CCF's own signed envelopes, the repo's fixtures), so the
//! committed corpora start from realistic bytes. `fuzz/make_seeds.sh` writes them.

use std::path::Path;

use bytes::Bytes;
use quorate_consensus::message::{
    self, AppendEntries, AppendEntriesResponse, ElectionType, Message, ProposeRequestVote,
    RequestVote, RequestVoteResponse,
};
use quorate_consensus::{Entry, EntryKind};
use quorate_crypto::cose::{GovMsgType, sign_governance_request};
use quorate_crypto::create_certificate_signing_request;
use quorate_kv::decode_entry;
use quorate_ledger::chunk::{ChunkFileKind, ChunkName, LedgerReader};
use quorate_ledger::tables;
use quorate_node::channel::MessageKind;
use quorate_node::service::{Forwarded, ForwardedRequest, ForwardedResponse};
use serde_json::json;

use crate::http_input::seed as request;
use crate::{channels, files_of, fixtures, generated_ledger};

type Seeds = Vec<(String, Vec<u8>)>;

/// The seeds of `target`.
pub fn for_target(target: &str) -> Seeds {
    match target {
        "http_request" => http_request(),
        "builtin_json" => builtin_json(),
        "cose_envelope" => cose_envelope(),
        "ledger_chunk" => ledger_chunk(),
        "node_message" => node_message(),
        "node_config" => node_config(),
        "js_bundle" => js_bundle(),
        other => panic!("no seeds for {other}"),
    }
}

fn named(prefix: &str, items: Vec<Vec<u8>>) -> Seeds {
    items
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| (format!("{prefix}-{i:02}"), bytes))
        .collect()
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// base64url without padding (JWT segments).
fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A bearer token signed by the seeded store's JWT key.
fn jwt() -> String {
    let header = json!({"alg": "ES384", "kid": crate::JWT_KID, "typ": "JWT"});
    let payload = json!({"iss": crate::JWT_ISSUER, "sub": "user", "nbf": 1_700_000_000, "exp": 4_000_000_000u64});
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(payload.to_string().as_bytes())
    );
    let signature = fixtures()
        .member
        .key
        .sign_es384(signing_input.as_bytes())
        .expect("signature");
    format!("{signing_input}.{}", base64url(&signature))
}

/// An `application/cose` request body signed by our user, with CCF's user headers.
fn user_cose(payload: &[u8]) -> Vec<u8> {
    use quorate_crypto::cose::{CborValue, HeaderLabel, Sign1Builder};
    let user = &fixtures().user;
    Sign1Builder::new()
        .kid(user.id().as_bytes())
        .protected(
            HeaderLabel::Text("ccf.msg.type".into()),
            CborValue::from("log"),
        )
        .protected(
            HeaderLabel::Text("ccf.msg.created_at".into()),
            CborValue::from(1_735_689_600u64),
        )
        .sign(&user.key, payload)
        .expect("signed")
}

/// A request with a binary body.
fn binary_request(caller: u8, target: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = request(
        caller,
        "POST",
        target,
        &[
            ("content-type", content_type),
            ("content-length", &body.len().to_string()),
        ],
        "",
    );
    bytes.extend_from_slice(body);
    bytes
}

fn http_request() -> Seeds {
    let bearer = format!("Bearer {}", jwt());
    let user_signed = user_cose(br#"{"id": 9, "msg": "signed"}"#);
    let member_signed = sign_governance_request(
        &fixtures().member.key,
        &fixtures().member.cert,
        GovMsgType::Proposal,
        1_735_689_600,
        None,
        br#"{"actions": []}"#,
    )
    .expect("signed");
    named(
        "request",
        vec![
            request(
                b'A',
                "POST",
                "/app/auth/jwt",
                &[("authorization", &bearer)],
                "",
            ),
            request(
                b'U',
                "POST",
                "/app/auth/all_of",
                &[("authorization", &bearer)],
                "",
            ),
            binary_request(
                b'A',
                "/app/auth/user_cose_sign1",
                "application/cose",
                &user_signed,
            ),
            binary_request(
                b'A',
                "/app/auth/typed_user_cose_sign1",
                "application/cose",
                &user_signed,
            ),
            binary_request(
                b'A',
                "/app/auth/active_member_cose_sign1",
                "application/cose",
                &member_signed,
            ),
            binary_request(
                b'A',
                "/app/auth/member_cose_sign1",
                "application/cose",
                &member_signed,
            ),
            request(b'A', "POST", "/app/auth/unsupported", &[], ""),
            request(
                b'U',
                "POST",
                "/app/log/private",
                &[JSON],
                r#"{"id": 7, "msg": "hi"}"#,
            ),
            request(
                b'U',
                "POST",
                "/app/log/public?scope=s",
                &[JSON],
                r#"{"id": 8, "msg": "m", "record_claim": true}"#,
            ),
            request(b'U', "GET", "/app/log/private?id=1", &[], ""),
            request(
                b'U',
                "GET",
                "/app/log/public?id=1&scope=",
                &[("if-none-match", "\"abc\"")],
                "",
            ),
            request(
                b'U',
                "DELETE",
                "/app/log/private?id=1",
                &[("if-match", "*")],
                "",
            ),
            request(b'U', "GET", "/app/log/private/count", &[], ""),
            request(b'U', "DELETE", "/app/log/public/all", &[], ""),
            request(
                b'A',
                "POST",
                "/app/log/private/anonymous",
                &[JSON],
                r#"{"id": 2, "msg": "x"}"#,
            ),
            request(
                b'U',
                "POST",
                "/app/log/private/prefix_cert",
                &[JSON],
                r#"{"id": 3, "msg": "m"}"#,
            ),
            request(
                b'U',
                "POST",
                "/app/log/private/raw_text/4",
                &[("content-type", "text/plain")],
                "raw text",
            ),
            request(
                b'U',
                "GET",
                "/app/log/private/historical?id=1",
                &[("x-ms-ccf-transaction-id", "2.3")],
                "",
            ),
            request(b'C', "GET", "/app/log/private?id=1", &[], ""),
            request(b'M', "OPTIONS", "/app/log/private", &[], ""),
            request(b'A', "GET", "/node/network/nodes/ab%2Fcd", &[], ""),
            request(b'C', "POST", "/node/join", &[JSON], "{}"),
            request(
                b'A',
                "GET",
                "/gov/service/javascript-modules/%2Fapp.js?api-version=2024-07-01",
                &[],
                "",
            ),
            request(b'A', "GET", "/unknown%zz/path?x=%41+b&&=", &[], ""),
            request(b'M', "POST", "/app/auth/member_cert", &[], ""),
            request(b'C', "POST", "/app/auth/any_cert", &[], ""),
        ],
    )
}

fn join_request_json() -> serde_json::Value {
    let csr =
        create_certificate_signing_request(&fixtures().stranger.key, "CCF Node", &[]).expect("csr");
    json!({
        "node_info_network": {
            "node_to_node_interface": {"bind_address": "127.0.0.1:8081", "published_address": "127.0.0.1:8081"},
            "rpc_interfaces": {"primary_rpc_interface": {"bind_address": "0.0.0.0:8080", "published_address": "127.0.0.1:8080"}}
        },
        "quote_info": {"format": "Insecure_Virtual", "quote": "", "endorsements": ""},
        "certificate_signing_request": csr,
        "node_data": {"name": "n1"}
    })
}

fn with_kind(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(body);
    bytes
}

fn builtin_json() -> Seeds {
    let f = fixtures();
    let ledger = generated_ledger();
    let secret_hex = "00".repeat(32);
    let trusted = json!({
        "node_status": "Trusted",
        "node_id": "ab".repeat(32),
        "network_info": {
            "identity": {"cert": ledger.service_cert.pem(), "priv_key": "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"},
            "ledger_secret": secret_hex,
            "cose_signatures_config": {"issuer": "service.example.com", "subject": "ledger.signature"},
            "endorsed_certificate": f.member.cert.pem(),
            "peers": [{"node_id": "cd".repeat(32), "node_to_node_address": "127.0.0.1:8081"}]
        }
    });
    let user_pem = f.stranger.cert.pem();
    let bodies: Vec<(u8, String)> = vec![
        (b'J', join_request_json().to_string()),
        (b'R', json!({"node_status": "Pending", "node_id": "ab".repeat(32)}).to_string()),
        (b'R', trusted.to_string()),
        (b'L', r#"{"id": 1, "msg": "hello"}"#.into()),
        (b'L', r#"{"id": 18446744073709551615, "msg": "", "record_claim": false}"#.into()),
        (b'P', json!({"actions": [{"name": "set_recovery_threshold", "args": {"recovery_threshold": 1}}]}).to_string()),
        (b'P', json!({"actions": [{"name": "set_user", "args": {"cert": user_pem, "user_data": {"r": 1}}}]}).to_string()),
        (b'P', json!({"actions": [{"name": "remove_member", "args": {"member_id": f.member.id()}}, {"name": "trigger_ledger_rekey", "args": {}}]}).to_string()),
        (b'P', json!({"actions": [{"name": "set_js_runtime_options", "args": {"max_heap_bytes": 1048576, "max_stack_bytes": 65536, "max_execution_time_ms": 100}}]}).to_string()),
        (b'B', json!({"ballot": "export function vote (proposal, proposerId) { return true; }"}).to_string()),
        (b'B', json!({"ballot": "export function vote (proposal, proposerId) { const p = JSON.parse(proposal); return p.actions.length > 1; }"}).to_string()),
        (b'A', json!({"state_digest": "00".repeat(32)}).to_string()),
    ];
    named(
        "body",
        bodies
            .into_iter()
            .map(|(kind, body)| with_kind(kind, body.as_bytes()))
            .collect(),
    )
}

fn cose_envelope() -> Seeds {
    let f = fixtures();
    let sign = |kind: GovMsgType, proposal_id: Option<&str>, payload: &[u8]| {
        sign_governance_request(
            &f.member.key,
            &f.member.cert,
            kind,
            1_735_689_600,
            proposal_id,
            payload,
        )
        .expect("signed request")
    };
    let proposal =
        br#"{"actions": [{"name": "set_recovery_threshold", "args": {"recovery_threshold": 1}}]}"#;
    let id = "1d2c3b4a".repeat(8);
    let mut seeds =
        vec![
        ("ccf-proposal".to_owned(), crate::CCF_PROPOSAL_COSE.to_vec()),
        ("ccf-ballot".to_owned(), crate::CCF_BALLOT_COSE.to_vec()),
        ("proposal".to_owned(), sign(GovMsgType::Proposal, None, proposal)),
        (
            "ballot".to_owned(),
            sign(
                GovMsgType::Ballot,
                Some(&id),
                br#"{"ballot": "export function vote (proposal, proposerId) { return true; }"}"#,
            ),
        ),
        ("withdrawal".to_owned(), sign(GovMsgType::Withdrawal, Some(&id), b"")),
        ("ack".to_owned(), sign(GovMsgType::Ack, None, br#"{"state_digest": "00"}"#)),
        ("state-digest".to_owned(), sign(GovMsgType::StateDigest, None, b"")),
    ];
    // Two receipts of each kind from the generated ledger.
    let receipts = files_of(&ledger_receipts_dir());
    for extension in [".cose", ".json"] {
        seeds.extend(
            receipts
                .iter()
                .filter(|(name, _)| name.ends_with(extension))
                .take(2)
                .map(|(name, bytes)| (format!("receipt-{name}"), bytes.clone())),
        );
    }
    seeds
}

fn ledger_receipts_dir() -> std::path::PathBuf {
    generated_ledger().receipts_dir.clone()
}

fn ledger_chunk() -> Seeds {
    let ledger = generated_ledger();
    let mut seeds = Vec::new();
    for (name, bytes) in files_of(&ledger.ledger_dir) {
        let Ok(ChunkFileKind::Chunk(chunk)) = ChunkName::parse(&name) else {
            continue;
        };
        let with = |selector: u8| with_kind(selector, &bytes);
        match chunk.end {
            Some(end) if chunk.start == 1 => {
                let n = u8::try_from(end - 1).expect("a small chunk") << 2;
                seeds.push((format!("{name}-complete"), with(1 | n)));
                seeds.push((format!("{name}-committed"), with(2 | n)));
                // In progress: no positions table yet, and a torn last entry.
                let table = u64::from_le_bytes(bytes[..8].try_into().expect("header"));
                let mut in_progress = bytes[..usize::try_from(table).expect("offset")].to_vec();
                in_progress[..8].fill(0);
                seeds.push((format!("{name}-in-progress"), with_kind(0, &in_progress)));
                let torn = &in_progress[..in_progress.len() - 5];
                seeds.push((format!("{name}-torn"), with_kind(0, torn)));
            }
            _ => seeds.push((format!("{name}-next"), with(3))),
        }
    }
    seeds
}

/// `[u16 length][message]` for each message.
fn framed(messages: &[Message]) -> Vec<u8> {
    let mut bytes = vec![b'C'];
    for message in messages {
        let encoded = message::encode(message);
        bytes.extend_from_slice(&u16::try_from(encoded.len()).expect("small").to_be_bytes());
        bytes.extend_from_slice(&encoded);
    }
    bytes
}

fn node_message() -> Seeds {
    let ledger = generated_ledger();
    let reader = LedgerReader::open(&ledger.ledger_dir, &[]).expect("generated ledger");
    let entries: Vec<Entry> = reader
        .read_range(1, 4)
        .expect("entries 1..=4")
        .into_iter()
        .map(|entry| {
            let decoded = decode_entry(&entry.bytes, None).expect("entry");
            Entry {
                term: decoded.txid.view,
                committable: decoded.public_write_set.map(tables::SIGNATURES).is_some(),
                kind: EntryKind::Raw,
                payload: Bytes::from(entry.bytes),
            }
        })
        .collect();
    let term = entries.first().map_or(2, |e| e.term);
    let append = |prev_index: u64, prev_term: u64, leader_commit: u64, entries: Vec<Entry>| {
        Message::AppendEntries(AppendEntries {
            term,
            prev_index,
            prev_term,
            leader_commit,
            entries,
        })
    };
    let mut seeds = named(
        "consensus",
        vec![
            framed(&[append(0, 0, 0, entries.clone())]),
            framed(&[
                append(0, 0, 0, entries[..2].to_vec()),
                append(2, term, 2, entries[2..].to_vec()),
                append(4, term, 4, Vec::new()),
            ]),
            framed(&[
                Message::RequestVote(RequestVote {
                    term: term + 1,
                    last_committable_index: 4,
                    last_committable_term: term,
                    election_type: ElectionType::PreVote,
                }),
                Message::RequestVote(RequestVote {
                    term: term + 1,
                    last_committable_index: 4,
                    last_committable_term: term,
                    election_type: ElectionType::RegularVote,
                }),
            ]),
            framed(&[
                Message::AppendEntriesResponse(AppendEntriesResponse {
                    term,
                    last_index: 1,
                    success: true,
                }),
                Message::RequestVoteResponse(RequestVoteResponse {
                    term,
                    granted: true,
                    election_type: ElectionType::RegularVote,
                }),
                Message::ProposeRequestVote(ProposeRequestVote { term }),
            ]),
        ],
    );

    let (mut first, _second, to_second, to_first) = channels::established_with_frames();
    let mut frames: Vec<Vec<u8>> = to_second.into_iter().chain(to_first).collect();
    let consensus_payload = message::encode(&append(4, term, 4, Vec::new()));
    for (kind, payload) in [
        (MessageKind::Consensus, consensus_payload.as_slice()),
        (MessageKind::Forwarded, b"forwarded".as_slice()),
    ] {
        frames.extend(first.seal(kind, payload).expect("sealed"));
    }
    seeds.extend(named(
        "frame",
        frames.iter().map(|frame| with_kind(b'F', frame)).collect(),
    ));

    let f = fixtures();
    let forwarded = [
        Forwarded::Request(ForwardedRequest {
            id: 1,
            caller_der: Some(Bytes::copy_from_slice(f.user.cert.der())),
            method: "POST".into(),
            uri: "/app/log/private?scope=a".into(),
            headers: vec![(
                "content-type".into(),
                Bytes::from_static(b"application/json"),
            )],
            body: Bytes::from_static(br#"{"id": 5, "msg": "fwd"}"#),
        }),
        Forwarded::Request(ForwardedRequest {
            id: 2,
            caller_der: None,
            method: "GET".into(),
            uri: "/app/log/private?id=1".into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }),
        Forwarded::Response(ForwardedResponse {
            id: 1,
            status: 200,
            transaction_id: Some((2, 10)),
            headers: vec![(
                "content-type".into(),
                Bytes::from_static(b"application/json"),
            )],
            body: Bytes::from_static(b"true"),
        }),
    ];
    seeds.extend(named(
        "forwarded",
        forwarded
            .iter()
            .map(|message| with_kind(b'W', &message.encode()))
            .collect(),
    ));
    seeds
}

fn node_config() -> Seeds {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/node/tests/data/config");
    files_of(&dir)
}

fn js_bundle() -> Seeds {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../apps/logging-js");
    let bundle = quorate_js::Bundle::from_dir(&dir).expect("the logging-js bundle");
    let small = json!({
        "metadata": {"endpoints": {
            "/hello/{name}": {"get": {
                "js_module": "app.js", "js_function": "hello",
                "forwarding_required": "never", "authn_policies": ["no_auth"], "mode": "readonly"
            }},
            "/records": {"post": {
                "js_module": "/app.js", "js_function": "put",
                "forwarding_required": "always", "authn_policies": ["user_cert", "jwt"], "mode": "readwrite",
                "openapi": {"responses": {"200": {"description": "ok"}}}
            }}
        }},
        "modules": [{"name": "app.js", "module": "import { x } from './lib/util.js';\nexport function hello(request) { return { body: request.params.name + x }; }\nexport function put(r) { return {}; }"},
                    {"name": "lib/util.js", "module": "export const x = 1;"}]
    });
    vec![
        (
            "logging-js".to_owned(),
            bundle.to_json().to_string().into_bytes(),
        ),
        ("small".to_owned(), small.to_string().into_bytes()),
        (
            "app-json-only".to_owned(),
            small["metadata"].to_string().into_bytes(),
        ),
    ]
}
