//! Shared fixtures of Quorate's fuzz targets: fixed identities, a store seeded the way a
//! running service holds it, the node's client-facing router with the logging app mounted,
//! and the seed inputs each target's committed corpus was made from.
//!
//! Nothing here is random: every key comes from a fixed seed, so a crashing input replays the
//! same way on any machine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod channels;
pub mod http_input;
pub mod seeds;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{Method, Uri, Version};
use quorate_crypto::{Certificate, KeyPair, Validity, create_self_signed_certificate};
use quorate_kv::{CommitOutcome, LedgerSecret, Store};
use quorate_ledger::generate::run::{LEDGER_SECRET_FILE, SERVICE_CERT_FILE};
use quorate_ledger::generate::{GenerateOptions, generate_ledger};
use quorate_ledger::tables;
use quorate_node::app::{App, AppAuth, AppHandler, HistoricalState};
use quorate_node::frontend::{
    AuthPolicy, AuthnIdentity, Caller, CertificateLookup, Endpoint, EndpointRequest,
    EndpointResponse, ExecutionMode, ForwardingRule, IdentityLookup, JwtKeyLookup, JwtSigningKey,
    KnownIdentity, Router,
};
use serde_json::{Value, json};

/// 2023-11-14T22:13:20Z: every certificate here is valid from then.
pub const NOW_S: i64 = 1_700_000_000;

/// A member or user: a key from a fixed seed and its self-signed certificate.
pub struct Identity {
    pub key: KeyPair,
    pub cert: Certificate,
}

impl Identity {
    pub fn new(seed: u8, name: &str) -> Identity {
        let key = KeyPair::from_seed(&[seed; 32]).expect("seeded key");
        let validity = Validity::from_days(NOW_S, 3650).expect("validity");
        let cert = create_self_signed_certificate(&key, name, &[], &validity, u64::from(seed))
            .expect("certificate");
        Identity { key, cert }
    }

    /// CCF's member or user id: hex SHA-256 of the certificate DER.
    pub fn id(&self) -> String {
        self.cert.fingerprint_sha256_hex()
    }

    pub fn caller(&self) -> Caller {
        Caller::from_certificate_der(self.cert.der())
    }
}

/// The identities every target shares.
pub struct Fixtures {
    pub user: Identity,
    pub member: Identity,
    /// A certificate nobody registered.
    pub stranger: Identity,
    /// `member0` of CCF's own test vectors (its key was thrown away; only its certificate is
    /// kept, to check the envelopes CCF's `ccf_cose_sign1` signed with it).
    pub ccf_member0: Certificate,
}

pub const CCF_MEMBER0_CERT_PEM: &str =
    include_str!("../../crates/crypto/tests/vectors/member0_cert.pem");
pub const CCF_PROPOSAL_COSE: &[u8] =
    include_bytes!("../../crates/crypto/tests/vectors/proposal.cose");
pub const CCF_BALLOT_COSE: &[u8] = include_bytes!("../../crates/crypto/tests/vectors/ballot.cose");

pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures {
        user: Identity::new(2, "user0"),
        member: Identity::new(3, "member1"),
        stranger: Identity::new(4, "stranger"),
        ccf_member0: Certificate::from_pem(CCF_MEMBER0_CERT_PEM).expect("CCF member0 cert"),
    })
}

/// Standard base64 with padding (how governance stores key DER).
pub fn base64_standard(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}

