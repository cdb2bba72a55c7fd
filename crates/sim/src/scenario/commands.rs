//! One function per scenario command, with CCF's field counts.

use std::collections::BTreeSet;

use bytes::Bytes;
use quorate_consensus::{ConsensusEngine, Input, NodeId, Proposal};

use super::cluster::{Cluster, Failure};
use super::{details, dispatch, parse, render};

/// Whether the per-command commit-safety check runs after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    CommitSafety,
    Skip,
}

/// Field-count rules (not counting the command name).
fn exactly(args: &[&str], n: usize) -> Result<(), Failure> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("expected {n} field(s), got {}", args.len()))
    }
}

fn at_least(args: &[&str], n: usize) -> Result<(), Failure> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(format!(
            "expected at least {n} field(s), got {}",
            args.len()
        ))
    }
}

fn integer(text: &str) -> Result<i64, Failure> {
    parse::leading_integer(text).ok_or_else(|| format!("not a number: {text:?}"))
}

fn milliseconds(text: &str) -> Result<u64, Failure> {
    u64::try_from(integer(text)?).map_err(|_| format!("negative duration: {text:?}"))
}

/// Runs one command. `args` excludes the command name.
pub(super) fn run(cluster: &mut Cluster, command: &str, args: &[&str]) -> Result<Check, Failure> {
    use Check::{CommitSafety, Skip};
    match command {
        "pre_vote_enabled" => {
            exactly(args, 1)?;
            cluster.pre_vote = match args[0] {
                "true" => true,
                "false" => false,
                other => {
                    return Err(format!(
                        "pre_vote_enabled value must be true or false, not {other:?}"
                    ));
                }
            };
        }
        "start_node" => {
            exactly(args, 1)?;
            cluster.start_node(args[0])?;
        }
        "trust_node" => {
            exactly(args, 2)?;
            trust_nodes(cluster, args[0], &args[1..])?;
        }
        "trust_nodes" => {
            at_least(args, 2)?;
            trust_nodes(cluster, args[0], &args[1..])?;
        }
        "swap_node" => {
            exactly(args, 3)?;
            swap_nodes(cluster, args[0], &args[1..2], &args[2..3])?;
        }
        "swap_nodes" => {
            at_least(args, 3)?;
            let lists = &args[1..];
            let position = |word: &str| lists.iter().position(|a| *a == word);
            let (out, into) = match lists[0] {
                "in" => {
                    let out_at = position("out").unwrap_or(lists.len());
                    (
                        lists.get(out_at + 1..).unwrap_or_default(),
                        &lists[1..out_at],
                    )
                }
                "out" => {
                    let in_at = position("in").unwrap_or(lists.len());
                    (&lists[1..in_at], lists.get(in_at + 1..).unwrap_or_default())
                }
                _ => return Err("swap_nodes: expected 'in' or 'out' after term".into()),
            };
            swap_nodes(cluster, args[0], out, into)?;
        }
        "cleanup_nodes" => {
            at_least(args, 2)?;
            let mut ids = BTreeSet::new();
            for name in &args[1..] {
                ids.insert(
                    cluster
                        .id_of(name)
                        .ok_or_else(|| format!("Attempted to clean up unknown node {name}"))?,
                );
            }
            let proposal = Proposal::retired_committed(ids, Bytes::new());
            cluster.replicate(args[0], Input::Propose(vec![proposal]))?;
        }
        "replicate_new_configuration" => {
            at_least(args, 2)?;
            let mut members = BTreeSet::new();
            for name in &args[1..] {
                if cluster.id_of(name).is_none() {
                    create_node(cluster, name)?;
                }
                members.extend(cluster.id_of(name));
            }
            let proposal = Proposal::reconfiguration(members, Bytes::new());
            cluster.replicate(args[0], Input::Propose(vec![proposal]))?;
        }
        "nodes" => {
            at_least(args, 1)?;
            let mut members = BTreeSet::new();
            for name in args {
                members.insert(cluster.add_node(name)?);
            }
            for node in cluster.nodes.values_mut() {
                node.raft.install_configuration(members.clone());
            }
        }
        "create_new_node" => {
            exactly(args, 1)?;
            create_node(cluster, args[0])?;
        }
        "connect" | "reconnect" => {
            exactly(args, 2)?;
            cluster.connect(args[0], args[1], command);
        }
        "disconnect" => {
            exactly(args, 2)?;
            cluster.disconnect(args[0], args[1]);
        }
        "disconnect_node" => {
            exactly(args, 1)?;
            for other in cluster.others(args[0]) {
                cluster.disconnect(args[0], &other);
            }
        }
        "reconnect_node" => {
            exactly(args, 1)?;
            for other in cluster.others(args[0]) {
                cluster.connect(args[0], &other, "reconnect");
            }
        }
        "periodic_one" => {
            exactly(args, 2)?;
            cluster.periodic(args[0], milliseconds(args[1])?)?;
        }
        "periodic_all" => {
            exactly(args, 1)?;
            let ms = milliseconds(args[0])?;
            let names: Vec<String> = cluster.nodes.keys().cloned().collect();
            for name in names {
                cluster.periodic(&name, ms)?;
            }
        }
        "dispatch_one" => {
            exactly(args, 1)?;
            dispatch::dispatch_one(cluster, args[0], None)?;
        }
        "dispatch_single" => {
            exactly(args, 2)?;
            dispatch::dispatch_single(cluster, args[0], args[1])?;
        }
        "dispatch_all_once" => {
            exactly(args, 0)?;
            dispatch::dispatch_all_once(cluster)?;
        }
        "dispatch_all" => {
            exactly(args, 0)?;
            dispatch::dispatch_all(cluster)?;
        }
        "drop_pending" => {
            exactly(args, 1)?;
            cluster.node(args[0])?;
            let names: Vec<String> = cluster.nodes.keys().cloned().collect();
            for to in names {
                dispatch::drop_pending_to(cluster, args[0], &to)?;
            }
        }
        "drop_pending_to" => {
            exactly(args, 2)?;
            dispatch::drop_pending_to(cluster, args[0], args[1])?;
        }
        "shuffle_one" => {
            exactly(args, 1)?;
            dispatch::shuffle(cluster, args[0], 0)?;
        }
        "shuffle_all" => {
            exactly(args, 0)?;
            let names: Vec<String> = cluster.nodes.keys().cloned().collect();
            for (seed, name) in names.iter().enumerate() {
                dispatch::shuffle(cluster, name, seed as u64)?;
            }
        }
        "replicate" => {
            exactly(args, 2)?;
            let proposal = Proposal::raw(Bytes::copy_from_slice(args[1].as_bytes()));
            cluster.replicate(args[0], Input::Propose(vec![proposal]))?;
        }
        "emit_signature" => {
            exactly(args, 1)?;
            cluster.replicate(
                args[0],
                Input::EmitSignature {
                    payload: super::signature(),
                },
            )?;
        }
        "state_one" => {
            exactly(args, 1)?;
            let line = render::state_line(args[0], &cluster.node(args[0])?.raft);
            cluster.print(line);
            return Ok(Skip);
        }
        "state_all" => {
            exactly(args, 0)?;
            let lines: Vec<String> = cluster
                .nodes
                .iter()
                .map(|(name, n)| render::state_line(name, &n.raft))
                .collect();
            lines.into_iter().for_each(|l| cluster.print(l));
            return Ok(Skip);
        }
        "summarise_log" => {
            exactly(args, 1)?;
            let line = render::log_summary(args[0], &cluster.node(args[0])?.raft);
            cluster.print(line);
            return Ok(Skip);
        }
        "summarise_logs_all" => {
            exactly(args, 0)?;
            let lines: Vec<String> = cluster
                .nodes
                .iter()
                .map(|(name, n)| render::log_summary(name, &n.raft))
                .collect();
            lines.into_iter().for_each(|l| cluster.print(l));
            return Ok(Skip);
        }
        "summarise_messages" => {
            exactly(args, 2)?;
            let target = cluster.id_of(args[1]);
            let summaries: Vec<String> = cluster
                .node(args[0])?
                .outbox
                .iter()
                .filter(|(to, _)| Some(*to) == target)
                .map(|(_, m)| render::message_summary(m))
                .collect();
            let line = format!(
                "Note right of n[{}]: {} message(s) to n[{}] = [{}]",
                args[0],
                summaries.len(),
                args[1],
                summaries.join(", ")
            );
            cluster.print(line);
        }
        "assert_detail" | "assert_!detail" => {
            exactly(args, 3)?;
            let equal = command == "assert_detail";
            let (name, key, expected) = (args[0], args[1], args[2]);
            let node = cluster.node(name)?;
            let details = details::details(cluster, &node.raft);
            let Some(value) = details.get(key).cloned() else {
                cluster.print(format!(
                    "  Note over n[{name}]: Node does not have detail {key}"
                ));
                return Err(format!("Node {name} does not have detail {key}"));
            };
            if (value == expected) != equal {
                let cmp = if equal { "!" } else { "=" };
                cluster.print(format!(
                    "  Note over n[{name}]: Node detail {key} is not as expected: {value} {cmp}= {expected}"
                ));
                return Err(format!(
                    "Node {name} detail {key} is not as expected: {value} {cmp}= {expected}"
                ));
            }
        }
        "assert_commit_idx" => {
            exactly(args, 2)?;
            let expected = integer(args[1])?;
            let actual = cluster.node(args[0])?.raft.commit_index();
            if i64::try_from(actual).ok() != Some(expected) {
                cluster.print(format!(
                    "Note over n[{}]: Node is not at expected commit idx {expected}",
                    args[0]
                ));
                return Err(format!(
                    "Node {} not at expected commit idx ({expected}) : {actual}",
                    args[0]
                ));
            }
            return Ok(Skip);
        }
        "assert_config" => {
            at_least(args, 2)?;
            let index = integer(args[1])?;
            let node = cluster.node(args[0])?;
            let expected: BTreeSet<&str> = args[2..].iter().copied().collect();
            let config = node
                .raft
                .configurations()
                .find(|c| i64::try_from(c.index).ok() == Some(index))
                .ok_or_else(|| {
                    format!(
                        "Node {} does not have a configuration at idx {index}",
                        args[0]
                    )
                })?;
            let actual: BTreeSet<String> =
                config.members.iter().map(|m| cluster.name_of(*m)).collect();
            if actual.iter().map(String::as_str).collect::<BTreeSet<_>>() != expected {
                return Err(format!(
                    "Node {} configuration at idx {index} ({actual:?}) does not match expected ({expected:?})",
                    args[0]
                ));
            }
        }
        "assert_absent_config" => {
            exactly(args, 2)?;
            let index = integer(args[1])?;
            let node = cluster.node(args[0])?;
            if node
                .raft
                .configurations()
                .any(|c| i64::try_from(c.index).ok() == Some(index))
            {
                return Err(format!(
                    "Node {} has unexpected configuration at idx {index}",
                    args[0]
                ));
            }
        }
        "assert_state_sync" => {
            exactly(args, 0)?;
            cluster.assert_state_sync()?;
            return Ok(Skip);
        }
        "assert_commit_safety" => {
            exactly(args, 1)?;
            cluster.assert_commit_safety(args[0])?;
        }
        "loop_until_sync" => {
            exactly(args, 0)?;
            cluster.loop_until_sync()?;
        }
        other => return Err(format!("Unknown action '{other}'")),
    }
    Ok(CommitSafety)
}

