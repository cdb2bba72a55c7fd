//! One client-facing interface (`network.rpc_interfaces.<name>`): where it listens, what it
//! advertises, which HTTP version it speaks, how many sessions it admits and which certificate it
//! presents. Defaults are CCF's.

use std::time::Duration;

use serde_json::Value;

use super::address::{HostPort, bind_and_published_addresses};
use super::error::ConfigError;
use super::http_configuration::HttpConfiguration;
use super::json_object::JsonObject;
use super::redirections::Redirections;

/// CCF's default `max_open_sessions_soft`: past it new sessions get 503.
const DEFAULT_MAX_OPEN_SESSIONS_SOFT: u64 = 1000;
/// CCF's default `max_open_sessions_hard`: past it sessions are closed before the handshake.
const DEFAULT_MAX_OPEN_SESSIONS_HARD: u64 = 1010;
/// CCF's default `forwarding_timeout_ms`.
const DEFAULT_FORWARDING_TIMEOUT: Duration = Duration::from_millis(3000);

/// A client-facing listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcInterface {
    /// Local address to listen on (port 0 = any free port).
    pub bind_address: HostPort,
    /// Address advertised to clients and other nodes (CCF default: the bind address).
    pub published_address: HostPort,
    /// HTTP version spoken on every session (CCF default HTTP1).
    pub app_protocol: AppProtocol,
    /// Open sessions past which new requests get 503 (CCF default 1000).
    pub max_open_sessions_soft: u64,
    /// Open sessions past which new connections are closed before the TLS handshake (CCF default
    /// 1010); never below the soft cap.
    pub max_open_sessions_hard: u64,
    /// Request size limits.
    pub http_configuration: HttpConfiguration,
    /// Which certificate the interface presents (CCF default Service).
    pub endorsement: EndorsementAuthority,
    /// How long a request forwarded to the primary may take (CCF `forwarding_timeout_ms`,
    /// default 3000).
    pub forwarding_timeout: Duration,
    /// Redirect instead of forwarding, when present.
    pub redirections: Option<Redirections>,
}

/// The application protocol of an interface (CCF `app_protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppProtocol {
    /// HTTP/1.1 over TLS.
    Http1,
    /// HTTP/2 over TLS.
    Http2,
}

/// Who endorses the TLS certificate an interface presents (CCF `endorsement.authority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndorsementAuthority {
    /// The node certificate endorsed by the service identity: clients verify against
    /// `service_cert.pem`. Only available once the node is part of the service.
    Service,
    /// The node's self-signed certificate.
    Node,
}

impl RpcInterface {
    /// Reads the interface at `path`, filling absent fields with CCF's defaults, and checks that
    /// the soft session cap is not above the hard one.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::with_unsupported(
            value,
            path,
            &[
                "bind_address",
                "published_address",
                "protocol",
                "app_protocol",
                "max_open_sessions_soft",
                "max_open_sessions_hard",
                "http_configuration",
                "endorsement",
                "forwarding_timeout_ms",
                "redirections",
            ],
            &["accepted_endpoints"],
        )?;
        let (bind_address, published_address) = bind_and_published_addresses(&object)?;
        if object.choice("protocol", &[("tcp", true), ("udp", false)])? == Some(false) {
            return Err(ConfigError::Unsupported {
                path: object.path_of("protocol"),
                feature: "the udp protocol".to_owned(),
            });
        }
        let app_protocol = object
            .choice(
                "app_protocol",
                &[("HTTP1", AppProtocol::Http1), ("HTTP2", AppProtocol::Http2)],
            )?
            .unwrap_or(AppProtocol::Http1);
        let max_open_sessions_soft = object
            .integer("max_open_sessions_soft", 0, u64::MAX)?
            .unwrap_or(DEFAULT_MAX_OPEN_SESSIONS_SOFT);
        let max_open_sessions_hard = object
            .integer("max_open_sessions_hard", 0, u64::MAX)?
            .unwrap_or(DEFAULT_MAX_OPEN_SESSIONS_HARD);
        if max_open_sessions_soft > max_open_sessions_hard {
            return Err(ConfigError::Inconsistent {
                path: object.path_of("max_open_sessions_soft"),
                reason: format!(
                    "the soft session cap ({max_open_sessions_soft}) must not exceed \
                     max_open_sessions_hard ({max_open_sessions_hard})"
                ),
            });
        }
        Ok(Self {
            bind_address,
            published_address,
            app_protocol,
            max_open_sessions_soft,
            max_open_sessions_hard,
            http_configuration: object
                .section("http_configuration", HttpConfiguration::from_json)?
                .unwrap_or_default(),
            endorsement: object
                .section("endorsement", endorsement_from_json)?
                .unwrap_or(EndorsementAuthority::Service),
            forwarding_timeout: object
                .integer("forwarding_timeout_ms", 0, u64::MAX)?
                .map_or(DEFAULT_FORWARDING_TIMEOUT, Duration::from_millis),
            redirections: object.section("redirections", Redirections::from_json)?,
        })
    }
}

/// Reads `endorsement {authority}`; ACME and unencrypted interfaces are not implemented.
fn endorsement_from_json(value: &Value, path: &str) -> Result<EndorsementAuthority, ConfigError> {
    let object =
        JsonObject::with_unsupported(value, path, &["authority"], &["acme_configuration"])?;
    let authority = object.choice(
        "authority",
        &[
            ("Service", Some(EndorsementAuthority::Service)),
            ("Node", Some(EndorsementAuthority::Node)),
            ("ACME", None),
            ("Unsecured", None),
        ],
    )?;
    match authority {
        Some(Some(authority)) => Ok(authority),
        Some(None) => Err(ConfigError::Unsupported {
            path: object.path_of("authority"),
            feature: "endorsement authorities other than Service and Node".to_owned(),
        }),
        None => Err(ConfigError::MissingField {
            path: object.path_of("authority"),
        }),
    }
}
