//! Complete Start and Join configs, and the minimal shape CCF's schema requires, parse into the
//! expected values; absent fields take CCF's defaults; relative paths resolve against the
//! config file's directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use quorate_node::config::{
    AppProtocol, Command, ConsensusConfig, CoseSignatures, CurveId, EndorsementAuthority, HostPort,
    HttpConfiguration, JoinConfig, LedgerConfig, LedgerSignaturesConfig, LogFormat, LogLevel,
    LoggingConfig, MemberConfig, NodeCertificateConfig, NodeConfig, NodeRole, OutputFiles,
    Platform, RecoveryRole, RedirectionTarget, Redirections, RpcInterface, ServiceConfiguration,
    SnapshotsConfig, StartConfig, StartMode, SubjectAltName,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config")
}

fn address(host: &str, port: u16) -> HostPort {
    HostPort {
        host: host.to_owned(),
        port,
    }
}

#[test]
fn complete_start_config_parses_into_expected_values() {
    let dir = data_dir();
    let config = NodeConfig::load(dir.join("start.json")).unwrap();
    let at = |relative: &str| dir.join(relative);

    assert_eq!(config.platform, Platform::Virtual);
    let n2n = &config.network.node_to_node_interface;
    assert_eq!(n2n.bind_address, address("127.0.0.1", 8001));
    assert_eq!(n2n.published_address, address("node0.example", 8001));

    let names: Vec<&str> = config
        .network
        .rpc_interfaces
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["operator", "primary_rpc_interface"]);
    assert_eq!(
        config.network.rpc_interfaces["primary_rpc_interface"],
        RpcInterface {
            bind_address: address("0.0.0.0", 8000),
            published_address: address("service.example", 443),
            app_protocol: AppProtocol::Http2,
            max_open_sessions_soft: 500,
            max_open_sessions_hard: 600,
            http_configuration: HttpConfiguration {
                max_body_size_bytes: 4 * 1024 * 1024,
                max_header_size_bytes: 32 * 1024,
                max_headers_count: 128,
                max_concurrent_streams_count: 50,
                initial_window_size_bytes: 128 * 1024,
                max_frame_size_bytes: 32 * 1024,
            },
            endorsement: EndorsementAuthority::Node,
            forwarding_timeout: Duration::from_millis(2500),
            redirections: Some(Redirections {
                to_primary: Some(RedirectionTarget::NodeByRole {
                    role: NodeRole::Primary
                }),
                to_backup: Some(RedirectionTarget::StaticAddress {
                    address: address("::1", 9443)
                }),
            }),
        }
    );
    // An interface with only a bind address gets CCF's defaults.
    assert_eq!(
        config.network.rpc_interfaces["operator"],
        RpcInterface {
            bind_address: address("127.0.0.1", 0),
            published_address: address("127.0.0.1", 0),
            app_protocol: AppProtocol::Http1,
            max_open_sessions_soft: 1000,
            max_open_sessions_hard: 1010,
            http_configuration: HttpConfiguration {
                max_body_size_bytes: 1024 * 1024,
                max_header_size_bytes: 16 * 1024,
                max_headers_count: 256,
                max_concurrent_streams_count: 100,
                initial_window_size_bytes: 64 * 1024,
                max_frame_size_bytes: 16 * 1024,
            },
            endorsement: EndorsementAuthority::Service,
            forwarding_timeout: Duration::from_millis(3000),
            redirections: None,
        }
    );

    assert_eq!(
        config.command,
        Command {
            service_certificate_file: at("out/service_cert.pem"),
            mode: StartMode::Start(StartConfig {
                members: vec![
                    MemberConfig {
                        certificate_file: at("member0_cert.pem"),
                        encryption_public_key_file: Some(at("member0_enc_pubk.pem")),
                        data_json_file: Some(at("member0_data.json")),
                        recovery_role: Some(RecoveryRole::Participant),
                    },
                    MemberConfig {
                        certificate_file: PathBuf::from("/abs/member1_cert.pem"),
                        encryption_public_key_file: None,
                        data_json_file: None,
                        recovery_role: None,
                    },
                ],
                constitution_files: ["actions.js", "validate.js", "resolve.js", "apply.js"]
                    .iter()
                    .map(|file| at(file))
                    .collect(),
                service_configuration: ServiceConfiguration {
                    recovery_threshold: 1,
                    maximum_node_certificate_validity_days: 30,
                    maximum_service_certificate_validity_days: 60,
                    recent_cose_proposals_window_size: 7,
                },
                initial_service_certificate_validity_days: 3,
                service_subject_name: "CN=Quorate Test Service".to_owned(),
                cose_signatures: Some(CoseSignatures {
                    issuer: Some("service.example".to_owned()),
                    subject: Some("ledger.signature".to_owned()),
                }),
            }),
        }
    );
    assert_eq!(
        config.node_certificate,
        NodeCertificateConfig {
            subject_name: "CN=node0".to_owned(),
            subject_alt_names: vec![
                SubjectAltName::IpAddress("127.0.0.1".to_owned()),
                SubjectAltName::DnsName("node0.example".to_owned()),
            ],
            curve_id: CurveId::Secp384R1,
            initial_validity_days: 2,
        }
    );
    assert_eq!(config.node_data_json_file, Some(at("node_data.json")));
    assert_eq!(config.service_data_json_file, None);
    assert_eq!(
        config.ledger,
        LedgerConfig {
            directory: at("ledger"),
            read_only_directories: vec![at("backup/ledger")],
            chunk_size_bytes: 1024 * 1024,
        }
    );
    assert_eq!(
        config.snapshots,
        SnapshotsConfig {
            directory: at("snapshots"),
            tx_count: 100,
            read_only_directory: Some(at("backup/snapshots")),
        }
    );
    assert_eq!(
        config.ledger_signatures,
        LedgerSignaturesConfig {
            tx_count: 10,
            delay: Duration::from_millis(50),
        }
    );
    assert_eq!(
        config.consensus,
        ConsensusConfig {
            message_timeout: Duration::from_millis(20),
            election_timeout: Duration::from_secs(2),
            max_uncommitted_tx_count: 0,
        }
    );
    assert_eq!(
        config.output_files,
        OutputFiles {
            node_certificate_file: at("out/nodecert.pem"),
            pid_file: at("out/node.pid"),
            node_to_node_address_file: Some(at("out/node_to_node.json")),
            rpc_addresses_file: Some(at("out/rpc_addresses.json")),
        }
    );
    assert_eq!(config.worker_threads, 2);
    assert_eq!(
        config.logging,
        LoggingConfig {
            level: LogLevel::Debug,
            format: LogFormat::Json,
        }
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn complete_join_config_parses_into_expected_values() {
    let dir = data_dir();
    let config = NodeConfig::load(dir.join("join.json")).unwrap();
    assert_eq!(
        config.command,
        Command {
            service_certificate_file: dir.join("service_cert.pem"),
            mode: StartMode::Join(JoinConfig {
                target_rpc_address: address("127.0.0.1", 8000),
                retry_timeout: Duration::from_millis(250),
                follow_redirect: false,
                fetch_recent_snapshot: false,
            }),
        }
    );
    // Absolute directories stay as written.
    assert_eq!(
        config.ledger.directory,
        PathBuf::from("/var/quorate/node1/ledger")
    );
    assert_eq!(
        config.snapshots.directory,
        PathBuf::from("/var/quorate/node1/snapshots")
    );
    let n2n = &config.network.node_to_node_interface;
    assert_eq!(n2n.bind_address, address("127.0.0.1", 0));
    assert_eq!(n2n.published_address, n2n.bind_address);
}

#[test]
fn join_section_defaults_are_ccfs() {
    let text = r#"{
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:0" },
            "rpc_interfaces": { "main": { "bind_address": "127.0.0.1:0" } }
        },
        "command": { "type": "Join", "join": { "target_rpc_address": "10.0.0.1:443" } }
    }"#;
    let config = NodeConfig::from_json_str(text).unwrap();
    assert_eq!(
        config.command.mode,
        StartMode::Join(JoinConfig {
            target_rpc_address: address("10.0.0.1", 443),
            retry_timeout: Duration::from_millis(1000),
            follow_redirect: true,
            fetch_recent_snapshot: true,
        })
    );
}

