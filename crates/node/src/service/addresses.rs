//! Concrete listening addresses. A configured port 0 gets a free port before anything is
//! published (genesis and join requests record where a node can be reached, and that must be
//! the port it will listen on), the same way CCF's test infrastructure lets nodes pick ports.

use std::net::{SocketAddr, TcpListener};

use super::error::NodeError;
use super::peers::resolve;
use crate::config::HostPort;

/// Where an interface listens and what it publishes.
#[derive(Debug, Clone)]
pub struct InterfaceAddress {
    pub bind: SocketAddr,
    /// `host:port` for others.
    pub published: String,
}

/// Resolves `bind`, choosing a free port for port 0, and fills a published port 0 with it.
pub fn concrete(bind: &HostPort, published: &HostPort) -> Result<InterfaceAddress, NodeError> {
    let text = bind.to_string();
    let mut address = resolve(&text).ok_or_else(|| NodeError::Address {
        address: text.clone(),
        detail: "does not resolve".into(),
    })?;
    if address.port() == 0 {
        let probe = TcpListener::bind(address).map_err(|error| NodeError::Address {
            address: text.clone(),
            detail: format!("cannot listen: {error}"),
        })?;
        let chosen = probe.local_addr().map_err(|error| NodeError::Address {
            address: text.clone(),
            detail: error.to_string(),
        })?;
        address.set_port(chosen.port());
    }
    let published_port = if published.port == 0 {
        address.port()
    } else {
        published.port
    };
    Ok(InterfaceAddress {
        bind: address,
        published: format!("{}:{published_port}", published.host),
    })
}
