//! Native (Rust) applications. An app is a list of [`AppEndpoint`]s mounted under `/app`; each
//! names its auth policies by CCF's names and gives a transactional handler. The node decides
//! where a handler runs: read-write handlers run on the primary in a read-write transaction
//! (a backup forwards the request, or redirects it in 307 mode), read-only handlers run on any
//! node on a snapshot of its store, historical handlers get the committed write set of the
//! transaction named by the request's `x-ms-ccf-transaction-id` header (CCF's historical
//! adapter). Handlers never see consensus, the ledger or the network.

mod endpoint;
mod request_helpers;

pub use endpoint::{
    App, AppAuth, AppEndpoint, AppHandler, HistoricalHandler, HistoricalState, TxHandler,
};
pub use request_helpers::{bad_request, json_body, percent_decode, query_param, query_params};
