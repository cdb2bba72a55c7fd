//! Governance end to end over HTTPS against a real node: member0 (the sandbox's) builds a
//! three-member consortium whose new members acknowledge the state and become Active; a
//! proposal needs a strict majority (Open at one vote of three, Accepted at two); votes
//! against never close a proposal under the default constitution (as under CCF's), and do
//! under one whose `resolve` rejects on a majority against; proposers withdraw their own
//! proposals only; replayed and stale proposals are refused; every unauthenticated request
//! gets 401 and records nothing; a proposal whose `apply` throws is Failed with its reason
//! kept; constitutions that do not validate are refused and the old one stays; and a JS app
//! is deployed, kept through a broken redeploy, limited and removed by proposal.
//!
//! One single-node sandbox, with every step run in order against it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};
use quorate_crypto::cose::{GovMsgType, sign_governance_request};
use quorate_crypto::{
    Certificate, KeyPair, Validity, create_self_signed_certificate, random_serial, sha256,
};
use quorate_node::client::{ClientResponse, ClientTls, Connection};
use serde_json::{Value, json};
use support::{Sandbox, eventually};

const STARTUP: Duration = Duration::from_secs(90);
/// Bound on every step together, once the sandbox is open.
const ALL_STEPS: Duration = Duration::from_secs(240);
/// Bound on waiting for the node to serve a newly deployed app or runtime options.
const SETTLE: Duration = Duration::from_secs(30);
const API_VERSION: &str = "2024-07-01";
const CREATE: &str = "/gov/members/proposals:create";
const COSE: &str = "application/cose";

/// CCF's ballots that always vote for and against.
const FOR: &str = "export function vote (proposal, proposerId) { return true }";
const AGAINST: &str = "export function vote (proposal, proposerId) { return false }";

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A member's (or user's) identity: a fresh P-384 key and a self-signed certificate, as CCF's
/// `keygenerator.sh` makes them, or the sandbox's member0.
struct Identity {
    key: KeyPair,
    cert: Certificate,
}

impl Identity {
    fn fresh(name: &str) -> Identity {
        let key = KeyPair::generate().unwrap();
        let now = i64::try_from(now_s()).unwrap();
        let validity = Validity::from_days(now - 60, 365).unwrap();
        let cert =
            create_self_signed_certificate(&key, name, &[], &validity, random_serial().unwrap())
                .unwrap();
        Identity { key, cert }
    }

    fn load(sandbox: &Sandbox, name: &str) -> Identity {
        let read = |file: String| std::fs::read_to_string(sandbox.common().join(file)).unwrap();
        Identity {
            key: KeyPair::from_pem(&read(format!("{name}_privk.pem"))).unwrap(),
            cert: Certificate::from_pem(&read(format!("{name}_cert.pem"))).unwrap(),
        }
    }

    fn id(&self) -> String {
        self.cert.fingerprint_sha256_hex()
    }

    fn pem(&self) -> &str {
        self.cert.pem()
    }

    fn sign_at(
        &self,
        msg_type: GovMsgType,
        created_at_s: u64,
        proposal_id: Option<&str>,
        payload: &[u8],
    ) -> Vec<u8> {
        sign_governance_request(
            &self.key,
            &self.cert,
            msg_type,
            created_at_s,
            proposal_id,
            payload,
        )
        .unwrap()
    }

    fn sign(&self, msg_type: GovMsgType, proposal_id: Option<&str>, payload: &[u8]) -> Vec<u8> {
        self.sign_at(msg_type, now_s(), proposal_id, payload)
    }
}

/// member0 (the sandbox's) and the two members it brings in.
struct Consortium {
    m0: Identity,
    m1: Identity,
    m2: Identity,
}

/// The governance API of node 0, for a client with no TLS identity (members sign instead).
struct Gov {
    tls: ClientTls,
    address: SocketAddr,
}

fn with_version(path: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}api-version={API_VERSION}")
}

fn proposal(actions: &Value) -> Vec<u8> {
    json!({ "actions": actions }).to_string().into_bytes()
}

fn ballot(source: &str) -> Vec<u8> {
    json!({ "ballot": source }).to_string().into_bytes()
}

fn set_user_data(user_id: &str, step: &str) -> Value {
    json!([{"name": "set_user_data", "args": {"user_id": user_id, "user_data": {"step": step}}}])
}

fn set_constitution(constitution: &str) -> Value {
    json!([{"name": "set_constitution", "args": {"constitution": constitution}}])
}

impl Gov {
    /// One request on a fresh connection, with exactly `headers`.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> ClientResponse {
        let mut connection = Connection::connect(&self.tls, self.address).await.unwrap();
        connection
            .request(method, path_and_query, headers, Bytes::from(body))
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> ClientResponse {
        self.send(Method::GET, &with_version(path), &[], Vec::new())
            .await
    }

