//! Every kind of invalid config is rejected with the JSON path of the offending field: one table
//! row per kind, each a single edit to a valid config.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quorate_node::config::NodeConfig;
use serde_json::{Value, json};

/// A valid Start config every row edits.
fn base() -> Value {
    json!({
        "enclave": { "platform": "Virtual", "type": "Release" },
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:8001" },
            "rpc_interfaces": {
                "primary": {
                    "bind_address": "127.0.0.1:8000",
                    "http_configuration": { "max_body_size": "1MB" },
                    "redirections": { "to_backup": { "kind": "StaticAddress", "target": { "address": "lb:443" } } }
                }
            }
        },
        "command": {
            "type": "Start",
            "start": {
                "members": [{
                    "certificate_file": "member0_cert.pem",
                    "encryption_public_key_file": "member0_enc_pubk.pem"
                }],
                "constitution_files": ["constitution.js"],
                "service_configuration": { "recovery_threshold": 1 }
            },
            "join": { "target_rpc_address": "127.0.0.1:9000" }
        },
        "ledger": { "directory": "ledger", "read_only_directories": ["a", "b"] },
        "snapshots": { "directory": "snapshots" },
        "consensus": { "message_timeout": "100ms", "election_timeout": "5s" },
        "attestation": {},
        "node_certificate": { "subject_alt_names": ["dNSName:node0"] }
    })
}

/// One edit: the JSON pointer of the parent object, the key, and the new value (`None` removes).
struct Edit {
    parent: &'static str,
    key: &'static str,
    value: Option<Value>,
}

fn set(parent: &'static str, key: &'static str, value: Value) -> Edit {
    Edit {
        parent,
        key,
        value: Some(value),
    }
}

fn remove(parent: &'static str, key: &'static str) -> Edit {
    Edit {
        parent,
        key,
        value: None,
    }
}

