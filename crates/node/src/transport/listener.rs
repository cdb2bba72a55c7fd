//! The node-to-node listener and the incoming connections it accepts. An incoming connection
//! proves nothing by itself: each frame is parsed, routed by the sender it claims to the
//! channel of that peer, and only the channel decides whether it is authentic. A connection
//! carries one sender's frames (an honest peer only sends its own), so a frame claiming
//! another sender, a malformed or oversized frame, or a sender that is not a peer drops it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::budget::{FrameBudget, ReceivedFrame};
use super::framing::{StreamError, read_body, read_length};
use super::peers::PeerTable;
use super::stats::Counters;
use super::stop::StopSignal;
use crate::channel::{Frame, NodeId};

/// Read buffer per incoming connection: many small frames per read syscall.
const READ_BUFFER_SIZE_BYTES: usize = 64 * 1024;
/// Pause after a failed accept (say, out of file descriptors) so the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(20);

/// What every incoming connection needs.
#[derive(Clone)]
pub(crate) struct Incoming {
    pub peers: Arc<PeerTable>,
    pub counters: Arc<Counters>,
    pub budget: FrameBudget,
    pub max_frame_size_bytes: usize,
    pub first_frame_timeout: Duration,
    pub max_connections: usize,
    pub stop: StopSignal,
}

impl Incoming {
    /// Accepts until stopped, then closes the listener and every incoming connection.
    pub async fn run(mut self, listener: TcpListener) {
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let accepted = tokio::select! {
                () = self.stop.stopped() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, remote)) => {
                    Counters::bump(&self.counters.connections_accepted);
                    if connections.len() >= self.max_connections {
                        Counters::bump(&self.counters.connections_refused);
                        tracing::debug!(%remote, "incoming connection refused: too many open");
                        continue;
                    }
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%remote, %error, "TCP_NODELAY not set");
                    }
                    connections.spawn(self.clone().serve(stream, remote));
                }
                Err(error) => {
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            }
        }
        drop(listener);
        connections.shutdown().await;
    }

    /// Routes the frames of one incoming connection until it ends or misbehaves.
    async fn serve(self, stream: TcpStream, remote: SocketAddr) {
        let mut reader = BufReader::with_capacity(READ_BUFFER_SIZE_BYTES, stream);
        let mut route: Option<(NodeId, mpsc::Sender<ReceivedFrame>)> = None;
        let mut stop = self.stop.clone();
        loop {
            // Only a connection that has not yet delivered a frame runs against the clock.
            let first_frame_deadline = route
                .is_none()
                .then(|| tokio::time::Instant::now() + self.first_frame_timeout);
            let silent_at = first_frame_deadline.unwrap_or_else(tokio::time::Instant::now);
            let read = tokio::select! {
                () = stop.stopped() => return,
                read = self.next_frame(&mut reader) => read,
                () = tokio::time::sleep_until(silent_at), if first_frame_deadline.is_some() => {
                    Counters::bump(&self.counters.connections_dropped_silent);
                    tracing::debug!(%remote, "incoming connection sent no frame in time");
                    return;
                }
            };
            let frame = match read {
                Ok(Some(frame)) => frame,
                Ok(None) => return,
                Err(error @ (StreamError::Io(_) | StreamError::Truncated)) => {
                    tracing::debug!(%remote, %error, "incoming connection ended");
                    return;
                }
                Err(error) => return self.malformed(remote, &error),
            };
            let sender = frame.frame.sender();
            if route.is_none() {
                match self.peers.frames_sender(sender) {
                    Some(frames) => route = Some((sender, frames)),
                    None => {
                        Counters::bump(&self.counters.connections_dropped_unknown_sender);
                        tracing::debug!(%remote, %sender, "frame from a node that is not a peer");
                        return;
                    }
                }
            }
            let Some((bound, frames)) = &route else {
                return;
            };
            if *bound != sender {
                let error = format!("frame from {sender} on a connection of {bound}");
                return self.malformed(remote, &error);
            }
            let routed = tokio::select! {
                () = stop.stopped() => return,
                routed = frames.send(frame) => routed,
            };
            if routed.is_err() {
                // The peer was removed while its connection was open.
                return;
            }
        }
    }

    /// Reads one frame and holds its bytes from the shared budget until its channel has
    /// handled it; `Ok(None)` when the stream ended between frames. The body is read before
    /// the budget is asked, so a connection trickling a large frame costs only the bytes it
    /// really sent and cannot hold budget that routed frames need.
    async fn next_frame(
        &self,
        reader: &mut BufReader<TcpStream>,
    ) -> Result<Option<ReceivedFrame>, StreamError> {
        let Some(length) = read_length(reader, self.max_frame_size_bytes).await? else {
            return Ok(None);
        };
        let bytes = read_body(reader, length).await?;
        let frame = Frame::decode(&bytes).map_err(StreamError::Malformed)?;
        let Some(reservation) = self.budget.reserve(length).await else {
            return Ok(None);
        };
        Ok(Some(ReceivedFrame {
            frame,
            _reservation: reservation,
        }))
    }

    fn malformed(&self, remote: SocketAddr, error: &dyn std::fmt::Display) {
        Counters::bump(&self.counters.connections_dropped_malformed);
        tracing::debug!(%remote, %error, "incoming connection dropped");
    }
}
