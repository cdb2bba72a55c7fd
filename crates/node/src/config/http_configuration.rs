//! Per-interface HTTP limits (`network.rpc_interfaces.<name>.http_configuration`). They bound
//! what one client can make the node buffer: a request over a limit is refused (413 for the
//! body, 431 for headers) before it reaches an endpoint. Defaults are CCF's.

use serde_json::Value;

use super::error::ConfigError;
use super::json_object::JsonObject;
use super::size::{SIZE_SYNTAX, parse_size_bytes};

/// HTTP/2's smallest allowed SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2), 16KB.
const HTTP2_MIN_FRAME_SIZE_BYTES: u32 = 16 * 1024;
/// HTTP/2's largest allowed SETTINGS_MAX_FRAME_SIZE, 2^24 - 1 (CCF's schema says "16MB", one
/// byte more than the protocol allows).
const HTTP2_MAX_FRAME_SIZE_BYTES: u32 = (1 << 24) - 1;
/// HTTP/2's largest allowed flow-control window, 2^31 - 1 (RFC 9113 §6.9.1).
const HTTP2_MAX_WINDOW_SIZE_BYTES: u32 = (1 << 31) - 1;

/// Request limits for one RPC interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfiguration {
    /// Largest request body accepted (CCF default "1MB" = 1 048 576 bytes).
    pub max_body_size_bytes: u64,
    /// Largest single header name or value (CCF default "16KB").
    pub max_header_size_bytes: u64,
    /// Most headers in one request (CCF default 256).
    pub max_headers_count: u64,
    /// HTTP/2: most concurrent streams per session (CCF default 100, at least 1).
    pub max_concurrent_streams_count: u32,
    /// HTTP/2: initial flow-control window per stream (CCF default "64KB").
    pub initial_window_size_bytes: u32,
    /// HTTP/2: largest frame accepted (CCF default "16KB", between 16KB and 2^24 - 1 bytes).
    pub max_frame_size_bytes: u32,
}

impl Default for HttpConfiguration {
    fn default() -> Self {
        Self {
            max_body_size_bytes: 1024 * 1024,
            max_header_size_bytes: 16 * 1024,
            max_headers_count: 256,
            max_concurrent_streams_count: 100,
            initial_window_size_bytes: 64 * 1024,
            max_frame_size_bytes: 16 * 1024,
        }
    }
}

impl HttpConfiguration {
    /// Reads the section at `path`, filling absent fields with CCF's defaults.
    pub(crate) fn from_json(value: &Value, path: &str) -> Result<Self, ConfigError> {
        let object = JsonObject::new(
            value,
            path,
            &[
                "max_body_size",
                "max_header_size",
                "max_headers_count",
                "max_concurrent_streams_count",
                "initial_window_size",
                "max_frame_size",
            ],
        )?;
        let default = Self::default();
        let size = |key: &str, min: u64, max: u64| -> Result<Option<u64>, ConfigError> {
            let Some(bytes) = object.parsed(key, SIZE_SYNTAX, parse_size_bytes)? else {
                return Ok(None);
            };
            if (min..=max).contains(&bytes) {
                Ok(Some(bytes))
            } else {
                Err(ConfigError::InvalidValue {
                    path: object.path_of(key),
                    expected: format!("a size between {min} and {max} bytes"),
                    got: format!("{bytes} bytes"),
                })
            }
        };
        let size_u32 = |key: &str, min: u32, max: u32| -> Result<Option<u32>, ConfigError> {
            size(key, u64::from(min), u64::from(max))?
                .map(|bytes| {
                    u32::try_from(bytes).map_err(|_| ConfigError::InvalidValue {
                        path: object.path_of(key),
                        expected: "a size that fits in 32 bits".to_owned(),
                        got: format!("{bytes} bytes"),
                    })
                })
                .transpose()
        };
        Ok(Self {
            max_body_size_bytes: size("max_body_size", 0, u64::MAX)?
                .unwrap_or(default.max_body_size_bytes),
            max_header_size_bytes: size("max_header_size", 1, u64::MAX)?
                .unwrap_or(default.max_header_size_bytes),
            max_headers_count: object
                .integer("max_headers_count", 1, u64::MAX)?
                .unwrap_or(default.max_headers_count),
            max_concurrent_streams_count: object
                .integer_u32("max_concurrent_streams_count", 1, u32::MAX)?
                .unwrap_or(default.max_concurrent_streams_count),
            initial_window_size_bytes: size_u32(
                "initial_window_size",
                1,
                HTTP2_MAX_WINDOW_SIZE_BYTES,
            )?
            .unwrap_or(default.initial_window_size_bytes),
            max_frame_size_bytes: size_u32(
                "max_frame_size",
                HTTP2_MIN_FRAME_SIZE_BYTES,
                HTTP2_MAX_FRAME_SIZE_BYTES,
            )?
            .unwrap_or(default.max_frame_size_bytes),
        })
    }
}
