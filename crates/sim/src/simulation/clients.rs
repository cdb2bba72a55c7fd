//! The clients and the history they observe. Each client has at most one operation in flight:
//! invoked when the leader accepts it into its log, returned when the node it was submitted to
//! applies that entry, dropped when that node applies a different entry at its index (it can
//! then never commit), and of unknown outcome if neither happens before the client's timeout.

use std::collections::BTreeMap;

use quorate_consensus::{Index, NodeId};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::payload::ClientOp;
use crate::linearizability::{KvInput, KvOutput, Operation, Outcome};

#[derive(Clone, Copy, Debug)]
struct InFlight {
    op: ClientOp,
    node: NodeId,
    index: Index,
    invoke_ms: u64,
}

pub struct Clients {
    key_count: u64,
    timeout_ms: u64,
    in_flight: BTreeMap<u64, InFlight>,
    next_sequence: BTreeMap<u64, u64>,
    /// The last value each client read per key, for its next compare-and-set.
    last_read: BTreeMap<(u64, u64), Option<u64>>,
    history: Vec<Operation<KvInput, KvOutput>>,
}

impl Clients {
    pub fn new(client_count: u64, key_count: u64, timeout_ms: u64) -> Self {
        Self {
            key_count: key_count.max(1),
            timeout_ms,
            in_flight: BTreeMap::new(),
            next_sequence: (0..client_count).map(|c| (c, 0)).collect(),
            last_read: BTreeMap::new(),
            history: Vec::new(),
        }
    }

    /// A client with nothing in flight, if any, and the operation it wants to run next.
    pub fn next_op(&mut self, rng: &mut ChaCha8Rng) -> Option<ClientOp> {
        let idle: Vec<u64> = self
            .next_sequence
            .keys()
            .copied()
            .filter(|c| !self.in_flight.contains_key(c))
            .collect();
        let client = *idle.get(rng.random_range(0..idle.len().max(1)))?;
        let sequence = self.next_sequence.get(&client).copied().unwrap_or(0);
        let key = rng.random_range(0..self.key_count);
        // Values are unique to each write, so a read names exactly the write it saw.
        let value = client * 1_000_000 + sequence;
        let input = match rng.random_range(0..10) {
            0..4 => KvInput::Get { key },
            4..7 => KvInput::Put { key, value },
            7..9 => KvInput::CompareAndSet {
                key,
                expected: self.last_read.get(&(client, key)).copied().flatten(),
                new: value,
            },
            _ => KvInput::Delete { key },
        };
        Some(ClientOp {
            client,
            sequence,
            input,
        })
    }

    /// The leader `node` accepted `op` at `index`.
    pub fn submitted(&mut self, op: ClientOp, node: NodeId, index: Index, now_ms: u64) {
        self.next_sequence.insert(op.client, op.sequence + 1);
        self.in_flight.insert(
            op.client,
            InFlight {
                op,
                node,
                index,
                invoke_ms: now_ms,
            },
        );
    }

    /// `node` applied the entry at `index`, which carries `applied` (if it is a client
    /// operation) with result `output`. Returns the client whose operation returned.
    pub fn on_apply(
        &mut self,
        node: NodeId,
        index: Index,
        applied: Option<(ClientOp, KvOutput)>,
        now_ms: u64,
    ) -> Option<u64> {
        let waiting = self
            .in_flight
            .values()
            .find(|f| f.node == node && f.index == index)
            .copied()?;
        self.in_flight.remove(&waiting.op.client);
        let (op, output) = applied.filter(|(op, _)| *op == waiting.op)?;
        if let (KvInput::Get { key }, KvOutput::Value(value)) = (op.input, output) {
            self.last_read.insert((op.client, key), value);
        }
        self.history.push(Operation {
            client_id: op.client,
            input: op.input,
            invoke_ms: waiting.invoke_ms,
            outcome: Outcome::Returned {
                output,
                return_ms: now_ms,
            },
        });
        Some(op.client)
    }

    /// Operations waiting longer than the timeout become unknown; their clients move on.
    pub fn expire(&mut self, now_ms: u64) {
        let expired: Vec<u64> = self
            .in_flight
            .values()
            .filter(|f| now_ms.saturating_sub(f.invoke_ms) >= self.timeout_ms)
            .map(|f| f.op.client)
            .collect();
        for client in expired {
            self.give_up(client);
        }
    }

    /// Ends the run: everything still in flight has an unknown outcome.
    pub fn finish(mut self) -> Vec<Operation<KvInput, KvOutput>> {
        let clients: Vec<u64> = self.in_flight.keys().copied().collect();
        for client in clients {
            self.give_up(client);
        }
        self.history
    }

    pub fn returned_count(&self) -> usize {
        self.history
            .iter()
            .filter(|op| op.output().is_some())
            .count()
    }

    fn give_up(&mut self, client: u64) {
        if let Some(waiting) = self.in_flight.remove(&client) {
            self.history.push(Operation {
                client_id: client,
                input: waiting.op.input,
                invoke_ms: waiting.invoke_ms,
                outcome: Outcome::Unknown,
            });
        }
    }
}
