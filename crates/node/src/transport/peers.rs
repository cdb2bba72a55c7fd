//! The peer table: for each peer node, where to reach it and the queues into its channel task.
//! The handle writes it (add, update, remove); incoming connections read it to route frames to
//! the channel of the node they claim to come from.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::budget::ReceivedFrame;
use super::peer::Outgoing;
use crate::channel::NodeId;

/// One peer's entry. Dropping it ends the peer's tasks: its send queue and address close.
#[derive(Debug)]
pub(crate) struct PeerEntry {
    pub address: watch::Sender<std::net::SocketAddr>,
    pub messages: mpsc::Sender<Outgoing>,
    pub frames: mpsc::Sender<ReceivedFrame>,
    pub task: JoinHandle<()>,
}

/// All peers of one transport.
#[derive(Debug, Default)]
pub(crate) struct PeerTable(Mutex<HashMap<NodeId, PeerEntry>>);

impl PeerTable {
    /// A poisoned lock only means a task panicked while holding it; the map itself is whole,
    /// since every update is a single insert or remove.
    pub fn lock(&self) -> MutexGuard<'_, HashMap<NodeId, PeerEntry>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where frames claiming to come from `peer` go, if it is a peer.
    pub fn frames_sender(&self, peer: NodeId) -> Option<mpsc::Sender<ReceivedFrame>> {
        self.lock().get(&peer).map(|entry| entry.frames.clone())
    }

    /// Points `peer` at `address`; `false` if it is not a peer. The connection task reconnects
    /// only when the address really changed.
    pub fn update_address(&self, peer: NodeId, address: SocketAddr) -> bool {
        match self.lock().get(&peer) {
            Some(entry) => {
                entry.address.send_if_modified(|current| {
                    let changed = *current != address;
                    *current = address;
                    changed
                });
                true
            }
            None => false,
        }
    }
}