/// A store as a service that has been governed a little holds it: the default constitution,
/// service info and config, one user, two Active members (ours and CCF's `member0`), and a
/// logging-app record at id 1 in both domains. Returns the store and the write set of the
/// record's transaction (what a historical handler is given).
pub fn seeded_store() -> (Store, HistoricalState) {
    let f = fixtures();
    let store = Store::new();
    let mut tx = store.begin();
    let singleton = tables::SINGLETON_KEY.to_vec();
    tx.put(
        tables::SERVICE_INFO,
        singleton.clone(),
        json_bytes(&json!({"cert": f.member.cert.pem(), "status": "Open", "recovery_count": 0})),
    );
    tx.put(
        tables::SERVICE_CONFIG,
        singleton.clone(),
        json_bytes(&json!({
            "recovery_threshold": 1,
            "maximum_node_certificate_validity_days": 365,
            "maximum_service_certificate_validity_days": 365,
            "recent_cose_proposals_window_size": 100,
        })),
    );
    tx.put(
        tables::CONSTITUTION,
        singleton,
        json_bytes(&Value::String(quorate_gov::DEFAULT_CONSTITUTION.to_owned())),
    );
    let members = [
        (f.member.id(), f.member.cert.pem().to_owned()),
        (
            f.ccf_member0.fingerprint_sha256_hex(),
            f.ccf_member0.pem().to_owned(),
        ),
    ];
    for (id, pem) in members {
        tx.put(
            tables::MEMBERS_CERTS,
            id.clone().into_bytes(),
            pem.into_bytes(),
        );
        tx.put(
            tables::MEMBERS_INFO,
            id.into_bytes(),
            json_bytes(&json!({"status": "Active", "member_data": {"name": "m"}})),
        );
    }
    tx.put(
        tables::USERS_CERTS,
        f.user.id().into_bytes(),
        f.user.cert.pem().as_bytes().to_vec(),
    );
    tx.put(
        tables::USERS_INFO,
        f.user.id().into_bytes(),
        json_bytes(&json!({"user_data": {"role": "writer"}})),
    );
    tx.put(
        tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2,
        JWT_KID.as_bytes().to_vec(),
        json_bytes(&json!([{
            "public_key": base64_standard(f.member.key.public_key().spki_der()),
            "issuer": JWT_ISSUER,
        }])),
    );
    let Ok(CommitOutcome::Committed { .. }) = store.commit(tx) else {
        panic!("seeding the store failed");
    };

    // The record is written by the logging app itself, as a client would write it.
    let mut tx = store.begin();
    for path in ["/log/private", "/log/public"] {
        let request = endpoint_request(
            Method::POST,
            &format!("/app{path}"),
            br#"{"id": 1, "msg": "hello"}"#,
        );
        let handler = logging_handler(Method::POST, path);
        let AppHandler::ReadWrite(handler) = handler else {
            panic!("POST {path} is not read-write");
        };
        let response = handler(&request, &mut tx);
        assert!(response.status.is_success(), "seeding {path}: {response:?}");
    }
    let Ok(CommitOutcome::Committed {
        txid, write_set, ..
    }) = store.commit(tx)
    else {
        panic!("seeding the record failed");
    };
    (store, HistoricalState { txid, write_set })
}

fn logging_handler(method: Method, path: &str) -> AppHandler {
    quorate_app_logging::LoggingApp
        .endpoints()
        .into_iter()
        .find(|e| e.method == method && e.path == path)
        .map(|e| e.handler)
        .expect("logging endpoint")
}

/// A request as a handler sees it, from the user, for seeding.
fn endpoint_request(method: Method, path: &str, body: &[u8]) -> EndpointRequest {
    let f = fixtures();
    EndpointRequest {
        method,
        uri: Uri::try_from(path).expect("uri"),
        version: Version::HTTP_11,
        headers: http::HeaderMap::new(),
        body: Bytes::copy_from_slice(body),
        path_params: Default::default(),
        caller: Arc::new(f.user.caller()),
        identity: AuthnIdentity::User(quorate_node::frontend::CertificateIdentity {
            id: f.user.id(),
            data: Value::Null,
        }),
        mode: ExecutionMode::ReadWrite,
        forwarding: ForwardingRule::Sometimes,
    }
}

/// Users and members as the node looks them up (`service::context::TableLookup`): the id is
/// a key of the certs table; data and a member's status come from the info table.
struct TableLookup {
    store: Arc<Store>,
    certs: &'static str,
    info: &'static str,
    data_field: &'static str,
}

impl TableLookup {
    fn info(&self, tx: &mut quorate_kv::Tx, id: &str) -> Option<Value> {
        tx.get(self.info, id.as_bytes())
            .and_then(|info| serde_json::from_slice::<Value>(&info).ok())
    }

    fn data(&self, info: Option<&Value>) -> Value {
        info.and_then(|info| info.get(self.data_field).cloned())
            .unwrap_or(Value::Null)
    }
}

impl CertificateLookup for TableLookup {
    fn lookup(&self, fingerprint_sha256_hex: &str) -> Option<Value> {
        let mut tx = self.store.begin();
        tx.get(self.certs, fingerprint_sha256_hex.as_bytes())?;
        let info = self.info(&mut tx, fingerprint_sha256_hex);
        Some(self.data(info.as_ref()))
    }
}

impl IdentityLookup for TableLookup {
    fn identity(&self, id: &str) -> Option<KnownIdentity> {
        let mut tx = self.store.begin();
        let cert = tx.get(self.certs, id.as_bytes())?;
        let info = self.info(&mut tx, id);
        let active = info
            .as_ref()
            .and_then(|info| info.get("status"))
            .and_then(Value::as_str)
            == Some("Active");
        Some(KnownIdentity {
            cert_pem: String::from_utf8_lossy(&cert).into_owned(),
            data: self.data(info.as_ref()),
            active,
        })
    }
}

