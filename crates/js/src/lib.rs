//! JavaScript applications, as CCF runs them: a bundle (`app.json` endpoint metadata and ES
//! modules) whose handlers run on QuickJS with CCF's `ccf` global, under per-request heap,
//! stack and time limits.
//!
//! The node calls [`call`] with a bundle, a handler (module and function), the request and a
//! [`HostInput`] (the KV transaction, moved in for the call, and what `ccf.consensus` reports);
//! it gets the transaction back in the [`HostOutput`] with what the handler asked of it
//! (`ccf.rpc.setApplyWrites`, `setClaimsDigest`).
//!
//! The governance layer calls [`call_governance`] to run a constitution's `validate`,
//! `resolve` and `apply` or a ballot's `vote` (one module each) with JSON arguments; that code
//! gets CCF's gov-only API on top of `ccf` (`ccf.node`, `ccf.network`, `ccf.gov`, the JWT key
//! helpers), runs in a context of its own, and may write governance tables. It leaves
//! [`NodeAction`]s for the node in the [`HostOutput`].
//!
//! What of CCF's `ccf` API is here, and what throws "not supported yet", is listed in
//! `docs/js.md`.

pub mod bundle;
mod error;
mod globals;
mod governance;
mod host;
mod interpreter;
mod limits;
mod loader;
mod request;

pub use bundle::{
    AppMetadata, Bundle, EndpointMetadata, EndpointMode, Forwarding, module_key, parse_endpoint_key,
};
pub use error::{JsError, JsLimit};
pub use governance::{
    GovernanceContext, GovernanceScript, NodeAction, call_governance, check_module_syntax,
};
pub use host::{ConsensusView, History, HostInput, HostOutput};
pub use interpreter::{Handler, call};
pub use limits::{JsLimits, JsRuntimeOptions};
pub use loader::resolve_specifier;
pub use request::{JsRequest, JsResponse};
