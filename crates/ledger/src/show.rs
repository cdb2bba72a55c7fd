//! `quorate ledger show`: one JSON line per transaction — TxID, entry type, digests and the maps
//! it writes and removes, keys and values as UTF-8 text when they are readable text, else hex
//! (binary keys and values, such as the singleton key, as hex). Private maps are shown when the
//! ledger secret is given, their size otherwise.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use quorate_kv::{LedgerSecret, WriteSet, decode_entry};

use crate::chunk::LedgerReader;
use crate::error::LedgerError;
use crate::verify::chunk_dir;

/// Text when the bytes are UTF-8 without control characters (line breaks and tabs allowed),
/// else lowercase hex: binary keys such as the eight-zero-byte singleton key show as hex.
fn readable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text)
            if !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            text.to_owned()
        }
        _ => hex::encode(bytes),
    }
}

/// One line of output; fields in this order.
#[derive(Serialize)]
struct ShownTransaction {
    txid: String,
    entry_type: String,
    claims_digest: Option<String>,
    commit_evidence_digest: Option<String>,
    public: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    private: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_size_bytes: Option<u64>,
}

/// `{map: {"writes": {key: value}, "removes": [key]}}`.
fn maps_json(write_set: &WriteSet) -> Value {
    let mut maps = Map::new();
    for (name, writes) in write_set.maps() {
        let written: Map<String, Value> = writes
            .writes()
            .map(|(key, value)| (readable(key), Value::String(readable(value))))
            .collect();
        let removed: Vec<Value> = writes
            .removes()
            .map(|key| Value::String(readable(key)))
            .collect();
        maps.insert(
            name.to_string(),
            json!({ "writes": written, "removes": removed }),
        );
    }
    Value::Object(maps)
}

/// Writes one JSON line per transaction of the ledger in `dir`; returns how many.
pub fn show_ledger(
    dir: &Path,
    secret: Option<&LedgerSecret>,
    out: &mut dyn Write,
) -> Result<u64, LedgerError> {
    let dir = chunk_dir(dir);
    let reader = LedgerReader::open(&dir, &[])?;
    let mut count = 0;
    for chunk in reader.chunks() {
        let loaded = reader.load(chunk)?;
        for entry in loaded.entries() {
            let decoded =
                decode_entry(entry.bytes, secret).map_err(|err| LedgerError::Corrupt {
                    path: entry.file.to_owned(),
                    offset: entry.offset,
                    seqno: Some(entry.seqno),
                    reason: format!("entry does not decode: {err}"),
                })?;
            let line = ShownTransaction {
                txid: decoded.txid.to_string(),
                entry_type: format!("{:?}", decoded.entry_type),
                claims_digest: decoded.claims_digest.map(hex::encode),
                commit_evidence_digest: decoded.commit_evidence_digest.map(hex::encode),
                public: maps_json(&decoded.public_write_set),
                private: decoded.private_write_set.as_ref().map(maps_json),
                private_size_bytes: decoded
                    .private_write_set
                    .is_none()
                    .then_some(decoded.private_domain_size_bytes),
            };
            let line = serde_json::to_string(&line)
                .map_err(|err| LedgerError::Writer(format!("JSON encoding: {err}")))?;
            writeln!(out, "{line}").map_err(LedgerError::io("write", Path::new("<stdout>")))?;
            count += 1;
        }
    }
    Ok(count)
}