fn create_node(cluster: &mut Cluster, name: &str) -> Result<NodeId, Failure> {
    let id = cluster.add_node(name)?;
    cluster.print(format!("Note over n[{name}]: Node {name} created"));
    Ok(id)
}

/// Creates the nodes, links each to every node, and appends a configuration of every node
/// ever created.
fn trust_nodes(cluster: &mut Cluster, term: &str, names: &[&str]) -> Result<(), Failure> {
    for name in names {
        cluster.add_node(name)?;
        cluster.print(format!("Note over n[{name}]: Node {name} trusted"));
    }
    let members: BTreeSet<NodeId> = cluster.nodes.values().map(|n| n.raft.id()).collect();
    for name in names {
        for other in cluster.others(name) {
            cluster.connect(&other, name, "connect");
        }
    }
    let proposal = Proposal::reconfiguration(members, Bytes::new());
    cluster.replicate(term, Input::Propose(vec![proposal]))
}

/// Creates the `into` nodes, links them to every node, and appends a configuration of every
/// node ever created except the `out` ones.
fn swap_nodes(
    cluster: &mut Cluster,
    term: &str,
    out: &[&str],
    into: &[&str],
) -> Result<(), Failure> {
    for name in into {
        cluster.add_node(name)?;
        cluster.print(format!("Note over n[{name}]: Node {name} trusted"));
    }
    for name in out {
        cluster.print(format!("Note over n[{name}]: Node {name} retired"));
    }
    let members: BTreeSet<NodeId> = cluster
        .nodes
        .iter()
        .filter(|(name, _)| !out.contains(&name.as_str()))
        .map(|(_, n)| n.raft.id())
        .collect();
    let names: Vec<String> = cluster.nodes.keys().cloned().collect();
    for name in &names {
        for new in into {
            if name != new {
                cluster.connect(name, new, "connect");
            }
        }
    }
    let proposal = Proposal::reconfiguration(members, Bytes::new());
    cluster.replicate(term, Input::Propose(vec![proposal]))
}
