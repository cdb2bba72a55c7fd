//! Network addresses as CCF writes them: `host:port`, with IPv6 hosts in brackets
//! (`[::1]:8000`). Port 0 is allowed and means "let the OS pick"; the node then reports the
//! chosen port in `output_files.rpc_addresses_file` / `node_to_node_address_file`, which is how
//! test harnesses run many nodes on one machine without port clashes.

use std::fmt;

use super::error::ConfigError;
use super::json_object::JsonObject;

/// What the config expects where an address goes, for error messages.
pub(crate) const ADDRESS_SYNTAX: &str = "an address \"host:port\" (port 0 to 65535)";

/// A host name or IP literal with a TCP port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP literal, without IPv6 brackets.
    pub host: String,
    /// TCP port; 0 asks the OS for a free one.
    pub port: u16,
}

impl HostPort {
    /// Reads `host:port` or `[ipv6]:port`; `None` if the host is empty or contains spaces or
    /// slashes, the port is not a decimal number up to 65535, or an IPv6 host lacks brackets.
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
            let (host, port) = bracketed.split_once("]:")?;
            if !host.contains(':') {
                return None;
            }
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':')?;
            if host.contains(':') {
                return None;
            }
            (host, port)
        };
        let host_is_valid = !host.is_empty()
            && !host
                .chars()
                .any(|c| c.is_whitespace() || c == '/' || c == '[' || c == ']');
        let port_is_decimal = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        if !host_is_valid || !port_is_decimal {
            return None;
        }
        Some(Self {
            host: host.to_owned(),
            port: port.parse().ok()?,
        })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// An interface's `bind_address` (required) and `published_address` (what peers and clients are
/// told; defaults to the bind address), as both node-to-node and RPC interfaces spell them.
pub(crate) fn bind_and_published_addresses(
    object: &JsonObject<'_>,
) -> Result<(HostPort, HostPort), ConfigError> {
    let bind_address = object
        .parsed("bind_address", ADDRESS_SYNTAX, HostPort::parse)?
        .ok_or_else(|| ConfigError::MissingField {
            path: object.path_of("bind_address"),
        })?;
    let published_address = object
        .parsed("published_address", ADDRESS_SYNTAX, HostPort::parse)?
        .unwrap_or_else(|| bind_address.clone());
    Ok((bind_address, published_address))
}