/// JWT signing keys by `kid`, as governance stores them.
struct JwtKeys {
    store: Arc<Store>,
}

impl JwtKeyLookup for JwtKeys {
    fn signing_keys(&self, kid: &str) -> Result<Vec<JwtSigningKey>, String> {
        let mut tx = self.store.begin();
        match tx.get(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2, kid.as_bytes()) {
            None => Ok(Vec::new()),
            Some(value) => JwtSigningKey::list_from_kv(&value),
        }
    }
}

/// The `kid` of the JWT signing key in the seeded store (our member's P-384 key).
pub const JWT_KID: &str = "fuzz-kid";
pub const JWT_ISSUER: &str = "https://issuer.example";

/// The node's check behind each declared policy (`service::endpoints::mount::auth_policy`).
fn auth_policy(store: &Arc<Store>, auth: &AppAuth) -> AuthPolicy {
    let users = || TableLookup {
        store: Arc::clone(store),
        certs: tables::USERS_CERTS,
        info: tables::USERS_INFO,
        data_field: "user_data",
    };
    let members = || TableLookup {
        store: Arc::clone(store),
        certs: tables::MEMBERS_CERTS,
        info: tables::MEMBERS_INFO,
        data_field: "member_data",
    };
    match auth {
        AppAuth::UserCert => AuthPolicy::UserCert(Arc::new(users())),
        AppAuth::MemberCert => AuthPolicy::MemberCert(Arc::new(members())),
        AppAuth::AnyCert => AuthPolicy::AnyCert,
        AppAuth::NoAuth => AuthPolicy::NoAuth,
        AppAuth::Jwt => AuthPolicy::jwt(JwtKeys {
            store: Arc::clone(store),
        }),
        AppAuth::UserCoseSign1 => AuthPolicy::user_cose_sign1(users()),
        AppAuth::TypedUserCoseSign1(msg_type) => {
            AuthPolicy::typed_user_cose_sign1(users(), msg_type.clone())
        }
        AppAuth::MemberCoseSign1 => AuthPolicy::member_cose_sign1(members(), false),
        AppAuth::ActiveMemberCoseSign1 => AuthPolicy::member_cose_sign1(members(), true),
        AppAuth::AllOf(policies) => AuthPolicy::all_of(
            policies
                .iter()
                .map(|auth| auth_policy(store, auth))
                .collect(),
        ),
        AppAuth::Unsupported(declared) => AuthPolicy::Unsupported(declared.clone()),
    }
}

/// Endpoints guarded by each of CCF's policies, so every authentication parser (bearer
/// tokens, COSE bodies, `all_of`) sees the fuzzed requests: `/app/auth/<policy>`.
pub fn auth_endpoints() -> Vec<(String, AppAuth)> {
    vec![
        ("member_cert".into(), AppAuth::MemberCert),
        ("any_cert".into(), AppAuth::AnyCert),
        ("jwt".into(), AppAuth::Jwt),
        ("user_cose_sign1".into(), AppAuth::UserCoseSign1),
        (
            "typed_user_cose_sign1".into(),
            AppAuth::TypedUserCoseSign1("log".into()),
        ),
        ("member_cose_sign1".into(), AppAuth::MemberCoseSign1),
        (
            "active_member_cose_sign1".into(),
            AppAuth::ActiveMemberCoseSign1,
        ),
        (
            "all_of".into(),
            AppAuth::AllOf(vec![AppAuth::UserCert, AppAuth::Jwt]),
        ),
        (
            "unsupported".into(),
            AppAuth::Unsupported("{\"x\": 1}".into()),
        ),
    ]
}

