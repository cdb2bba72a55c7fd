//! The outgoing connection to one peer: connects (with a timeout), sets `TCP_NODELAY` so
//! small consensus messages are not held back by Nagle's algorithm, writes the peer's pending
//! frames in batches, and reconnects with exponential backoff when the connection fails, the
//! peer closes it, or the peer's address changes. Each connection announces itself to the
//! channel task, which starts a key exchange on it unless one is under way: a peer that
//! restarted has lost its keys. Frames still pending when a connection fails go out on the
//! next one; the batch being written when it failed is lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{Notify, watch};

use super::TransportConfig;
use super::outbox::Outbox;
use super::stats::Counters;
use super::stop::StopSignal;
use crate::channel::NodeId;

/// How a connection ended.
enum Ended {
    /// The transport stops or the peer was removed.
    Stop,
    /// Connect again (after the backoff).
    Reconnect,
}

/// The connection task of one peer.
pub(crate) struct Link {
    pub peer: NodeId,
    pub address: watch::Receiver<SocketAddr>,
    pub outbox: Arc<Outbox>,
    /// Notified on every new connection.
    pub connected: Arc<Notify>,
    pub config: TransportConfig,
    pub counters: Arc<Counters>,
    pub stop: StopSignal,
}

impl Link {
    pub async fn run(mut self) {
        let min_backoff = Duration::from_millis(self.config.reconnect_backoff_min_ms);
        let max_backoff = Duration::from_millis(self.config.reconnect_backoff_max_ms);
        let mut backoff = min_backoff;
        loop {
            let address = *self.address.borrow_and_update();
            let connect_timeout = Duration::from_millis(self.config.connect_timeout_ms);
            let attempt = tokio::select! {
                () = self.stop.stopped() => return,
                attempt = tokio::time::timeout(connect_timeout, TcpStream::connect(address)) => attempt,
            };
            match attempt {
                Ok(Ok(stream)) => {
                    let connected_at = Instant::now();
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(peer = %self.peer, %error, "TCP_NODELAY not set");
                    }
                    Counters::bump(&self.counters.connections_established);
                    tracing::debug!(peer = %self.peer, %address, "connected");
                    self.outbox.set_connected(true);
                    self.connected.notify_one();
                    let ended = self.serve(stream).await;
                    self.outbox.set_connected(false);
                    if matches!(ended, Ended::Stop) {
                        return;
                    }
                    // A connection that lived long was healthy: reconnect quickly. One the peer
                    // closes at once keeps backing off, so it cannot make us spin.
                    if connected_at.elapsed() >= max_backoff {
                        backoff = min_backoff;
                    }
                }
                Ok(Err(error)) => {
                    tracing::debug!(peer = %self.peer, %address, %error, "connect failed");
                }
                Err(_) => tracing::debug!(peer = %self.peer, %address, "connect timed out"),
            }
            tokio::select! {
                () = self.stop.stopped() => return,
                changed = self.address.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(max_backoff);
        }
    }

    /// Writes pending frames until the connection fails or must be replaced.
    async fn serve(&mut self, stream: TcpStream) -> Ended {
        let (mut read_half, mut write_half) = stream.into_split();
        let write_timeout = Duration::from_millis(self.config.write_timeout_ms);
        loop {
            let batch = self.outbox.take();
            if !batch.is_empty() {
                let written = tokio::select! {
                    () = self.stop.stopped() => return Ended::Stop,
                    written = tokio::time::timeout(write_timeout, write_half.write_all(&batch)) => written,
                };
                match written {
                    Ok(Ok(())) => continue,
                    Ok(Err(error)) => {
                        tracing::debug!(peer = %self.peer, %error, "write failed");
                        return Ended::Reconnect;
                    }
                    Err(_) => {
                        tracing::debug!(peer = %self.peer, "write timed out");
                        return Ended::Reconnect;
                    }
                }
            }
            tokio::select! {
                () = self.stop.stopped() => return Ended::Stop,
                changed = self.address.changed() => {
                    return if changed.is_err() { Ended::Stop } else { Ended::Reconnect };
                }
                () = closed_by_peer(&mut read_half) => return Ended::Reconnect,
                () = self.outbox.ready() => {}
            }
        }
    }
}

/// Resolves when the peer closes the connection. Peers never write on the connections we
/// open (they answer on their own), so any byte read is also the end of this connection.
async fn closed_by_peer(read_half: &mut OwnedReadHalf) {
    let mut probe = [0u8; 1];
    let _ = read_half.read(&mut probe).await;
}
