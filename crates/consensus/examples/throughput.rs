//! Engine-only throughput: a 3-node in-memory cluster without faults. The leader appends
//! batches of small write sets with a signature per batch; messages are delivered at once
//! and persistence is acknowledged at once. Reports replicated+committed entries per second
//! (wall clock), messages per committed entry, and the virtual time to elect a new leader
//! after the primary stops.
//!
//! `cargo run -p quorate-consensus --release --example throughput`

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use quorate_consensus::{
    ConsensusEngine, ConsensusError, Input, Message, NodeId, Output, Proposal, Raft, RaftConfig,
    Role,
};

const NODES: u64 = 3;
const ENTRIES: u64 = 2_000_000;
const BATCH: usize = 1_000;
const PAYLOAD_BYTES: usize = 32;

struct Cluster {
    nodes: Vec<Raft>,
    in_flight: VecDeque<(NodeId, NodeId, Message)>,
    stopped: Option<NodeId>,
    now_ms: u64,
    messages: u64,
}

impl Cluster {
    fn new(max_entries_per_append: u64) -> Self {
        let nodes = (0..NODES)
            .map(|id| {
                Raft::new(RaftConfig {
                    max_entries_per_append,
                    jitter_seed: 0x5eed ^ id,
                    ..RaftConfig::new(NodeId(id))
                })
            })
            .collect();
        Self {
            nodes,
            in_flight: VecDeque::new(),
            stopped: None,
            now_ms: 0,
            messages: 0,
        }
    }

    fn step(&mut self, id: NodeId, input: Input<Message>) -> Result<(), ConsensusError> {
        let mut next = Some(input);
        while let Some(input) = next.take() {
            let node = &mut self.nodes[id.0 as usize];
            for output in node.handle(input)? {
                match output {
                    Output::Send { to, message } => {
                        self.messages += 1;
                        self.in_flight.push_back((id, to, message));
                    }
                    Output::Persist { .. } => {
                        next = Some(Input::Persisted {
                            index: node.last_index(),
                        });
                    }
                    Output::PersistHardState(_)
                    | Output::Truncate { .. }
                    | Output::Commit { .. }
                    | Output::RoleChanged { .. } => {}
                }
            }
        }
        Ok(())
    }

    fn deliver_all(&mut self) -> Result<(), ConsensusError> {
        while let Some((from, to, message)) = self.in_flight.pop_front() {
            if self.stopped != Some(to) && self.stopped != Some(from) {
                self.step(to, Input::Receive { from, message })?;
            }
        }
        Ok(())
    }

    fn tick_all(&mut self, ms: u64) -> Result<(), ConsensusError> {
        self.now_ms += ms;
        for id in 0..NODES {
            if self.stopped != Some(NodeId(id)) {
                self.step(
                    NodeId(id),
                    Input::Tick {
                        now_ms: self.now_ms,
                    },
                )?;
            }
        }
        self.deliver_all()
    }

    fn leader(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .find(|n| n.role() == Role::Leader && self.stopped != Some(n.id()))
            .map(|n| n.id())
    }
}

fn main() -> Result<(), ConsensusError> {
    // One message per batch, then CCF's default cap of 20 entries per message.
    run(BATCH as u64 + 1)?;
    run(20)
}

fn run(max_entries_per_append: u64) -> Result<(), ConsensusError> {
    let mut c = Cluster::new(max_entries_per_append);
    let leader = NodeId(0);
    c.step(
        leader,
        Input::Bootstrap {
            payload: Bytes::new(),
        },
    )?;
    c.step(
        leader,
        Input::Propose(vec![Proposal::reconfiguration(
            (0..NODES).map(NodeId).collect(),
            Bytes::new(),
        )]),
    )?;
    c.step(
        leader,
        Input::EmitSignature {
            payload: Bytes::from_static(b"sig"),
        },
    )?;
    for _ in 0..3 {
        c.tick_all(100)?;
    }
    let start_index = c.nodes[0].commit_index();
    let start_messages = c.messages;

    let payload = Bytes::from(vec![7u8; PAYLOAD_BYTES]);
    let started = Instant::now();
    let mut appended = 0;
    while appended < ENTRIES {
        let batch = (0..BATCH).map(|_| Proposal::raw(payload.clone())).collect();
        c.step(leader, Input::Propose(batch))?;
        c.step(
            leader,
            Input::EmitSignature {
                payload: payload.clone(),
            },
        )?;
        appended += BATCH as u64 + 1;
        c.tick_all(100)?;
    }
    // One more round carries the final commit index to the followers.
    c.tick_all(100)?;
    let elapsed = started.elapsed();
    let committed = c.nodes.iter().map(|n| n.commit_index()).min().unwrap_or(0) - start_index;
    let rate = committed as f64 / elapsed.as_secs_f64();
    let per_entry = (c.messages - start_messages) as f64 / committed as f64;
    println!(
        "{NODES} nodes, batches of {BATCH} x {PAYLOAD_BYTES}-byte entries + 1 signature, \
         at most {max_entries_per_append} entries per AppendEntries:"
    );
    println!(
        "  {committed} entries replicated and committed on every node in {:.3} s = {:.2} M entries/s",
        elapsed.as_secs_f64(),
        rate / 1e6
    );
    println!("  {per_entry:.4} messages per committed entry");

    // Stop the primary; count virtual time until another node leads.
    c.stopped = Some(leader);
    let stopped_at_ms = c.now_ms;
    while c.leader().is_none() {
        c.tick_all(1)?;
    }
    let config = c.nodes[0].config();
    println!(
        "  new leader after {} virtual ms (election timeout {} ms, jitter up to {} ms, heartbeat {} ms)",
        c.now_ms - stopped_at_ms,
        config.election_timeout_ms,
        config.election_jitter_ms,
        config.heartbeat_timeout_ms
    );
    Ok(())
}
