//! Where records live and how they are encoded, byte for byte as CCF's C++ logging app writes
//! them.
//!
//! CCF declares `using RecordsMap = ccf::kv::Map<size_t, std::string>`, and `ccf::kv::Map` is
//! `JsonSerialisedMap`: key and value are each stored as nlohmann's `json(x).dump()`. So:
//!
//! - **key**: the id as a JSON number, which is its decimal ASCII digits without sign, padding
//!   or leading zeros (`42` → `b"42"`);
//! - **value**: the message as a JSON string literal, quotes included (`hi` → `b"\"hi\""`),
//!   escaped as nlohmann's `dump()` escapes: `"` `\` and control characters (`\n`, `\u001f`,
//!   ...), non-ASCII UTF-8 kept as is. `serde_json` escapes identically.
//!
//! CCF's `read_ledger.py` has no format rule for `public:records`, so it prints both with
//! `str(bytes)`: `b'42'` and `b'"hi"'`. (CCF's JS logging app writes the same keys but the raw
//! message bytes as values; its ledgers are not the C++ app's.)

use crate::params;
use quorate_node::frontend::EndpointRequest;

/// The private records map.
pub const PRIVATE_RECORDS: &str = "records";
/// The public records map (public: its writes are in the ledger in clear).
pub const PUBLIC_RECORDS: &str = "public:records";

/// Which of the two record maps an endpoint works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    Private,
    Public,
}

impl Domain {
    /// The map without a scope.
    pub fn base_map(self) -> &'static str {
        match self {
            Domain::Private => PRIVATE_RECORDS,
            Domain::Public => PUBLIC_RECORDS,
        }
    }

    /// CCF's `private_records(scope)` / `public_records(scope)`: `<map>-<scope>` when a scope
    /// is given (even an empty one), else the map itself.
    pub fn map_name(self, scope: Option<&str>) -> String {
        match scope {
            Some(scope) => format!("{}-{scope}", self.base_map()),
            None => self.base_map().to_owned(),
        }
    }

    /// The map a request names through its optional `?scope=` parameter.
    pub fn map_for(self, request: &EndpointRequest) -> String {
        self.map_name(params::scope(request).as_deref())
    }
}

/// The KV key of record `id`: the JSON (decimal) form of the number.
pub fn encode_key(id: u64) -> Vec<u8> {
    id.to_string().into_bytes()
}

/// The id a KV key holds, if it is one this encoding produces.
pub fn decode_key(key: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(key).ok()?;
    let canonical = text == "0" || !text.starts_with('0');
    params::parse_u64(text).filter(|_| canonical)
}

/// The KV value of a message: its JSON string literal.
pub fn encode_value(msg: &str) -> Vec<u8> {
    serde_json::Value::String(msg.to_owned())
        .to_string()
        .into_bytes()
}

/// The message a KV value holds; `None` if the value is not a JSON string (nothing this app
/// writes).
pub fn decode_value(value: &[u8]) -> Option<String> {
    serde_json::from_slice::<String>(value).ok()
}

/// A raw request body as a message. CCF keeps the body in a `std::string`, and nlohmann
/// refuses to serialise one that is not UTF-8 (`type_error.316`), which CCF's frontend answers
/// with 400 `InvalidInput` and nlohmann's text; the error here is that same text.
pub fn message_from_bytes(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|error| {
        let start = error.valid_up_to();
        match error.error_len() {
            // nlohmann rejects at the first byte that cannot continue the sequence: the lead
            // itself if it can start none, else the byte after the valid part of the sequence.
            Some(length) => {
                let lead = bytes.get(start).copied().unwrap_or_default();
                let index = if (0xC2..=0xF4).contains(&lead) {
                    start + length
                } else {
                    start
                };
                let byte = bytes.get(index).copied().unwrap_or_default();
                format!(
                    "[json.exception.type_error.316] invalid UTF-8 byte at index {index}: 0x{byte:02X}"
                )
            }
            None => {
                let last = bytes.last().copied().unwrap_or_default();
                format!(
                    "[json.exception.type_error.316] incomplete UTF-8 string; last byte: 0x{last:02X}"
                )
            }
        }
    })
}
