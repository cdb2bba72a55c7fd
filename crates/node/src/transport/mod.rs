//! The node-to-node transport: the IO shell around the [`channel`](crate::channel) state
//! machine, on tokio and TCP.
//!
//! Like CCF, each node sends on connections it opens and receives on connections it accepts:
//! one outgoing connection per peer (`TCP_NODELAY`, reconnected with exponential backoff,
//! retargeted when the peer's address changes), and a listener whose connections are trusted
//! for nothing. On every stream a frame is a big-endian `u32` length and a channel frame. Each
//! frame is routed by the sender it claims to that peer's
//! [`Channel`](crate::channel::Channel), which alone authenticates it; refused frames are
//! counted in [`TransportStats`] and never reach the node. A length over
//! [`TransportConfig::max_frame_size_bytes`], bytes that do not parse as a frame, a sender
//! that is not a peer, a second sender on one connection (an honest peer only sends its own
//! frames) or no first frame within [`TransportConfig::first_frame_timeout_ms`] drop the
//! connection.
//!
//! Each peer has one task owning its channel (sealing the node's messages, feeding frames to
//! the channel, calling `poll` on a timer, and starting a key exchange on every new outgoing
//! connection unless one is under way, since the peer may have restarted) and one task owning
//! its outgoing connection, which writes everything pending in one write (batching). Every
//! queue is bounded: [`TransportHandle::send`] reports a full per-peer queue instead of
//! blocking; received frames hold a shared byte budget until their channel handled them; and
//! the node's inbound queue, when full, pauses reading from peers.
//!
//! Messages to one peer arrive in order and at most once. Messages in flight when a
//! connection fails or a peer restarts can be lost (the peer's new keys cannot open frames
//! sealed under the old ones); consensus retransmits, so the transport does not.

mod budget;
mod config;
mod error;
mod framing;
mod handle;
mod link;
mod listener;
mod outbox;
mod peer;
mod peers;
mod stats;
mod stop;

pub use config::{MIN_FRAME_SIZE_BYTES, TransportConfig};
pub use error::TransportError;
pub use framing::LENGTH_PREFIX_SIZE_BYTES;
pub use handle::{Inbound, Transport, TransportHandle};
pub use stats::TransportStats;
