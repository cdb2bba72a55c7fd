//! Starting a node's transport and the handle the node drives it with.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpSocket};
use tokio::runtime::Handle;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use super::budget::FrameBudget;
use super::link::Link;
use super::listener::Incoming;
use super::outbox::Outbox;
use super::peer::PeerTask;
use super::peers::{PeerEntry, PeerTable};
use super::stats::Counters;
use super::stop::StopSignal;
use super::{TransportConfig, TransportError, TransportStats};
use crate::channel::{Channel, LocalIdentity, MessageKind, NodeId, SystemEntropy};

/// Connections waiting to be accepted by the listener.
const LISTEN_BACKLOG: u32 = 1024;
/// Hard limit on a peer's pending bytes, as a multiple of the soft
/// [`TransportConfig::pending_limit_bytes`] at which messages stop being taken.
const PENDING_HARD_LIMIT_FACTOR: usize = 4;
/// Frames waiting between the incoming connections and one peer's channel task; when full,
/// reading those connections pauses.
const FRAMES_QUEUE_PER_PEER: usize = 1024;

/// An authenticated message from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The peer, as authenticated by its channel.
    pub from: NodeId,
    pub kind: MessageKind,
    pub payload: Bytes,
}

/// Starts node-to-node transports.
#[derive(Debug)]
pub struct Transport;

impl Transport {
    /// Listens on `listen_address`, starts one channel and one outgoing connection per peer,
    /// and returns the handle with the queue of authenticated messages from peers. The
    /// transport's tasks run on the tokio runtime this is called from.
    pub async fn start(
        identity: Arc<LocalIdentity>,
        listen_address: SocketAddr,
        peers: impl IntoIterator<Item = (NodeId, SocketAddr)>,
        config: TransportConfig,
    ) -> Result<(TransportHandle, mpsc::Receiver<Inbound>), TransportError> {
        config.validate()?;
        let runtime = Handle::try_current().map_err(|_| TransportError::NoRuntime)?;
        let listener = bind(listen_address)?;
        let local_address = listener
            .local_addr()
            .map_err(|source| TransportError::Listen {
                address: listen_address,
                source,
            })?;
        let (inbound, inbound_receiver) = mpsc::channel(config.inbound_queue_messages);
        let (stop_sender, stop) = StopSignal::new();
        let counters = Arc::new(Counters::default());
        let table = Arc::new(PeerTable::default());
        let incoming = Incoming {
            peers: Arc::clone(&table),
            counters: Arc::clone(&counters),
            budget: FrameBudget::new(config.inbound_buffer_limit_bytes),
            max_frame_size_bytes: config.max_frame_size_bytes,
            first_frame_timeout: Duration::from_millis(config.first_frame_timeout_ms),
            max_connections: config.max_incoming_connections,
            stop: stop.clone(),
        };
        let listener_task = runtime.spawn(incoming.run(listener));
        let handle = TransportHandle {
            control: Arc::new(Control {
                identity,
                config,
                local_address,
                peers: table,
                counters,
                inbound: Mutex::new(Some(inbound)),
                stop_sender,
                stop,
                stopped: AtomicBool::new(false),
                listener_task: Mutex::new(Some(listener_task)),
                runtime,
                clock_origin: Instant::now(),
            }),
        };
        for (peer, address) in peers {
            handle.add_peer(peer, address)?;
        }
        Ok((handle, inbound_receiver))
    }
}

/// Binds with `SO_REUSEADDR`, so a restarted node can listen on its address again while
/// connections of its previous run linger in `TIME_WAIT`.
fn bind(address: SocketAddr) -> Result<TcpListener, TransportError> {
    let listen_error = |source| TransportError::Listen { address, source };
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(listen_error)?;
    socket.set_reuseaddr(true).map_err(listen_error)?;
    socket.bind(address).map_err(listen_error)?;
    socket.listen(LISTEN_BACKLOG).map_err(listen_error)
}

/// Drives a running transport. Clones share it; when the last clone is dropped without
/// [`TransportHandle::shutdown`], the tasks stop on their own.
#[derive(Debug, Clone)]
pub struct TransportHandle {
    control: Arc<Control>,
}

#[derive(Debug)]
struct Control {
    identity: Arc<LocalIdentity>,
    config: TransportConfig,
    local_address: SocketAddr,
    peers: Arc<PeerTable>,
    counters: Arc<Counters>,
    /// Taken at shutdown, so the node's receiver ends once the tasks have ended.
    inbound: Mutex<Option<mpsc::Sender<Inbound>>>,
    /// Raising it (or dropping it with the last handle) stops every task.
    stop_sender: watch::Sender<bool>,
    stop: StopSignal,
    stopped: AtomicBool,
    listener_task: Mutex<Option<JoinHandle<()>>>,
    runtime: Handle,
    clock_origin: Instant,
}

