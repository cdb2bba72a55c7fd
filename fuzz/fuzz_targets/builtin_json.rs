//! JSON bodies of the node's built-in endpoints and of the native logging app, read with the
//! code the node runs on them. The first byte picks the body, the rest is the body:
//!
//! - `J`: `POST /node/join`'s `JoinRequest` (through `app::json_body`, then the quote format
//!   and the certificate signing request, as the join handler checks them);
//! - `R`: the `JoinResponse` a joining node reads from the primary, and the secrets it takes
//!   from a `Trusted` answer (certificates, service key, ledger secret);
//! - `L`: the logging app's record bodies (`json_params`, `parse_json`, `RecordIn`);
//! - `P`: a member's proposal (the payload of `POST /gov/members/proposals:create`, once its
//!   COSE envelope is authenticated), created by `quorate_gov::create_proposal`: the default
//!   constitution's `validate` and `resolve` run on it;
//! - `B`: a member's ballot on an open proposal (`quorate_gov::submit_ballot`: the ballot's
//!   JavaScript is compiled and run);
//! - `A`: a member's state-digest update and ack (`update_state_digest`, `ack_state_digest`).
//!
//! The envelope itself is `cose_envelope`'s business; here the authenticated request is built
//! directly, as `quorate_gov::authenticate` returns it.
#![no_main]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri, Version};
use libfuzzer_sys::fuzz_target;
use quorate_app_logging::params::{json_params, parse_json};
use quorate_app_logging::record_in::RecordIn;
use quorate_crypto::{
    Certificate, KeyPair, Validity, certificate_signing_request_public_key,
    create_service_certificate,
};
use quorate_fuzz::{NOW_S, fixtures, seeded_store};
use quorate_gov::{GovernanceEnv, MemberRequest};
use quorate_js::GovernanceContext;
use quorate_kv::{CommitOutcome, Store};
use quorate_node::app::json_body;
use quorate_node::frontend::{
    AuthnIdentity, CertificateIdentity, EndpointRequest, ExecutionMode, ForwardingRule,
};
use quorate_node::service::{JoinRequest, JoinResponse};

struct Governed {
    store: Store,
    env: GovernanceEnv,
    /// An open proposal the members can vote on.
    open_proposal_id: String,
}

fn governed() -> &'static Governed {
    static GOVERNED: OnceLock<Governed> = OnceLock::new();
    GOVERNED.get_or_init(|| {
        let (store, _) = seeded_store();
        let service_key = KeyPair::from_seed(&[9; 32]).expect("service key");
        let validity = Validity::from_days(NOW_S, 365).expect("validity");
        let service_certificate =
            create_service_certificate(&service_key, "CCF Service", &validity, 1)
                .expect("service certificate");
        let env = GovernanceEnv {
            context: GovernanceContext {
                service_key: Arc::new(service_key),
                service_certificate,
                latest_ledger_secret_seqno: 0,
            },
        };
        let proposal = br#"{"actions": [{"name": "set_recovery_threshold", "args": {"recovery_threshold": 1}}]}"#;
        let mut tx = store.begin();
        let outcome = quorate_gov::create_proposal(
            &mut tx,
            &env,
            &member_request(proposal, None, b"setup"),
            &[0; 32],
        )
        .expect("the setup proposal is created");
        let open_proposal_id = outcome.body["proposalId"]
            .as_str()
            .expect("a proposal id")
            .to_owned();
        let Ok(CommitOutcome::Committed { .. }) = store.commit(tx) else {
            panic!("committing the setup proposal failed");
        };
        Governed {
            store,
            env,
            open_proposal_id,
        }
    })
}

/// What `authenticate` returns for a request our member signed.
fn member_request(content: &[u8], proposal_id: Option<&str>, signature: &[u8]) -> MemberRequest {
    MemberRequest {
        member_id: fixtures().member.id(),
        created_at_s: u64::try_from(NOW_S).unwrap_or_default(),
        proposal_id: proposal_id.map(str::to_owned),
        content: content.to_vec(),
        envelope: Bytes::new(),
        signature: signature.to_vec(),
    }
}

/// The request the join handler reads its body from.
fn join_request(body: &[u8]) -> EndpointRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let stranger = &fixtures().stranger;
    EndpointRequest {
        method: Method::POST,
        uri: Uri::from_static("/node/join"),
        version: Version::HTTP_11,
        headers,
        body: Bytes::copy_from_slice(body),
        path_params: Default::default(),
        caller: Arc::new(stranger.caller()),
        identity: AuthnIdentity::AnyCert {
            fingerprint_sha256_hex: stranger.id(),
        },
        mode: ExecutionMode::ReadWrite,
        forwarding: ForwardingRule::Always,
    }
}

fn logging_request(body: &[u8]) -> EndpointRequest {
    let user = &fixtures().user;
    EndpointRequest {
        uri: Uri::from_static("/app/log/private"),
        identity: AuthnIdentity::User(CertificateIdentity {
            id: user.id(),
            data: serde_json::Value::Null,
        }),
        caller: Arc::new(user.caller()),
        headers: HeaderMap::new(),
        ..join_request(body)
    }
}

fuzz_target!(
    init: {
        quorate_fuzz::maybe_write_seeds("builtin_json");
        governed();
    },
    |data: &[u8]| {
        let Some((&kind, body)) = data.split_first() else {
            return;
        };
        match kind {
            b'J' => {
                let Ok(join) = json_body::<JoinRequest>(&join_request(body)) else {
                    return;
                };
                let _ = join.quote_info.format == quorate_ledger::genesis::VIRTUAL_ATTESTATION_FORMAT;
                let _ = certificate_signing_request_public_key(&join.certificate_signing_request);
                // What the primary records: the request serialises.
                serde_json::to_vec(&join).expect("a parsed join request serialises");
            }
            b'R' => {
                let Ok(answer) = serde_json::from_slice::<JoinResponse>(body) else {
                    return;
                };
                if let Some(info) = answer.network_info {
                    let _ = Certificate::from_pem(&info.endorsed_certificate);
                    let _ = Certificate::from_pem(&info.identity.cert);
                    let _ = KeyPair::from_pem(&info.identity.priv_key);
                    let _ = hex::decode(info.ledger_secret.trim());
                    for peer in &info.peers {
                        let _ = peer.node_to_node_address.parse::<std::net::SocketAddr>();
                    }
                }
            }
            b'L' => {
                let request = logging_request(body);
                if let Ok(params) = json_params(&request) {
                    let _ = RecordIn::from_json(&params);
                }
                if let Ok(params) = parse_json(body) {
                    let _ = RecordIn::from_json(&params);
                }
            }
            b'P' => {
                let governed = governed();
                let mut tx = governed.store.begin();
                let request = member_request(body, None, body);
                let _ = quorate_gov::create_proposal(&mut tx, &governed.env, &request, &[0; 32]);
            }
            b'B' => {
                let governed = governed();
                let mut tx = governed.store.begin();
                let id = &governed.open_proposal_id;
                let request = member_request(body, Some(id), body);
                let member_id = fixtures().member.id();
                let _ = quorate_gov::submit_ballot(&mut tx, &governed.env, &request, id, &member_id);
            }
            b'A' => {
                let governed = governed();
                let mut tx = governed.store.begin();
                let request = member_request(body, None, body);
                let member_id = fixtures().member.id();
                let _ = quorate_gov::update_state_digest(&mut tx, &request, &member_id);
                let _ = quorate_gov::ack_state_digest(&mut tx, &request, &member_id);
            }
            _ => {}
        }
    }
);
