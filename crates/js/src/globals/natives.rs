//! The native functions the prelude builds `ccf` on. Each acts on the call's [`HostState`];
//! errors become JS exceptions with a clear message, never a panic.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::{Array, ArrayBuffer, Ctx, Exception, Function, Object, Value};

use super::Mode;
use crate::host::HostState;

pub(super) type Shared = Rc<RefCell<HostState>>;

pub(super) fn throw(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, message)
}

/// Why `map` may not be written in `mode`, if it may not: apps may not write the service's own
/// tables (`public:ccf.*`, `ccf.*`); governance writes the `gov` tables but never the node's
/// internal ones (signatures, Merkle tree, ledger secrets), which only the node writes.
fn write_forbidden(mode: Mode, map: &str) -> Option<String> {
    match mode {
        Mode::App if map.starts_with("public:ccf.") || map.starts_with("ccf.") => {
            Some(format!("map {map} may not be written by an app"))
        }
        Mode::Governance
            if map.starts_with("public:ccf.internal.") || map.starts_with("ccf.internal.") =>
        {
            Some(format!("map {map} may not be written by governance"))
        }
        _ => None,
    }
}

/// The bytes of a buffer the prelude passed with `bytes` (see [`super::bytes_from_js`]).
pub(super) fn js_bytes(ctx: &Ctx<'_>, text: &str) -> rquickjs::Result<Vec<u8>> {
    super::bytes_from_js(text).ok_or_else(|| throw(ctx, "not a byte string"))
}

/// The bytes of a string whose characters are all below 256: how the node passes a signed
/// body's COSE content in `request.caller` (one char per byte).
fn latin1(ctx: &Ctx<'_>, text: &str) -> rquickjs::Result<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| throw(ctx, "not a byte string")))
        .collect()
}

/// A view or seqno from JS: a whole number from 0 to 2^53.
pub(super) fn whole(ctx: &Ctx<'_>, number: f64) -> rquickjs::Result<u64> {
    if number.fract() != 0.0 || !(0.0..=9_007_199_254_740_992.0).contains(&number) {
        return Err(throw(ctx, "expected a non-negative integer"));
    }
    Ok(number as u64)
}

/// A buffer of `bytes`, or `undefined` when there are none.
pub(super) fn buffer_or_undefined<'js>(
    ctx: &Ctx<'js>,
    bytes: Option<&[u8]>,
) -> rquickjs::Result<Value<'js>> {
    match bytes {
        Some(bytes) => buffer(ctx, bytes),
        None => Ok(Value::new_undefined(ctx.clone())),
    }
}

pub(super) fn buffer<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    Ok(ArrayBuffer::new_copy(ctx.clone(), bytes)?.into_value())
}

/// `[[key, value], ...]` of ArrayBuffers, as `forEach` in the prelude takes them.
pub(super) fn pairs<'js, 'a>(
    ctx: &Ctx<'js>,
    entries: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> rquickjs::Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (index, (key, value)) in entries.enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, buffer(ctx, key)?)?;
        pair.set(1, buffer(ctx, value)?)?;
        array.set(index, pair)?;
    }
    Ok(array)
}

const NO_TX: &str = "ccf.kv is not available in this endpoint";

/// Runs `f` on the call's transaction; an endpoint without one (historical) throws.
pub(super) fn with_tx<R>(
    ctx: &Ctx<'_>,
    host: &Shared,
    f: impl FnOnce(&mut quorate_kv::Tx) -> R,
) -> rquickjs::Result<R> {
    match host.borrow_mut().input.tx.as_mut() {
        Some(tx) => Ok(f(tx)),
        None => Err(throw(ctx, NO_TX)),
    }
}

/// As [`with_tx`], for writes: the call must be read-write and `mode` allowed to write the map.
pub(super) fn with_writable_tx<R>(
    ctx: &Ctx<'_>,
    host: &Shared,
    mode: Mode,
    map: &str,
    f: impl FnOnce(&mut quorate_kv::Tx) -> R,
) -> rquickjs::Result<R> {
    if host.borrow().input.tx.is_none() {
        return Err(throw(ctx, NO_TX));
    }
    if !host.borrow().input.writable {
        let message = match mode {
            Mode::App => "this endpoint is read-only: ccf.kv cannot be written",
            Mode::Governance => "this governance call is read-only: ccf.kv cannot be written",
        };
        return Err(throw(ctx, message));
    }
    if let Some(reason) = write_forbidden(mode, map) {
        return Err(throw(ctx, &reason));
    }
    with_tx(ctx, host, f)
}

