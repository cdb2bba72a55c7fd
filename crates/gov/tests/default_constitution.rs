//! The default constitution (`quorate_gov::DEFAULT_CONSTITUTION`) run through quorate-js's
//! governance entry point on a real store seeded as genesis seeds it: `validate` accepts a good
//! proposal of every action and explains bad arguments, `apply` writes exactly the values CCF's
//! default actions write (in the shapes the node reads back), and `resolve` follows CCF's
//! majority rule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use quorate_crypto::{
    Certificate, KeyPair, Validity, create_certificate_signing_request,
    create_self_signed_certificate, create_service_certificate,
};
use quorate_js::{
    GovernanceContext, GovernanceScript, HostInput, JsLimits, NodeAction, call_governance,
};
use quorate_kv::Store;
use quorate_ledger::tables;
use serde_json::{Value, json};

const SINGLETON: [u8; 8] = [0; 8];
/// 2023-11-14T22:13:20Z: every certificate here is valid from then.
const NOW: i64 = 1_700_000_000;
const LATEST_LEDGER_SECRET_SEQNO: u64 = 7;

fn validity(days: u64) -> Validity {
    Validity::from_days(NOW, days).expect("validity")
}

/// A member or user: its key and self-signed certificate.
struct Identity {
    key: KeyPair,
    cert: Certificate,
}

impl Identity {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("key");
        let cert = create_self_signed_certificate(&key, name, &[], &validity(365), 1)
            .expect("certificate");
        Self { key, cert }
    }

    fn id(&self) -> String {
        self.cert.fingerprint_sha256_hex()
    }

    fn pem(&self) -> String {
        self.cert.pem().to_owned()
    }
}

/// A node that asked to join: Pending, with a CSR for its endorsed certificate.
struct JoiningNode {
    id: String,
    csr: String,
}

/// A service as genesis leaves it, plus three Active recovery members and a joining node.
struct Service {
    store: Store,
    service_key: Arc<KeyPair>,
    service_cert: Certificate,
    members: Vec<Identity>,
    joiner: JoiningNode,
}

fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}

impl Service {
    fn new(service_status: &str) -> Self {
        let store = Store::new();
        let service_key = Arc::new(KeyPair::generate().expect("service key"));
        let service_cert = create_service_certificate(&service_key, "CCF Service", &validity(1), 1)
            .expect("service certificate");
        let members: Vec<Identity> = (0..3)
            .map(|i| Identity::new(&format!("member{i}")))
            .collect();
        let node_key = KeyPair::generate().expect("node key");
        let joiner = JoiningNode {
            id: node_key.public_key().sha256_hex(),
            csr: create_certificate_signing_request(&node_key, "CCF Node", &[]).expect("csr"),
        };

        let mut tx = store.begin();
        tx.put(
            tables::SERVICE_INFO,
            SINGLETON.to_vec(),
            json_bytes(
                &json!({"cert": service_cert.pem(), "status": service_status, "recovery_count": 0}),
            ),
        );
        tx.put(
            tables::SERVICE_CONFIG,
            SINGLETON.to_vec(),
            json_bytes(&json!({
                "recovery_threshold": 1,
                "maximum_node_certificate_validity_days": 365,
                "maximum_service_certificate_validity_days": 365,
                "recent_cose_proposals_window_size": 100,
            })),
        );
        tx.put(
            tables::CONSTITUTION,
            SINGLETON.to_vec(),
            json_bytes(&Value::String(quorate_gov::DEFAULT_CONSTITUTION.to_owned())),
        );
        for member in &members {
            let id = member.id().into_bytes();
            tx.put(tables::MEMBERS_CERTS, id.clone(), member.pem().into_bytes());
            tx.put(
                tables::MEMBERS_INFO,
                id.clone(),
                json_bytes(&json!({"status": "Active", "member_data": null, "recovery_role": "Participant"})),
            );
            tx.put(
                tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS,
                id,
                member.key.public_key().to_pem().into_bytes(),
            );
        }
        tx.put(
            tables::NODES_INFO,
            joiner.id.clone().into_bytes(),
            json_bytes(&json!({
                "status": "Pending",
                "quote_info": {"format": "Insecure_Virtual", "quote": "", "endorsements": ""},
                "encryption_pub_key": "",
                "certificate_signing_request": joiner.csr,
            })),
        );
        store.commit(tx).expect("genesis commit");
        Self {
            store,
            service_key,
            service_cert,
            members,
            joiner,
        }
    }

    fn open() -> Self {
        Self::new("Open")
    }

    /// Calls `function` of the constitution in one transaction, committed when `commit` and the
    /// call succeeds; the result and the node actions it asked for.
    fn call_with_actions(
        &self,
        function: &str,
        args: &[Value],
        commit: bool,
    ) -> (Result<Value, String>, Vec<NodeAction>) {
        let input = HostInput {
            tx: Some(self.store.begin()),
            writable: commit,
            governance: Some(GovernanceContext {
                service_key: Arc::clone(&self.service_key),
                service_certificate: self.service_cert.clone(),
                latest_ledger_secret_seqno: LATEST_LEDGER_SECRET_SEQNO,
            }),
            ..Default::default()
        };
        let script = GovernanceScript {
            name: tables::CONSTITUTION,
            source: quorate_gov::DEFAULT_CONSTITUTION,
        };
        let (output, result) = call_governance(script, function, args, JsLimits::default(), input);
        let result = result.map_err(|error| error.to_string());
        if commit && result.is_ok() {
            let tx = output.tx.expect("the transaction is handed back");
            self.store.commit(tx).expect("commit");
        }
        (result, output.node_actions)
    }

    fn call(&self, function: &str, args: &[Value], commit: bool) -> Result<Value, String> {
        self.call_with_actions(function, args, commit).0
    }

    /// `validate` of a proposal with these actions: (valid, description).
    fn validate(&self, actions: Value) -> (bool, String) {
        let proposal = json!({ "actions": actions }).to_string();
        let result = self
            .call("validate", &[Value::String(proposal)], false)
            .expect("validate runs");
        (
            result["valid"].as_bool().expect("valid is a boolean"),
            result["description"]
                .as_str()
                .expect("description is a string")
                .to_owned(),
        )
    }

