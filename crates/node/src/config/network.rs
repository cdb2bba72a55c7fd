//! The `network` section: the node-to-node listener and the named client interfaces. The name
//! `primary_rpc_interface` is special in CCF (used for redirects and node-to-node RPCs); other
//! names are free-form and only appear in `rpc_addresses_file` and logs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::address::{HostPort, bind_and_published_addresses};
use super::error::ConfigError;
use super::json_object::{JsonObject, child_path, invalid};
use super::rpc_interface::RpcInterface;

/// All the addresses a node listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    /// Where other nodes reach this one (consensus, forwarding).
    pub node_to_node_interface: NodeToNodeInterface,
    /// Client interfaces by name; at least one.
    pub rpc_interfaces: BTreeMap<String, RpcInterface>,
}

/// The node-to-node listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeToNodeInterface {
    /// Local address to listen on (port 0 = any free port).
    pub bind_address: HostPort,
    /// Address advertised to the other nodes; must differ between nodes (CCF default: the
    /// bind address).
    pub published_address: HostPort,
}

impl NetworkConfig {
    /// Reads the section at `path`.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::with_unsupported(
            value,
            path,
            &["node_to_node_interface", "rpc_interfaces"],
            &["acme"],
        )?;
        let node_to_node_interface = NodeToNodeInterface::from_json(
            object.required("node_to_node_interface")?,
            &object.path_of("node_to_node_interface"),
        )?;
        let interfaces_path = object.path_of("rpc_interfaces");
        let interfaces = object.required("rpc_interfaces")?;
        let Value::Object(by_name) = interfaces else {
            return Err(invalid(
                &interfaces_path,
                "an object of named interfaces",
                interfaces,
            ));
        };
        if by_name.is_empty() {
            return Err(ConfigError::Inconsistent {
                path: interfaces_path,
                reason: "at least one RPC interface is needed to serve clients".to_owned(),
            });
        }
        let rpc_interfaces = by_name
            .iter()
            .map(|(name, interface)| {
                RpcInterface::from_json(interface, &child_path(&interfaces_path, name))
                    .map(|interface| (name.clone(), interface))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        Ok(Self {
            node_to_node_interface,
            rpc_interfaces,
        })
    }
}

impl NodeToNodeInterface {
    fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(value, path, &["bind_address", "published_address"])?;
        let (bind_address, published_address) = bind_and_published_addresses(&object)?;
        Ok(Self {
            bind_address,
            published_address,
        })
    }
}