fn apply(edit: &Edit) -> Value {
    let mut config = base();
    let parent = config
        .pointer_mut(edit.parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {}", edit.parent));
    match &edit.value {
        Some(value) => {
            parent.insert(edit.key.to_owned(), value.clone());
        }
        None => {
            parent.remove(edit.key);
        }
    }
    config
}

const RPC: &str = "/network/rpc_interfaces/primary";
const START: &str = "/command/start";

#[test]
fn the_base_config_is_valid() {
    let config = NodeConfig::from_json_str(&base().to_string()).unwrap();
    assert!(config.warnings.is_empty());
}

#[test]
fn the_issue_example_error_reads_as_specified() {
    let config = apply(&set(RPC, "max_open_sessions_soft", json!("x")));
    let error = NodeConfig::from_json_str(&config.to_string()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "network.rpc_interfaces.primary.max_open_sessions_soft: expected a non-negative integer, got \"x\""
    );
}

#[test]
fn every_kind_of_error_names_the_offending_path() {
    // (edit, expected path, fragment of the message after the path)
    let table: Vec<(Edit, &str, &str)> = vec![
        // Unknown and unsupported keys.
        (set("", "ledgr", json!({})), "ledgr", "unknown field"),
        (
            set(RPC, "max_body_size", json!("1MB")),
            "network.rpc_interfaces.primary.max_body_size",
            "unknown field",
        ),
        (
            set("", "tick_interval", json!("10ms")),
            "tick_interval",
            "is not supported yet",
        ),
        (
            set(
                "",
                "output_files",
                json!({"sealed_ledger_secret_location": "x"}),
            ),
            "output_files.sealed_ledger_secret_location",
            "is not supported yet",
        ),
        (
            set(RPC, "accepted_endpoints", json!(["^/app/.*"])),
            "network.rpc_interfaces.primary.accepted_endpoints",
            "is not supported yet",
        ),
        // Missing required fields.
        (remove("", "network"), "network", "missing required field"),
        (
            remove("/command", "type"),
            "command.type",
            "missing required field",
        ),
        (
            remove("/network/node_to_node_interface", "bind_address"),
            "network.node_to_node_interface.bind_address",
            "missing required field",
        ),
        (
            remove(START, "members"),
            "command.start.members",
            "missing required field",
        ),
        (
            remove("/command/start/service_configuration", "recovery_threshold"),
            "command.start.service_configuration.recovery_threshold",
            "missing required field",
        ),
        (
            remove("/command", "start"),
            "command.start",
            "missing required field",
        ),
        // Wrong types and values.
        (
            set("/command", "type", json!("Restart")),
            "command.type",
            "expected one of \"Start\", \"Join\", \"Recover\", got \"Restart\"",
        ),
        (
            set("/command", "type", json!("Recover")),
            "command.type",
            "\"Recover\" (disaster recovery) is not supported yet",
        ),
        (
            set(RPC, "max_open_sessions_hard", json!(-1)),
            "network.rpc_interfaces.primary.max_open_sessions_hard",
            "expected a non-negative integer, got -1",
        ),
        (
            set(RPC, "bind_address", json!("127.0.0.1:70000")),
            "network.rpc_interfaces.primary.bind_address",
            "expected an address \"host:port\"",
        ),
        (
            set(RPC, "published_address", json!("::1:80")),
            "network.rpc_interfaces.primary.published_address",
            "expected an address",
        ),
        (
            set(RPC, "app_protocol", json!("HTTP3")),
            "network.rpc_interfaces.primary.app_protocol",
            "expected one of \"HTTP1\", \"HTTP2\"",
        ),
        (
            set(RPC, "protocol", json!("udp")),
            "network.rpc_interfaces.primary.protocol",
            "the udp protocol is not supported yet",
        ),
        (
            set(
                RPC,
                "endorsement",
                json!({"authority": "ACME", "acme_configuration": "x"}),
            ),
            "network.rpc_interfaces.primary.endorsement.acme_configuration",
            "is not supported yet",
        ),
        (
            set(RPC, "endorsement", json!({"authority": "Unsecured"})),
            "network.rpc_interfaces.primary.endorsement.authority",
            "is not supported yet",
        ),
        (
            set(
                "/network/rpc_interfaces/primary/http_configuration",
                "max_body_size",
                json!("1XB"),
            ),
            "network.rpc_interfaces.primary.http_configuration.max_body_size",
            "expected a size like \"1MB\"",
        ),
        (
            set(
                "/network/rpc_interfaces/primary/http_configuration",
                "max_header_size",
                json!(16384),
            ),
            "network.rpc_interfaces.primary.http_configuration.max_header_size",
            "got 16384",
        ),
        (
            set(
                "/network/rpc_interfaces/primary/http_configuration",
                "max_frame_size",
                json!("1KB"),
            ),
            "network.rpc_interfaces.primary.http_configuration.max_frame_size",
            "expected a size between 16384 and 16777215 bytes, got 1024 bytes",
        ),
        (
            set(
                "/network/rpc_interfaces/primary/http_configuration",
                "max_concurrent_streams_count",
                json!(0),
            ),
            "network.rpc_interfaces.primary.http_configuration.max_concurrent_streams_count",
            "expected an integer between 1 and 4294967295",
        ),
        (
            set(
                "/network/rpc_interfaces/primary/redirections/to_backup",
                "target",
                json!({}),
            ),
            "network.rpc_interfaces.primary.redirections.to_backup.target.address",
            "missing required field",
        ),
        (
            set("/network", "rpc_interfaces", json!("primary")),
            "network.rpc_interfaces",
            "expected an object of named interfaces, got \"primary\"",
        ),
        (
            set("/network", "rpc_interfaces", json!({})),
            "network.rpc_interfaces",
            "at least one RPC interface",
        ),
        (
            set(START, "members", json!({})),
            "command.start.members",
            "expected an array, got an object",
        ),
        (
            set(START, "members", json!([{"certificate_file": ""}])),
            "command.start.members[0].certificate_file",
            "expected a non-empty path, got \"\"",
        ),
        (
            set(
                START,
                "members",
                json!([{"certificate_file": "m.pem", "recovery_role": "Boss"}]),
            ),
            "command.start.members[0].recovery_role",
            "expected one of \"NonParticipant\", \"Participant\", \"Owner\"",
        ),
        (
            set(START, "constitution_files", json!(["a.js", 7])),
            "command.start.constitution_files[1]",
            "expected a non-empty path, got 7",
        ),
        (
            set(START, "initial_service_certificate_validity_days", json!(0)),
            "command.start.initial_service_certificate_validity_days",
            "expected an integer between 1 and",
        ),
        (
            set("/consensus", "message_timeout", json!("fast")),
            "consensus.message_timeout",
            "expected a duration",
        ),
        (
            set("/consensus", "max_uncommitted_tx_count", json!(1.5)),
            "consensus.max_uncommitted_tx_count",
            "expected a non-negative integer, got 1.5",
        ),
        (
            set("/ledger", "directory", json!("")),
            "ledger.directory",
            "expected a non-empty path",
        ),
        (
            set("/ledger", "read_only_directories", json!(["a", ""])),
            "ledger.read_only_directories[1]",
            "expected a non-empty path",
        ),
        (
            set("/ledger", "chunk_size", json!("0MB")),
            "ledger.chunk_size",
            "expected a size of at least 1B",
        ),
        (
            set("/ledger", "chunk_size", json!("99999999999999999999KB")),
            "ledger.chunk_size",
            "expected a size like",
        ),
        (
            set("/snapshots", "directory", json!("")),
            "snapshots.directory",
            "expected a non-empty path",
        ),
        (
            set("/snapshots", "tx_count", json!(0)),
            "snapshots.tx_count",
            "expected an integer of at least 1, got 0",
        ),
        (
            set("", "ledger_signatures", json!({"delay": "0ms"})),
            "ledger_signatures.delay",
            "expected a duration above zero",
        ),
        (
            set("", "ledger_signatures", json!({"tx_count": "5000"})),
            "ledger_signatures.tx_count",
            "expected an integer of at least 1, got \"5000\"",
        ),
        (
            set("/enclave", "platform", json!("SNP")),
            "enclave.platform",
            "the SNP platform is not supported yet",
        ),
        (
            set("/attestation", "snp_security_policy_file", json!("policy")),
            "attestation.snp_security_policy_file",
            "SEV-SNP attestation is not supported yet",
        ),
        (
            set("/node_certificate", "curve_id", json!("Secp256R1")),
            "node_certificate.curve_id",
            "is not supported yet",
        ),
        (
            set("/node_certificate", "subject_alt_names", json!(["node0"])),
            "node_certificate.subject_alt_names[0]",
            "expected \"iPAddress:<ip>\" or \"dNSName:<name>\"",
        ),
        (
            set("", "worker_threads", json!(-1)),
            "worker_threads",
            "got -1",
        ),
        (
            set("", "logging", json!({"level": "Verbose"})),
            "logging.level",
            "expected one of \"Trace\"",
        ),
        (
            set("", "output_files", json!({"pid_file": ""})),
            "output_files.pid_file",
            "expected a non-empty path",
        ),
        // Cross-field checks.
        (
            set(RPC, "max_open_sessions_soft", json!(2000)),
            "network.rpc_interfaces.primary.max_open_sessions_soft",
            "must not exceed max_open_sessions_hard (1010)",
        ),
        (
            set(START, "members", json!([])),
            "command.start.members",
            "at least one initial member",
        ),
        (
            set(START, "constitution_files", json!([])),
            "command.start.constitution_files",
            "at least one constitution file",
        ),
        (
            set(
                "/command/start/service_configuration",
                "recovery_threshold",
                json!(2),
            ),
            "command.start.service_configuration.recovery_threshold",
            "a recovery threshold of 2 cannot be met",
        ),
        (
            set("/consensus", "election_timeout", json!("50ms")),
            "consensus.election_timeout",
            "must be at least message_timeout",
        ),
    ];
    for (edit, expected_path, fragment) in table {
        let config = apply(&edit);
        let error = match NodeConfig::from_json_str(&config.to_string()) {
            Ok(_) => panic!("{expected_path}: config was accepted"),
            Err(error) => error,
        };
        let message = error.to_string();
        assert_eq!(error.path(), Some(expected_path), "{message}");
        assert!(
            message.starts_with(&format!("{expected_path}: ")) && message.contains(fragment),
            "{expected_path}: expected a message containing {fragment:?}, got {message:?}"
        );
    }
}

#[test]
fn join_section_errors_name_their_path() {
    let rows = [
        (
            json!({"target_rpc_address": "localhost"}),
            "command.join.target_rpc_address: expected an address \"host:port\"",
        ),
        (
            json!({"target_rpc_address": "h:1", "retry_timeout": "soon"}),
            "command.join.retry_timeout: expected a duration like \"100ms\"",
        ),
        (
            json!({"target_rpc_address": "h:1", "follow_redirect": "yes"}),
            "command.join.follow_redirect: expected true or false, got \"yes\"",
        ),
        (
            json!({"target_rpc_address": "h:1", "fetch_snapshot_max_attempts": 3}),
            "command.join.fetch_snapshot_max_attempts: the CCF option `fetch_snapshot_max_attempts` is not supported yet",
        ),
        (
            json!({"target_rpc_address": "h:1", "target": "h:2"}),
            "command.join.target: unknown field",
        ),
    ];
    for (join, expected) in rows {
        let mut config = base();
        config["command"]["type"] = json!("Join");
        config["command"]["join"] = join;
        let message = NodeConfig::from_json_str(&config.to_string())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(expected),
            "expected {expected:?}, got {message:?}"
        );
    }
}

