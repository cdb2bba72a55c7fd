//! The body of the record-writing endpoints, CCF's `LoggingRecord::In`
//! `{"id": <uint64>, "msg": <string>, "record_claim"?: <bool>}`, read with the error texts CCF
//! gives: its JSON macros' `At #/: Missing required field 'id' in object: {...}` and
//! nlohmann's `[json.exception.type_error.302] type must be string, but is number`, both as
//! 400 `InvalidInput`. Unknown fields are ignored, as in CCF.

use quorate_node::frontend::EndpointResponse;
use serde_json::Value;

use crate::responses;

/// A parsed record-writing request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordIn {
    pub id: u64,
    pub msg: String,
    /// Whether to make the message's digest the transaction's claims digest.
    pub record_claim: bool,
}

impl RecordIn {
    /// Reads `params` in CCF's field order (id, msg, then the optional record_claim), so the
    /// first problem reported is the one CCF reports.
    pub fn from_json(params: &Value) -> Result<RecordIn, EndpointResponse> {
        let Some(object) = params.as_object() else {
            return Err(responses::invalid_input(format!(
                "At #/: Expected object, found: {params}"
            )));
        };
        let required = |field: &str| {
            object.get(field).ok_or_else(|| {
                responses::invalid_input(format!(
                    "At #/: Missing required field '{field}' in object: {params}"
                ))
            })
        };
        let id = id_from(required("id")?)?;
        let msg = match required("msg")? {
            Value::String(msg) => msg.clone(),
            other => return Err(type_error("string", other)),
        };
        let record_claim = match object.get("record_claim") {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(other) => return Err(type_error("boolean", other)),
        };
        Ok(RecordIn {
            id,
            msg,
            record_claim,
        })
    }
}

/// The id field. nlohmann would also take `true` as 1, `-1` as 2^64-1 and `1.5` as 1; those
/// are refused here rather than silently stored at a surprising id.
fn id_from(value: &Value) -> Result<u64, EndpointResponse> {
    match value {
        Value::Number(number) => number.as_u64().ok_or_else(|| not_an_id(value)),
        Value::Bool(_) => Err(not_an_id(value)),
        other => Err(type_error("number", other)),
    }
}

fn not_an_id(value: &Value) -> EndpointResponse {
    responses::invalid_input(format!(
        "At #/id: Expected an unsigned 64-bit integer, found: {value}"
    ))
}

/// nlohmann's error for reading a value as the wrong JSON type.
fn type_error(expected: &str, found: &Value) -> EndpointResponse {
    responses::invalid_input(format!(
        "[json.exception.type_error.302] type must be {expected}, but is {}",
        type_name(found)
    ))
}

/// nlohmann's `type_name()`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
