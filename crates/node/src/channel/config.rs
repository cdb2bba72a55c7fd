//! Limits that keep a channel's keys fresh and its memory bounded.

use super::ChannelError;

/// Tunables for one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Messages sealed under one send key before the channel renews its keys (CCF's
    /// `node_to_node_message_limit`). Bounds how much traffic one key protects.
    pub message_limit: u64,
    /// Messages held while no usable send key exists; beyond this `seal` fails rather than
    /// letting an unresponsive peer grow our memory without bound.
    pub max_queued_messages: usize,
    /// How long an exchange may stay unfinished before [`Channel::poll`](super::Channel::poll)
    /// starts a fresh one: a lost step, a restarted peer or a replayed `init` would otherwise
    /// leave the channel waiting for ever.
    pub key_exchange_timeout_ms: u64,
    /// How long keys are used before [`Channel::poll`](super::Channel::poll) renews them even
    /// if the message limit was not reached (CCF's periodic key refresh).
    pub key_lifetime_ms: u64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        Self {
            message_limit: 1 << 30,
            max_queued_messages: 4096,
            key_exchange_timeout_ms: 2_000,
            key_lifetime_ms: 30 * 60 * 1_000,
        }
    }
}

impl ChannelConfig {
    /// Rejects limits under which the channel could never send or would renew without pause.
    pub fn validate(&self) -> Result<(), ChannelError> {
        if self.message_limit == 0 {
            return Err(ChannelError::InvalidConfig(
                "message_limit must be at least 1",
            ));
        }
        if self.message_limit == u64::MAX {
            return Err(ChannelError::InvalidConfig(
                "message_limit must leave room for the counter after the last message",
            ));
        }
        if self.max_queued_messages == 0 {
            return Err(ChannelError::InvalidConfig(
                "max_queued_messages must be at least 1 so a first message can wait for keys",
            ));
        }
        if self.key_exchange_timeout_ms == 0 || self.key_lifetime_ms == 0 {
            return Err(ChannelError::InvalidConfig(
                "key_exchange_timeout_ms and key_lifetime_ms must be at least 1",
            ));
        }
        Ok(())
    }
}