impl TransportHandle {
    /// The address the listener is bound to (with the port chosen if port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.control.local_address
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.control.identity.node_id()
    }

    /// Queues `payload` for `peer` without waiting. Messages to one peer arrive in the order
    /// they were queued; a message may be lost if the peer restarts or a connection fails
    /// while it is in flight (consensus retries). A full queue is reported, not waited on, so
    /// a slow peer cannot stall the caller.
    pub fn send(
        &self,
        peer: NodeId,
        kind: MessageKind,
        payload: impl Into<Bytes>,
    ) -> Result<(), TransportError> {
        let control = &self.control;
        if control.stopped.load(Ordering::Acquire) {
            return Err(TransportError::ShutDown);
        }
        let payload = payload.into();
        let limit_bytes = control.config.max_payload_size_bytes();
        if payload.len() > limit_bytes {
            return Err(TransportError::MessageTooLarge {
                size_bytes: payload.len(),
                limit_bytes,
            });
        }
        let messages = control
            .peers
            .lock()
            .get(&peer)
            .map(|entry| entry.messages.clone())
            .ok_or(TransportError::UnknownPeer(peer))?;
        messages
            .try_send((kind, payload))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => TransportError::QueueFull {
                    peer,
                    limit: control.config.send_queue_messages,
                },
                mpsc::error::TrySendError::Closed(_) => TransportError::ShutDown,
            })
    }

    /// Adds `peer` at `address`, or moves a known peer to a new address (its connection is
    /// replaced; its channel and keys stay).
    pub fn add_peer(&self, peer: NodeId, address: SocketAddr) -> Result<(), TransportError> {
        let control = &self.control;
        if control.stopped.load(Ordering::Acquire) {
            return Err(TransportError::ShutDown);
        }
        if peer == control.identity.node_id() {
            return Err(TransportError::SelfPeer(peer));
        }
        if control.peers.update_address(peer, address) {
            return Ok(());
        }
        let inbound = control
            .inbound
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(TransportError::ShutDown)?;
        let channel = Channel::new(
            Arc::clone(&control.identity),
            peer,
            control.config.channel,
            Box::new(SystemEntropy),
        )?;
        let config = control.config;
        let outbox = Arc::new(Outbox::new(
            config
                .pending_limit_bytes
                .saturating_mul(PENDING_HARD_LIMIT_FACTOR),
        ));
        let connected = Arc::new(Notify::new());
        let (address_sender, address_receiver) = watch::channel(address);
        let (messages, messages_receiver) = mpsc::channel(config.send_queue_messages);
        let (frames, frames_receiver) = mpsc::channel(FRAMES_QUEUE_PER_PEER);
        let link = control.runtime.spawn(
            Link {
                peer,
                address: address_receiver,
                outbox: Arc::clone(&outbox),
                connected: Arc::clone(&connected),
                config,
                counters: Arc::clone(&control.counters),
                stop: control.stop.clone(),
            }
            .run(),
        );
        let task = control.runtime.spawn(
            PeerTask {
                peer,
                channel,
                config,
                outbox,
                connected,
                messages: messages_receiver,
                frames: frames_receiver,
                inbound,
                counters: Arc::clone(&control.counters),
                stop: control.stop.clone(),
                link,
                clock_origin: control.clock_origin,
            }
            .run(),
        );
        control.peers.lock().insert(
            peer,
            PeerEntry {
                address: address_sender,
                messages,
                frames,
                task,
            },
        );
        Ok(())
    }

    /// Forgets `peer`: its tasks end, its connection closes and frames claiming to come from
    /// it are no longer accepted. `false` if it was not a peer.
    pub fn remove_peer(&self, peer: NodeId) -> bool {
        self.control.peers.lock().remove(&peer).is_some()
    }

    /// The peers this node currently keeps channels with.
    pub fn peers(&self) -> Vec<NodeId> {
        self.control.peers.lock().keys().copied().collect()
    }

    /// What peers did so far: accepted and dropped connections, refused frames, deliveries.
    pub fn stats(&self) -> TransportStats {
        self.control.counters.snapshot()
    }

    /// Stops listening, closes every connection and ends every task, waiting at most
    /// [`TransportConfig::shutdown_timeout_ms`]; tasks still running then are aborted and the
    /// timeout is reported. The receiver of authenticated messages ends once the tasks have;
    /// later calls to `send` fail with [`TransportError::ShutDown`].
    pub async fn shutdown(&self) -> Result<(), TransportError> {
        let control = &self.control;
        control.stopped.store(true, Ordering::Release);
        control.stop_sender.send_replace(true);
        control
            .inbound
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let mut tasks: Vec<JoinHandle<()>> = control
            .peers
            .lock()
            .drain()
            .map(|(_, entry)| entry.task)
            .collect();
        tasks.extend(
            control
                .listener_task
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let timeout_ms = control.config.shutdown_timeout_ms;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        let mut timed_out = false;
        for mut task in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                timed_out = true;
            }
        }
        if timed_out {
            return Err(TransportError::ShutdownTimedOut { timeout_ms });
        }
        Ok(())
    }
}
