//! When the primary emits a signature transaction: after `tx_count` transactions or `delay_ms`
//! of virtual time since the last one, whichever comes first (CCF's `ledger_signatures`).

/// CCF's `ledger_signatures` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignaturePolicy {
    pub tx_count: u64,
    pub delay_ms: u64,
}

impl Default for SignaturePolicy {
    /// CCF's defaults: every 5000 transactions or 1000 ms.
    fn default() -> Self {
        Self {
            tx_count: 5000,
            delay_ms: 1000,
        }
    }
}

/// Transactions since the last signature and when it was emitted.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignatureClock {
    unsigned_txs: u64,
    last_signature_ms: u64,
}

impl SignatureClock {
    pub fn record_tx(&mut self) {
        self.unsigned_txs += 1;
    }

    pub fn record_signature(&mut self, now_ms: u64) {
        self.unsigned_txs = 0;
        self.last_signature_ms = now_ms;
    }

    /// When the waiting transactions' delay runs out, if any wait.
    pub fn due_at_ms(&self, policy: &SignaturePolicy) -> Option<u64> {
        (self.unsigned_txs > 0).then(|| self.last_signature_ms.saturating_add(policy.delay_ms))
    }

    /// Whether enough transactions wait for a signature, whatever the time.
    pub fn count_due(&self, policy: &SignaturePolicy) -> bool {
        self.unsigned_txs >= policy.tx_count.max(1)
    }

    /// Whether a signature is due: enough transactions, or some waiting for `delay_ms`.
    pub fn due(&self, policy: &SignaturePolicy, now_ms: u64) -> bool {
        self.count_due(policy)
            || self
                .due_at_ms(policy)
                .is_some_and(|due_ms| now_ms >= due_ms)
    }
}