/// The templates of the node's built-in endpoints (`crates/node/src/service/endpoints`), routed
/// here to a stub: their handlers need a running node (driver, consensus); their bodies are
/// fuzzed by `builtin_json` and `cose_envelope`. Keeping the real template set makes routing
/// (and its conflicts with `/app` paths) what the node's is.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("GET", "/node/state"),
    ("GET", "/node/version"),
    ("GET", "/node/network"),
    ("GET", "/node/network/nodes"),
    ("GET", "/node/network/nodes/{node_id}"),
    ("GET", "/node/primary"),
    ("HEAD", "/node/primary"),
    ("GET", "/node/backup"),
    ("GET", "/node/consensus"),
    ("GET", "/node/metrics"),
    ("GET", "/node/quotes/self"),
    ("GET", "/node/ready/app"),
    ("GET", "/node/ready/gov"),
    ("POST", "/node/join"),
    ("GET", "/app/api"),
    ("GET", "/app/tx"),
    ("GET", "/app/commit"),
    ("GET", "/app/receipt"),
    ("GET", "/node/tx"),
    ("GET", "/node/commit"),
    ("GET", "/node/receipt"),
    ("GET", "/gov/tx"),
    ("GET", "/gov/commit"),
    ("GET", "/gov/receipt"),
    ("GET", "/gov/service/transactions/{transactionId}"),
    ("POST", "/gov/members/proposals:create"),
    ("POST", "/gov/members/proposals/{proposalId}"),
    (
        "POST",
        "/gov/members/proposals/{proposalId}/ballots/{memberId}",
    ),
    ("POST", "/gov/members/state-digests/{memberId}"),
    ("GET", "/gov/members/proposals"),
    ("GET", "/gov/members/proposals/{proposalId}"),
    ("GET", "/gov/members/proposals/{proposalId}/actions"),
    (
        "GET",
        "/gov/members/proposals/{proposalId}/ballots/{memberId}",
    ),
    ("GET", "/gov/members/state-digests/{memberId}"),
    ("GET", "/gov/service/info"),
    ("GET", "/gov/service/constitution"),
    ("GET", "/gov/service/javascript-app"),
    ("GET", "/gov/service/javascript-modules"),
    ("GET", "/gov/service/javascript-modules/{moduleName}"),
    ("GET", "/gov/service/join-policy"),
    ("GET", "/gov/service/jwk"),
    ("GET", "/gov/service/members"),
    ("GET", "/gov/service/members/{memberId}"),
    ("GET", "/gov/service/users"),
    ("GET", "/gov/service/users/{userId}"),
    ("GET", "/gov/service/nodes"),
    ("GET", "/gov/service/nodes/{nodeId}"),
];

/// The router a client interface of a node running the native logging app serves, built as
/// the node builds it (`/app` prefix, CCF's auth policies looked up in the store, read-only or
/// read-write mode), with every handler run here on one snapshot of `store`: read-write
/// handlers' writes are dropped, so every input sees the same state.
pub fn node_router(store: Arc<Store>, historical: HistoricalState) -> Router {
    let policy = |auth: &AppAuth| auth_policy(&store, auth);
    let historical = Arc::new(historical);
    let mut endpoints = Vec::new();
    for endpoint in quorate_app_logging::LoggingApp.endpoints() {
        let policies = endpoint.auth.iter().map(policy).collect();
        let mode = match endpoint.handler {
            AppHandler::ReadWrite(_) => ExecutionMode::ReadWrite,
            _ => ExecutionMode::ReadOnly,
        };
        let store = Arc::clone(&store);
        let historical = Arc::clone(&historical);
        let handler = endpoint.handler.clone();
        let run = move |request: EndpointRequest| {
            let response = match &handler {
                AppHandler::ReadWrite(handler) | AppHandler::ReadOnly(handler) => {
                    let mut tx = store.begin();
                    handler(&request, &mut tx)
                }
                AppHandler::Historical(handler) => handler(&request, &historical),
            };
            std::future::ready(response)
        };
        endpoints.push(
            Endpoint::new(
                endpoint.method.clone(),
                format!("/app{}", endpoint.path),
                policies,
                run,
            )
            .with_mode(mode)
            .with_forwarding(endpoint.forwarding),
        );
    }
    for (name, auth) in auth_endpoints() {
        endpoints.push(Endpoint::new(
            Method::POST,
            format!("/app/auth/{name}"),
            vec![policy(&auth)],
            |request: EndpointRequest| {
                let policy = request.identity.policy_name();
                std::future::ready(EndpointResponse::json(
                    http::StatusCode::OK,
                    &json!({ "policy": policy }),
                ))
            },
        ));
    }
    for (method, template) in BUILTIN_TEMPLATES {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let auth = if template.starts_with("/node/join") {
            vec![AuthPolicy::AnyCert]
        } else {
            vec![AuthPolicy::NoAuth]
        };
        endpoints.push(Endpoint::new(
            method,
            *template,
            auth,
            |request: EndpointRequest| {
                let params = serde_json::to_value(&request.path_params).unwrap_or(Value::Null);
                std::future::ready(EndpointResponse::json(
                    http::StatusCode::OK,
                    &json!({ "params": params }),
                ))
            },
        ));
    }
    Router::new(endpoints).expect("the node's templates route")
}