    /// Validates, then applies (as proposal `proposal_id`) and commits a proposal; the node
    /// actions it asked for.
    fn apply_as(&self, proposal_id: &str, actions: Value) -> Result<Vec<NodeAction>, String> {
        let (valid, description) = self.validate(actions.clone());
        assert!(valid, "{actions}: {description}");
        let proposal = json!({ "actions": actions }).to_string();
        let (result, node_actions) = self.call_with_actions(
            "apply",
            &[Value::String(proposal), Value::String(proposal_id.into())],
            true,
        );
        result.map(|_| node_actions)
    }

    fn apply(&self, actions: Value) -> Vec<NodeAction> {
        self.apply_as("proposal-under-test", actions)
            .expect("apply succeeds")
    }

    fn resolve(&self, votes: &[(usize, bool)]) -> String {
        let votes: Vec<Value> = votes
            .iter()
            .map(|&(member, vote)| json!({"member_id": self.members[member].id(), "vote": vote}))
            .collect();
        let args = [
            Value::String(json!({"actions": []}).to_string()),
            Value::String(self.members[0].id()),
            Value::Array(votes),
            Value::String("proposal-under-test".into()),
        ];
        let result = self.call("resolve", &args, false).expect("resolve runs");
        result.as_str().expect("a state").to_owned()
    }

    fn raw(&self, table: &str, key: &[u8]) -> Option<Vec<u8>> {
        self.store
            .begin()
            .get(table, key)
            .map(|value| value.to_vec())
    }

    fn text(&self, table: &str, key: &str) -> Option<String> {
        self.raw(table, key.as_bytes())
            .map(|value| String::from_utf8(value).expect("utf-8"))
    }

    fn json(&self, table: &str, key: &[u8]) -> Option<Value> {
        self.raw(table, key)
            .map(|value| serde_json::from_slice(&value).expect("a JSON value"))
    }

    fn json_at(&self, table: &str, key: &str) -> Option<Value> {
        self.json(table, key.as_bytes())
    }

    fn keys(&self, table: &str) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        self.store.begin().foreach(table, |key, _| {
            keys.push(key.to_vec());
            true
        });
        keys
    }

    fn put_json(&self, table: &str, key: &[u8], value: &Value) {
        let mut tx = self.store.begin();
        tx.put(table, key.to_vec(), json_bytes(value));
        self.store.commit(tx).expect("commit");
    }
}

fn bundle() -> Value {
    json!({
        "metadata": {"endpoints": {
            "/records/{id}": {
                "get": {
                    "js_module": "endpoints/records.js",
                    "js_function": "get_record",
                    "forwarding_required": "sometimes",
                    "authn_policies": ["user_cert", {"all_of": ["user_cert", "jwt"]}],
                    "mode": "readonly",
                    "openapi": {}
                },
                "post": {
                    "js_module": "endpoints/records.js",
                    "js_function": "put_record",
                    "forwarding_required": "always",
                    "authn_policies": ["user_cert"],
                    "mode": "readwrite",
                    "redirection_strategy": "to_primary"
                }
            }
        }},
        "modules": [
            {"name": "endpoints/records.js", "module": "export function get_record() { return {body: 1}; }"},
            {"name": "util.js", "module": "export const x = 1;"}
        ]
    })
}

fn jwks() -> Value {
    json!({"keys": [{
        "kty": "EC",
        "kid": "key-1",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    }]})
}

/// Every action of CCF's default constitution and its virtual-platform add-on.
const ALL_ACTIONS: [&str; 45] = [
    "set_constitution",
    "set_member",
    "remove_member",
    "set_member_data",
    "set_user",
    "remove_user",
    "set_user_data",
    "set_recovery_threshold",
    "trigger_recovery_shares_refresh",
    "trigger_ledger_rekey",
    "transition_service_to_open",
    "set_js_app",
    "remove_js_app",
    "set_js_runtime_options",
    "refresh_js_app_bytecode_cache",
    "set_ca_cert_bundle",
    "remove_ca_cert_bundle",
    "set_jwt_issuer",
    "set_jwt_public_signing_keys",
    "remove_jwt_issuer",
    "add_node_code",
    "remove_node_code",
    "add_snp_measurement",
    "remove_snp_measurement",
    "add_snp_uvm_endorsement",
    "remove_snp_uvm_endorsement",
    "add_snp_host_data",
    "remove_snp_host_data",
    "set_snp_minimum_tcb_version",
    "set_snp_minimum_tcb_version_hex",
    "remove_snp_minimum_tcb_version",
    "set_node_data",
    "transition_node_to_trusted",
    "remove_node",
    "set_node_certificate_validity",
    "set_all_nodes_certificate_validity",
    "set_service_certificate_validity",
    "set_service_configuration",
    "trigger_ledger_chunk",
    "trigger_snapshot",
    "assert_service_identity",
    "add_virtual_measurement",
    "remove_virtual_measurement",
    "add_virtual_host_data",
    "remove_virtual_host_data",
];

