//! The history of client operations, as the clients saw them, and what it means for the
//! linearizability checker.
//!
//! **Writes** (`POST /app/log/private {id: key, msg: value}`, every value unique) take effect
//! somewhere between their invocation and the moment the harness learns, from `/app/tx`, that
//! their transaction is Committed: that moment is their return. A write whose transaction
//! turns out Invalid never happened, nor did one answered with a redirect (the node refused it
//! before running it); both are left out. Anything else (a timeout, a broken connection, an
//! error status, an id never resolved) may or may not have happened: an operation with an
//! unknown outcome.
//!
//! **Reads** are CCF reads: served by whichever node answers, from its own store, so a backup
//! behind the primary, or a primary deposed without knowing it yet, answers stale values, and
//! a primary answers values not yet committed. CCF promises no more, so checking every read
//! would only rediscover that. A read is checked when it is provably linearizable by CCF's own
//! rules, which the workload arranges: after reading at node X (read version `v.s`), the client
//! writes at X; if that write is answered 200 by X with transaction `v.t` (the same view) and
//! becomes Committed, then X was the primary of view `v` when it served the read (only view
//! `v`'s primary writes `v` entries and X already had one), and no later view had committed
//! anything before the write was created (a committed entry of a later view would make
//! `v.t` impossible to commit). So every write acknowledged Committed before the read began is
//! in X's store, and the read is of a state that is committed: linearizable. Reads without
//! such a barrier are counted but not checked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quorate_node::client::{ClientTls, Connection};
use quorate_sim::linearizability::{KvInput, KvOutput, Operation, Outcome};
use tokio::sync::watch;

use super::observer::Observer;

/// Milliseconds since the run began: the time axis of the history.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            epoch: Instant::now(),
        }
    }

    pub fn ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A transaction id, (view, seqno).
pub type TxId = (u64, u64);

/// How a write was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteAnswer {
    /// 200 with a transaction id, from `node`.
    Acked { txid: TxId, node: usize },
    /// 307: not run.
    Redirected,
    /// No answer, or an answer that does not say whether it ran.
    Unknown(String),
}

/// What became of an acknowledged write's transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Pending,
    /// Seen Committed at this time.
    Committed {
        at_ms: u64,
    },
    Invalid,
}

#[derive(Clone, Debug)]
pub struct WriteRecord {
    pub client: u64,
    pub key: u64,
    pub value: u64,
    pub invoke_ms: u64,
    pub answer: WriteAnswer,
    pub resolution: Resolution,
}