/// Runs a future to completion on a runtime shared by every input.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
        })
        .block_on(future)
}

/// What every response must be, whatever the request: a JSON body when it says it is JSON,
/// and CCF's `{"error": {"code", "message"}}` shape on a JSON error.
pub fn check_response(response: &EndpointResponse) {
    if std::env::var_os("QUORATE_FUZZ_VERBOSE").is_some() {
        eprintln!(
            "{} {}",
            response.status,
            String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
        );
    }
    let is_json = response
        .headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return;
    }
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|error| {
        panic!("a JSON response that does not parse ({error}): {response:?}")
    });
    if response.status.is_client_error() || response.status.is_server_error() {
        let error = body.get("error");
        let code = error.and_then(|e| e.get("code")).and_then(Value::as_str);
        let message = error.and_then(|e| e.get("message")).and_then(Value::as_str);
        assert!(
            code.is_some() && message.is_some(),
            "an error response without CCF's error body: {response:?}"
        );
    }
}

const SCRATCH_PREFIX: &str = "quorate-fuzz-";

/// A scratch directory, in memory where the machine has `/dev/shm` (targets that write files
/// then cost no disk syncs). Its name carries the process id; directories left by processes
/// that are gone (a crash aborts without cleaning up, and the fixtures live in statics that
/// are never dropped) are removed first.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    remove_stale_scratch_dirs(&base);
    tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
        .tempdir_in(&base)
        .or_else(|_| tempfile::tempdir())
        .expect("temp dir")
}

fn remove_stale_scratch_dirs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `seeds` as files of `dir` (how `fuzz/make_seeds.sh` makes the committed corpora).
pub fn write_seeds(dir: &Path, seeds: &[(String, Vec<u8>)]) {
    std::fs::create_dir_all(dir).expect("corpus dir");
    for (name, bytes) in seeds {
        std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("seed");
    }
}

/// If `QUORATE_FUZZ_WRITE_SEEDS` names a directory, writes `target`'s seeds there and exits:
/// how `fuzz/make_seeds.sh` makes the committed corpora with the targets' own encoders.
pub fn maybe_write_seeds(target: &str) {
    if let Some(dir) = std::env::var_os("QUORATE_FUZZ_WRITE_SEEDS") {
        let seeds = seeds::for_target(target);
        write_seeds(Path::new(&dir), &seeds);
        eprintln!("wrote {} seeds for {target}", seeds.len());
        std::process::exit(0);
    }
}

/// A small valid ledger made by `quorate ledger generate`'s code: its chunks seed
/// `ledger_chunk`, its receipts `cose_envelope`, and its service certificate and ledger secret
/// are what those targets verify against.
pub struct GeneratedLedger {
    _dir: tempfile::TempDir,
    pub ledger_dir: PathBuf,
    pub receipts_dir: PathBuf,
    pub service_cert: Certificate,
    pub ledger_secret: LedgerSecret,
}

/// Seqnos in the generated ledger: genesis, application transactions and three signatures
/// (every 4 seqnos and the last), in two chunks.
pub const GENERATED_TRANSACTIONS: u64 = 9;

pub fn generated_ledger() -> &'static GeneratedLedger {
    static LEDGER: OnceLock<GeneratedLedger> = OnceLock::new();
    LEDGER.get_or_init(|| {
        let dir = scratch_dir();
        let receipts_dir = dir.path().join("receipts");
        let summary = generate_ledger(&GenerateOptions {
            out_dir: dir.path().to_owned(),
            transactions: GENERATED_TRANSACTIONS,
            seed: "quorate-fuzz".into(),
            signature_interval: 4,
            chunk_size_bytes: 1,
            receipts_dir: Some(receipts_dir.clone()),
        })
        .expect("generated ledger");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect(name);
        let service_cert = Certificate::from_pem(&read(SERVICE_CERT_FILE)).expect("service cert");
        let secret = hex::decode(read(LEDGER_SECRET_FILE).trim()).expect("secret hex");
        let ledger_secret =
            LedgerSecret::from_bytes(secret.try_into().expect("a 32-byte ledger secret"));
        GeneratedLedger {
            ledger_dir: summary.ledger_dir,
            receipts_dir,
            service_cert,
            ledger_secret,
            _dir: dir,
        }
    })
}

/// The files of `dir`, sorted by name.
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .filter(|entry| entry.path().is_file())
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("file"))
        })
        .collect();
    files.sort();
    files
}
