//! Reading one JSON object of the config while keeping track of where it is. Serde's derive
//! reports neither the path of a bad value nor which of CCF's many optional keys was mistyped, so
//! every section is read through this walker: it rejects unknown keys up front, treats `null` as
//! "absent" (CCF's schema allows `null` for its optional values) and words each type error as
//! `<path>: expected <what>, got <value>`.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::error::ConfigError;

/// The longest string value quoted back in an error, in characters.
const SHOWN_VALUE_MAX_CHARS: usize = 64;

/// The path of `key` inside the object at `parent` (the root has the empty path). Keys that
/// are empty or hold anything but letters, digits, `_` and `-` (possible in interface names) are
/// quoted in brackets, `network.rpc_interfaces["my iface"]`, so the path stays unambiguous.
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[\"{}\"]", key.escape_debug()),
    }
}

/// The path of element `index` of the array at `parent`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// A short rendering of a JSON value for error messages (strings quoted, containers named).
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut shown: String = s.chars().take(SHOWN_VALUE_MAX_CHARS).collect();
            if s.chars().count() > SHOWN_VALUE_MAX_CHARS {
                shown.push('…');
            }
            format!("\"{}\"", shown.escape_debug())
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The error for `value` at `path` not being `expected`.
pub(crate) fn invalid(path: &str, expected: &str, value: &Value) -> ConfigError {
    ConfigError::InvalidValue {
        path: display_path(path),
        expected: expected.to_owned(),
        got: describe(value),
    }
}

/// The root has no key; errors about it say so.
fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(config root)".to_owned()
    } else {
        path.to_owned()
    }
}

/// Reads `value` as a string, or fails naming `path`.
pub(crate) fn as_string(value: &Value, path: &str) -> Result<String, ConfigError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(path, "a string", value))
}

/// Reads `value` as a non-empty path.
pub(crate) fn as_path(value: &Value, path: &str) -> Result<PathBuf, ConfigError> {
    match value.as_str() {
        Some(text) if !text.is_empty() => Ok(PathBuf::from(text)),
        _ => Err(invalid(path, "a non-empty path", value)),
    }
}

/// Reads `value` as a string and converts it with `parse`; `expected` describes the syntax.
pub(crate) fn as_parsed<T>(
    value: &Value,
    path: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ConfigError> {
    value
        .as_str()
        .and_then(parse)
        .ok_or_else(|| invalid(path, expected, value))
}

/// Reads `value` as an integer in `min..=max`.
pub(crate) fn as_integer(
    value: &Value,
    path: &str,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => {
            let expected = match (min, max) {
                (0, u64::MAX) => "a non-negative integer".to_owned(),
                (min, u64::MAX) => format!("an integer of at least {min}"),
                (min, max) => format!("an integer between {min} and {max}"),
            };
            Err(invalid(path, &expected, value))
        }
    }
}

/// One JSON object of the config, with its path and the keys it may hold.
pub(crate) struct JsonObject<'a> {
    path: String,
    fields: &'a Map<String, Value>,
}

impl<'a> JsonObject<'a> {
    /// Reads `value` at `path` as an object whose keys are all in `known`.
    pub(crate) fn new(value: &'a Value, path: &str, known: &[&str]) -> Result<Self, ConfigError> {
        Self::with_unsupported(value, path, known, &[])
    }

    /// Like [`JsonObject::new`], but keys in `unsupported` (CCF options Quorate lacks) get a
    /// "not supported yet" error instead of "unknown field", so a CCF config fails clearly.
    pub(crate) fn with_unsupported(
        value: &'a Value,
        path: &str,
        known: &[&str],
        unsupported: &[&str],
    ) -> Result<Self, ConfigError> {
        let Value::Object(fields) = value else {
            return Err(invalid(path, "an object", value));
        };
        for key in fields.keys() {
            if unsupported.contains(&key.as_str()) {
                return Err(ConfigError::Unsupported {
                    path: child_path(path, key),
                    feature: format!("the CCF option `{key}`"),
                });
            }
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownField {
                    path: child_path(path, key),
                });
            }
        }
        Ok(Self {
            path: path.to_owned(),
            fields,
        })
    }

    /// The path of `key` in this object.
    pub(crate) fn path_of(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// The value of `key`, or `None` when it is absent or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.fields.get(key).filter(|value| !value.is_null())
    }

    /// The value of `key`, which must be present.
    pub(crate) fn required(&self, key: &str) -> Result<&'a Value, ConfigError> {
        self.get(key).ok_or_else(|| ConfigError::MissingField {
            path: self.path_of(key),
        })
    }

    /// An optional string.
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        self.get(key)
            .map(|value| as_string(value, &self.path_of(key)))
            .transpose()
    }

    /// An optional non-empty path.
    pub(crate) fn path_value(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        self.get(key)
            .map(|value| as_path(value, &self.path_of(key)))
            .transpose()
    }

    /// A required non-empty path.
    pub(crate) fn required_path(&self, key: &str) -> Result<PathBuf, ConfigError> {
        as_path(self.required(key)?, &self.path_of(key))
    }

    /// An optional boolean.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.get(key)
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| invalid(&self.path_of(key), "true or false", value))
            })
            .transpose()
    }

    /// An optional integer in `min..=max`.
    pub(crate) fn integer(
        &self,
        key: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ConfigError> {
        self.get(key)
            .map(|value| as_integer(value, &self.path_of(key), min, max))
            .transpose()
    }

    /// An optional integer in `min..=max`, for fields held as `u32`.
    pub(crate) fn integer_u32(
        &self,
        key: &str,
        min: u32,
        max: u32,
    ) -> Result<Option<u32>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let path = self.path_of(key);
        let number = as_integer(value, &path, u64::from(min), u64::from(max))?;
        u32::try_from(number)
            .map(Some)
            .map_err(|_| invalid(&path, "an integer that fits in 32 bits", value))
    }

    /// An optional string converted by `parse`; `expected` describes the accepted syntax.
    pub(crate) fn parsed<T>(
        &self,
        key: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(key)
            .map(|value| as_parsed(value, &self.path_of(key), expected, &parse))
            .transpose()
    }

    /// An optional array, each element read by `read` with its own path.
    pub(crate) fn array<T>(
        &self,
        key: &str,
        read: impl Fn(&'a Value, &str) -> Result<T, ConfigError>,
    ) -> Result<Option<Vec<T>>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let path = self.path_of(key);
        let Value::Array(items) = value else {
            return Err(invalid(&path, "an array", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| read(item, &index_path(&path, index)))
            .collect::<Result<Vec<T>, ConfigError>>()
            .map(Some)
    }

    /// An optional nested section, read by `read` with its own path.
    pub(crate) fn section<T>(
        &self,
        key: &str,
        read: impl Fn(&'a Value, &str) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(key)
            .map(|value| read(value, &self.path_of(key)))
            .transpose()
    }

    /// An optional string that must be one of `choices` (each paired with its value).
    pub(crate) fn choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let found = value
            .as_str()
            .and_then(|text| choices.iter().find(|(name, _)| *name == text));
        match found {
            Some((_, choice)) => Ok(Some(*choice)),
            None => {
                let names: Vec<String> = choices
                    .iter()
                    .map(|(name, _)| format!("\"{name}\""))
                    .collect();
                Err(invalid(
                    &self.path_of(key),
                    &format!("one of {}", names.join(", ")),
                    value,
                ))
            }
        }
    }
}
