//! The driver's world: nodes ordered by id string, one FIFO outbox per node, and a set of
//! directed links checked when a message is delivered (CCF's `RaftDriver`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use quorate_consensus::message::AppendEntries;
use quorate_consensus::{ConsensusEngine, Input, Message, NodeId, Output, Raft, RaftConfig, Role};

use super::render;

/// The driver's fixed engine settings (README §3): 10 ms heartbeats, 100 ms elections, and a
/// deterministic jitter of 0 (every verdict is the same for any fixed jitter 0..=50).
fn scenario_config(id: NodeId, pre_vote: bool) -> RaftConfig {
    RaftConfig {
        heartbeat_timeout_ms: 10,
        election_timeout_ms: 100,
        election_jitter_ms: 0,
        pre_vote,
        ..RaftConfig::new(id)
    }
}

pub(super) struct DriverNode {
    pub(super) raft: Raft,
    pub(super) outbox: VecDeque<(NodeId, Message)>,
    pub(super) now_ms: u64,
}

/// A reason the run fails, shown with the failing line.
pub(super) type Failure = String;

#[derive(Default)]
pub(super) struct Cluster {
    pub(super) pre_vote: bool,
    pub(super) nodes: BTreeMap<String, DriverNode>,
    names: BTreeMap<NodeId, String>,
    connections: BTreeSet<(String, String)>,
    pub(super) transcript: Vec<String>,
}

impl Cluster {
    pub(super) fn print(&mut self, line: String) {
        self.transcript.push(format!("<RaftDriver>  {line}"));
    }

    pub(super) fn node(&self, name: &str) -> Result<&DriverNode, Failure> {
        self.nodes
            .get(name)
            .ok_or_else(|| format!("unknown node {name}"))
    }

    pub(super) fn name_of(&self, id: NodeId) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    pub(super) fn id_of(&self, name: &str) -> Option<NodeId> {
        self.nodes.get(name).map(|n| n.raft.id())
    }

    /// Creates an empty node: term 0, no configuration, timer at 0.
    pub(super) fn add_node(&mut self, name: &str) -> Result<NodeId, Failure> {
        if self.nodes.contains_key(name) {
            return Err(format!("Node {name} already exists"));
        }
        let id = NodeId(self.names.len() as u64);
        self.names.insert(id, name.to_string());
        self.nodes.insert(
            name.to_string(),
            DriverNode {
                raft: Raft::new(scenario_config(id, self.pre_vote)),
                outbox: VecDeque::new(),
                now_ms: 0,
            },
        );
        Ok(id)
    }

    /// `start_node`: the first node leads term 2 with configuration {itself} at index 1.
    pub(super) fn start_node(&mut self, name: &str) -> Result<(), Failure> {
        if !self.nodes.is_empty() {
            return Err("Start node already exists".into());
        }
        self.add_node(name)?;
        self.print(format!("Note over n[{name}]: Node {name} created"));
        self.step(
            name,
            Input::Bootstrap {
                payload: bytes::Bytes::new(),
            },
        )
    }

    /// Feeds one input, persisting at once, and queues what the node sends.
    pub(super) fn step(&mut self, name: &str, input: Input<Message>) -> Result<(), Failure> {
        let mut next = Some(input);
        while let Some(input) = next.take() {
            let node = self
                .nodes
                .get_mut(name)
                .ok_or_else(|| format!("unknown node {name}"))?;
            // A refused input (e.g. a proposal at a retired leader) changes nothing, as in
            // CCF where `replicate` just returns false.
            let Ok(outputs) = node.raft.handle(input) else {
                return Ok(());
            };
            for output in outputs {
                match output {
                    Output::Send { to, message } => node.outbox.push_back((to, message)),
                    Output::Persist { .. } => {
                        next = Some(Input::Persisted {
                            index: node.raft.last_index(),
                        });
                    }
                    Output::PersistHardState(_)
                    | Output::Truncate { .. }
                    | Output::Commit { .. }
                    | Output::RoleChanged { .. } => {}
                }
            }
            node.raft
                .check_invariants()
                .map_err(|e| format!("n[{name}]: {e}"))?;
        }
        Ok(())
    }

    pub(super) fn periodic(&mut self, name: &str, ms: u64) -> Result<(), Failure> {
        let node = self
            .nodes
            .get_mut(name)
            .ok_or_else(|| format!("unknown node {name}"))?;
        node.now_ms = node.now_ms.saturating_add(ms);
        let now_ms = node.now_ms;
        self.print(format!("n[{name}]->>n[{name}]: periodic for {ms} ms"));
        self.step(name, Input::Tick { now_ms })
    }