    async fn get_json(&self, path: &str) -> Value {
        ok(&self.get(path).await, path)
    }

    async fn constitution(&self) -> String {
        let response = self.get("/gov/service/constitution").await;
        assert_eq!(response.status, StatusCode::OK);
        String::from_utf8(response.body.to_vec()).unwrap()
    }

    /// The user's `user_data`. CCF's view answers the whole `users.info` record as `userData`
    /// (`{"user_data": ...}`), and so does Quorate's.
    async fn user_data(&self, user_id: &str) -> Value {
        self.get_json(&format!("/gov/service/users/{user_id}"))
            .await["userData"]["user_data"]
            .clone()
    }

    async fn proposal(&self, proposal_id: &str) -> Value {
        self.get_json(&format!("/gov/members/proposals/{proposal_id}"))
            .await
    }

    /// Every proposal the service keeps, by id.
    async fn proposal_ids(&self) -> Vec<String> {
        let list = self.get_json("/gov/members/proposals").await;
        let mut ids: Vec<String> = list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["proposalId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }

    async fn post_cose(&self, path: &str, envelope: Vec<u8>) -> ClientResponse {
        self.send(
            Method::POST,
            &with_version(path),
            &[("content-type", COSE)],
            envelope,
        )
        .await
    }

    async fn propose(&self, member: &Identity, actions: &Value) -> ClientResponse {
        let envelope = member.sign(GovMsgType::Proposal, None, &proposal(actions));
        self.post_cose(CREATE, envelope).await
    }

    /// Proposes `actions` as `member`; the proposal's view, asserted Open with no ballots.
    async fn open(&self, member: &Identity, actions: &Value) -> (String, Value) {
        let created = ok(&self.propose(member, actions).await, "a proposal");
        assert_eq!(created["proposalState"], "Open", "{created}");
        assert_eq!(created["ballotCount"], 0, "{created}");
        assert_eq!(created["proposerId"], member.id(), "{created}");
        let id = created["proposalId"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 64, "{created}");
        (id, created)
    }

    async fn vote(&self, member: &Identity, proposal_id: &str, source: &str) -> ClientResponse {
        let path = format!(
            "/gov/members/proposals/{proposal_id}/ballots/{}:submit",
            member.id()
        );
        let envelope = member.sign(GovMsgType::Ballot, Some(proposal_id), &ballot(source));
        self.post_cose(&path, envelope).await
    }

    async fn withdraw(&self, member: &Identity, proposal_id: &str) -> ClientResponse {
        let path = format!("/gov/members/proposals/{proposal_id}:withdraw");
        let envelope = member.sign(GovMsgType::Withdrawal, Some(proposal_id), b"");
        self.post_cose(&path, envelope).await
    }

    /// member0 proposes `actions`, member0 and member1 vote for: Open after the first vote,
    /// Accepted at the second. Returns the Accepted view.
    async fn pass(&self, c: &Consortium, actions: &Value) -> Value {
        let (id, _) = self.open(&c.m0, actions).await;
        let first = ok(&self.vote(&c.m0, &id, FOR).await, "member0's vote");
        assert_eq!(first["proposalState"], "Open", "{first}");
        let second = ok(&self.vote(&c.m1, &id, FOR).await, "member1's vote");
        assert_eq!(second["proposalState"], "Accepted", "{second}");
        second
    }
}

/// The body of a 200 answer, as JSON.
fn ok(response: &ClientResponse, what: &str) -> Value {
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response.json().unwrap()
}

/// Asserts CCF's error answer `{"error": {"code", "message"}}` with a message containing
/// `message_part`.
fn refused(response: &ClientResponse, status: u16, code: &str, message_part: &str, what: &str) {
    let body = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status.as_u16(), status, "{what}: {body}");
    assert_eq!(
        response.error_code().as_deref(),
        Some(code),
        "{what}: {body}"
    );
    let message = response.error_message().unwrap_or_default();
    assert!(
        message.contains(message_part),
        "{what}: the message {message:?} does not say {message_part:?}"
    );
}

/// Asserts a 401 with CCF's code, message and challenge.
fn unauthenticated(response: &ClientResponse, message_part: &str, what: &str) {
    refused(
        response,
        401,
        "InvalidAuthenticationInfo",
        message_part,
        what,
    );
    let challenge = response
        .headers
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(challenge.starts_with("COSE-SIGN1"), "{what}: {challenge:?}");
}

/// `original` with its `export function {name}(` renamed to `replacement(` and `addition`
/// appended: a constitution that wraps one of the default's functions.
fn wrap_export(original: &str, name: &str, replacement: &str, addition: &str) -> String {
    let export = format!("export function {name}(");
    assert_eq!(original.matches(&export).count(), 1, "{export}");
    format!(
        "{}\n{addition}\n",
        original.replace(&export, &format!("{replacement}("))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_governance_members_govern_a_live_service() {
    let sandbox = Sandbox::start(1, STARTUP);
    let gov = Gov {
        tls: sandbox.tls(None),
        address: sandbox.address(0),
    };
    let started = Instant::now();
    let steps = async {
        api_version(&gov).await;
        let c = consortium(&gov, Identity::load(&sandbox, "member0")).await;
        let user_id = majority(&gov, &c).await;
        rejection(&gov, &c, &user_id).await;
        withdrawal(&gov, &c, &user_id).await;
        replay(&gov, &c, &user_id).await;
        authentication(&gov, &c, &user_id).await;
        failure(&gov, &c, &user_id).await;
        constitutions_that_do_not_validate(&gov, &c, &user_id).await;
        js_app(&gov, &c, &sandbox.tls(Some("user0"))).await;
    };
    if tokio::time::timeout(ALL_STEPS, steps).await.is_err() {
        sandbox.dump_logs();
        panic!("the governance steps took longer than {ALL_STEPS:?}");
    }
    println!("governance steps took {:?}", started.elapsed());
}

/// Every governance call needs a supported `api-version`.
async fn api_version(gov: &Gov) {
    for (path, method) in [
        ("/gov/service/members", Method::GET),
        (CREATE, Method::POST),
    ] {
        let response = gov.send(method, path, &[], Vec::new()).await;
        refused(
            &response,
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required",
            path,
        );
    }
    let response = gov
        .send(
            Method::GET,
            "/gov/service/members?api-version=2020-01-01",
            &[],
            Vec::new(),
        )
        .await;
    refused(
        &response,
        400,
        "UnsupportedApiVersionValue",
        "Unsupported api-version '2020-01-01'",
        "an unknown version",
    );
}

/// member0 brings in member1 and member2, which are Accepted, may not govern yet, and become
/// Active once each acknowledges the state.
async fn consortium(gov: &Gov, m0: Identity) -> Consortium {
    let c = Consortium {
        m0,
        m1: Identity::fresh("member1"),
        m2: Identity::fresh("member2"),
    };
    let me = gov
        .get_json(&format!("/gov/service/members/{}", c.m0.id()))
        .await;
    assert_eq!(me["status"], "Active", "{me}");

    let actions = json!([
        {"name": "set_member", "args": {"cert": c.m1.pem(), "member_data": {"name": "member1"}}},
        {"name": "set_member", "args": {"cert": c.m2.pem()}},
    ]);
    let (id, _) = gov.open(&c.m0, &actions).await;
    // One active member: member0's vote is a majority.
    let accepted = ok(&gov.vote(&c.m0, &id, FOR).await, "set_member vote");
    assert_eq!(accepted["proposalState"], "Accepted", "{accepted}");
    assert_eq!(accepted["finalVotes"], json!({ c.m0.id(): true }));
    for (member, data) in [(&c.m1, json!({"name": "member1"})), (&c.m2, Value::Null)] {
        let view = gov
            .get_json(&format!("/gov/service/members/{}", member.id()))
            .await;
        assert_eq!(view["memberId"], member.id());
        assert_eq!(view["status"], "Accepted", "{view}");
        assert_eq!(view["memberData"], data, "{view}");
        assert_eq!(view["certificate"], member.pem(), "{view}");
        assert_eq!(view["recoveryRole"], "NonParticipant", "{view}");
    }

    // An Accepted member may neither propose nor vote.
    let before = gov.proposal_ids().await;
    let user_actions = json!([{"name": "set_user", "args": {"cert": Identity::fresh("u").pem()}}]);
    unauthenticated(
        &gov.propose(&c.m1, &user_actions).await,
        "Signer is not an ACTIVE member",
        "an Accepted member's proposal",
    );
    assert_eq!(gov.proposal_ids().await, before, "nothing recorded");

    for (member, other) in [(&c.m1, &c.m2), (&c.m2, &c.m1)] {
        acknowledge(gov, member, other).await;
    }
    c
}

/// `member` refreshes its state digest, signs it back and becomes Active; `other` (and a
/// wrong digest) cannot do it for it.
async fn acknowledge(gov: &Gov, member: &Identity, other: &Identity) {
    let id = member.id();
    let digests = format!("/gov/members/state-digests/{id}");
    let recorded = gov.get_json(&digests).await;
    assert_eq!(recorded["memberId"], id);
    assert_eq!(
        recorded["stateDigest"].as_str().map(str::len),
        Some(64),
        "{recorded}"
    );

    let update = format!("{digests}:update");
    unauthenticated(
        &gov.post_cose(&update, other.sign(GovMsgType::StateDigest, None, b""))
            .await,
        "does not match member ID from body signature",
        "another member's update",
    );
    let updated = ok(
        &gov.post_cose(&update, member.sign(GovMsgType::StateDigest, None, b""))
            .await,
        "update",
    );
    assert_eq!(updated["memberId"], id);
    let digest = updated["stateDigest"].as_str().unwrap().to_owned();
    assert_eq!(gov.get_json(&digests).await["stateDigest"], digest.as_str());

    let ack = format!("{digests}:ack");
    let wrong = json!({ "stateDigest": "ab".repeat(32) }).to_string();
    refused(
        &gov.post_cose(&ack, member.sign(GovMsgType::Ack, None, wrong.as_bytes()))
            .await,
        400,
        "StateDigestMismatch",
        "Submitted state digest is not valid",
        "a wrong digest",
    );
    let member_path = format!("/gov/service/members/{id}");
    assert_eq!(gov.get_json(&member_path).await["status"], "Accepted");

    let right = json!({ "stateDigest": digest }).to_string();
    let acked = gov
        .post_cose(&ack, member.sign(GovMsgType::Ack, None, right.as_bytes()))
        .await;
    assert_eq!(
        acked.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&acked.body)
    );
    assert_eq!(gov.get_json(&member_path).await["status"], "Active");
}

/// With three active members, a proposal is Open at one vote and Accepted at the second,
/// and only then applied. Returns the id of the user it registers.
async fn majority(gov: &Gov, c: &Consortium) -> String {
    let user = Identity::fresh("user1");
    let user_id = user.id();
    let user_path = format!("/gov/service/users/{user_id}");
    refused(
        &gov.get(&user_path).await,
        404,
        "ResourceNotFound",
        "does not exist",
        "the user before",
    );
    let actions = json!([{"name": "set_user",
                          "args": {"cert": user.pem(), "user_data": {"step": "majority"}}}]);
    let (id, _) = gov.open(&c.m0, &actions).await;

    let one = ok(&gov.vote(&c.m0, &id, FOR).await, "first vote");
    assert_eq!(one["proposalState"], "Open", "{one}");
    assert_eq!(one["ballotCount"], 1, "{one}");
    assert!(one.get("finalVotes").is_none(), "{one}");
    let seen = gov.proposal(&id).await;
    assert_eq!(seen["proposalState"], "Open");
    assert_eq!(seen["ballotCount"], 1);
    refused(
        &gov.get(&user_path).await,
        404,
        "ResourceNotFound",
        "does not exist",
        "the user while Open",
    );
    let source = gov
        .get(&format!(
            "/gov/members/proposals/{id}/ballots/{}",
            c.m0.id()
        ))
        .await;
    assert_eq!(source.status, StatusCode::OK);
    assert_eq!(source.body.as_ref(), FOR.as_bytes());
    let proposed = gov
        .get_json(&format!("/gov/members/proposals/{id}/actions"))
        .await;
    assert_eq!(proposed, json!({ "actions": actions }));

    // A ballot at another member's path, or signed for another proposal, is refused.
    let elsewhere = format!("/gov/members/proposals/{id}/ballots/{}:submit", c.m1.id());
    refused(
        &gov.post_cose(
            &elsewhere,
            c.m0.sign(GovMsgType::Ballot, Some(&id), &ballot(FOR)),
        )
        .await,
        400,
        "InvalidResourceName",
        "Authenticated member id does not match URL",
        "a ballot at another member's path",
    );
    refused(
        &gov.post_cose(
            &elsewhere,
            c.m1.sign(GovMsgType::Ballot, Some(&"0".repeat(64)), &ballot(FOR)),
        )
        .await,
        400,
        "InvalidResourceName",
        "Authenticated proposal id does not match URL",
        "a ballot signed for another proposal",
    );
    refused(
        &gov.post_cose(
            &elsewhere,
            c.m1.sign(GovMsgType::Ballot, Some(&id), b"{\"vote\": true}"),
        )
        .await,
        400,
        "InvalidInput",
        "required string field \"ballot\"",
        "a ballot without a ballot",
    );
    assert_eq!(gov.proposal(&id).await["ballotCount"], 1);

    // The same ballot again answers as before; a different one is refused.
    let again = ok(&gov.vote(&c.m0, &id, FOR).await, "the same ballot again");
    assert_eq!(again["ballotCount"], 1, "{again}");
    refused(
        &gov.vote(&c.m0, &id, AGAINST).await,
        400,
        "VoteAlreadyExists",
        "Different ballot already submitted",
        "a second, different ballot",
    );

    let two = ok(&gov.vote(&c.m1, &id, FOR).await, "second vote");
    assert_eq!(two["proposalState"], "Accepted", "{two}");
    assert_eq!(two["ballotCount"], 2, "{two}");
    assert_eq!(
        two["finalVotes"],
        json!({ c.m0.id(): true, c.m1.id(): true })
    );
    let registered = gov.get_json(&user_path).await;
    assert_eq!(
        registered["userData"],
        json!({"user_data": {"step": "majority"}})
    );
    assert_eq!(registered["certificate"], user.pem());

    refused(
        &gov.vote(&c.m2, &id, FOR).await,
        400,
        "ProposalNotOpen",
        "only Open proposals can receive votes",
        "a vote on an Accepted proposal",
    );
    refused(
        &gov.withdraw(&c.m0, &id).await,
        400,
        "ProposalNotOpen",
        &format!("Proposal {id} is currently in state Accepted and cannot be withdrawn."),
        "withdrawing an Accepted proposal",
    );
    refused(
        &gov.get(&format!(
            "/gov/members/proposals/{id}/ballots/{}",
            c.m2.id()
        ))
        .await,
        404,
        "VoteNotFound",
        &format!("Member {} has not voted for proposal {id}.", c.m2.id()),
        "a ballot never cast",
    );
    user_id
}

/// Resolving as CCF's default does, never "Rejected"; rejecting once a majority votes against.
const REJECTING_RESOLVE: &str = r"
export function resolve(proposal, proposerId, votes, proposalId) {
  const against = votes.filter((ballot) => !ballot.vote).length;
  if (against > Math.floor(countActiveMembers() / 2)) {
    return 'Rejected';
  }
  return defaultResolve(proposal, proposerId, votes, proposalId);
}";

/// Votes against leave a proposal Open under the default constitution (CCF's default
/// `resolve` only ever accepts); under a constitution that rejects on a majority against, two
/// votes against reject it and nothing is applied.
async fn rejection(gov: &Gov, c: &Consortium, user_id: &str) {
    let (lingering, _) = gov.open(&c.m0, &set_user_data(user_id, "against")).await;
    for (count, member) in [(1, &c.m1), (2, &c.m2)] {
        let view = ok(&gov.vote(member, &lingering, AGAINST).await, "against");
        assert_eq!(view["proposalState"], "Open", "{view}");
        assert_eq!(view["ballotCount"], count, "{view}");
    }

    let original = gov.constitution().await;
    let rejecting = wrap_export(
        &original,
        "resolve",
        "function defaultResolve",
        REJECTING_RESOLVE,
    );
    gov.pass(c, &set_constitution(&rejecting)).await;
    assert_eq!(gov.constitution().await, rejecting);
    // A new constitution drops the proposals still Open.
    assert_eq!(gov.proposal(&lingering).await["proposalState"], "Dropped");
    refused(
        &gov.vote(&c.m0, &lingering, FOR).await,
        400,
        "ProposalNotOpen",
        "currently in state Dropped",
        "a vote on a Dropped proposal",
    );

    let (id, _) = gov.open(&c.m0, &set_user_data(user_id, "rejected")).await;
    let one = ok(&gov.vote(&c.m1, &id, AGAINST).await, "first against");
    assert_eq!(one["proposalState"], "Open", "{one}");
    let two = ok(&gov.vote(&c.m2, &id, AGAINST).await, "second against");
    assert_eq!(two["proposalState"], "Rejected", "{two}");
    assert_eq!(
        two["finalVotes"],
        json!({ c.m1.id(): false, c.m2.id(): false })
    );
    assert_eq!(gov.proposal(&id).await["proposalState"], "Rejected");
    assert_eq!(gov.user_data(user_id).await, json!({"step": "majority"}));
    refused(
        &gov.vote(&c.m0, &id, FOR).await,
        400,
        "ProposalNotOpen",
        "currently in state Rejected",
        "a vote on a Rejected proposal",
    );

    gov.pass(c, &set_constitution(&original)).await;
    assert_eq!(gov.constitution().await, original);
}

/// Only the proposer withdraws; a withdrawn proposal takes no votes; withdrawing what does
/// not exist succeeds with nothing to say.
async fn withdrawal(gov: &Gov, c: &Consortium, user_id: &str) {
    let (id, _) = gov.open(&c.m0, &set_user_data(user_id, "withdrawn")).await;
    refused(
        &gov.withdraw(&c.m1, &id).await,
        403,
        "AuthorizationFailed",
        &format!(
            "can only be withdrawn by proposer {}, not caller {}",
            c.m0.id(),
            c.m1.id()
        ),
        "another member's withdrawal",
    );
    assert_eq!(gov.proposal(&id).await["proposalState"], "Open");

    let withdrawn = ok(&gov.withdraw(&c.m0, &id).await, "withdrawal");
    assert_eq!(withdrawn["proposalState"], "Withdrawn", "{withdrawn}");
    let again = ok(&gov.withdraw(&c.m0, &id).await, "second withdrawal");
    assert_eq!(again["proposalState"], "Withdrawn", "{again}");
    assert_eq!(gov.proposal(&id).await["proposalState"], "Withdrawn");
    refused(
        &gov.vote(&c.m1, &id, FOR).await,
        400,
        "ProposalNotOpen",
        "currently in state Withdrawn",
        "a vote on a Withdrawn proposal",
    );

    let unknown = hex::encode(sha256(b"no such proposal"));
    refused(
        &gov.get(&format!("/gov/members/proposals/{unknown}")).await,
        404,
        "ProposalNotFound",
        &format!("Could not find proposal {unknown}."),
        "an unknown proposal",
    );
    refused(
        &gov.vote(&c.m1, &unknown, FOR).await,
        404,
        "ProposalNotFound",
        &format!("Could not find proposal {unknown}."),
        "a vote on an unknown proposal",
    );
    let gone = gov.withdraw(&c.m0, &unknown).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(gone.body.is_empty());
    refused(
        &gov.withdraw(&c.m0, "not-a-proposal").await,
        400,
        "InvalidResourceName",
        "'not-a-proposal' is not a valid hex-encoded proposal ID",
        "a malformed proposal id",
    );
    assert_eq!(gov.user_data(user_id).await, json!({"step": "majority"}));
}

/// The same envelope twice is a replay; a proposal created long before the recent ones is
/// too old; neither is recorded.
async fn replay(gov: &Gov, c: &Consortium, user_id: &str) {
    let payload = proposal(&set_user_data(user_id, "replayed"));
    let envelope = c.m0.sign(GovMsgType::Proposal, None, &payload);
    let first = ok(&gov.post_cose(CREATE, envelope.clone()).await, "first");
    assert_eq!(first["proposalState"], "Open");
    let first_id = first["proposalId"].as_str().unwrap().to_owned();
    let before = gov.proposal_ids().await;
    refused(
        &gov.post_cose(CREATE, envelope).await,
        400,
        "ProposalReplay",
        &format!("Proposal submission replay, already exists as proposal {first_id}"),
        "the same envelope again",
    );

    let stale =
        c.m0.sign_at(GovMsgType::Proposal, now_s() - 86_400, None, &payload);
    refused(
        &gov.post_cose(CREATE, stale).await,
        400,
        "ProposalCreatedTooLongAgo",
        "Proposal created too long ago, created_at must be greater than",
        "a day-old proposal",
    );
    let beyond =
        c.m0.sign_at(GovMsgType::Proposal, 10_000_000_000, None, &payload);
    refused(
        &gov.post_cose(CREATE, beyond).await,
        400,
        "InvalidCreatedAt",
        "created_at value is too large",
        "a created_at past the window's key",
    );
    assert_eq!(gov.proposal_ids().await, before, "nothing recorded");
    ok(
        &gov.withdraw(&c.m0, &first_id).await,
        "withdrawing the first",
    );
}

/// Requests that are not a valid signature by an Active member of the right message type get
/// 401 with CCF's challenge, and change nothing.
async fn authentication(gov: &Gov, c: &Consortium, user_id: &str) {
    let payload = proposal(&set_user_data(user_id, "unauthenticated"));
    let stranger = Identity::fresh("stranger");
    let mut tampered = c.m0.sign(GovMsgType::Proposal, None, &payload);
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let before = gov.proposal_ids().await;
    let cases: [(&str, Option<&str>, Vec<u8>, &str); 6] = [
        (
            "a JSON body",
            Some("application/json"),
            payload.clone(),
            "Content type is not set to application/cose",
        ),
        (
            "no content type",
            None,
            c.m0.sign(GovMsgType::Proposal, None, &payload),
            "Missing content-type header",
        ),
        (
            "an unsigned body",
            Some(COSE),
            payload.clone(),
            "Invalid COSE Sign1",
        ),
        (
            "a kid naming no member",
            Some(COSE),
            stranger.sign(GovMsgType::Proposal, None, &payload),
            "Signer is not a known member",
        ),
        (
            "a flipped signature byte",
            Some(COSE),
            tampered,
            "Failed to validate COSE Sign1",
        ),
        (
            "a ballot type on a proposal",
            Some(COSE),
            c.m0.sign(GovMsgType::Ballot, Some(&"0".repeat(64)), &payload),
            "Found ccf.gov.msg.type set to ballot, expected ccf.gov.msg.type to be proposal",
        ),
    ];
    for (what, content_type, body, message) in cases {
        let headers: Vec<(&str, &str)> = content_type
            .map(|value| vec![("content-type", value)])
            .unwrap_or_default();
        let response = gov
            .send(Method::POST, &with_version(CREATE), &headers, body)
            .await;
        unauthenticated(&response, message, what);
    }
    assert_eq!(gov.proposal_ids().await, before, "nothing recorded");

    // A ballot signed as a proposal, a withdrawal signed as a ballot: refused, unrecorded.
    let (id, _) = gov.open(&c.m0, &set_user_data(user_id, "typed")).await;
    let as_proposal = c.m1.sign(GovMsgType::Proposal, None, &ballot(FOR));
    unauthenticated(
        &gov.post_cose(
            &format!("/gov/members/proposals/{id}/ballots/{}:submit", c.m1.id()),
            as_proposal,
        )
        .await,
        "Found ccf.gov.msg.type set to proposal, expected ccf.gov.msg.type to be ballot",
        "a ballot signed as a proposal",
    );
    let as_ballot = c.m0.sign(GovMsgType::Ballot, Some(&id), b"");
    unauthenticated(
        &gov.post_cose(&format!("/gov/members/proposals/{id}:withdraw"), as_ballot)
            .await,
        "Found ccf.gov.msg.type set to ballot, expected ccf.gov.msg.type to be withdrawal",
        "a withdrawal signed as a ballot",
    );
    let unchanged = gov.proposal(&id).await;
    assert_eq!(unchanged["proposalState"], "Open", "{unchanged}");
    assert_eq!(unchanged["ballotCount"], 0, "{unchanged}");
    ok(&gov.withdraw(&c.m0, &id).await, "withdrawing");
    assert_eq!(gov.user_data(user_id).await, json!({"step": "majority"}));
}

const REFUSAL: &str = "this constitution refuses to apply set_user_data";

/// An `apply` that throws for proposals with a `set_user_data` action.
const REFUSING_APPLY: &str = r#"
export function apply(proposal, proposalId) {
  if (JSON.parse(proposal).actions.some((action) => action.name === "set_user_data")) {
    throw new Error("this constitution refuses to apply set_user_data");
  }
  return defaultApply(proposal, proposalId);
}"#;

/// A proposal whose `apply` throws is Failed: 500 with CCF's message (the reason, then the
/// trace), nothing applied, and a later proposal restores the constitution. Quorate commits
/// the Failed record, so the proposal's view keeps the reason (CCF discards the whole
/// transaction of a failed proposal; see `GovError::ProposalFailed`).
async fn failure(gov: &Gov, c: &Consortium, user_id: &str) {
    let original = gov.constitution().await;
    let refusing = wrap_export(&original, "apply", "function defaultApply", REFUSING_APPLY);
    gov.pass(c, &set_constitution(&refusing)).await;
    assert_eq!(gov.constitution().await, refusing);

    let (id, _) = gov.open(&c.m0, &set_user_data(user_id, "failed")).await;
    let first = ok(&gov.vote(&c.m0, &id, FOR).await, "first vote");
    assert_eq!(first["proposalState"], "Open");
    // CCF's answer: the failure's reason, then its trace.
    let failed = gov.vote(&c.m1, &id, FOR).await;
    refused(
        &failed,
        500,
        "InternalError",
        "Failed to apply(): ",
        "the accepting vote",
    );
    let message = failed.error_message().unwrap();
    let (reason, trace) = message.split_once('\n').unwrap();
    assert!(reason.starts_with("Failed to apply(): "), "{message}");
    assert!(reason.contains(REFUSAL), "{message}");
    assert!(trace.starts_with("Trace: "), "{message}");
    let view = gov.proposal(&id).await;
    assert_eq!(view["proposalState"], "Failed", "{view}");
    let reason = view["failure"]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("Failed to apply(): "), "{view}");
    assert!(reason.contains(REFUSAL), "{view}");
    assert_eq!(
        view["finalVotes"],
        json!({ c.m0.id(): true, c.m1.id(): true })
    );
    assert_eq!(gov.user_data(user_id).await, json!({"step": "majority"}));

    gov.pass(c, &set_constitution(&original)).await;
    assert_eq!(gov.constitution().await, original);
}

/// A constitution that does not compile, or lacks an export, fails the proposal's validation;
/// the constitution in force stays and still governs.
async fn constitutions_that_do_not_validate(gov: &Gov, c: &Consortium, user_id: &str) {
    let original = gov.constitution().await;
    let no_apply = original.replace(
        "export function apply(proposal, proposalId)",
        "function apply(proposal, proposalId)",
    );
    assert_ne!(no_apply, original);
    for (what, constitution, message) in [
        (
            "a syntax error",
            "export function validate(input) { return { valid: true ".to_owned(),
            "Failed to compile proposed constitution",
        ),
        (
            "no apply export",
            no_apply,
            "Failed to find export 'apply' in module 'proposed constitution'",
        ),
    ] {
        let response = gov.propose(&c.m0, &set_constitution(&constitution)).await;
        refused(
            &response,
            400,
            "ProposalFailedToValidate",
            "Proposal failed to validate: set_constitution at position 0 failed validation: ",
            what,
        );
        let full = response.error_message().unwrap();
        assert!(full.contains(message), "{what}: {full}");
    }
    assert_eq!(gov.constitution().await, original);
    gov.pass(c, &set_user_data(user_id, "still governed")).await;
    assert_eq!(
        gov.user_data(user_id).await,
        json!({"step": "still governed"})
    );
}

const APP_MODULE: &str = r#"export function hello(request) {
  return { body: { hello: "governed" } };
}
export function busy(request) {
  const end = Date.now() + 500;
  while (Date.now() < end) {}
  return { body: { busy: "done" } };
}
"#;

