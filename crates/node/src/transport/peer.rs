//! The channel task of one peer: the only owner of that peer's [`Channel`]. It seals the
//! node's messages, feeds the peer's frames (from whichever incoming connection carried them)
//! to the channel, hands authenticated messages to the node, starts a key exchange on every
//! new outgoing connection and drives the channel's timer. Frames it produces go to the
//! peer's [`Outbox`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::budget::ReceivedFrame;
use super::outbox::Outbox;
use super::stats::Counters;
use super::stop::StopSignal;
use super::{Inbound, TransportConfig};
use crate::channel::{Channel, ChannelState, Frame, MessageKind, NodeId, Received};

/// Messages sealed per wake-up before the connection task is woken, so a burst goes out in
/// few writes without delaying the first message.
const SEAL_BATCH_MESSAGES: usize = 256;

/// A message the node asked to send.
pub(crate) type Outgoing = (MessageKind, Bytes);

/// The channel task of one peer.
pub(crate) struct PeerTask {
    pub peer: NodeId,
    pub channel: Channel,
    pub config: TransportConfig,
    pub outbox: Arc<Outbox>,
    pub connected: Arc<Notify>,
    pub messages: mpsc::Receiver<Outgoing>,
    pub frames: mpsc::Receiver<ReceivedFrame>,
    pub inbound: mpsc::Sender<Inbound>,
    pub counters: Arc<Counters>,
    pub stop: StopSignal,
    /// The peer's connection task, ended with this one.
    pub link: JoinHandle<()>,
    /// Origin of the monotonic milliseconds handed to `Channel::poll`.
    pub clock_origin: Instant,
}

impl PeerTask {
    pub async fn run(mut self) {
        let mut timer = tokio::time::interval(Duration::from_millis(self.config.poll_interval_ms));
        timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut stop = self.stop.clone();
        loop {
            // The peer was removed. Checked on every wake-up (the timer guarantees one per
            // poll interval) because the send queue is not watched while there is no room.
            if self.messages.is_closed() {
                break;
            }
            let taking = self.has_room();
            tokio::select! {
                () = stop.stopped() => break,
                () = self.connected.notified() => self.on_connected(),
                frame = self.frames.recv() => match frame {
                    // The frame's budget returns when it is dropped, after handling.
                    Some(frame) => {
                        if !self.on_frame(frame.frame).await {
                            break;
                        }
                    }
                    None => break,
                },
                _ = timer.tick() => self.poll(),
                message = self.messages.recv(), if taking => match message {
                    Some(message) => self.on_messages(message),
                    None => break,
                },
                () = self.outbox.drained(), if !taking => {}
            }
        }
        self.link.abort();
        let _ = (&mut self.link).await;
    }

    /// Whether another message may be taken from the send queue: the connection keeps up and
    /// the channel can still hold messages while keys are exchanged. Otherwise messages wait
    /// in the bounded send queue, where the node sees them as back pressure.
    fn has_room(&self) -> bool {
        self.outbox.pending_bytes() < self.config.pending_limit_bytes
            && self.channel.queued_messages() < self.config.channel.max_queued_messages
    }

    /// Seals `first` and whatever else is queued, up to a batch, while there is room, then
    /// wakes the connection task once for all of it.
    fn on_messages(&mut self, first: Outgoing) {
        let room_bytes = self
            .config
            .pending_limit_bytes
            .saturating_sub(self.outbox.pending_bytes());
        let mut frames = Vec::new();
        self.seal(first, &mut frames);
        for _ in 1..SEAL_BATCH_MESSAGES {
            let batch_bytes: usize = frames.iter().map(Vec::len).sum();
            if batch_bytes >= room_bytes
                || self.channel.queued_messages() >= self.config.channel.max_queued_messages
            {
                break;
            }
            match self.messages.try_recv() {
                Ok(message) => self.seal(message, &mut frames),
                Err(_) => break,
            }
        }
        self.send(frames);
    }

    fn seal(&mut self, (kind, payload): Outgoing, frames: &mut Vec<Vec<u8>>) {
        match self.channel.seal(kind, &payload) {
            Ok(sealed) => frames.extend(sealed),
            Err(error) => tracing::warn!(peer = %self.peer, %error, "message not sealed, dropped"),
        }
    }

    /// Handles one frame from the peer; `false` when the transport is stopping or the peer
    /// was removed.
    async fn on_frame(&mut self, frame: Frame) -> bool {
        if self.messages.is_closed() {
            // Removed while this frame waited: nothing is delivered once `remove_peer` returned.
            return false;
        }
        match self.channel.receive_frame(frame) {
            Ok(Received::Message { kind, payload }) => {
                let inbound = Inbound {
                    from: self.peer,
                    kind,
                    payload: Bytes::from(payload),
                };
                tokio::select! {
                    () = self.stop.stopped() => return false,
                    delivered = self.inbound.send(inbound) => {
                        if delivered.is_ok() {
                            Counters::bump(&self.counters.messages_delivered);
                        }
                    }
                }
            }
            Ok(Received::KeyExchange { to_send }) => self.send(to_send),
            Err(error) => {
                Counters::bump(&self.counters.frames_rejected);
                tracing::debug!(peer = %self.peer, %error, "frame refused by the channel");
            }
        }
        true
    }

    /// A new outgoing connection: the peer may have restarted and lost its keys, so exchange
    /// fresh ones (installed keys carry traffic until the exchange completes). An exchange
    /// under way is left to finish: our `init` is still pending and goes out on this
    /// connection, or the peer, having answered us or installed keys, is alive and would lose
    /// what it sealed under keys we abandoned. If the exchange is stuck instead, the channel
    /// timer restarts it.
    fn on_connected(&mut self) {
        if matches!(
            self.channel.state(),
            ChannelState::Initiated | ChannelState::WaitingForFinal
        ) {
            return;
        }
        match self.channel.initiate() {
            Ok(init) => self.send(vec![init]),
            Err(error) => tracing::warn!(peer = %self.peer, %error, "key exchange not started"),
        }
    }

    fn poll(&mut self) {
        if !self.outbox.is_connected() {
            return;
        }
        let now_ms = u64::try_from(self.clock_origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        match self.channel.poll(now_ms) {
            Ok(frames) => self.send(frames),
            Err(error) => tracing::warn!(peer = %self.peer, %error, "channel timer failed"),
        }
    }

    fn send(&self, frames: Vec<Vec<u8>>) {
        if frames.is_empty() {
            return;
        }
        let dropped = self.outbox.push(frames);
        if dropped > 0 {
            self.counters
                .frames_dropped_pending_full
                .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(peer = %self.peer, dropped, "frames dropped: peer far behind");
        }
    }
}
