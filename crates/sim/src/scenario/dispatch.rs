//! Message delivery commands over the per-node FIFO outboxes.

use std::collections::{BTreeMap, VecDeque};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::cluster::{Cluster, Failure};

/// Takes messages from `from`'s outbox, front first, until `max` were delivered (dropped
/// ones do not count) or it is empty. Returns how many were delivered.
pub(super) fn dispatch_one(
    cluster: &mut Cluster,
    from: &str,
    max: Option<usize>,
) -> Result<usize, Failure> {
    cluster.node(from)?;
    let mut delivered = 0;
    while max.is_none_or(|m| delivered < m) {
        let Some((to, message)) = cluster
            .nodes
            .get_mut(from)
            .and_then(|n| n.outbox.pop_front())
        else {
            break;
        };
        if cluster.deliver(from, to, message)? {
            delivered += 1;
        }
    }
    Ok(delivered)
}

/// Delivers (or drops) only the first message from `from` addressed to `to`.
pub(super) fn dispatch_single(cluster: &mut Cluster, from: &str, to: &str) -> Result<(), Failure> {
    let target = cluster.id_of(to);
    let node = cluster
        .nodes
        .get_mut(from)
        .ok_or_else(|| format!("unknown node {from}"))?;
    let Some(pos) = node.outbox.iter().position(|(t, _)| Some(*t) == target) else {
        return Ok(());
    };
    let Some((dest, message)) = node.outbox.remove(pos) else {
        return Ok(());
    };
    cluster.deliver(from, dest, message).map(|_| ())
}

/// Delivers, per node in id order, as many messages as each outbox held at the start.
pub(super) fn dispatch_all_once(cluster: &mut Cluster) -> Result<(), Failure> {
    let counts: BTreeMap<String, usize> = cluster
        .nodes
        .iter()
        .map(|(name, n)| (name.clone(), n.outbox.len()))
        .collect();
    for (name, count) in counts {
        dispatch_one(cluster, &name, Some(count))?;
    }
    Ok(())
}

/// `dispatch_all_once` while anything is queued, at most 5 times.
pub(super) fn dispatch_all(cluster: &mut Cluster) -> Result<(), Failure> {
    for _ in 0..5 {
        if cluster.nodes.values().all(|n| n.outbox.is_empty()) {
            break;
        }
        dispatch_all_once(cluster)?;
    }
    Ok(())
}

/// Drops every message from `from` to `to` (printed as dropped).
pub(super) fn drop_pending_to(cluster: &mut Cluster, from: &str, to: &str) -> Result<(), Failure> {
    let target = cluster.id_of(to);
    let node = cluster
        .nodes
        .get_mut(from)
        .ok_or_else(|| format!("unknown node {from}"))?;
    let (dropped, kept): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut node.outbox)
        .into_iter()
        .partition(|(t, _)| Some(*t) == target);
    node.outbox = kept;
    for (_, message) in dropped {
        let line = super::render::message_line(from, to, &message, true);
        cluster.print(line);
    }
    Ok(())
}

/// Shuffles an outbox. CCF uses unseeded randomness here; we use a fixed seed so runs
/// stay reproducible.
pub(super) fn shuffle(cluster: &mut Cluster, name: &str, seed: u64) -> Result<(), Failure> {
    let node = cluster
        .nodes
        .get_mut(name)
        .ok_or_else(|| format!("unknown node {name}"))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    node.outbox.make_contiguous().shuffle(&mut rng);
    Ok(())
}
