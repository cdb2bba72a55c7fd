//! The sandbox's files: `sandbox_common/` with the service certificate, the member and user
//! identities under CCF's file names and the constitution (Quorate's default, CCF's actions), and one `sandbox_<i>/` per node holding its
//! configuration, ledger, secrets and logs. Everything is created once; a second run finds it
//! and resumes.

use std::fs;
use std::path::PathBuf;

use anyhow::Context as _;
use quorate_crypto::KeyPair;
use quorate_node::service::{self_signed, write_private};
use serde_json::json;

/// The common directory's name, as CCF's sandbox calls it.
pub const COMMON_DIR: &str = "sandbox_common";
/// The configuration file in each node directory.
pub const CONFIG_FILE: &str = "config.json";
/// The service certificate, where every node writes it.
pub const SERVICE_CERT_FILE: &str = "service_cert.pem";

/// Ten years: sandbox identities should outlive any sandbox.
const IDENTITY_VALIDITY_DAYS: u32 = 10 * 365;

#[derive(Debug, Clone, Copy)]
pub struct NodePorts {
    pub rpc: u16,
    pub node_to_node: u16,
}

impl NodePorts {
    /// Fails, naming the port, if something already listens on one of them on 127.0.0.1. Nodes
    /// that cannot bind exit, but the sandbox would find whatever holds the ports (often the
    /// nodes of an earlier sandbox on this workspace, still running) and take it for its own.
    pub fn ensure_free(&self, node: usize) -> anyhow::Result<()> {
        for (name, port) in [("RPC", self.rpc), ("node-to-node", self.node_to_node)] {
            std::net::TcpListener::bind(("127.0.0.1", port)).with_context(|| {
                format!(
                    "node {node}'s {name} port 127.0.0.1:{port} is taken: is another sandbox or \
                     node still running (`ps -ef | grep quorate`)? Stop it, or choose other ports"
                )
            })?;
        }
        Ok(())
    }
}

/// The sandbox's directory layout.
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn common(&self) -> PathBuf {
        self.root.join(COMMON_DIR)
    }

    pub fn node_dir(&self, index: usize) -> PathBuf {
        self.root.join(format!("sandbox_{index}"))
    }

    pub fn config_file(&self, index: usize) -> PathBuf {
        self.node_dir(index).join(CONFIG_FILE)
    }

    pub fn service_cert(&self) -> PathBuf {
        self.common().join(SERVICE_CERT_FILE)
    }

    /// Whether a previous run left a service here (its first node holds its secrets).
    pub fn holds_service(&self) -> bool {
        self.node_dir(0)
            .join(quorate_node::service::SECRETS_FILE_NAME)
            .exists()
    }

    /// How many nodes a previous run configured.
    pub fn configured_nodes(&self) -> usize {
        (0..).take_while(|i| self.config_file(*i).exists()).count()
    }

    /// `member0` and `user0` keys and certificates, made if missing.
    pub fn ensure_identities(&self) -> anyhow::Result<()> {
        let common = self.common();
        fs::create_dir_all(&common).with_context(|| format!("creating {}", common.display()))?;
        for name in ["member0", "user0"] {
            let cert_file = common.join(format!("{name}_cert.pem"));
            let key_file = common.join(format!("{name}_privk.pem"));
            if cert_file.exists() && key_file.exists() {
                continue;
            }
            let key = KeyPair::generate().context("generating a key")?;
            let cert = self_signed(&key, name, &[], IDENTITY_VALIDITY_DAYS)
                .context("making a certificate")?;
            write_private(&key_file, key.to_pem().as_bytes())
                .with_context(|| format!("writing {}", key_file.display()))?;
            fs::write(&cert_file, cert.pem())
                .with_context(|| format!("writing {}", cert_file.display()))?;
        }
        let constitution = common.join("constitution.js");
        if !constitution.exists() {
            fs::write(&constitution, quorate_gov::DEFAULT_CONSTITUTION)
                .with_context(|| format!("writing {}", constitution.display()))?;
        }
        Ok(())
    }

    /// Writes node `index`'s configuration: node 0 starts the service, the others join it.
    pub fn write_config(
        &self,
        index: usize,
        ports: NodePorts,
        first: NodePorts,
        election_timeout_ms: u64,
    ) -> anyhow::Result<()> {
        let dir = self.node_dir(index);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let common = format!("../{COMMON_DIR}");
        let command = if index == 0 {
            json!({
                "type": "Start",
                "service_certificate_file": format!("{common}/{SERVICE_CERT_FILE}"),
                "start": {
                    "members": [{ "certificate_file": format!("{common}/member0_cert.pem") }],
                    "constitution_files": [format!("{common}/constitution.js")],
                    "service_configuration": {
                        "recovery_threshold": 0,
                        "maximum_node_certificate_validity_days": 365,
                        "maximum_service_certificate_validity_days": 3650
                    },
                    "initial_service_certificate_validity_days": 3650
                }
            })
        } else {
            json!({
                "type": "Join",
                "service_certificate_file": format!("{common}/{SERVICE_CERT_FILE}"),
                "join": {
                    "target_rpc_address": format!("127.0.0.1:{}", first.rpc),
                    "retry_timeout": "200ms"
                }
            })
        };
        let config = json!({
            "network": {
                "node_to_node_interface": { "bind_address": format!("127.0.0.1:{}", ports.node_to_node) },
                "rpc_interfaces": {
                    "primary_rpc_interface": { "bind_address": format!("127.0.0.1:{}", ports.rpc) }
                }
            },
            "command": command,
            "node_certificate": { "subject_alt_names": ["iPAddress:127.0.0.1"] },
            "ledger": { "directory": "ledger" },
            "ledger_signatures": { "tx_count": 1000, "delay": "100ms" },
            "consensus": {
                "message_timeout": "100ms",
                "election_timeout": format!("{election_timeout_ms}ms")
            },
            "output_files": {
                "node_certificate_file": "nodecert.pem",
                "pid_file": "node.pid",
                "rpc_addresses_file": "rpc_addresses.json",
                "node_to_node_address_file": "node_address.json"
            }
        });
        let file = self.config_file(index);
        fs::write(&file, serde_json::to_string_pretty(&config)?)
            .with_context(|| format!("writing {}", file.display()))
    }

    /// The ports a previous run gave node `index`.
    pub fn configured_ports(&self, index: usize) -> anyhow::Result<NodePorts> {
        let file = self.config_file(index);
        let text =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let config: serde_json::Value = serde_json::from_str(&text)?;
        let port = |pointer: &str| -> anyhow::Result<u16> {
            config
                .pointer(pointer)
                .and_then(|v| v.as_str())
                .and_then(|address| address.rsplit_once(':'))
                .and_then(|(_, port)| port.parse().ok())
                .with_context(|| format!("{}: no port at {pointer}", file.display()))
        };
        Ok(NodePorts {
            rpc: port("/network/rpc_interfaces/primary_rpc_interface/bind_address")?,
            node_to_node: port("/network/node_to_node_interface/bind_address")?,
        })
    }
}
