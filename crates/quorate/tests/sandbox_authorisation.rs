//! The authorisation matrix on a node process: every kind of endpoint against every kind of
//! caller (none, an unknown certificate, an expired certificate, user0, member0, the node's own
//! certificate) gets the status its policy says: operator endpoints answer everyone, user
//! endpoints only user0 (401 with CCF's body for the rest), `no_auth` app endpoints everyone,
//! and `/node/join` (`any_cert`) anyone with a certificate but nobody without.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use quorate_crypto::{Certificate, KeyPair, Validity, create_self_signed_certificate};
use quorate_node::client::{ClientTls, request_once};
use support::Sandbox;

const STARTUP: Duration = Duration::from_secs(90);

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Nobody,
    Unknown,
    Expired,
    User,
    Member,
    Node,
}

const EVERYONE: [Who; 6] = [
    Who::Nobody,
    Who::Unknown,
    Who::Expired,
    Who::User,
    Who::Member,
    Who::Node,
];

fn self_signed(validity: Validity) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = create_self_signed_certificate(&key, "stranger", &[], &validity, 7).unwrap();
    (cert, key)
}

fn client(sandbox: &Sandbox, who: Who) -> ClientTls {
    let now = quorate_node::service::unix_now_s();
    let identity = match who {
        Who::Nobody => None,
        Who::User => return sandbox.tls(Some("user0")),
        Who::Member => return sandbox.tls(Some("member0")),
        Who::Unknown => Some(self_signed(Validity {
            not_before_unix_s: now - 60,
            not_after_unix_s: now + 3600,
        })),
        Who::Expired => Some(self_signed(Validity {
            not_before_unix_s: now - 7200,
            not_after_unix_s: now - 3600,
        })),
        Who::Node => {
            let secrets: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(sandbox.node_dir(0).join("node_secrets.json")).unwrap(),
            )
            .unwrap();
            Some((
                Certificate::from_pem(secrets["node_certificate"].as_str().unwrap()).unwrap(),
                KeyPair::from_pem(secrets["node_private_key"].as_str().unwrap()).unwrap(),
            ))
        }
    };
    ClientTls::new(
        &sandbox.service_cert(),
        identity.as_ref().map(|(cert, key)| (cert, key)),
    )
    .unwrap()
}

/// (method, path, body, who may call it, status for them, status for the others)
type Case = (
    Method,
    &'static str,
    &'static str,
    &'static [Who],
    &'static [u16],
    u16,
);

const USER: &[Who] = &[Who::User];
const WITH_CERT: &[Who] = &[
    Who::Unknown,
    Who::Expired,
    Who::User,
    Who::Member,
    Who::Node,
];

fn cases() -> Vec<Case> {
    let open: Vec<(&'static str, &'static [u16])> = vec![
        ("/node/state", &[200]),
        ("/node/version", &[200]),
        ("/node/network", &[200]),
        ("/node/network/nodes", &[200]),
        ("/node/commit", &[200]),
        ("/node/consensus", &[200]),
        ("/node/metrics", &[200]),
        ("/node/primary", &[200, 404]),
        ("/node/ready/app", &[204]),
        ("/node/quotes/self", &[200]),
        ("/app/commit", &[200]),
        ("/app/tx?transaction_id=2.1", &[200]),
        ("/app/receipt?transaction_id=2.2", &[200]),
        ("/app/api", &[200]),
    ];
    let mut cases: Vec<Case> = open
        .into_iter()
        .map(|(path, statuses)| (Method::GET, path, "", &EVERYONE[..], statuses, 0))
        .collect();
    cases.extend([
        (
            Method::POST,
            "/app/log/private",
            r#"{"id": 1, "msg": "m"}"#,
            USER,
            &[200][..],
            401,
        ),
        (
            Method::GET,
            "/app/log/private?id=1",
            "",
            USER,
            &[200, 404][..],
            401,
        ),
        (
            Method::DELETE,
            "/app/log/private?id=2",
            "",
            USER,
            &[200][..],
            401,
        ),
        (
            Method::GET,
            "/app/log/private/count",
            "",
            USER,
            &[200][..],
            401,
        ),
        (
            Method::POST,
            "/app/log/public",
            r#"{"id": 1, "msg": "m"}"#,
            USER,
            &[200][..],
            401,
        ),
        (
            Method::POST,
            "/app/log/private/prefix_cert",
            r#"{"id": 3, "msg": "m"}"#,
            USER,
            &[200][..],
            401,
        ),
        (
            Method::POST,
            "/app/log/private/anonymous",
            r#"{"id": 4, "msg": "m"}"#,
            &EVERYONE[..],
            &[200][..],
            0,
        ),
        // Only whether the policy lets the caller in: the body is not a join request.
        (Method::POST, "/node/join", "{}", WITH_CERT, &[400][..], 401),
    ]);
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_kind_answers_every_caller_as_its_policy_says() {
    let sandbox = Sandbox::start(1, STARTUP);
    let address = sandbox.address(0);
    let mut failures = Vec::new();
    for who in EVERYONE {
        let tls = client(&sandbox, who);
        for (method, path, body, allowed, statuses, refused) in cases() {
            let response = request_once(
                &tls,
                address,
                method.clone(),
                path,
                Bytes::from_static(body.as_bytes()),
            )
            .await;
            let Ok(response) = response else {
                failures.push(format!("{who:?} {method} {path}: no answer {response:?}"));
                continue;
            };
            let status = response.status.as_u16();
            if allowed.contains(&who) {
                if !statuses.contains(&status) {
                    failures.push(format!(
                        "{who:?} {method} {path}: {status}, wanted {statuses:?}"
                    ));
                }
            } else if status != refused
                || response.error_code().as_deref() != Some("InvalidAuthenticationInfo")
            {
                failures.push(format!(
                    "{who:?} {method} {path}: {status} {:?}, wanted {refused} InvalidAuthenticationInfo",
                    response.error_code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