/// The native functions for the prelude, as one object (`q` in prelude.js); `mode` decides
/// which maps `ccf.kv` may write.
pub fn install<'js>(ctx: &Ctx<'js>, host: &Shared, mode: Mode) -> rquickjs::Result<Object<'js>> {
    let natives = Object::new(ctx.clone())?;

    let h = Rc::clone(host);
    natives.set(
        "kv_get",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String, key: String| -> rquickjs::Result<Value<'js>> {
                let key = js_bytes(&ctx, &key)?;
                let value = with_tx(&ctx, &h, |tx| tx.get(&map, &key))?;
                buffer_or_undefined(&ctx, value.as_deref())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_has",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String, key: String| -> rquickjs::Result<bool> {
                let key = js_bytes(&ctx, &key)?;
                with_tx(&ctx, &h, |tx| tx.has(&map, &key))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_version",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String, key: String| -> rquickjs::Result<Option<f64>> {
                let key = js_bytes(&ctx, &key)?;
                with_tx(&ctx, &h, |tx| {
                    tx.get_version_of_previous_write(&map, &key)
                        .map(|version| version as f64)
                })
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_set",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String, key: String, value: String| -> rquickjs::Result<()> {
                let key = js_bytes(&ctx, &key)?;
                let value = js_bytes(&ctx, &value)?;
                with_writable_tx(&ctx, &h, mode, &map, |tx| tx.put(&map, key, value))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_delete",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String, key: String| -> rquickjs::Result<bool> {
                let key = js_bytes(&ctx, &key)?;
                with_writable_tx(&ctx, &h, mode, &map, |tx| {
                    let existed = tx.has(&map, &key);
                    tx.remove(&map, key);
                    existed
                })
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_clear",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String| -> rquickjs::Result<()> {
                with_writable_tx(&ctx, &h, mode, &map, |tx| tx.clear(&map))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_size",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String| -> rquickjs::Result<f64> {
                with_tx(&ctx, &h, |tx| tx.size(&map) as f64)
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "kv_entries",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, map: String| -> rquickjs::Result<Array<'js>> {
                // Collected first, so the callback may use ccf.kv while iterating.
                let mut entries = Vec::new();
                with_tx(&ctx, &h, |tx| {
                    tx.foreach(&map, |key, value| {
                        entries.push((key.to_vec(), value.to_vec()));
                        true
                    });
                })?;
                pairs(
                    &ctx,
                    entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
                )
            },
        )?,
    )?;
    super::historical::install(ctx, host, &natives)?;
    natives.set(
        "utf8_encode",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, text: String| -> rquickjs::Result<Value<'js>> {
                buffer(&ctx, text.as_bytes())
            },
        )?,
    )?;
    natives.set(
        "pem_to_id",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, pem: String| -> rquickjs::Result<String> {
                quorate_crypto::Certificate::from_pem(&pem)
                    .map(|certificate| certificate.fingerprint_sha256_hex())
                    .map_err(|error| throw(&ctx, &format!("Failed to parse PEM: {error}")))
            },
        )?,
    )?;
    natives.set(
        "latin1_to_buffer",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, data: String| -> rquickjs::Result<Value<'js>> {
                buffer(&ctx, &latin1(&ctx, &data)?)
            },
        )?,
    )?;
    natives.set(
        "utf8_decode",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, data: String| -> rquickjs::Result<String> {
                let data = js_bytes(&ctx, &data)?;
                String::from_utf8(data).map_err(|_| throw(&ctx, "the buffer is not valid UTF-8"))
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "set_apply_writes",
        Function::new(ctx.clone(), move |apply: bool| {
            h.borrow_mut().output.apply_writes = Some(apply);
        })?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "set_claims_digest",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, digest: String| -> rquickjs::Result<()> {
                let digest = js_bytes(&ctx, &digest)?;
                let digest: [u8; 32] = digest
                    .try_into()
                    .map_err(|_| throw(&ctx, "a claims digest is 32 bytes"))?;
                h.borrow_mut().output.claims_digest = Some(digest);
                Ok(())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "last_committed",
        Function::new(ctx.clone(), move || -> Vec<f64> {
            let txid = h.borrow().input.consensus.last_committed;
            vec![txid.view as f64, txid.seqno as f64]
        })?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "tx_status",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, view: f64, seqno: f64| -> rquickjs::Result<String> {
                let (view, seqno) = (whole(&ctx, view)?, whole(&ctx, seqno)?);
                Ok(h.borrow()
                    .input
                    .consensus
                    .status_for(view, seqno)
                    .to_owned())
            },
        )?,
    )?;
    let h = Rc::clone(host);
    natives.set(
        "view_for_seqno",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, seqno: f64| -> rquickjs::Result<Option<f64>> {
                let seqno = whole(&ctx, seqno)?;
                Ok(h.borrow()
                    .input
                    .consensus
                    .view_for_seqno(seqno)
                    .map(|view| view as f64))
            },
        )?,
    )?;
    natives.set(
        "log",
        Function::new(
            ctx.clone(),
            move |level: String, message: String| match level.as_str() {
                "error" => tracing::error!(target: "js", "{message}"),
                "warn" => tracing::warn!(target: "js", "{message}"),
                "debug" => tracing::debug!(target: "js", "{message}"),
                _ => tracing::info!(target: "js", "{message}"),
            },
        )?,
    )?;
    super::crypto::install(ctx, &natives)?;
    Ok(natives)
}
