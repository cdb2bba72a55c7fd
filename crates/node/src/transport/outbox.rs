//! Encoded frames waiting for one peer's outgoing connection. The peer's channel task appends,
//! the connection task takes everything at once, so every write carries as many frames as
//! piled up while the previous write was in flight (batching without a timer).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::BytesMut;
use tokio::sync::Notify;

use super::framing::append_frame;

/// Pending bytes for one peer, and the wake-ups between its two tasks.
#[derive(Debug)]
pub(crate) struct Outbox {
    pending: Mutex<BytesMut>,
    /// Above this many pending bytes frames are dropped rather than queued: only replies to
    /// peer traffic can get here (messages stop being taken at the soft limit), and a peer
    /// must not be able to grow our memory while our connection to it is down.
    drop_above_bytes: usize,
    connected: AtomicBool,
    /// Wakes the connection task: there is something to write.
    ready: Notify,
    /// Wakes the channel task: the connection task took the pending bytes.
    drained: Notify,
}

impl Outbox {
    pub fn new(drop_above_bytes: usize) -> Self {
        Self {
            pending: Mutex::new(BytesMut::new()),
            drop_above_bytes,
            connected: AtomicBool::new(false),
            ready: Notify::new(),
            drained: Notify::new(),
        }
    }

    /// A poisoned lock only means another task panicked mid-append; the bytes are still a
    /// sequence of whole frames because `append_frame` cannot fail half-way.
    fn lock(&self) -> MutexGuard<'_, BytesMut> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `frames` in order and wakes the connection task; returns how many were dropped
    /// because the pending bytes were over the hard limit.
    pub fn push(&self, frames: impl IntoIterator<Item = Vec<u8>>) -> u64 {
        let mut dropped = 0;
        {
            let mut pending = self.lock();
            for frame in frames {
                if pending.len() > self.drop_above_bytes {
                    dropped += 1;
                } else {
                    append_frame(&mut pending, &frame);
                }
            }
        }
        self.ready.notify_one();
        dropped
    }

    pub fn pending_bytes(&self) -> usize {
        self.lock().len()
    }

    /// Takes every pending byte for one write and wakes a channel task waiting for room.
    pub fn take(&self) -> BytesMut {
        let batch = self.lock().split();
        self.drained.notify_one();
        batch
    }

    /// Resolves once something was pushed since the last wait (a push before the wait counts).
    pub async fn ready(&self) {
        self.ready.notified().await;
    }

    /// Resolves once pending bytes were taken since the last wait.
    pub async fn drained(&self) {
        self.drained.notified().await;
    }

    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }

    /// Whether the peer's outgoing connection is up; timers only start exchanges while it is,
    /// since a connection coming up starts one anyway.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}