#[test]
fn minimal_config_takes_ccf_defaults_everywhere() {
    let text = std::fs::read_to_string(data_dir().join("minimal.json")).unwrap();
    let config = NodeConfig::from_json_str(&text).unwrap();
    // Without a config file, relative paths stay as written.
    assert_eq!(
        config.command.service_certificate_file,
        PathBuf::from("service_cert.pem")
    );
    let StartMode::Start(start) = &config.command.mode else {
        panic!("expected a Start config, got {:?}", config.command.mode);
    };
    assert_eq!(start.members.len(), 1);
    assert_eq!(
        start.members[0].effective_recovery_role(),
        RecoveryRole::NonParticipant
    );
    assert_eq!(start.initial_service_certificate_validity_days, 1);
    assert_eq!(start.service_subject_name, "CN=CCF Service");
    assert_eq!(start.cose_signatures, None);
    assert_eq!(
        start.service_configuration,
        ServiceConfiguration {
            recovery_threshold: 0,
            maximum_node_certificate_validity_days: 365,
            maximum_service_certificate_validity_days: 365,
            recent_cose_proposals_window_size: 100,
        }
    );
    assert_eq!(config.node_certificate, NodeCertificateConfig::default());
    assert_eq!(config.node_certificate.subject_name, "CN=CCF Node");
    assert_eq!(config.node_certificate.initial_validity_days, 1);
    assert_eq!(
        config.ledger,
        LedgerConfig {
            directory: PathBuf::from("ledger"),
            read_only_directories: Vec::new(),
            chunk_size_bytes: 5 * 1024 * 1024,
        }
    );
    assert_eq!(
        config.snapshots,
        SnapshotsConfig {
            directory: PathBuf::from("snapshots"),
            tx_count: 10_000,
            read_only_directory: None,
        }
    );
    assert_eq!(
        config.ledger_signatures,
        LedgerSignaturesConfig {
            tx_count: 5000,
            delay: Duration::from_millis(1000),
        }
    );
    assert_eq!(
        config.consensus,
        ConsensusConfig {
            message_timeout: Duration::from_millis(100),
            election_timeout: Duration::from_millis(5000),
            max_uncommitted_tx_count: 10_000,
        }
    );
    assert_eq!(
        config.output_files,
        OutputFiles {
            node_certificate_file: PathBuf::from("nodecert.pem"),
            pid_file: PathBuf::from("node.pid"),
            node_to_node_address_file: None,
            rpc_addresses_file: None,
        }
    );
    assert_eq!(config.worker_threads, 0);
    assert_eq!(config.logging, LoggingConfig::default());
    assert_eq!(config.logging.level, LogLevel::Info);
    assert!(config.warnings.is_empty());
}

