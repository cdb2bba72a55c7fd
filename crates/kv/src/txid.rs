//! Transaction IDs. The seqno is the store version; the view belongs to the consensus layer,
//! which sets it on the store, and only travels with the seqno so entries and receipts can name
//! the transaction the way CCF does (`view.seqno`).

use std::fmt;

/// A CCF transaction ID. Ordered by view, then seqno, as CCF orders TxIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TxId {
    pub view: u64,
    pub seqno: u64,
}

impl TxId {
    pub const fn new(view: u64, seqno: u64) -> Self {
        Self { view, seqno }
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.view, self.seqno)
    }
}
