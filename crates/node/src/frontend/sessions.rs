//! Open-session accounting for CCF's two caps. Every accepted connection below the hard cap
//! counts (including those past the soft cap, which are answered 503 and closed), as in CCF's
//! host; a guard gives the slot back when the connection's task ends, however it ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of open sessions on one interface.
#[derive(Debug, Default)]
pub(crate) struct SessionCounter {
    open: AtomicUsize,
}

/// What to do with a newly accepted connection.
pub(crate) enum Admission {
    /// Below the soft cap: serve it.
    Serve(SessionGuard),
    /// Between the caps: finish the handshake, answer 503 `SessionCapExhausted`, close.
    Refuse(SessionGuard),
    /// At the hard cap: close before the handshake.
    Drop,
}

/// One open session; dropping it frees the slot.
pub(crate) struct SessionGuard {
    counter: Arc<SessionCounter>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.counter.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SessionCounter {
    pub(crate) fn open_sessions(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Counts a new connection against the caps.
    pub(crate) fn admit(self: &Arc<Self>, soft_cap: usize, hard_cap: usize) -> Admission {
        let already_open = self.open.fetch_add(1, Ordering::AcqRel);
        if already_open >= hard_cap {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return Admission::Drop;
        }
        let guard = SessionGuard {
            counter: Arc::clone(self),
        };
        if already_open >= soft_cap {
            Admission::Refuse(guard)
        } else {
            Admission::Serve(guard)
        }
    }
}
