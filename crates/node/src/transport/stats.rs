//! Counters of what peers did to this node's transport. Peer misbehaviour never becomes an
//! error the node has to handle, so these counts (and the logs) are where it shows.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the transport's counters since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Incoming connections accepted (including ones later dropped).
    pub connections_accepted: u64,
    /// Incoming connections closed at once because `max_incoming_connections` were open.
    pub connections_refused: u64,
    /// Incoming connections dropped for a malformed, empty, oversized or truncated frame, or
    /// for a frame claiming a different sender than the connection's first frame.
    pub connections_dropped_malformed: u64,
    /// Incoming connections whose frames claimed a sender that is not a peer.
    pub connections_dropped_unknown_sender: u64,
    /// Incoming connections closed for sending no frame within `first_frame_timeout_ms`.
    pub connections_dropped_silent: u64,
    /// Outgoing connections established (the first one and every reconnection).
    pub connections_established: u64,
    /// Frames a channel refused: failed authentication, replays, unknown keys, unexpected
    /// key-exchange steps.
    pub frames_rejected: u64,
    /// Frames dropped before sending because a peer's pending bytes were far over the limit.
    pub frames_dropped_pending_full: u64,
    /// Authenticated messages handed to the node.
    pub messages_delivered: u64,
}

/// The live counters, shared by all tasks of one transport.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub connections_accepted: AtomicU64,
    pub connections_refused: AtomicU64,
    pub connections_dropped_malformed: AtomicU64,
    pub connections_dropped_unknown_sender: AtomicU64,
    pub connections_dropped_silent: AtomicU64,
    pub connections_established: AtomicU64,
    pub frames_rejected: AtomicU64,
    pub frames_dropped_pending_full: AtomicU64,
    pub messages_delivered: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`; relaxed, since counts order nothing.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> TransportStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        TransportStats {
            connections_accepted: read(&self.connections_accepted),
            connections_refused: read(&self.connections_refused),
            connections_dropped_malformed: read(&self.connections_dropped_malformed),
            connections_dropped_unknown_sender: read(&self.connections_dropped_unknown_sender),
            connections_dropped_silent: read(&self.connections_dropped_silent),
            connections_established: read(&self.connections_established),
            frames_rejected: read(&self.frames_rejected),
            frames_dropped_pending_full: read(&self.frames_dropped_pending_full),
            messages_delivered: read(&self.messages_delivered),
        }
    }
}