#[test]
fn ccf_harness_style_config_with_every_mode_section_uses_the_chosen_one() {
    let text = r#"{
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:0" },
            "rpc_interfaces": { "main": { "bind_address": "127.0.0.1:0" } }
        },
        "command": {
            "type": "Join",
            "start": {
                "members": [],
                "constitution_files": [],
                "service_configuration": { "recovery_threshold": 0 }
            },
            "join": { "target_rpc_address": "127.0.0.1:8000" },
            "recover": { "previous_service_identity_file": "previous_service_cert.pem" }
        }
    }"#;
    let config = NodeConfig::from_json_str(text).unwrap();
    assert!(matches!(config.command.mode, StartMode::Join(_)));
}

#[test]
fn null_optional_values_mean_absent_as_in_ccfs_schema() {
    let text = r#"{
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:0", "published_address": null },
            "rpc_interfaces": { "main": { "bind_address": "127.0.0.1:0" } }
        },
        "command": {
            "type": "Start",
            "start": {
                "members": [{ "certificate_file": "m.pem", "encryption_public_key_file": null }],
                "constitution_files": ["c.js"],
                "service_configuration": { "recovery_threshold": 0 }
            }
        },
        "snapshots": { "read_only_directory": null },
        "attestation": { "snp_endorsements_servers": null }
    }"#;
    let config = NodeConfig::from_json_str(text).unwrap();
    assert_eq!(config.snapshots.read_only_directory, None);
}

#[test]
fn close_election_timeout_is_accepted_with_a_warning() {
    let text = r#"{
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:0" },
            "rpc_interfaces": { "main": { "bind_address": "127.0.0.1:0" } }
        },
        "command": { "type": "Join", "join": { "target_rpc_address": "127.0.0.1:8000" } },
        "consensus": { "message_timeout": "100ms", "election_timeout": "500ms" }
    }"#;
    let config = NodeConfig::from_json_str(text).unwrap();
    assert_eq!(
        config.consensus.election_timeout,
        Duration::from_millis(500)
    );
    assert_eq!(config.warnings.len(), 1);
    assert_eq!(config.warnings[0].path, "consensus.election_timeout");
    assert!(
        config.warnings[0]
            .to_string()
            .starts_with("consensus.election_timeout: ")
    );
}

#[test]
fn loading_a_missing_file_names_the_file() {
    let missing = data_dir().join("does-not-exist.json");
    let error = NodeConfig::load(&missing).unwrap_err();
    assert!(error.path().is_none());
    assert!(error.to_string().contains("does-not-exist.json"), "{error}");
}

#[test]
fn invalid_json_reports_line_and_column() {
    let error = NodeConfig::from_json_str("{\n  \"network\": ,\n}").unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn the_retired_development_section_is_refused() {
    // Trusting nodes, users, the app and opening the service are governance actions now.
    let text = std::fs::read_to_string(data_dir().join("minimal.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["development"] = serde_json::json!({ "auto_trust_joining_nodes": true });
    let error = NodeConfig::from_json_str(&value.to_string()).unwrap_err();
    assert!(error.to_string().contains("development"), "{error}");
}
