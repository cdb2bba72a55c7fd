//! The globals a handler sees: `ccf` (built in JS by `prelude.js` over the native functions in
//! `natives.rs`, and for `ccf.crypto` in `crypto.rs`) and `console`.

mod crypto;
mod natives;

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::Ctx;

use crate::host::HostState;

const PRELUDE: &str = include_str!("prelude.js");

/// Installs `ccf` and `console` in `ctx`, acting on `host`.
pub fn install(ctx: &Ctx<'_>, host: &Rc<RefCell<HostState>>) -> rquickjs::Result<()> {
    natives::install(ctx, host)?;
    ctx.eval::<(), _>(PRELUDE)
}