fn bundle(module: &str) -> Value {
    let endpoint = |function: &str| {
        json!({"js_module": "governed.js", "js_function": function, "mode": "readonly",
               "forwarding_required": "sometimes", "authn_policies": ["user_cert"]})
    };
    json!({
        "modules": [{"name": "governed.js", "module": module}],
        "metadata": {"endpoints": {
            "/governed/hello": {"get": endpoint("hello")},
            "/governed/busy": {"get": endpoint("busy")},
        }},
    })
}

fn runtime_options(max_execution_time_ms: u64) -> Value {
    json!([{"name": "set_js_runtime_options", "args": {
        "max_heap_bytes": 100 * 1024 * 1024,
        "max_stack_bytes": 1024 * 1024,
        "max_execution_time_ms": max_execution_time_ms,
    }}])
}

/// Waits until `path`, called as user0, answers `status`; returns the answer.
async fn app_answers(
    gov: &Gov,
    user: &ClientTls,
    path: &str,
    status: StatusCode,
) -> ClientResponse {
    eventually(SETTLE, &format!("{path} to answer {status}"), || {
        let user = user.clone();
        let address = gov.address;
        async move {
            let mut connection = Connection::connect(&user, address).await.ok()?;
            let response = connection.get(path).await.ok()?;
            (response.status == status).then_some(response)
        }
    })
    .await
}

