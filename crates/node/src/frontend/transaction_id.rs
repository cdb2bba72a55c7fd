//! CCF transaction ids (`<view>.<seqno>`) and the hook that stamps them on responses as
//! `x-ms-ccf-transaction-id`. CCF's clients use that header for session consistency and to poll
//! `/tx`, so every response that has a transaction id must carry it; the handler knows the id of
//! the transaction it ran, and the node supplies one for the rest (for instance the last
//! committed id on responses that ran none).

use std::fmt;

use http::header::HeaderName;

/// The response header CCF uses for transaction ids.
pub const TRANSACTION_ID_HEADER: HeaderName = HeaderName::from_static("x-ms-ccf-transaction-id");

/// A transaction id: the consensus view (term) and the sequence number in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId {
    pub view: u64,
    pub seqno: u64,
}

impl From<quorate_kv::TxId> for TransactionId {
    fn from(txid: quorate_kv::TxId) -> Self {
        Self {
            view: txid.view,
            seqno: txid.seqno,
        }
    }
}

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.view, self.seqno)
    }
}

/// Supplies the transaction id for responses whose handler set none, including the frontend's
/// own errors (404, 401, 413, ...). Returning `None` leaves the header off.
pub trait ResponseDecorator: Send + Sync {
    fn transaction_id(&self) -> Option<TransactionId>;
}

impl<F> ResponseDecorator for F
where
    F: Fn() -> Option<TransactionId> + Send + Sync,
{
    fn transaction_id(&self) -> Option<TransactionId> {
        self()
    }
}