/// A good proposal of every action, as CCF's tooling writes them.
fn good_actions(service: &Service) -> Vec<Value> {
    let user = Identity::new("user");
    let member = &service.members[0];
    let service_pem = service.service_cert.pem();
    let node = &service.joiner.id;
    let policy = "package policy\nallow := true";
    let policy_digest = hex_sha256(policy.as_bytes());
    vec![
        json!({"name": "set_constitution", "args": {"constitution": quorate_gov::DEFAULT_CONSTITUTION}}),
        json!({"name": "set_member", "args": {
            "cert": Identity::new("new member").pem(),
            "encryption_pub_key": member.key.public_key().to_pem(),
            "member_data": {"role": "auditor"},
            "recovery_role": "Owner"
        }}),
        json!({"name": "remove_member", "args": {"member_id": member.id()}}),
        json!({"name": "set_member_data", "args": {"member_id": member.id(), "member_data": {}}}),
        json!({"name": "set_user", "args": {"cert": user.pem(), "user_data": {"team": 1}}}),
        json!({"name": "remove_user", "args": {"user_id": user.id()}}),
        json!({"name": "set_user_data", "args": {"user_id": user.id()}}),
        json!({"name": "set_recovery_threshold", "args": {"recovery_threshold": 2}}),
        json!({"name": "trigger_recovery_shares_refresh"}),
        json!({"name": "trigger_ledger_rekey"}),
        json!({"name": "transition_service_to_open", "args": {"next_service_identity": service_pem}}),
        json!({"name": "set_js_app", "args": {"bundle": bundle(), "disable_bytecode_cache": true}}),
        json!({"name": "remove_js_app"}),
        json!({"name": "set_js_runtime_options", "args": {
            "max_heap_bytes": 1_048_576, "max_stack_bytes": 65_536, "max_execution_time_ms": 500,
            "log_exception_details": true, "return_exception_details": false,
            "max_cached_interpreters": 5
        }}),
        json!({"name": "refresh_js_app_bytecode_cache"}),
        json!({"name": "set_ca_cert_bundle", "args": {"name": "idp", "cert_bundle": service_pem}}),
        json!({"name": "remove_ca_cert_bundle", "args": {"name": "idp"}}),
        json!({"name": "set_jwt_issuer", "args": {
            "issuer": "https://login.example.com/tenant", "auto_refresh": true,
            "ca_cert_bundle_name": "idp", "jwks": jwks()
        }}),
        json!({"name": "set_jwt_public_signing_keys", "args": {"issuer": "issuer", "jwks": jwks()}}),
        json!({"name": "remove_jwt_issuer", "args": {"issuer": "issuer"}}),
        json!({"name": "add_node_code", "args": {"code_id": "ab".repeat(32)}}),
        json!({"name": "remove_node_code", "args": {"code_id": "ab".repeat(32)}}),
        json!({"name": "add_snp_measurement", "args": {"measurement": "cd".repeat(48)}}),
        json!({"name": "remove_snp_measurement", "args": {"measurement": "cd".repeat(48)}}),
        json!({"name": "add_snp_uvm_endorsement", "args": {"did": "did:x509:0:sha256:abc", "feed": "ContainerPlat-AMD-UVM", "svn": "101"}}),
        json!({"name": "remove_snp_uvm_endorsement", "args": {"did": "did:x509:0:sha256:abc", "feed": "ContainerPlat-AMD-UVM"}}),
        json!({"name": "add_snp_host_data", "args": {"host_data": policy_digest, "security_policy": policy}}),
        json!({"name": "remove_snp_host_data", "args": {"host_data": policy_digest}}),
        json!({"name": "set_snp_minimum_tcb_version", "args": {"cpuid": "00a10f11", "tcb_version": {"boot_loader": 7, "tee": 0, "snp": 15, "microcode": 72}}}),
        json!({"name": "set_snp_minimum_tcb_version_hex", "args": {"cpuid": "00a00f11", "tcb_version": "d315000000000004"}}),
        json!({"name": "remove_snp_minimum_tcb_version", "args": {"cpuid": "00a00f11"}}),
        json!({"name": "set_node_data", "args": {"node_id": node, "node_data": {"rack": 4}}}),
        json!({"name": "transition_node_to_trusted", "args": {"node_id": node, "valid_from": "231114221320Z", "validity_period_days": 30}}),
        json!({"name": "remove_node", "args": {"node_id": node}}),
        json!({"name": "set_node_certificate_validity", "args": {"node_id": node, "valid_from": "20231114221320Z"}}),
        json!({"name": "set_all_nodes_certificate_validity", "args": {"valid_from": "2023-11-14 22:13:20", "validity_period_days": 10}}),
        json!({"name": "set_service_certificate_validity", "args": {"valid_from": "231114221320Z", "validity_period_days": 60}}),
        json!({"name": "set_service_configuration", "args": {"recovery_threshold": 2, "recent_cose_proposals_window_size": 50, "reconfiguration_type": "OneTransaction"}}),
        json!({"name": "trigger_ledger_chunk"}),
        json!({"name": "trigger_snapshot"}),
        json!({"name": "assert_service_identity", "args": {"service_identity": service_pem}}),
        json!({"name": "add_virtual_measurement", "args": {"measurement": "Insecure hard-coded virtual measurement v1"}}),
        json!({"name": "remove_virtual_measurement", "args": {"measurement": "Insecure hard-coded virtual measurement v1"}}),
        json!({"name": "add_virtual_host_data", "args": {"host_data": "ef".repeat(32)}}),
        json!({"name": "remove_virtual_host_data", "args": {"host_data": "ef".repeat(32)}}),
    ]
}

