//! Authenticated node-to-node channels, as an IO-free state machine per peer.
//!
//! CCF runs no TLS between nodes: each ordered pair of nodes agrees on keys with an
//! authenticated ECDH exchange and protects every message with AES-256-GCM. Quorate keeps that
//! design with its own wire format (CCF's node-to-node protocol is not a compatibility target):
//!
//! 1. **init** (initiator → responder): a fresh ephemeral P-384 share, the initiator's
//!    service-endorsed certificate, and an ES384 signature by its node key over the share and
//!    both node ids.
//! 2. **response**: the responder checks the certificate (issued by the service certificate,
//!    key hashing to the expected node id) and the signature, then returns its own share,
//!    certificate and a signature over both shares.
//! 3. **final**: the initiator checks the same, installs the keys and signs both shares; the
//!    responder installs the keys when that signature verifies.
//!
//! HKDF-SHA256 over the ECDH secret, bound to both ids and both shares, gives one key per
//! direction and a key id. Each data frame carries the key id and a counter that is the GCM IV;
//! the receiver drops any counter at or below one it has accepted (replays, reordering) and
//! accepts forward jumps. Consensus frames are integrity-protected only (the payload travels in
//! clear under the tag), forwarded client requests are encrypted. After
//! [`ChannelConfig::message_limit`] messages under one key, or after
//! [`ChannelConfig::key_lifetime_ms`], the channel renews: new messages wait in a bounded queue,
//! and the previous receive key stays for frames already in flight, so renewal loses nothing in
//! either direction. One previous key is enough because the transport delivers frames in order
//! and a renewal needs a round trip. When both nodes initiate at once the exchange started by
//! the lower node id wins.
//!
//! The channel never touches sockets or clocks: the IO shell routes bytes with
//! [`Frame::decode`], feeds them to [`Channel::receive`], sends what [`Channel::seal`] and
//! `receive` return, and calls [`Channel::poll`] with the time, which restarts exchanges that
//! timed out and renews old keys. Randomness comes from an [`EntropySource`].

mod codec;
mod config;
mod entropy;
mod error;
mod frame;
mod identity;
mod key_schedule;
mod node_id;
mod state_machine;
mod traffic_keys;

pub use config::ChannelConfig;
pub use entropy::{EntropySource, SystemEntropy};
pub use error::ChannelError;
pub use frame::{
    DATA_HEADER_SIZE_BYTES, DataFrame, FRAME_VERSION, Frame, KEY_ID_SIZE_BYTES, KeyExchange,
    MessageKind, Share, ShareSignature,
};
pub use identity::LocalIdentity;
pub use node_id::{NODE_ID_SIZE_BYTES, NodeId};
pub use state_machine::{Channel, ChannelState, Received};
