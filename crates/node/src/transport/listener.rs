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

use super::framing::{StreamError, read_frame};
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
    pub max_frame_size_bytes: usize,
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
    async fn serve(mut self, stream: TcpStream, remote: SocketAddr) {
        let mut reader = BufReader::with_capacity(READ_BUFFER_SIZE_BYTES, stream);
        let mut route: Option<(NodeId, mpsc::Sender<Vec<u8>>)> = None;
        loop {
            let read = tokio::select! {
                () = self.stop.stopped() => return,
                read = read_frame(&mut reader, self.max_frame_size_bytes) => read,
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
            let sender = match Frame::decode(&frame) {
                Ok(decoded) => decoded.sender(),
                Err(error) => return self.malformed(remote, &error),
            };
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
                () = self.stop.stopped() => return,
                routed = frames.send(frame) => routed,
            };
            if routed.is_err() {
                // The peer was removed while its connection was open.
                return;
            }
        }
    }

    fn malformed(&self, remote: SocketAddr, error: &dyn std::fmt::Display) {
        Counters::bump(&self.counters.connections_dropped_malformed);
        tracing::debug!(%remote, %error, "incoming connection dropped");
    }
}
