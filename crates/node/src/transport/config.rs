//! Tunables of the node-to-node transport: every queue is bounded and every wait has a limit,
//! so a slow, absent or hostile peer costs a known amount of memory and time.

use quorate_crypto::aead::TAG_SIZE_BYTES;

use super::TransportError;
use crate::channel::{ChannelConfig, DATA_HEADER_SIZE_BYTES};

/// The smallest accepted frame limit: a key-exchange step carries a certificate, and a limit
/// under this could refuse honest exchanges.
pub const MIN_FRAME_SIZE_BYTES: usize = 16 * 1024;

/// Limits and timers for one node's transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportConfig {
    /// The per-peer channel limits (key renewal, queue while keys are exchanged).
    pub channel: ChannelConfig,
    /// Largest frame accepted from or sent to a peer; a longer length prefix drops the
    /// connection before anything is allocated for it.
    pub max_frame_size_bytes: usize,
    /// Messages [`TransportHandle::send`](super::TransportHandle::send) queues per peer before
    /// it reports the queue full instead of blocking the caller.
    pub send_queue_messages: usize,
    /// Authenticated messages waiting for the node to take them; when full, reading from
    /// peers pauses, which pushes back on them through TCP.
    pub inbound_queue_messages: usize,
    /// Encoded bytes waiting for a peer's connection above which no more messages are taken
    /// from its send queue (a peer that is down or slow fills its queue, not our memory).
    pub pending_limit_bytes: usize,
    /// How long one connection attempt may take.
    pub connect_timeout_ms: u64,
    /// First wait after a failed connection attempt; doubled after each failure.
    pub reconnect_backoff_min_ms: u64,
    /// Longest wait between connection attempts.
    pub reconnect_backoff_max_ms: u64,
    /// How long one batched write may block before the connection is considered dead.
    pub write_timeout_ms: u64,
    /// Period of the channel timer ([`Channel::poll`](crate::channel::Channel::poll)); a
    /// fraction of the key-exchange timeout so retries happen close to when they are due.
    pub poll_interval_ms: u64,
    /// Bytes of received frames waiting for their channel, across all incoming connections;
    /// reading pauses while it is spent. At least `max_frame_size_bytes`, so any frame fits.
    pub inbound_buffer_limit_bytes: usize,
    /// How long an incoming connection may take to deliver its first frame. Honest peers
    /// send one at once (each new connection starts or continues a key exchange), so this
    /// only frees the slots of connections that say nothing.
    pub first_frame_timeout_ms: u64,
    /// Incoming connections served at once; more are closed on accept so strangers cannot
    /// exhaust tasks and buffers.
    pub max_incoming_connections: usize,
    /// How long [`TransportHandle::shutdown`](super::TransportHandle::shutdown) waits for the
    /// tasks to end.
    pub shutdown_timeout_ms: u64,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            channel: ChannelConfig::default(),
            max_frame_size_bytes: 64 * 1024 * 1024,
            send_queue_messages: 8192,
            inbound_queue_messages: 8192,
            pending_limit_bytes: 4 * 1024 * 1024,
            connect_timeout_ms: 1_000,
            reconnect_backoff_min_ms: 50,
            reconnect_backoff_max_ms: 2_000,
            write_timeout_ms: 10_000,
            poll_interval_ms: 100,
            inbound_buffer_limit_bytes: 256 * 1024 * 1024,
            first_frame_timeout_ms: 10_000,
            max_incoming_connections: 256,
            shutdown_timeout_ms: 5_000,
        }
    }
}

impl TransportConfig {
    /// Rejects limits under which the transport could not carry a message or would spin.
    pub fn validate(&self) -> Result<(), TransportError> {
        self.channel.validate()?;
        if self.max_frame_size_bytes < MIN_FRAME_SIZE_BYTES {
            return Err(TransportError::InvalidConfig(
                "max_frame_size_bytes must be at least 16 KiB to carry key exchanges",
            ));
        }
        if u32::try_from(self.max_frame_size_bytes).is_err() {
            return Err(TransportError::InvalidConfig(
                "max_frame_size_bytes must fit the 32-bit length prefix",
            ));
        }
        if self.send_queue_messages == 0
            || self.inbound_queue_messages == 0
            || self.pending_limit_bytes == 0
            || self.max_incoming_connections == 0
        {
            return Err(TransportError::InvalidConfig(
                "queue limits and max_incoming_connections must be at least 1",
            ));
        }
        if self.connect_timeout_ms == 0
            || self.reconnect_backoff_min_ms == 0
            || self.write_timeout_ms == 0
            || self.poll_interval_ms == 0
            || self.first_frame_timeout_ms == 0
            || self.shutdown_timeout_ms == 0
        {
            return Err(TransportError::InvalidConfig(
                "timeouts, backoff and poll interval must be at least 1 ms",
            ));
        }
        if self.inbound_buffer_limit_bytes < self.max_frame_size_bytes {
            return Err(TransportError::InvalidConfig(
                "inbound_buffer_limit_bytes must be at least max_frame_size_bytes",
            ));
        }
        if self.reconnect_backoff_max_ms < self.reconnect_backoff_min_ms {
            return Err(TransportError::InvalidConfig(
                "reconnect_backoff_max_ms must be at least reconnect_backoff_min_ms",
            ));
        }
        Ok(())
    }

    /// The largest payload whose data frame fits in `max_frame_size_bytes` (payloads are the
    /// same length sealed or in clear; the header and tag come on top).
    pub fn max_payload_size_bytes(&self) -> usize {
        self.max_frame_size_bytes
            .saturating_sub(DATA_HEADER_SIZE_BYTES + TAG_SIZE_BYTES)
    }
}
