//! The globals a handler sees: `ccf` (built in JS by `prelude.js` over the native functions in
//! `natives.rs`, and for `ccf.crypto` in `crypto.rs`) and `console`. Governance contexts also
//! get CCF's gov-only API (`governance.rs`, `governance.js`), added to `ccf` by the prelude
//! before it freezes `ccf`.

mod crypto;
mod governance;
mod historical;
mod natives;

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::Ctx;

use crate::host::HostState;

pub(crate) use governance::GovernanceSettings;

const PRELUDE: &str = include_str!("prelude.js");

/// The bytes of a buffer as the prelude's `bytes` passes them to Rust (base64, standard
/// alphabet, padded: `Uint8Array.prototype.toBase64`); `None` if `text` is not that.
pub(crate) fn bytes_from_js(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Who the code in a context is, which decides what `ccf` lets it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An app's handlers: `ccf.kv` may not write `public:ccf.*`.
    App,
    /// A constitution or ballot: `ccf.kv` may write every map but the node's internal ones,
    /// and the gov-only API is there.
    Governance,
}

/// Installs an app's `ccf` and `console` in `ctx`, acting on `host`.
pub fn install(ctx: &Ctx<'_>, host: &Rc<RefCell<HostState>>) -> rquickjs::Result<()> {
    let natives = natives::install(ctx, host, Mode::App)?;
    ctx.globals().set("__quorate_natives", natives)?;
    ctx.eval::<(), _>(PRELUDE)
}

/// Installs governance's `ccf` (the app's plus the gov-only API) and `console` in `ctx`.
pub fn install_governance(
    ctx: &Ctx<'_>,
    host: &Rc<RefCell<HostState>>,
    settings: GovernanceSettings,
) -> rquickjs::Result<()> {
    let natives = natives::install(ctx, host, Mode::Governance)?;
    governance::install(ctx, host, &natives, settings)?;
    ctx.globals().set("__quorate_natives", natives)?;
    ctx.eval::<(), _>(PRELUDE)
}
