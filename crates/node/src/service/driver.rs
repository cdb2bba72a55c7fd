//! The driver: one thread owns the [`ReplicatedNode`] and feeds it everything in batches:
//! client transactions, peer messages and time. After each batch it flushes the ledger once
//! (group commit), and only then answers the transactions of the batch, so a response always
//! names a transaction that is durable on the primary. Then it moves time (timers, and a
//! signature due by time, flushed with the next batch), hands consensus messages to the
//! transport, keeps the transport's peers in step with `nodes.info` and publishes a
//! [`NodeStatus`] for the endpoints.
//!
//! A disk or invariant failure stops the driver (and so the node): its parts may disagree, and
//! restarting from disk is the recovery.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use quorate_consensus::{ConsensusEngine, NodeId};
use quorate_kv::{MapState, State, Tx, TxId};
use quorate_ledger::genesis::ServiceInfo;
use quorate_ledger::tables;
use tokio::sync::{oneshot, watch};

use super::js_app;
use super::peers::{PeerBook, known_nodes};
use super::status::NodeStatus;
use crate::channel::MessageKind;
use crate::frontend::EndpointResponse;
use crate::replication::{ReplicatedNode, ReplicationError};
use crate::transport::TransportHandle;

/// Inputs taken in one batch at most, so time and peers are never starved.
const MAX_BATCH_INPUTS: usize = 4096;

/// A read-write handler as the driver runs it; may run again on conflict.
pub type ExecuteFn = Box<dyn FnMut(&mut Tx) -> EndpointResponse + Send>;
/// A look at the node on the driver thread (receipts, historical entries, tx status).
pub type QueryFn = Box<dyn FnOnce(&ReplicatedNode) + Send>;

/// What the driver is asked to do.
pub enum DriverInput {
    Execute {
        handler: ExecuteFn,
        reply: oneshot::Sender<Result<(TxId, EndpointResponse), ReplicationError>>,
    },
    Query(QueryFn),
    Peer {
        from: NodeId,
        bytes: Bytes,
    },
}

/// Why the driver could not take an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many inputs are waiting.
    Busy,
    /// The driver has stopped.
    Stopped,
}

/// Sends inputs to the driver thread.
#[derive(Clone)]
pub struct DriverHandle {
    inputs: SyncSender<DriverInput>,
}

impl DriverHandle {
    /// Queues `input` without waiting.
    pub fn submit(&self, input: DriverInput) -> Result<(), Refused> {
        self.inputs.try_send(input).map_err(|error| match error {
            TrySendError::Full(_) => Refused::Busy,
            TrySendError::Disconnected(_) => Refused::Stopped,
        })
    }

    /// Runs `handler` in a read-write transaction at the primary; the answer comes once the
    /// transaction is durable locally.
    pub async fn execute(
        &self,
        handler: ExecuteFn,
    ) -> Result<Result<(TxId, EndpointResponse), ReplicationError>, Refused> {
        let (reply, answer) = oneshot::channel();
        self.submit(DriverInput::Execute { handler, reply })?;
        answer.await.map_err(|_| Refused::Stopped)
    }

    /// Computes `f` on the driver thread.
    pub async fn query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ReplicatedNode) -> R + Send + 'static,
    ) -> Result<R, Refused> {
        self.submit_query(f)?.await.map_err(|_| Refused::Stopped)
    }

    /// As [`DriverHandle::query`], waiting on a thread outside the async runtime (the JS
    /// threads); never call it from the driver thread itself.
    pub fn query_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ReplicatedNode) -> R + Send + 'static,
    ) -> Result<R, Refused> {
        self.submit_query(f)?
            .blocking_recv()
            .map_err(|_| Refused::Stopped)
    }

    fn submit_query<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ReplicatedNode) -> R + Send + 'static,
    ) -> Result<oneshot::Receiver<R>, Refused> {
        let (reply, answer) = oneshot::channel();
        self.submit(DriverInput::Query(Box::new(move |node| {
            let _ = reply.send(f(node));
        })))?;
        Ok(answer)
    }
}

/// The driver thread's state.
pub struct Driver {
    node: ReplicatedNode,
    inputs: Receiver<DriverInput>,
    transport: TransportHandle,
    peers: PeerBook,
    status: watch::Sender<Arc<NodeStatus>>,
    clock: Instant,
    /// The longest the driver waits for input before it moves time on.
    tick_interval: Duration,
    /// Store version the peers and status were last derived from.
    derived_at: Option<TxId>,
    seen: SeenTables,
    stop: watch::Receiver<bool>,
}