#[test]
fn join_needs_a_join_section_with_a_target() {
    let mut config = base();
    config["command"]["type"] = json!("Join");
    config["command"]["join"] = json!({ "retry_timeout": "1s" });
    let error = NodeConfig::from_json_str(&config.to_string()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "command.join.target_rpc_address: missing required field"
    );

    config["command"].as_object_mut().unwrap().remove("join");
    let error = NodeConfig::from_json_str(&config.to_string()).unwrap_err();
    assert_eq!(error.to_string(), "command.join: missing required field");
}

#[test]
fn keys_that_are_not_plain_names_are_quoted_in_paths() {
    let mut config = base();
    config["network"]["rpc_interfaces"]["my iface"] =
        json!({ "bind_address": "127.0.0.1:0", "max_open_sessions_soft": "x" });
    let error = NodeConfig::from_json_str(&config.to_string()).unwrap_err();
    assert_eq!(
        error.path(),
        Some("network.rpc_interfaces[\"my iface\"].max_open_sessions_soft")
    );
    config["network"]["rpc_interfaces"]
        .as_object_mut()
        .unwrap()
        .remove("my iface");
    config[""] = json!(1);
    let error = NodeConfig::from_json_str(&config.to_string()).unwrap_err();
    assert_eq!(error.to_string(), "[\"\"]: unknown field");
}

#[test]
fn a_root_that_is_not_an_object_is_named() {
    let error = NodeConfig::from_json_str("[]").unwrap_err();
    assert_eq!(
        error.to_string(),
        "(config root): expected an object, got an array"
    );
}

#[test]
fn long_string_values_are_shortened_in_messages() {
    let long = "y".repeat(1000);
    let config = apply(&set(RPC, "max_open_sessions_soft", json!(long)));
    let message = NodeConfig::from_json_str(&config.to_string())
        .unwrap_err()
        .to_string();
    assert!(message.len() < 200, "{message}");
    assert!(message.ends_with("…\""), "{message}");
}