impl WriteRecord {
    /// The transaction id if the write was acknowledged and then seen Committed.
    pub fn committed_txid(&self) -> Option<TxId> {
        match (&self.answer, self.resolution) {
            (WriteAnswer::Acked { txid, .. }, Resolution::Committed { .. }) => Some(*txid),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReadRecord {
    pub client: u64,
    pub key: u64,
    pub node: usize,
    pub invoke_ms: u64,
    pub return_ms: u64,
    pub value: Option<u64>,
    pub txid: Option<TxId>,
    /// The same client's next write, sent to the same node right after.
    pub barrier: Option<usize>,
}

/// Everything the clients did.
#[derive(Default)]
pub struct History {
    pub writes: Vec<WriteRecord>,
    pub reads: Vec<ReadRecord>,
    /// Reads that got no usable answer.
    pub failed_reads: u64,
    /// The reads of every key on every node after the run, once quiet.
    pub final_reads: Vec<ReadRecord>,
}

pub type SharedHistory = Arc<Mutex<History>>;

/// Counts for the report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub writes_committed: u64,
    pub writes_failed: u64,
    pub writes_unknown: u64,
    pub reads_checked: u64,
    pub reads_unchecked: u64,
    pub reads_failed: u64,
}

impl History {
    /// Whether read `read` has a committed barrier write in its view (see the module text).
    pub fn read_is_checkable(&self, read: &ReadRecord) -> bool {
        let (Some((read_view, _)), Some(barrier)) = (read.txid, read.barrier) else {
            return false;
        };
        self.writes.get(barrier).is_some_and(|write| {
            matches!(&write.answer, WriteAnswer::Acked { node, .. } if *node == read.node)
                && write
                    .committed_txid()
                    .is_some_and(|(view, _)| view == read_view)
        })
    }

    /// One JSON line per operation, for whoever investigates a failed run.
    pub fn to_json_lines(&self) -> String {
        let mut lines = String::new();
        for (index, write) in self.writes.iter().enumerate() {
            let line = serde_json::json!({
                "op": "write", "index": index, "client": write.client, "key": write.key,
                "value": write.value, "invoke_ms": write.invoke_ms,
                "answer": format!("{:?}", write.answer),
                "resolution": format!("{:?}", write.resolution),
            });
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        for (index, read) in self.reads.iter().chain(&self.final_reads).enumerate() {
            let line = serde_json::json!({
                "op": "read", "index": index, "client": read.client, "key": read.key,
                "node": read.node, "value": read.value, "invoke_ms": read.invoke_ms,
                "return_ms": read.return_ms, "txid": read.txid, "barrier": read.barrier,
                "checked": self.read_is_checkable(read),
            });
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        lines
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally {
            reads_failed: self.failed_reads,
            ..Tally::default()
        };
        for write in &self.writes {
            match (&write.answer, write.resolution) {
                (WriteAnswer::Acked { .. }, Resolution::Committed { .. }) => {
                    tally.writes_committed += 1;
                }
                (WriteAnswer::Redirected, _) | (_, Resolution::Invalid) => {
                    tally.writes_failed += 1;
                }
                _ => tally.writes_unknown += 1,
            }
        }
        for read in &self.reads {
            if self.read_is_checkable(read) {
                tally.reads_checked += 1;
            } else {
                tally.reads_unchecked += 1;
            }
        }
        tally
    }

    /// The history as the checker's operations (see the module text for what is left out).
    /// `every_read` also takes the reads no barrier vouches for: CCF does not promise those
    /// are linearizable, so this finds what it allows (stale reads at a deposed primary,
    /// reads of values later rolled back) and shows the checker at work.
    pub fn operations(&self, every_read: bool) -> Vec<Operation<KvInput, KvOutput>> {
        let mut operations = Vec::new();
        for write in &self.writes {
            let outcome = match (&write.answer, write.resolution) {
                (WriteAnswer::Redirected, _) | (_, Resolution::Invalid) => continue,
                (WriteAnswer::Acked { .. }, Resolution::Committed { at_ms }) => Outcome::Returned {
                    output: KvOutput::Done,
                    return_ms: at_ms.max(write.invoke_ms),
                },
                _ => Outcome::Unknown,
            };
            operations.push(Operation {
                client_id: write.client,
                input: KvInput::Put {
                    key: write.key,
                    value: write.value,
                },
                invoke_ms: write.invoke_ms,
                outcome,
            });
        }
        let checked = self
            .reads
            .iter()
            .filter(|r| every_read || self.read_is_checkable(r));
        for read in checked.chain(&self.final_reads) {
            operations.push(Operation {
                client_id: read.client,
                input: KvInput::Get { key: read.key },
                invoke_ms: read.invoke_ms,
                outcome: Outcome::Returned {
                    output: KvOutput::Value(read.value),
                    return_ms: read.return_ms,
                },
            });
        }
        operations
    }
}

/// Acknowledged writes whose transaction is not yet known Committed or Invalid.
fn pending(history: &SharedHistory) -> Vec<(usize, TxId)> {
    let Ok(history) = history.lock() else {
        return Vec::new();
    };
    history
        .writes
        .iter()
        .enumerate()
        .filter(|(_, w)| w.resolution == Resolution::Pending)
        .filter_map(|(index, w)| match w.answer {
            WriteAnswer::Acked { txid, .. } => Some((index, txid)),
            _ => None,
        })
        .collect()
}

/// Learns the fate of acknowledged writes from `/app/tx`, asking a node that has committed past
/// them, until `stop`.
#[derive(Clone)]
pub struct Resolver {
    pub history: SharedHistory,
    pub tls: ClientTls,
    pub addresses: Vec<SocketAddr>,
    pub observer: Observer,
    pub clock: Clock,
}

impl Resolver {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut connections: Vec<Option<Connection>> =
            self.addresses.iter().map(|_| None).collect();
        loop {
            self.pass(&mut connections).await;
            tokio::select! {
                _ = stop.changed() => if *stop.borrow() { return },
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }

    /// Resolves until nothing is pending or `within` has passed; how many are left.
    pub async fn finish(&self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let mut connections: Vec<Option<Connection>> =
            self.addresses.iter().map(|_| None).collect();
        loop {
            self.pass(&mut connections).await;
            let left = pending(&self.history).len();
            if left == 0 || Instant::now() > deadline {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn pass(&self, connections: &mut [Option<Connection>]) {
        for (index, (view, seqno)) in pending(&self.history) {
            let Some(node) = self.observer.node_committed(seqno) else {
                continue;
            };
            let Some(address) = self.addresses.get(node) else {
                continue;
            };
            let Some(slot) = connections.get_mut(node) else {
                continue;
            };
            if slot.as_ref().is_none_or(Connection::is_closed) {
                *slot = Connection::connect(&self.tls, *address).await.ok();
            }
            let Some(connection) = slot.as_mut() else {
                continue;
            };
            let status = match connection
                .get(&format!("/app/tx?transaction_id={view}.{seqno}"))
                .await
            {
                Ok(response) => response
                    .json()
                    .ok()
                    .and_then(|body| body["status"].as_str().map(str::to_owned)),
                Err(_) => {
                    *slot = None;
                    continue;
                }
            };
            let resolution = match status.as_deref() {
                Some("Committed") => Resolution::Committed {
                    at_ms: self.clock.ms(),
                },
                Some("Invalid") => Resolution::Invalid,
                _ => continue,
            };
            if let Ok(mut history) = self.history.lock()
                && let Some(write) = history.writes.get_mut(index)
            {
                write.resolution = resolution;
            }
        }
    }
}