/// A JS app deployed by proposal serves; a broken redeploy Fails and the app keeps serving;
/// runtime options limit it; removing it by proposal takes its endpoints away.
async fn js_app(gov: &Gov, c: &Consortium, user: &ClientTls) {
    let hello = "/app/governed/hello";
    let busy = "/app/governed/busy";
    let module_path = "/gov/service/javascript-modules/%2Fgoverned.js";
    app_answers(gov, user, hello, StatusCode::NOT_FOUND).await;

    gov.pass(
        c,
        &json!([{"name": "set_js_app", "args": {"bundle": bundle(APP_MODULE)}}]),
    )
    .await;
    let answer = app_answers(gov, user, hello, StatusCode::OK).await;
    assert_eq!(answer.json().unwrap(), json!({"hello": "governed"}));
    let app = gov.get_json("/gov/service/javascript-app").await;
    assert_eq!(
        app["endpoints"]["/governed/hello"]["get"]["jsFunction"], "hello",
        "{app}"
    );
    let module = gov.get(module_path).await;
    assert_eq!(module.status, StatusCode::OK);
    assert_eq!(module.body.as_ref(), APP_MODULE.as_bytes());

    // A module with a syntax error fails the proposal that deploys it.
    let broken = json!([{"name": "set_js_app",
                         "args": {"bundle": bundle("export function hello(request) { return {")}}]);
    let (id, _) = gov.open(&c.m0, &broken).await;
    ok(&gov.vote(&c.m0, &id, FOR).await, "first vote");
    refused(
        &gov.vote(&c.m1, &id, FOR).await,
        500,
        "InternalError",
        "Failed to apply(): ",
        "the broken app's accepting vote",
    );
    let view = gov.proposal(&id).await;
    assert_eq!(view["proposalState"], "Failed", "{view}");
    assert!(
        view["failure"]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("governed.js")),
        "{view}"
    );
    let still = app_answers(gov, user, hello, StatusCode::OK).await;
    assert_eq!(still.json().unwrap(), json!({"hello": "governed"}));
    assert_eq!(
        gov.get(module_path).await.body.as_ref(),
        APP_MODULE.as_bytes()
    );

    // Runtime options: a handler busy for 500 ms runs under the default 1 s limit, not under
    // 200 ms, and does again once the limit is back.
    let done = app_answers(gov, user, busy, StatusCode::OK).await;
    assert_eq!(done.json().unwrap(), json!({"busy": "done"}));
    gov.pass(c, &runtime_options(200)).await;
    let stopped = app_answers(gov, user, busy, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(stopped.error_code().as_deref(), Some("JSException"));
    app_answers(gov, user, hello, StatusCode::OK).await;
    gov.pass(c, &runtime_options(1000)).await;
    app_answers(gov, user, busy, StatusCode::OK).await;

    gov.pass(c, &json!([{"name": "remove_js_app", "args": {}}]))
        .await;
    app_answers(gov, user, hello, StatusCode::NOT_FOUND).await;
    let app = gov.get_json("/gov/service/javascript-app").await;
    assert_eq!(app, json!({"endpoints": {}}));
    refused(
        &gov.get(module_path).await,
        404,
        "ResourceNotFound",
        "does not exist",
        "the removed module",
    );
}
