//! COSE header maps as decoded from the wire, with accessors for the labels CCF uses.

use ciborium::Value;
use coset::Label;

use crate::CryptoError;

/// `alg` (RFC 9052).
pub const LABEL_ALG: i64 = 1;
/// `kid` (RFC 9052); CCF always sends it as a bstr of ASCII hex.
pub const LABEL_KID: i64 = 4;
/// CWT claims header (RFC 9597): `{1: iss, 2: sub, 6: iat}` in CCF's ledger signatures.
pub const LABEL_CWT_CLAIMS: i64 = 15;
/// Verifiable data structure (draft-ietf-cose-merkle-tree-proofs), protected.
pub const LABEL_VDS: i64 = 395;
/// Verifiable data proofs, unprotected: `{-1: [bstr(inclusion proof), ...]}` in COSE receipts.
pub const LABEL_VDP: i64 = 396;
/// CCF's own map in ledger signatures: `{"txid": "<view>.<seqno>"}`.
pub const LABEL_CCF_V1: &str = "ccf.v1";
/// Key of the signed transaction id inside [`LABEL_CCF_V1`].
pub const CCF_V1_TXID: &str = "txid";
/// Governance message type (`proposal`, `ballot`, ...).
pub const LABEL_GOV_MSG_TYPE: &str = "ccf.gov.msg.type";
/// Governance message creation time, integer seconds since the epoch.
pub const LABEL_GOV_MSG_CREATED_AT: &str = "ccf.gov.msg.created_at";
/// Proposal a ballot or withdrawal refers to.
pub const LABEL_GOV_MSG_PROPOSAL_ID: &str = "ccf.gov.msg.proposal_id";

/// CWT claim keys (RFC 8392) CCF sets.
const CWT_ISS: i64 = 1;
const CWT_SUB: i64 = 2;
const CWT_IAT: i64 = 6;

/// A header map in wire order. Labels are unique; inserting an existing label replaces its value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderMap {
    entries: Vec<(Label, Value)>,
}

impl HeaderMap {
    /// An empty map.
    pub fn new() -> HeaderMap {
        HeaderMap::default()
    }

    /// Sets `label` to `value`, replacing any earlier value.
    pub fn insert(&mut self, label: Label, value: Value) {
        match self.entries.iter_mut().find(|(l, _)| *l == label) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((label, value)),
        }
    }

    /// The value under `label`.
    pub fn get(&self, label: &Label) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v)
    }

    /// The value under an integer label.
    pub fn get_int(&self, label: i64) -> Option<&Value> {
        self.get(&Label::Int(label))
    }

    /// The value under a text label.
    pub fn get_text(&self, label: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(l, _)| matches!(l, Label::Text(t) if t == label))
            .map(|(_, v)| v)
    }

    /// All entries, in wire order.
    pub fn entries(&self) -> &[(Label, Value)] {
        &self.entries
    }

    /// `alg`, when it is an integer.
    pub fn alg(&self) -> Option<i64> {
        self.get_int(LABEL_ALG).and_then(as_i64)
    }

    /// `kid`, when it is a bstr (CCF rejects text kids, and so do we).
    pub fn kid(&self) -> Option<&[u8]> {
        self.get_int(LABEL_KID)
            .and_then(Value::as_bytes)
            .map(Vec::as_slice)
    }

    /// `vds` (395), when it is an integer.
    pub fn vds(&self) -> Option<i64> {
        self.get_int(LABEL_VDS).and_then(as_i64)
    }

    /// `"ccf.v1"."txid"`, the `<view>.<seqno>` a ledger signature covers.
    pub fn ccf_txid(&self) -> Option<&str> {
        map_get_text(self.get_text(LABEL_CCF_V1)?, CCF_V1_TXID)?.as_text()
    }

    /// `ccf.gov.msg.type`.
    pub fn gov_msg_type(&self) -> Option<&str> {
        self.get_text(LABEL_GOV_MSG_TYPE).and_then(Value::as_text)
    }

    /// `ccf.gov.msg.created_at`, seconds since the epoch.
    pub fn gov_msg_created_at(&self) -> Option<i64> {
        self.get_text(LABEL_GOV_MSG_CREATED_AT).and_then(as_i64)
    }

    /// `ccf.gov.msg.proposal_id`.
    pub fn gov_msg_proposal_id(&self) -> Option<&str> {
        self.get_text(LABEL_GOV_MSG_PROPOSAL_ID)
            .and_then(Value::as_text)
    }

    /// The CWT claims header (15), if present and a map.
    pub fn cwt_claims(&self) -> Option<CwtClaims> {
        let map = self.get_int(LABEL_CWT_CLAIMS)?.as_map()?;
        let claim = |key: i64| {
            map.iter()
                .find(|(k, _)| as_i64(k) == Some(key))
                .map(|(_, v)| v)
        };
        Some(CwtClaims {
            iss: claim(CWT_ISS).and_then(Value::as_text).map(str::to_owned),
            sub: claim(CWT_SUB).and_then(Value::as_text).map(str::to_owned),
            iat: claim(CWT_IAT).and_then(as_i64),
        })
    }

    /// Reads a CBOR map whose keys are all integers or text; duplicate labels are rejected
    /// (RFC 9052 §14).
    pub(crate) fn from_cbor(value: Value) -> Result<HeaderMap, CryptoError> {
        let Value::Map(pairs) = value else {
            return Err(CryptoError::CoseHeader("header is not a map".into()));
        };
        let mut map = HeaderMap::new();
        for (key, value) in pairs {
            let label = match key {
                Value::Integer(i) => Label::Int(
                    i64::try_from(i)
                        .map_err(|_| CryptoError::CoseHeader("label out of range".into()))?,
                ),
                Value::Text(t) => Label::Text(t),
                _ => {
                    return Err(CryptoError::CoseHeader(
                        "label is not an int or tstr".into(),
                    ));
                }
            };
            if map.get(&label).is_some() {
                return Err(CryptoError::CoseHeader(format!(
                    "duplicate label {label:?}"
                )));
            }
            map.entries.push((label, value));
        }
        Ok(map)
    }

    /// The map with its entries sorted by encoded label (RFC 8949 §4.2.1 deterministic order), as
    /// CCF's Python (`cwt` with `deterministic_header=True`) writes protected headers.
    pub(crate) fn to_deterministic_cbor(&self) -> Result<Value, CryptoError> {
        let mut keyed = self
            .entries
            .iter()
            .map(|(label, value)| {
                let key = label_value(label);
                Ok((encode(&key)?, key, value.clone()))
            })
            .collect::<Result<Vec<_>, CryptoError>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Value::Map(
            keyed.into_iter().map(|(_, k, v)| (k, v)).collect(),
        ))
    }
}