fn hex_sha256(data: &[u8]) -> String {
    quorate_crypto::sha256(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn validate_accepts_a_good_proposal_of_every_action() {
    let service = Service::open();
    let actions = good_actions(&service);
    let named: BTreeSet<&str> = actions
        .iter()
        .map(|action| action["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        named,
        ALL_ACTIONS.into_iter().collect(),
        "one of each action"
    );
    for action in &actions {
        let (valid, description) = service.validate(json!([action]));
        assert!(valid, "{} was refused: {description}", action["name"]);
        assert_eq!(description, "");
    }
    // All of them in one proposal, too.
    let (valid, description) = service.validate(Value::Array(actions));
    assert!(valid, "{description}");
}

#[test]
fn validate_explains_bad_proposals() {
    let service = Service::open();
    let member = &service.members[0];
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([{"name": "make_me_admin", "args": {}}]),
            "make_me_admin at position 0: no such action",
        ),
        (
            json!([{"name": "set_user", "args": {"cert": "not a certificate"}}]),
            "set_user at position 0 failed validation: cert must be a valid X509 certificate (bundle) in PEM format",
        ),
        (
            json!([{"name": "set_constitution", "args": {"constitution": 1}}]),
            "constitution must be of type string but is number",
        ),
        (
            json!([{"name": "set_constitution", "args": {"constitution": null}}]),
            "constitution must be of type string but is null",
        ),
        (
            json!([{"name": "set_member", "args": {"cert": member.pem(), "recovery_role": "Owner"}}]),
            "cannot specify a recovery_role value when encryption_pub_key is not specified",
        ),
        (
            json!([{"name": "set_member", "args": {"cert": member.pem(), "member_data": "x"}}]),
            "member_data must be of type object but is string",
        ),
        (
            json!([{"name": "remove_user", "args": {"user_id": "abc"}}]),
            "user_id must contain exactly 64 characters",
        ),
        (
            json!([{"name": "remove_member", "args": {"member_id": "z".repeat(64)}}]),
            "member_id contains a non-hexadecimal character",
        ),
        (
            json!([{"name": "set_recovery_threshold", "args": {"recovery_threshold": 255}}]),
            "recovery_threshold must be at most 254",
        ),
        (
            json!([{"name": "set_recovery_threshold", "args": {"recovery_threshold": "2"}}]),
            "recovery_threshold must be of type integer but is string",
        ),
        (
            json!([{"name": "trigger_ledger_rekey", "args": {"now": true}}]),
            "trigger_ledger_rekey at position 0 failed validation: takes no arguments",
        ),
        (
            json!([{"name": "set_service_configuration", "args": {"maximum_node_certificate_validity_days": 10}}]),
            "Cannot change maximum_node_certificate_validity_days via set_service_configuration",
        ),
        (
            json!([{"name": "transition_node_to_trusted", "args": {"node_id": "ab".repeat(32), "valid_from": "231114221320Z", "validity_period_days": 0}}]),
            "validity_period_days must be at least 1",
        ),
        (
            json!([{"name": "set_js_runtime_options", "args": {"max_heap_bytes": 1, "max_stack_bytes": 1}}]),
            "max_execution_time_ms must be of type integer but is undefined",
        ),
        (
            json!([{"name": "set_snp_minimum_tcb_version_hex", "args": {"cpuid": "00A00F11", "tcb_version": "d315000000000004"}}]),
            "cpuid must be a lowercase hex string",
        ),
        (
            json!([{"name": "set_snp_minimum_tcb_version_hex", "args": {"cpuid": "00a00f11", "tcb_version": "d3150000000004"}}]),
            "tcb_version must be the hex of exactly 8 bytes",
        ),
        (
            json!([{"name": "set_snp_minimum_tcb_version", "args": {"cpuid": "00a00f11", "tcb_version": {"boot_loader": 1, "tee": 1, "snp": 1}}}]),
            "tcb_version.microcode must be of type number but is undefined",
        ),
        (
            json!([{"name": "add_snp_host_data", "args": {"host_data": "00".repeat(32), "security_policy": "allow"}}]),
            "does not match digest",
        ),
        (
            json!([{"name": "set_jwt_issuer", "args": {"issuer": "http://idp.example.com", "auto_refresh": true, "ca_cert_bundle_name": "idp"}}]),
            "issuer must be a URL starting with https:// if auto_refresh is true",
        ),
        (
            json!([{"name": "set_jwt_issuer", "args": {"issuer": "https://idp.example.com", "auto_refresh": true}}]),
            "ca_cert_bundle_name is missing but required if auto_refresh is true",
        ),
        (
            json!([{"name": "set_jwt_public_signing_keys", "args": {"issuer": "i", "jwks": {"keys": [{"kid": "k", "kty": "RSA"}]}}}]),
            "jwks.keys[0] must contain either x5c, or n/e for an RSA key, or x/y/crv for an EC key",
        ),
        (
            json!([{"name": "assert_service_identity", "args": {"service_identity": member.pem()}}]),
            "Service identity certificate mismatch",
        ),
        (
            json!([{"name": "transition_service_to_open", "args": {"next_service_identity": "PEM"}}]),
            "next_service_identity must be a valid X509 certificate (bundle) in PEM format",
        ),
    ];
    for (actions, expected) in cases {
        let (valid, description) = service.validate(actions.clone());
        assert!(!valid, "{actions} was accepted");
        assert!(
            description.contains(expected),
            "{actions}: {description:?} does not say {expected:?}"
        );
    }

    // Bad JS apps: the description names the path to the bad field.
    let mut bad = bundle();
    bad["metadata"]["endpoints"]["/records/{id}"]["get"]["mode"] = json!("rw");
    let (valid, description) =
        service.validate(json!([{"name": "set_js_app", "args": {"bundle": bad}}]));
    assert!(!valid);
    assert!(
        description.contains(
            r#"bundle.metadata.endpoints["/records/{id}"]["get"].mode must be one of "readwrite", "readonly", "historical""#
        ),
        "{description}"
    );
    let mut bad = bundle();
    bad["metadata"]["endpoints"]["/records/{id}"]["post"]["js_module"] = json!("missing.js");
    let (valid, description) =
        service.validate(json!([{"name": "set_js_app", "args": {"bundle": bad}}]));
    assert!(!valid);
    assert!(
        description.contains("module 'missing.js' not found in bundle"),
        "{description}"
    );

    // Every problem is reported, each with its position.
    let (valid, description) = service.validate(json!([
        {"name": "trigger_snapshot"},
        {"name": "nope"},
        {"name": "remove_user", "args": {}}
    ]));
    assert!(!valid);
    assert!(description.contains("nope at position 1"), "{description}");
    assert!(
        description.contains("remove_user at position 2 failed validation: user_id must be of type string but is undefined"),
        "{description}"
    );

    // A malformed proposal is invalid, not an exception.
    let result = service
        .call(
            "validate",
            &[Value::String("{\"actions\": 3}".into())],
            false,
        )
        .expect("validate runs");
    assert_eq!(result["valid"], json!(false));
    assert!(
        result["description"]
            .as_str()
            .is_some_and(|d| d.contains("\"actions\" array")),
        "{result}"
    );
}

#[test]
fn members_and_users() {
    let service = Service::open();
    let newcomer = Identity::new("newcomer");
    let key_pem = newcomer.key.public_key().to_pem();
    service.apply(json!([{"name": "set_member", "args": {
        "cert": newcomer.pem(),
        "encryption_pub_key": key_pem,
        "member_data": {"org": "contoso"},
        "recovery_role": "Owner"
    }}]));
    let id = newcomer.id();
    assert_eq!(
        service.text(tables::MEMBERS_CERTS, &id),
        Some(newcomer.pem())
    );
    assert_eq!(
        service.text(tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS, &id),
        Some(key_pem)
    );
    assert_eq!(
        service.json_at(tables::MEMBERS_INFO, &id),
        Some(
            json!({"member_data": {"org": "contoso"}, "recovery_role": "Owner", "status": "Accepted"})
        )
    );
    // No signature yet: the member acks the all-zero digest, as genesis records it.
    assert_eq!(
        service.json_at(tables::MEMBERS_ACKS, &id),
        Some(json!({"state_digest": quorate_gov::NO_STATE_DIGEST}))
    );

    service.apply(json!([{"name": "set_member_data", "args": {"member_id": id, "member_data": {"org": "fabrikam"}}}]));
    assert_eq!(
        service.json_at(tables::MEMBERS_INFO, &id),
        Some(
            json!({"member_data": {"org": "fabrikam"}, "recovery_role": "Owner", "status": "Accepted"})
        )
    );
    let error = service
        .apply_as("p", json!([{"name": "set_member_data", "args": {"member_id": "ab".repeat(32), "member_data": {}}}]))
        .expect_err("no such member");
    assert!(error.contains("does not exist"), "{error}");

    // Without a key the member is no recovery member, and its info has no role.
    let plain = Identity::new("plain");
    service.apply(json!([{"name": "set_member", "args": {"cert": plain.pem()}}]));
    assert_eq!(
        service.json_at(tables::MEMBERS_INFO, &plain.id()),
        Some(json!({"status": "Accepted"}))
    );
    assert_eq!(
        service.raw(
            tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS,
            plain.id().as_bytes()
        ),
        None
    );

    // An Accepted (not yet Active) member's removal needs no new ledger secret.
    let node_actions = service.apply(json!([{"name": "remove_member", "args": {"member_id": id}}]));
    assert_eq!(node_actions, vec![]);
    for table in [
        tables::MEMBERS_CERTS,
        tables::MEMBERS_INFO,
        tables::MEMBERS_ENCRYPTION_PUBLIC_KEYS,
        tables::MEMBERS_ACKS,
    ] {
        assert_eq!(service.raw(table, id.as_bytes()), None, "{table}");
    }
    // Removing an absent member is a no-op.
    service.apply(json!([{"name": "remove_member", "args": {"member_id": id}}]));

    let user = Identity::new("user");
    service.apply(
        json!([{"name": "set_user", "args": {"cert": user.pem(), "user_data": {"team": "a"}}}]),
    );
    assert_eq!(
        service.text(tables::USERS_CERTS, &user.id()),
        Some(user.pem())
    );
    assert_eq!(
        service.json_at(tables::USERS_INFO, &user.id()),
        Some(json!({"user_data": {"team": "a"}}))
    );
    service.apply(json!([{"name": "set_user_data", "args": {"user_id": user.id(), "user_data": {"team": "b"}}}]));
    assert_eq!(
        service.json_at(tables::USERS_INFO, &user.id()),
        Some(json!({"user_data": {"team": "b"}}))
    );
    service.apply(json!([{"name": "set_user_data", "args": {"user_id": user.id()}}]));
    assert_eq!(service.json_at(tables::USERS_INFO, &user.id()), None);
    service.apply(json!([{"name": "remove_user", "args": {"user_id": user.id()}}]));
    assert_eq!(service.text(tables::USERS_CERTS, &user.id()), None);
}

#[test]
fn a_new_member_acks_the_latest_signed_root() {
    let service = Service::open();
    let root = "5a".repeat(32);
    service.put_json(
        tables::SIGNATURES,
        &SINGLETON,
        &json!({"sig": "", "node": "n", "hashed_nonce": "", "seqno": 4, "view": 2, "commit_seqno": 0, "commit_view": 0, "root": root}),
    );
    let member = Identity::new("late member");
    service.apply(json!([{"name": "set_member", "args": {"cert": member.pem()}}]));
    assert_eq!(
        service.json_at(tables::MEMBERS_ACKS, &member.id()),
        Some(json!({"state_digest": root}))
    );
}

#[test]
fn trigger_actions_reach_the_node() {
    let service = Service::open();
    let node_actions = service.apply(json!([
        {"name": "trigger_ledger_rekey"},
        {"name": "trigger_recovery_shares_refresh"},
        {"name": "trigger_ledger_chunk"},
        {"name": "trigger_snapshot"}
    ]));
    assert_eq!(
        node_actions,
        vec![
            NodeAction::TriggerLedgerRekey,
            NodeAction::TriggerRecoverySharesRefresh,
            NodeAction::TriggerLedgerChunk,
            NodeAction::TriggerSnapshot,
        ]
    );
}

#[test]
fn recovery_threshold_and_active_recovery_members() {
    let service = Service::open();
    let node_actions = service
        .apply(json!([{"name": "set_recovery_threshold", "args": {"recovery_threshold": 3}}]));
    assert_eq!(node_actions, vec![NodeAction::TriggerRecoverySharesRefresh]);
    assert_eq!(
        service.json(tables::SERVICE_CONFIG, &SINGLETON),
        Some(json!({
            "recovery_threshold": 3,
            "maximum_node_certificate_validity_days": 365,
            "maximum_service_certificate_validity_days": 365,
            "recent_cose_proposals_window_size": 100,
        }))
    );
    // Only three active recovery members: four shares cannot be required.
    let error = service
        .apply_as(
            "p",
            json!([{"name": "set_recovery_threshold", "args": {"recovery_threshold": 4}}]),
        )
        .expect_err("above the recovery members");
    assert!(
        error.contains("recovery threshold would be greater than the number of recovery members 3"),
        "{error}"
    );
    // Removing an active recovery member may not leave fewer than the threshold.
    let error = service
        .apply_as(
            "p",
            json!([{"name": "remove_member", "args": {"member_id": service.members[2].id()}}]),
        )
        .expect_err("below the threshold");
    assert!(
        error.contains(
            "Number of active recovery members (2) would be less than recovery threshold (3)"
        ),
        "{error}"
    );
    service.apply(json!([{"name": "set_service_configuration", "args": {"recovery_threshold": 2, "recent_cose_proposals_window_size": 50}}]));
    let config = service
        .json(tables::SERVICE_CONFIG, &SINGLETON)
        .expect("config");
    assert_eq!(config["recovery_threshold"], json!(2));
    assert_eq!(config["recent_cose_proposals_window_size"], json!(50));
    // An active recovery member leaves: the ledger is rekeyed so its share opens nothing new.
    let node_actions = service
        .apply(json!([{"name": "remove_member", "args": {"member_id": service.members[2].id()}}]));
    assert_eq!(node_actions, vec![NodeAction::TriggerLedgerRekey]);
    assert_eq!(
        service.raw(tables::MEMBERS_INFO, service.members[2].id().as_bytes()),
        None
    );
}

#[test]
fn js_app_is_stored_as_the_node_reads_it() {
    let service = Service::open();
    service.apply(json!([{"name": "set_js_app", "args": {"bundle": bundle(), "disable_bytecode_cache": true}}]));

    let mut modules = service.keys(tables::MODULES);
    modules.sort();
    assert_eq!(
        modules,
        vec![b"/endpoints/records.js".to_vec(), b"/util.js".to_vec()]
    );
    assert_eq!(
        service.raw(tables::MODULES, b"/util.js"),
        Some(b"export const x = 1;".to_vec())
    );

    let mut endpoints = service.keys(tables::ENDPOINTS);
    endpoints.sort();
    assert_eq!(
        endpoints,
        vec![
            b"GET /records/{id}".to_vec(),
            b"POST /records/{id}".to_vec(),
        ]
    );
    assert_eq!(
        service.json_at(tables::ENDPOINTS, "POST /records/{id}"),
        Some(json!({
            "js_module": "/endpoints/records.js",
            "js_function": "put_record",
            "forwarding_required": "always",
            "authn_policies": ["user_cert"],
            "mode": "readwrite",
            "redirection_strategy": "to_primary"
        }))
    );
    assert_eq!(
        service.json(tables::INTERPRETER_FLUSH, &SINGLETON),
        Some(json!(true))
    );
    // What the node loads from these tables is the bundle that was proposed.
    let loaded = quorate_js::Bundle::from_kv(&mut service.store.begin())
        .expect("the stored app loads")
        .expect("an app is deployed");
    let proposed = quorate_js::Bundle::from_json(&bundle()).expect("the proposed bundle");
    assert_eq!(loaded.modules, proposed.modules);
    assert_eq!(
        loaded.metadata.endpoints.keys().collect::<Vec<_>>(),
        vec!["/records/{id}"]
    );

    // A second app replaces the first entirely.
    let small = json!({
        "metadata": {"endpoints": {"/hello": {"get": {
            "js_module": "hello.js", "js_function": "hello", "forwarding_required": "never",
            "authn_policies": [], "mode": "readonly"
        }}}},
        "modules": [{"name": "hello.js", "module": "export function hello() {}"}]
    });
    service.apply(
        json!([{"name": "set_js_app", "args": {"bundle": small, "disable_bytecode_cache": true}}]),
    );
    assert_eq!(service.keys(tables::MODULES), vec![b"/hello.js".to_vec()]);
    assert_eq!(
        service.keys(tables::ENDPOINTS),
        vec![b"GET /hello".to_vec()]
    );

    // An app that would not load fails its proposal, cache or no cache.
    for disable_bytecode_cache in [false, true] {
        let broken = json!({
            "metadata": {"endpoints": {"/oops": {"get": {
                "js_module": "oops.js", "js_function": "oops", "forwarding_required": "never",
                "authn_policies": [], "mode": "readonly"
            }}}},
            "modules": [{"name": "oops.js", "module": "export function oops( {"}]
        });
        let error = service
            .apply_as("p", json!([{"name": "set_js_app", "args": {"bundle": broken, "disable_bytecode_cache": disable_bytecode_cache}}]))
            .expect_err("a syntax error");
        assert!(
            error.contains("The JavaScript app does not load"),
            "{error}"
        );
    }
    assert_eq!(service.keys(tables::MODULES), vec![b"/hello.js".to_vec()]);

    service.apply(json!([{"name": "remove_js_app"}]));
    assert!(service.keys(tables::MODULES).is_empty());
    assert!(service.keys(tables::ENDPOINTS).is_empty());
    assert_eq!(service.raw(tables::INTERPRETER_FLUSH, &SINGLETON), None);
}

#[test]
fn js_runtime_options_are_what_the_runtime_reads() {
    let service = Service::open();
    let options = json!({
        "max_heap_bytes": 2_097_152,
        "max_stack_bytes": 131_072,
        "max_execution_time_ms": 250,
        "log_exception_details": true,
        "return_exception_details": true,
        "max_cached_interpreters": 3
    });
    service.apply(json!([{"name": "set_js_runtime_options", "args": options}]));
    let stored = service
        .json(tables::JS_RUNTIME_OPTIONS, &SINGLETON)
        .expect("stored");
    assert_eq!(stored, options);
    let read = quorate_js::JsRuntimeOptions::from_json(&stored);
    assert_eq!(read.limits.max_heap_bytes, 2_097_152);
    assert_eq!(read.limits.max_stack_bytes, 131_072);
    assert_eq!(read.limits.max_execution_time_ms, 250);
    assert!(read.log_exception_details && read.return_exception_details);
}

#[test]
fn set_constitution_stores_it_and_drops_other_open_proposals() {
    let service = Service::open();
    let info = |state: &str| json!({"proposer_id": service.members[0].id(), "state": state, "ballots": {}});
    service.put_json(tables::PROPOSALS_INFO, b"other-open", &info("Open"));
    service.put_json(tables::PROPOSALS_INFO, b"other-accepted", &info("Accepted"));
    service.put_json(tables::PROPOSALS_INFO, b"this-one", &info("Open"));

    let constitution = format!("{}\n// amended", quorate_gov::DEFAULT_CONSTITUTION);
    service
        .apply_as(
            "this-one",
            json!([{"name": "set_constitution", "args": {"constitution": constitution}}]),
        )
        .expect("apply");
    assert_eq!(
        service.json(tables::CONSTITUTION, &SINGLETON),
        Some(Value::String(constitution))
    );
    assert_eq!(
        service.json_at(tables::PROPOSALS_INFO, "other-open"),
        Some(info("Dropped"))
    );
    assert_eq!(
        service.json_at(tables::PROPOSALS_INFO, "other-accepted"),
        Some(info("Accepted"))
    );
    assert_eq!(
        service.json_at(tables::PROPOSALS_INFO, "this-one"),
        Some(info("Open"))
    );

    let (valid, description) =
        service.validate(json!([{"name": "set_constitution", "args": {"constitution": "export function validate() {}"}}]));
    assert!(
        !valid,
        "a constitution without resolve and apply is refused"
    );
    assert!(
        description.starts_with("set_constitution at position 0 failed validation"),
        "{description}"
    );
}

#[test]
fn nodes_are_trusted_endorsed_and_retired() {
    let service = Service::open();
    let node = service.joiner.id.clone();
    service.apply(
        json!([{"name": "set_node_data", "args": {"node_id": node, "node_data": {"rack": 4}}}]),
    );
    service.apply(json!([{"name": "transition_node_to_trusted", "args": {
        "node_id": node, "valid_from": "231114221320Z", "validity_period_days": 30
    }}]));
    let info = service
        .json_at(tables::NODES_INFO, &node)
        .expect("node info");
    assert_eq!(
        info,
        json!({
            "status": "Trusted",
            "quote_info": {"format": "Insecure_Virtual", "quote": "", "endorsements": ""},
            "encryption_pub_key": "",
            "certificate_signing_request": service.joiner.csr,
            "node_data": {"rack": 4},
            "ledger_secret_seqno": LATEST_LEDGER_SECRET_SEQNO,
        })
    );
    let pem = service
        .text(tables::NODES_ENDORSED_CERTIFICATES, &node)
        .expect("an endorsed certificate, as raw PEM");
    let endorsed = Certificate::from_pem(&pem).expect("a certificate");
    endorsed
        .verify_issued_by(&service.service_cert)
        .expect("endorsed by the service");
    assert_eq!(
        endorsed.public_key().expect("key").sha256_hex(),
        node,
        "the node's own key"
    );
    assert!(endorsed.is_valid_at(NOW + 29 * 86_400));
    assert!(!endorsed.is_valid_at(NOW + 30 * 86_400));

    // Beyond the configured maximum, no certificate.
    let error = service
        .apply_as("p", json!([{"name": "set_node_certificate_validity", "args": {"node_id": node, "valid_from": "231114221320Z", "validity_period_days": 366}}]))
        .expect_err("too long");
    assert!(
        error.contains("Validity period 366 (days) is not allowed"),
        "{error}"
    );

    service.apply(json!([{"name": "remove_node", "args": {"node_id": node}}]));
    assert_eq!(
        service.json_at(tables::NODES_INFO, &node).expect("kept")["status"],
        json!("Retired")
    );

    // A node that was never trusted is deleted outright.
    let pending = "12".repeat(32);
    service.put_json(
        tables::NODES_INFO,
        pending.as_bytes(),
        &json!({"status": "Pending", "quote_info": {"format": "Insecure_Virtual"}, "encryption_pub_key": ""}),
    );
    service.apply(json!([{"name": "remove_node", "args": {"node_id": pending}}]));
    assert_eq!(service.json_at(tables::NODES_INFO, &pending), None);
}

#[test]
fn transition_service_to_open_opens_the_service() {
    let service = Service::new("Opening");
    service.apply(json!([{"name": "transition_service_to_open", "args": {
        "next_service_identity": service.service_cert.pem()
    }}]));
    let info = service
        .json(tables::SERVICE_INFO, &SINGLETON)
        .expect("info");
    assert_eq!(info["status"], json!("Open"));
    assert_eq!(info["cert"], json!(service.service_cert.pem()));

    // A recovering service needs the previous identity too.
    let recovering = Service::new("Recovering");
    let error = recovering
        .apply_as(
            "p",
            json!([{"name": "transition_service_to_open", "args": {
                "next_service_identity": recovering.service_cert.pem()
            }}]),
        )
        .expect_err("previous identity missing");
    assert!(
        error.contains("requires both, the previous and the next service identity"),
        "{error}"
    );
}

#[test]
fn jwt_issuers_and_keys() {
    let service = Service::open();
    service.apply(json!([{"name": "set_ca_cert_bundle", "args": {"name": "idp", "cert_bundle": service.service_cert.pem()}}]));
    assert_eq!(
        service.json_at(tables::TLS_CA_CERT_BUNDLES, "idp"),
        Some(json!(service.service_cert.pem()))
    );

    let issuer = "https://login.example.com/tenant";
    service.apply(json!([{"name": "set_jwt_issuer", "args": {
        "issuer": issuer, "auto_refresh": true, "ca_cert_bundle_name": "idp", "jwks": jwks()
    }}]));
    assert_eq!(
        service.json_at(tables::JWT_ISSUERS, issuer),
        Some(json!({"issuer": issuer, "auto_refresh": true, "ca_cert_bundle_name": "idp"}))
    );
    let keys = service.json_at(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2, "key-1");
    assert!(keys.is_some(), "the issuer's keys are stored");

    service.apply(json!([{"name": "set_jwt_public_signing_keys", "args": {"issuer": issuer, "jwks": jwks()}}]));
    let error = service
        .apply_as("p", json!([{"name": "set_jwt_public_signing_keys", "args": {"issuer": "https://unknown", "jwks": jwks()}}]))
        .expect_err("unknown issuer");
    assert!(
        error.contains("issuer https://unknown not found"),
        "{error}"
    );

    service.apply(json!([{"name": "remove_jwt_issuer", "args": {"issuer": issuer}}]));
    assert_eq!(service.json_at(tables::JWT_ISSUERS, issuer), None);
    assert_eq!(
        service.json_at(tables::JWT_PUBLIC_SIGNING_KEYS_METADATA_V2, "key-1"),
        None
    );

    // Auto-refresh needs the CA bundle to exist when the proposal is applied.
    service.apply(json!([{"name": "remove_ca_cert_bundle", "args": {"name": "idp"}}]));
    assert_eq!(service.json_at(tables::TLS_CA_CERT_BUNDLES, "idp"), None);
    let error = service
        .apply_as(
            "p",
            json!([{"name": "set_jwt_issuer", "args": {
                "issuer": issuer, "auto_refresh": true, "ca_cert_bundle_name": "idp"
            }}]),
        )
        .expect_err("no bundle");
    assert!(
        error.contains("No CA cert bundle found with name 'idp'"),
        "{error}"
    );
}

#[test]
fn attestation_policy_tables() {
    let service = Service::open();
    service.put_json(
        tables::PROPOSALS_INFO,
        b"older",
        &json!({"proposer_id": "m", "state": "Open", "ballots": {}}),
    );
    let measurement = "Insecure hard-coded virtual measurement v1";
    let host_data = "ef".repeat(32);
    service.apply(json!([
        {"name": "add_virtual_measurement", "args": {"measurement": measurement}},
        {"name": "add_virtual_host_data", "args": {"host_data": host_data}}
    ]));
    assert_eq!(
        service.json_at(tables::NODES_VIRTUAL_MEASUREMENTS, measurement),
        Some(json!("AllowedToJoin"))
    );
    // A key-only table: the value is CCF's unit marker, eight zero bytes.
    assert_eq!(
        service.raw(tables::NODES_VIRTUAL_HOST_DATA, host_data.as_bytes()),
        Some(vec![0; 8])
    );
    assert_eq!(
        service
            .json_at(tables::PROPOSALS_INFO, "older")
            .expect("info")["state"],
        json!("Dropped"),
        "a new measurement drops other open proposals"
    );
    service.apply(json!([
        {"name": "remove_virtual_measurement", "args": {"measurement": measurement}},
        {"name": "remove_virtual_host_data", "args": {"host_data": host_data}}
    ]));
    assert_eq!(
        service.raw(tables::NODES_VIRTUAL_MEASUREMENTS, measurement.as_bytes()),
        None
    );
    assert_eq!(
        service.raw(tables::NODES_VIRTUAL_HOST_DATA, host_data.as_bytes()),
        None
    );

    let policy = "package policy\nallow := true";
    let digest = hex_sha256(policy.as_bytes());
    service.apply(json!([
        {"name": "add_snp_measurement", "args": {"measurement": "cd".repeat(48)}},
        {"name": "add_snp_host_data", "args": {"host_data": digest, "security_policy": policy}},
        {"name": "add_snp_uvm_endorsement", "args": {"did": "did:x509:a", "feed": "f1", "svn": "1"}},
        {"name": "add_snp_uvm_endorsement", "args": {"did": "did:x509:a", "feed": "f2", "svn": "2"}},
        {"name": "set_snp_minimum_tcb_version", "args": {"cpuid": "00a10f11", "tcb_version": {"boot_loader": 7, "tee": 0, "snp": 15, "microcode": 72}}},
        {"name": "set_snp_minimum_tcb_version_hex", "args": {"cpuid": "00a00f11", "tcb_version": "d315000000000004"}},
        {"name": "add_node_code", "args": {"code_id": "ab".repeat(32)}}
    ]));
    assert_eq!(
        service.json_at(tables::NODES_SNP_MEASUREMENTS, &"cd".repeat(48)),
        Some(json!("AllowedToJoin"))
    );
    assert_eq!(
        service.json_at(tables::NODES_SNP_HOST_DATA, &digest),
        Some(json!(policy))
    );
    assert_eq!(
        service.json_at(tables::NODES_SNP_UVM_ENDORSEMENTS, "did:x509:a"),
        Some(json!({"f1": {"svn": "1"}, "f2": {"svn": "2"}}))
    );
    assert_eq!(
        service.json_at(tables::NODES_SNP_TCB_VERSIONS, "00a10f11"),
        Some(json!({"boot_loader": 7, "tee": 0, "snp": 15, "microcode": 72}))
    );
    // Milan's TCB_VERSION layout: boot loader, TEE, 4 reserved, SNP, microcode (little-endian).
    assert_eq!(
        service.json_at(tables::NODES_SNP_TCB_VERSIONS, "00a00f11"),
        Some(
            json!({"hexstring": "d315000000000004", "microcode": 0xd3, "snp": 0x15, "tee": 0, "boot_loader": 4})
        )
    );
    assert_eq!(
        service.json_at(tables::NODES_CODE_IDS, &"ab".repeat(32)),
        Some(json!("AllowedToJoin"))
    );

    service.apply(json!([
        {"name": "remove_snp_uvm_endorsement", "args": {"did": "did:x509:a", "feed": "f1"}}
    ]));
    assert_eq!(
        service.json_at(tables::NODES_SNP_UVM_ENDORSEMENTS, "did:x509:a"),
        Some(json!({"f2": {"svn": "2"}}))
    );
    service.apply(json!([
        {"name": "remove_snp_uvm_endorsement", "args": {"did": "did:x509:a", "feed": "f2"}},
        {"name": "remove_snp_minimum_tcb_version", "args": {"cpuid": "00a00f11"}},
        {"name": "remove_snp_host_data", "args": {"host_data": digest}},
        {"name": "remove_snp_measurement", "args": {"measurement": "cd".repeat(48)}},
        {"name": "remove_node_code", "args": {"code_id": "ab".repeat(32)}}
    ]));
    assert_eq!(
        service.json_at(tables::NODES_SNP_UVM_ENDORSEMENTS, "did:x509:a"),
        None
    );
    assert_eq!(
        service.json_at(tables::NODES_SNP_TCB_VERSIONS, "00a00f11"),
        None
    );
    assert_eq!(service.json_at(tables::NODES_SNP_HOST_DATA, &digest), None);
    assert_eq!(
        service.json_at(tables::NODES_SNP_MEASUREMENTS, &"cd".repeat(48)),
        None
    );
    assert_eq!(
        service.json_at(tables::NODES_CODE_IDS, &"ab".repeat(32)),
        None
    );

    let error = service
        .apply_as(
            "p",
            json!([{"name": "remove_snp_minimum_tcb_version", "args": {"cpuid": "00a00f11"}}]),
        )
        .expect_err("already removed");
    assert!(error.contains("CPUID 00a00f11 not found"), "{error}");
}

#[test]
fn service_certificate_renewal() {
    let service = Service::open();
    service.apply(
        json!([{"name": "set_service_certificate_validity", "args": {
            "valid_from": "231114221320Z", "validity_period_days": 60
        }}]),
    );
    let info = service
        .json(tables::SERVICE_INFO, &SINGLETON)
        .expect("info");
    let renewed = Certificate::from_pem(info["cert"].as_str().expect("cert")).expect("a cert");
    assert_eq!(
        renewed.public_key().expect("key").sha256_hex(),
        service.service_key.public_key().sha256_hex(),
        "same key"
    );
    assert!(renewed.is_valid_at(NOW + 59 * 86_400));
    assert!(!renewed.is_valid_at(NOW + 60 * 86_400));
    assert_eq!(info["status"], json!("Open"));
}

#[test]
fn resolve_needs_a_strict_majority_of_active_members() {
    let service = Service::open();
    assert_eq!(service.resolve(&[]), "Open");
    assert_eq!(service.resolve(&[(0, true)]), "Open");
    assert_eq!(service.resolve(&[(0, true), (1, true)]), "Accepted");
    assert_eq!(
        service.resolve(&[(0, true), (1, false), (2, true)]),
        "Accepted"
    );
    // CCF's default constitution never rejects: votes against leave the proposal Open.
    assert_eq!(
        service.resolve(&[(0, false), (1, false), (2, false)]),
        "Open"
    );
    assert_eq!(
        service.resolve(&[(0, true), (1, false), (2, false)]),
        "Open"
    );

    // Members that are not Active (yet) do not count towards the majority.
    let newcomer = Identity::new("newcomer");
    service.put_json(
        tables::MEMBERS_INFO,
        newcomer.id().as_bytes(),
        &json!({"status": "Accepted"}),
    );
    assert_eq!(service.resolve(&[(0, true), (1, true)]), "Accepted");
}