/// An answer held until the batch is durable.
type Deferred = Box<dyn FnOnce()>;

impl Driver {
    /// A driver for `node` and the handle to feed it; `capacity` inputs may wait.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        node: ReplicatedNode,
        transport: TransportHandle,
        peers: PeerBook,
        tick_interval: Duration,
        capacity: usize,
        stop: watch::Receiver<bool>,
    ) -> (Self, DriverHandle, watch::Receiver<Arc<NodeStatus>>) {
        let (sender, inputs) = std::sync::mpsc::sync_channel(capacity);
        let (status, status_receiver) = watch::channel(Arc::new(NodeStatus::new(&node)));
        let now = Instant::now();
        let mut driver = Self {
            node,
            inputs,
            transport,
            peers,
            status,
            clock: now,
            tick_interval,
            derived_at: None,
            seen: SeenTables::default(),
            stop,
        };
        driver.derive();
        (driver, DriverHandle { inputs: sender }, status_receiver)
    }

    /// Runs until every handle is dropped or stop is raised; an error is a failure the node
    /// cannot continue after.
    pub fn run(mut self) -> Result<(), ReplicationError> {
        loop {
            if *self.stop.borrow() {
                return self.node.write_commit_point();
            }
            let wait = self.next_wait();
            let mut deferred: Vec<Deferred> = Vec::new();
            match self.inputs.recv_timeout(wait) {
                Ok(input) => {
                    self.handle(input, &mut deferred)?;
                    for _ in 1..MAX_BATCH_INPUTS {
                        match self.inputs.try_recv() {
                            Ok(input) => self.handle(input, &mut deferred)?,
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return self.node.write_commit_point(),
            }
            self.node.flush()?;
            for answer in deferred {
                answer();
            }
            // Time moves at every batch, not only every tick: a signature falls due within a
            // millisecond of its delay however busy or idle the node is. It is signed after
            // the answers, goes to the backups at once and is flushed at the next batch.
            self.node.tick(self.now_ms())?;
            self.send_messages();
            self.derive();
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How long to wait for input: until the next tick, or sooner when a signature falls due;
    /// not at all while entries wait for their flush.
    fn next_wait(&self) -> Duration {
        if self.node.has_unflushed_entries() {
            return Duration::ZERO;
        }
        let now_ms = self.now_ms();
        let until_signature = self
            .node
            .signature_due_at_ms()
            .map_or(self.tick_interval, |due_ms| {
                Duration::from_millis(due_ms.saturating_sub(now_ms))
            });
        self.tick_interval.min(until_signature)
    }

    fn handle(
        &mut self,
        input: DriverInput,
        deferred: &mut Vec<Deferred>,
    ) -> Result<(), ReplicationError> {
        match input {
            DriverInput::Execute { handler, reply } => {
                let outcome = self.node.execute(handler);
                let outcome = keep_going(outcome)?;
                deferred.push(Box::new(move || {
                    let _ = reply.send(outcome);
                }));
            }
            DriverInput::Query(query) => query(&self.node),
            DriverInput::Peer { from, bytes } => {
                if let Err(error) = self.node.receive(from, &bytes) {
                    if is_local_failure(&error) {
                        return Err(error);
                    }
                    tracing::debug!(peer = ?from, %error, "message from a peer refused");
                }
            }
        }
        Ok(())
    }

    fn send_messages(&mut self) {
        for (to, bytes) in self.node.take_messages() {
            let Some(channel) = self.peers.channel_of(to) else {
                tracing::debug!(peer = ?to, "no channel to consensus peer");
                continue;
            };
            if let Err(error) = self.transport.send(channel, MessageKind::Consensus, bytes) {
                tracing::debug!(peer = ?to, %error, "consensus message not sent");
            }
        }
    }

    /// Peers and status, when the node or its store moved since the last time. Only the tables
    /// that changed are read again: this runs after every batch.
    fn derive(&mut self) {
        let (state, version) = self.node.store().state();
        let status = Arc::clone(&self.status.borrow());
        let unchanged = self.derived_at == Some(version)
            && status.role == self.node.role()
            && status.view == self.node.view()
            && status.last_committed == self.node.last_committed_txid()
            && status.primary == self.node.primary();
        if unchanged {
            return;
        }
        self.derived_at = Some(version);
        let mut next = NodeStatus::clone(&status);
        let raft = self.node.consensus();
        next.role = self.node.role();
        next.view = self.node.view();
        next.primary = self.node.primary();
        next.last_committed = self.node.last_committed_txid();
        next.last_seqno = raft.last_index();
        if self.seen.changed(&state, tables::NODES_INFO) {
            next.nodes = Arc::new(known_nodes(self.node.store()));
            self.peers
                .update(self.node.id(), &next.nodes, &self.transport);
        }
        if self.seen.changed(&state, tables::SERVICE_INFO) {
            next.service = state
                .get(tables::SERVICE_INFO, &tables::SINGLETON_KEY)
                .and_then(|value| serde_json::from_slice::<ServiceInfo>(&value.value).ok());
        }
        if self.seen.changed(&state, tables::JS_RUNTIME_OPTIONS) {
            next.js_options = js_app::runtime_options(&mut self.node.store().begin());
        }
        let modules_changed = self.seen.changed(&state, tables::MODULES);
        let endpoints_changed = self.seen.changed(&state, tables::ENDPOINTS);
        if modules_changed || endpoints_changed {
            let app_version = js_app::app_version(&mut self.node.store().begin());
            if app_version != next.js_app_version {
                next.js_app = js_app::load(&mut self.node.store().begin());
                next.js_app_version = app_version;
            }
        }
        next.primary_hex = next
            .primary
            .and_then(|id| next.nodes.get(&id))
            .map(|known| known.node_id_hex.clone());
        if !history_is_current(&next.view_history, &self.node) {
            next.view_history = Arc::new(self.node.view_history());
        }
        self.status.send_replace(Arc::new(next));
    }
}

/// The maps the status is derived from, as last read. The store's maps are persistent: while
/// this copy is held, any write to a map gives it a new root, so an identical root means an
/// unchanged map and nothing to parse again.
#[derive(Default)]
struct SeenTables {
    maps: BTreeMap<&'static str, Option<MapState>>,
}

impl SeenTables {
    /// Whether `name` changed since the last call (or was never seen); remembers it.
    fn changed(&mut self, state: &State, name: &'static str) -> bool {
        let now = state.map(name).cloned();
        let same = match (self.maps.get(name), &now) {
            (Some(Some(before)), Some(now)) => before.ptr_eq(now),
            (Some(None), None) => true,
            _ => false,
        };
        self.maps.insert(name, now);
        !same
    }
}

/// Whether `history` still describes the node's log: its last view is the last entry's and
/// starts within the log. Views only change at the end, so that is enough.
fn history_is_current(history: &[(u64, u64)], node: &ReplicatedNode) -> bool {
    let last = node.consensus().last_index();
    let last_view = node.consensus().entry(last).map(|entry| entry.term);
    match history.last() {
        None => last == 0,
        Some((view, first)) => Some(*view) == last_view && *first <= last,
    }
}

/// Whether a peer message failed because of this node (its disk, its own state) rather than
/// because of the message. Consensus has then already taken the message, so the node no longer
/// matches its ledger and hard state: carrying on would refuse every later message (the engine
/// runs ahead of the ledger) while still reporting the engine's commit point, and never
/// recover even once the disk has room again. Stopping makes restart-from-disk the recovery,
/// as for a failure anywhere else. (Found by `quorate dev chaos`'s disk-full nemesis.)
fn is_local_failure(error: &ReplicationError) -> bool {
    matches!(
        error,
        ReplicationError::HardState { .. }
            | ReplicationError::Ledger(_)
            | ReplicationError::OutOfStep { .. }
            | ReplicationError::Invariant(_)
            | ReplicationError::Consensus(
                quorate_consensus::ConsensusError::Invariant { .. }
                    | quorate_consensus::ConsensusError::InconsistentDurableState(_)
            )
    )
}

/// A client-visible error is answered; anything else means the node's parts may disagree.
fn keep_going<T>(
    outcome: Result<T, ReplicationError>,
) -> Result<Result<T, ReplicationError>, ReplicationError> {
    match outcome {
        Err(
            error @ (ReplicationError::NotPrimary { .. }
            | ReplicationError::TooManyConflicts { .. }
            | ReplicationError::TooManyUncommitted { .. }
            | ReplicationError::Identity(_)),
        ) => Ok(Err(error)),
        Err(error) => Err(error),
        Ok(value) => Ok(Ok(value)),
    }
}