    pub(super) fn connect(&mut self, a: &str, b: &str, verb: &str) {
        self.print(format!("n[{a}]-->n[{b}]: {verb}"));
        self.connections.insert((a.to_string(), b.to_string()));
        self.connections.insert((b.to_string(), a.to_string()));
    }

    pub(super) fn disconnect(&mut self, a: &str, b: &str) {
        let removed_ab = self.connections.remove(&(a.to_string(), b.to_string()));
        let removed_ba = self.connections.remove(&(b.to_string(), a.to_string()));
        if removed_ab || removed_ba {
            self.print(format!("n[{a}]-->n[{b}]: disconnect"));
        }
    }

    pub(super) fn others(&self, name: &str) -> Vec<String> {
        self.nodes.keys().filter(|n| *n != name).cloned().collect()
    }

    /// Delivers one message, or drops it if the link is down or (for AppendEntries) the
    /// sender no longer holds the entries. Returns whether it was delivered.
    pub(super) fn deliver(
        &mut self,
        from: &str,
        to: NodeId,
        message: Message,
    ) -> Result<bool, Failure> {
        let to_name = self.name_of(to);
        let linked = self
            .connections
            .contains(&(from.to_string(), to_name.clone()));
        let attached = if linked {
            self.attach_entries(from, &message)
        } else {
            None
        };
        let Some(message) = attached else {
            self.print(render::message_line(from, &to_name, &message, true));
            return Ok(false);
        };
        self.print(render::message_line(from, &to_name, &message, false));
        if !self.nodes.contains_key(&to_name) {
            return Err(format!("unknown node {to_name}"));
        }
        let from_id = self
            .id_of(from)
            .ok_or_else(|| format!("unknown node {from}"))?;
        self.step(
            &to_name,
            Input::Receive {
                from: from_id,
                message,
            },
        )?;
        Ok(true)
    }

    /// CCF's driver attaches AppendEntries payloads from the sender's ledger as it is at
    /// delivery time; entries it no longer holds make the message undeliverable.
    fn attach_entries(&self, from: &str, message: &Message) -> Option<Message> {
        let Message::AppendEntries(ae) = message else {
            return Some(message.clone());
        };
        let sender = &self.nodes.get(from)?.raft;
        let entries = (ae.prev_index + 1..=ae.last_index())
            .map(|i| sender.entry(i).cloned())
            .collect::<Option<Vec<_>>>()?;
        Some(Message::AppendEntries(AppendEntries {
            entries,
            ..ae.clone()
        }))
    }

    /// Leaders as (term, name), in node order.
    pub(super) fn primaries(&self) -> Vec<(u64, String)> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.raft.role() == Role::Leader)
            .map(|(name, n)| (n.raft.term(), name.clone()))
            .collect()
    }

    /// The Leader of the `term` argument: a number, or `latest` (None when no Leader).
    pub(super) fn primary_in_term(&self, term: &str) -> Result<Option<String>, Failure> {
        let primaries = self.primaries();
        if term == "latest" {
            return Ok(primaries.into_iter().max().map(|(_, name)| name));
        }
        let wanted = super::parse::leading_integer(term).unwrap_or(0);
        primaries
            .into_iter()
            .find(|(t, _)| i64::try_from(*t).is_ok_and(|t| t == wanted))
            .map(|(_, name)| Some(name))
            .ok_or_else(|| format!("Found no primary in term {term}"))
    }
}

impl Cluster {
    /// Appends at the Leader named by the `term` argument. With `latest` and no Leader, it
    /// prints a note and does nothing, as CCF's driver does.
    pub(super) fn replicate(&mut self, term: &str, input: Input<Message>) -> Result<(), Failure> {
        let Some(leader) = self.primary_in_term(term)? else {
            let first = self.nodes.keys().next().cloned().unwrap_or_default();
            self.print(format!("Note left of n[{first}]: No primary to replicate"));
            return Ok(());
        };
        let node = self.node(&leader)?;
        let index = node.raft.last_index() + 1;
        let line = format!(
            "n[{leader}]->>n[{leader}]: replicate {}.{index} = {}",
            node.raft.term(),
            render::proposal_summary(&input)
        );
        self.print(line);
        self.step(&leader, input)
    }
}
