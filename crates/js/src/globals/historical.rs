//! The natives behind `ccf.historicalState` and `ccf.historical.getStateRange`. A state is
//! named by a slot: -1 is the historical endpoint's own transaction, 0.. the states
//! `getStateRange` fetched during the call. As in CCF, a state's `kv` holds what its
//! transaction wrote, and nothing else. A receipt is made only when a handler reads one: a
//! proof costs a tree deserialisation, and most handlers read only writes.

use std::rc::Rc;

use bytes::Bytes;
use quorate_kv::{TxId, WriteSet};
use rquickjs::{Array, Ctx, Function, Object, Value};

use super::natives::{Shared, buffer_or_undefined, pairs, throw};
use crate::host::HostState;

/// The endpoint's own historical state.
const OWN_SLOT: i64 = -1;

/// Most seqnos one `getStateRange` call may ask for: the states are held, decrypted, until
/// the handler returns (CCF's logging sample pages by 2,000).
const MAX_RANGE_SEQNOS: u64 = 10_000;

/// Most states one handler call may hold, over all its `getStateRange` calls: they live in
/// the node's memory, outside the JS heap limit.
const MAX_HELD_STATES: usize = 20_000;

fn state(host: &HostState, slot: i64) -> Option<&(TxId, WriteSet)> {
    if slot == OWN_SLOT {
        return host.input.historical.as_ref();
    }
    host.range.get(usize::try_from(slot).ok()?)
}

/// The transaction of `slot` and the value it wrote at `map[key]`, if it wrote one.
fn written<'h>(host: &'h HostState, slot: i64, map: &str, key: &[u8]) -> Option<(TxId, &'h Bytes)> {
    let (txid, writes) = state(host, slot)?;
    writes
        .map(map)?
        .get(key)
        .flatten()
        .map(|value| (*txid, value))
}

fn string_or_undefined<'js>(ctx: Ctx<'js>, text: Option<&str>) -> rquickjs::Result<Value<'js>> {
    match text {
        Some(text) => Ok(rquickjs::String::from_str(ctx, text)?.into_value()),
        None => Ok(Value::new_undefined(ctx)),
    }
}

pub(super) fn install<'js>(
    ctx: &Ctx<'js>,
    host: &Shared,
    natives: &Object<'js>,
) -> rquickjs::Result<()> {
    let h = Rc::clone(host);
    natives.set(
        "historical_get",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  slot: i64,
                  map: String,
                  key: String|
                  -> rquickjs::Result<Value<'js>> {
                let key = super::natives::js_bytes(&ctx, &key)?;
                let value = written(&h.borrow(), slot, &map, &key).map(|(_, value)| value.clone());
                buffer_or_undefined(&ctx, value.as_deref())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "historical_version",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  slot: i64,
                  map: String,
                  key: String|
                  -> rquickjs::Result<Option<f64>> {
                // The state holds one transaction's writes, so a key's previous write is that
                // transaction, if it wrote the key.
                let key = super::natives::js_bytes(&ctx, &key)?;
                let seqno = written(&h.borrow(), slot, &map, &key).map(|(txid, _)| txid.seqno);
                Ok(seqno.map(|seqno| seqno as f64))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "historical_entries",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, slot: i64, map: String| -> rquickjs::Result<Array<'js>> {
                // Copied out first, so the callback may read historical state while iterating.
                let entries: Vec<(Vec<u8>, Vec<u8>)> = state(&h.borrow(), slot)
                    .and_then(|(_, writes)| writes.map(&map))
                    .map(|writes| {
                        writes
                            .writes()
                            .map(|(key, value)| (key.to_vec(), value.to_vec()))
                            .collect()
                    })
                    .unwrap_or_default();
                pairs(
                    &ctx,
                    entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
                )
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "historical_txid",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, slot: i64| -> rquickjs::Result<Value<'js>> {
                let txid = state(&h.borrow(), slot).map(|(txid, _)| txid.to_string());
                string_or_undefined(ctx, txid.as_deref())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "historical_receipt",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, slot: i64| -> rquickjs::Result<Value<'js>> {
                let (txid, history) = {
                    let host = h.borrow();
                    (
                        state(&host, slot).map(|(txid, _)| *txid),
                        host.input.history.clone(),
                    )
                };
                let json = match (txid, history) {
                    (Some(txid), Some(history)) => Some(
                        history
                            .receipt_json(txid)
                            .map_err(|message| throw(&ctx, &message))?,
                    ),
                    _ => None,
                };
                string_or_undefined(ctx, json.as_deref())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "historical_range",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, start: f64, end: f64| -> rquickjs::Result<Array<'js>> {
                let (start, end) = seqno_range(start, end).map_err(|m| throw(&ctx, &m))?;
                let held = h.borrow().range.len();
                let asked = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
                if held.saturating_add(asked) > MAX_HELD_STATES {
                    return Err(throw(
                        &ctx,
                        &format!(
                            "getStateRange: a handler may hold at most {MAX_HELD_STATES} states \
                             ({held} held, {asked} more asked)"
                        ),
                    ));
                }
                let history = h.borrow().input.history.clone().ok_or_else(|| {
                    throw(
                        &ctx,
                        "ccf.historical.getStateRange is available in read-only and historical \
                         endpoints (a read-write handler runs where the node orders writes)",
                    )
                })?;
                let states = history
                    .range(start, end)
                    .map_err(|message| throw(&ctx, &message))?;
                let count = states.len();
                let mut host = h.borrow_mut();
                let first = host.range.len();
                host.range.extend(states);
                drop(host);
                let slots = Array::new(ctx.clone())?;
                slots.set(0, first)?;
                slots.set(1, count)?;
                Ok(slots)
            },
        )?,
    )?;
    Ok(())
}

/// JavaScript's `Number.MAX_SAFE_INTEGER`: every whole number up to it is exact in an f64.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whole seqnos from 1 with `start <= end`, at most [`MAX_RANGE_SEQNOS`] of them.
fn seqno_range(start: f64, end: f64) -> Result<(u64, u64), String> {
    let whole = |value: f64, name: &str| {
        if value.fract() == 0.0 && (1.0..=MAX_SAFE_INTEGER).contains(&value) {
            Ok(value as u64)
        } else {
            Err(format!(
                "getStateRange: {name} must be a whole seqno from 1, not {value}"
            ))
        }
    };
    let (start, end) = (whole(start, "startSeqno")?, whole(end, "endSeqno")?);
    if end < start {
        return Err(format!(
            "getStateRange: endSeqno {end} is before startSeqno {start}"
        ));
    }
    if end - start >= MAX_RANGE_SEQNOS {
        return Err(format!(
            "getStateRange: at most {MAX_RANGE_SEQNOS} seqnos per call ({start} to {end} asked)"
        ));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_whole_ordered_and_bounded() {
        assert_eq!(seqno_range(1.0, 1.0), Ok((1, 1)));
        assert_eq!(seqno_range(5.0, 9.0), Ok((5, 9)));
        assert!(seqno_range(0.0, 3.0).is_err());
        assert!(seqno_range(1.5, 3.0).is_err());
        assert!(seqno_range(f64::NAN, 3.0).is_err());
        assert!(seqno_range(4.0, 3.0).is_err());
        assert!(seqno_range(1.0, 10_000.0).is_ok());
        assert!(seqno_range(1.0, 10_001.0).is_err());
    }
}
