//! `node_certificate`: the node's own x509 identity. A node makes a fresh key pair on every
//! launch; this section only shapes the self-signed certificate around it.

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::{JsonObject, invalid};

/// CCF's default subject.
const DEFAULT_SUBJECT_NAME: &str = "CN=CCF Node";
/// CCF's default validity of the self-signed node certificate.
const DEFAULT_INITIAL_VALIDITY_DAYS: u32 = 1;

/// Settings of the node certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCertificateConfig {
    /// Subject name (CCF default "CN=CCF Node").
    pub subject_name: String,
    /// Subject alternative names; when empty CCF adds the main RPC interface's published address.
    pub subject_alt_names: Vec<SubjectAltName>,
    /// Key curve. Only CCF's default, Secp384R1, is implemented.
    pub curve_id: CurveId,
    /// Validity of the self-signed certificate (CCF default 1 day).
    pub initial_validity_days: u32,
}

/// A subject alternative name, written `iPAddress:<ip>` or `dNSName:<name>` in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectAltName {
    /// An IP address SAN.
    IpAddress(String),
    /// A DNS name SAN.
    DnsName(String),
}

/// Elliptic curve of the node key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveId {
    /// NIST P-384, CCF's default and the only curve Quorate's crypto layer uses.
    Secp384R1,
}

impl Default for NodeCertificateConfig {
    fn default() -> Self {
        Self {
            subject_name: DEFAULT_SUBJECT_NAME.to_owned(),
            subject_alt_names: Vec::new(),
            curve_id: CurveId::Secp384R1,
            initial_validity_days: DEFAULT_INITIAL_VALIDITY_DAYS,
        }
    }
}

impl NodeCertificateConfig {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "subject_name",
                "subject_alt_names",
                "curve_id",
                "initial_validity_days",
            ],
        )?;
        let curve = object.choice("curve_id", &[("Secp384R1", true), ("Secp256R1", false)])?;
        if curve == Some(false) {
            return Err(ConfigError::Unsupported {
                path: object.path_of("curve_id"),
                feature: "the Secp256R1 curve".to_owned(),
            });
        }
        let default = Self::default();
        Ok(Self {
            subject_name: object
                .string("subject_name")?
                .unwrap_or(default.subject_name),
            subject_alt_names: object
                .array("subject_alt_names", subject_alt_name_from_json)?
                .unwrap_or_default(),
            curve_id: CurveId::Secp384R1,
            initial_validity_days: object
                .integer_u32("initial_validity_days", 1, u32::MAX)?
                .unwrap_or(default.initial_validity_days),
        })
    }
}

impl SubjectAltName {
    /// Reads CCF's `iPAddress:<ip>` / `dNSName:<name>` syntax.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(ip) = text.strip_prefix("iPAddress:") {
            ip.parse::<std::net::IpAddr>()
                .ok()
                .map(|_| SubjectAltName::IpAddress(ip.to_owned()))
        } else if let Some(name) = text.strip_prefix("dNSName:") {
            (!name.is_empty()).then(|| SubjectAltName::DnsName(name.to_owned()))
        } else {
            None
        }
    }

    /// The SAN in CCF's syntax.
    pub fn to_config_string(&self) -> String {
        match self {
            SubjectAltName::IpAddress(ip) => format!("iPAddress:{ip}"),
            SubjectAltName::DnsName(name) => format!("dNSName:{name}"),
        }
    }

    /// The SAN for certificate generation.
    pub fn to_certificate_san(&self) -> Option<quorate_crypto::SubjectAltName> {
        match self {
            SubjectAltName::IpAddress(ip) => {
                ip.parse().ok().map(quorate_crypto::SubjectAltName::Ip)
            }
            SubjectAltName::DnsName(name) => {
                Some(quorate_crypto::SubjectAltName::Dns(name.clone()))
            }
        }
    }
}

fn subject_alt_name_from_json(value: &Value, path: &str) -> Result<SubjectAltName, ConfigError> {
    SubjectAltName::parse(value.as_str().unwrap_or_default())
        .ok_or_else(|| invalid(path, "\"iPAddress:<ip>\" or \"dNSName:<name>\"", value))
}
