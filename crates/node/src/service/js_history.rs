//! `ccf.historical.getStateRange` and historical receipts for JS handlers on the JS threads:
//! committed transactions are read from the driver thread's log while the handler's thread
//! waits for them, and turned into JS values on the handler's thread.

use quorate_js::History;
use quorate_kv::{TxId, WriteSet};

use super::driver::{DriverHandle, Refused};
use super::historical::{
    CommittedPayloads, HistoricalError, committed_payloads, js_receipt, receipt,
};

/// The node's committed log, through its driver.
pub struct DriverHistory {
    driver: DriverHandle,
}

impl DriverHistory {
    /// For handlers that run off the driver thread (read-only and historical ones): the
    /// driver thread would wait on itself.
    pub fn new(driver: DriverHandle) -> Self {
        Self { driver }
    }
}

impl History for DriverHistory {
    fn range(&self, start_seqno: u64, end_seqno: u64) -> Result<Vec<(TxId, WriteSet)>, String> {
        let payloads = self
            .driver
            .query_blocking(move |node| committed_payloads(node, start_seqno, end_seqno))
            .map_err(refused)?;
        payloads
            .and_then(CommittedPayloads::decode)
            .map_err(|error| match error {
                HistoricalError::PendingOrUnknown | HistoricalError::Invalid => {
                    format!(
                        "getStateRange: seqnos {start_seqno} to {end_seqno} are not all committed"
                    )
                }
                HistoricalError::Internal(detail) => format!("getStateRange: {detail}"),
            })
    }

    fn receipt_json(&self, txid: TxId) -> Result<String, String> {
        let receipt = self
            .driver
            .query_blocking(move |node| receipt(node, txid))
            .map_err(refused)?;
        receipt
            .map(|receipt| js_receipt(&receipt).to_string())
            .map_err(|error| format!("the receipt of {txid}: {error:?}"))
    }
}

fn refused(refused: Refused) -> String {
    match refused {
        Refused::Busy => "the node is busy; try again".into(),
        Refused::Stopped => "the node is stopping".into(),
    }
}