/// CWT claims as CCF puts them in ledger signatures: issuer, subject, issued-at seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CwtClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub iat: Option<i64>,
}

impl CwtClaims {
    /// The claims as a CBOR map `{1: iss, 2: sub, 6: iat}`, absent claims left out.
    pub fn to_cbor(&self) -> Value {
        let mut map = Vec::new();
        if let Some(iss) = &self.iss {
            map.push((Value::from(CWT_ISS), Value::from(iss.as_str())));
        }
        if let Some(sub) = &self.sub {
            map.push((Value::from(CWT_SUB), Value::from(sub.as_str())));
        }
        if let Some(iat) = self.iat {
            map.push((Value::from(CWT_IAT), Value::from(iat)));
        }
        Value::Map(map)
    }
}

/// CBOR encoding of `value`.
pub(crate) fn encode(value: &Value) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out)
        .map_err(|e| CryptoError::CoseHeader(format!("CBOR encoding failed: {e}")))?;
    Ok(out)
}

fn label_value(label: &Label) -> Value {
    match label {
        Label::Int(i) => Value::from(*i),
        Label::Text(t) => Value::from(t.as_str()),
    }
}

fn as_i64(value: &Value) -> Option<i64> {
    value.as_integer().and_then(|i| i64::try_from(i).ok())
}

fn map_get_text<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_order_puts_ints_before_text_and_short_before_long() {
        let mut map = HeaderMap::new();
        map.insert(Label::Text(LABEL_GOV_MSG_CREATED_AT.into()), Value::from(1));
        map.insert(
            Label::Text(LABEL_GOV_MSG_TYPE.into()),
            Value::from("proposal"),
        );
        map.insert(Label::Int(LABEL_VDS), Value::from(2));
        map.insert(Label::Int(LABEL_KID), Value::Bytes(b"k".to_vec()));
        map.insert(Label::Int(LABEL_ALG), Value::from(-35));
        map.insert(Label::Int(LABEL_CWT_CLAIMS), Value::Map(vec![]));
        let Value::Map(sorted) = map.to_deterministic_cbor().unwrap() else {
            panic!("not a map")
        };
        let keys: Vec<Value> = sorted.into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                Value::from(1),
                Value::from(4),
                Value::from(15),
                Value::from(395),
                Value::from(LABEL_GOV_MSG_TYPE),
                Value::from(LABEL_GOV_MSG_CREATED_AT),
            ]
        );
    }

    #[test]
    fn insert_replaces_and_duplicates_are_rejected_on_decode() {
        let mut map = HeaderMap::new();
        map.insert(Label::Int(LABEL_ALG), Value::from(-7));
        map.insert(Label::Int(LABEL_ALG), Value::from(-35));
        assert_eq!(map.entries().len(), 1);
        assert_eq!(map.alg(), Some(-35));
        let dup = Value::Map(vec![
            (Value::from(1), Value::from(-35)),
            (Value::from(1), Value::from(-35)),
        ]);
        assert!(HeaderMap::from_cbor(dup).is_err());
        let bad_label = Value::Map(vec![(Value::Bytes(vec![1]), Value::from(1))]);
        assert!(HeaderMap::from_cbor(bad_label).is_err());
    }

    #[test]
    fn ccf_accessors() {
        let claims = CwtClaims {
            iss: Some("service.example.com".into()),
            sub: Some("ledger.signature".into()),
            iat: Some(1_700_000_000),
        };
        let mut map = HeaderMap::new();
        map.insert(Label::Int(LABEL_CWT_CLAIMS), claims.to_cbor());
        map.insert(
            Label::Text(LABEL_CCF_V1.into()),
            Value::Map(vec![(Value::from(CCF_V1_TXID), Value::from("2.5"))]),
        );
        map.insert(Label::Int(LABEL_KID), Value::from("text kid"));
        assert_eq!(map.cwt_claims(), Some(claims));
        assert_eq!(map.ccf_txid(), Some("2.5"));
        assert_eq!(map.kid(), None);
        assert_eq!(map.gov_msg_type(), None);
    }
}
