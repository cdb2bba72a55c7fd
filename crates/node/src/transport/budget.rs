//! The memory received frames may hold while they wait for their channel task, across all
//! incoming connections. A frame's bytes are reserved from the budget once it is read and
//! returned once its channel has handled it, so a burst of frames (forged in a peer's name,
//! say) or a channel task that is behind pauses reading instead of queueing without bound.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::channel::Frame;

/// The shared budget, in bytes.
#[derive(Debug, Clone)]
pub(crate) struct FrameBudget(Arc<Semaphore>);

impl FrameBudget {
    pub fn new(limit_bytes: usize) -> Self {
        Self(Arc::new(Semaphore::new(
            limit_bytes.min(Semaphore::MAX_PERMITS),
        )))
    }

    /// Waits until `length_bytes` fit in the budget and holds them. `None` only if the
    /// budget was closed, which this transport never does.
    pub async fn reserve(&self, length_bytes: u32) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.0)
            .acquire_many_owned(length_bytes)
            .await
            .ok()
    }
}

/// A received frame with the budget it holds until it is dropped, after its channel has
/// handled it.
#[derive(Debug)]
pub(crate) struct ReceivedFrame {
    pub frame: Frame,
    pub _reservation: OwnedSemaphorePermit,
}
