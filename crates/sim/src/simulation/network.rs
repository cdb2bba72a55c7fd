//! The packet network: every message is a packet with its own random delay (so packets
//! reorder), may be lost or duplicated, and is dropped on delivery when its link is cut.

use std::collections::{BTreeMap, BTreeSet};

use quorate_consensus::NodeId;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::config::NetworkFaults;

/// A message on its way.
#[derive(Clone, Debug)]
pub struct Packet<M> {
    pub from: NodeId,
    pub to: NodeId,
    pub message: M,
}

/// What became of a packet handed to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendFate {
    Lost,
    Queued { copies: u8 },
}

pub struct Network<M> {
    faults: NetworkFaults,
    /// Packets keyed by (delivery time, send sequence): the sequence makes ties deterministic.
    in_flight: BTreeMap<(u64, u64), Packet<M>>,
    next_sequence: u64,
    /// Directed links that drop every packet: (from, to).
    cut_links: BTreeSet<(NodeId, NodeId)>,
}

impl<M: Clone> Network<M> {
    pub fn new(faults: NetworkFaults) -> Self {
        Self {
            faults,
            in_flight: BTreeMap::new(),
            next_sequence: 0,
            cut_links: BTreeSet::new(),
        }
    }

    pub fn set_faults(&mut self, faults: NetworkFaults) {
        self.faults = faults;
    }

    pub fn send(&mut self, rng: &mut ChaCha8Rng, now_ms: u64, packet: Packet<M>) -> SendFate {
        if rng.random_ratio(self.faults.loss_per_mille, 1000) {
            return SendFate::Lost;
        }
        let copies = if rng.random_ratio(self.faults.duplicate_per_mille, 1000) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let (min_ms, max_ms) = (self.faults.delay_min_ms, self.faults.delay_max_ms);
            let delay_ms = rng.random_range(min_ms..=max_ms.max(min_ms));
            self.in_flight
                .insert((now_ms + delay_ms, self.next_sequence), packet.clone());
            self.next_sequence += 1;
        }
        SendFate::Queued { copies }
    }

    /// Removes and returns the next packet due by `now_ms` whose link is intact; packets over
    /// cut links are discarded on the way.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<Packet<M>> {
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > now_ms {
                return None;
            }
            let packet = entry.remove();
            if !self.cut_links.contains(&(packet.from, packet.to)) {
                return Some(packet);
            }
        }
        None
    }

    /// Cuts `from -> to` only: a one-way partition.
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.cut_links.insert((from, to));
    }

    /// Cuts every link between `node` and `others`, both ways.
    pub fn isolate(&mut self, node: NodeId, others: impl Iterator<Item = NodeId>) {
        for other in others.filter(|other| *other != node) {
            self.cut(node, other);
            self.cut(other, node);
        }
    }

    /// Cuts every link between the two groups, both ways: each side still talks within.
    pub fn split(&mut self, group: &[NodeId], rest: &[NodeId]) {
        for &a in group {
            for &b in rest.iter().filter(|b| **b != a) {
                self.cut(a, b);
                self.cut(b, a);
            }
        }
    }

    pub fn heal(&mut self) {
        self.cut_links.clear();
    }

    /// Drops every packet addressed to `node` (it crashed: its sockets are gone).
    pub fn drop_packets_to(&mut self, node: NodeId) {
        self.in_flight.retain(|_, packet| packet.to != node);
    }
}

#[cfg(test)]
mod tests {
    use quorate_consensus::NodeId;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::{Network, Packet, SendFate};
    use crate::simulation::config::NetworkFaults;

    fn packet(from: u64, to: u64, message: u32) -> Packet<u32> {
        Packet {
            from: NodeId(from),
            to: NodeId(to),
            message,
        }
    }

    #[test]
    fn packets_arrive_after_their_delay_and_cut_links_drop_them() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let faults = NetworkFaults {
            delay_min_ms: 10,
            delay_max_ms: 10,
            ..NetworkFaults::HEALED
        };
        let mut network = Network::new(faults);
        assert_eq!(
            network.send(&mut rng, 0, packet(1, 2, 1)),
            SendFate::Queued { copies: 1 }
        );
        network.send(&mut rng, 0, packet(2, 1, 2));
        network.cut(NodeId(2), NodeId(1));
        assert!(network.pop_due(9).is_none());
        let delivered = network.pop_due(10).map(|p| p.message);
        assert_eq!(delivered, Some(1));
        assert!(
            network.pop_due(10).is_none(),
            "the cut 2 -> 1 packet must be dropped"
        );
        network.heal();
        network.send(&mut rng, 20, packet(2, 1, 3));
        assert_eq!(network.pop_due(30).map(|p| p.message), Some(3));
    }

    #[test]
    fn a_split_cuts_across_the_groups_only() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut network = Network::new(NetworkFaults::HEALED);
        network.split(&[NodeId(1)], &[NodeId(2), NodeId(3)]);
        for (from, to, message) in [(1, 2, 1), (3, 1, 2), (2, 3, 3), (3, 2, 4)] {
            network.send(&mut rng, 0, packet(from, to, message));
        }
        let mut delivered = Vec::new();
        while let Some(p) = network.pop_due(100) {
            delivered.push(p.message);
        }
        delivered.sort_unstable();
        assert_eq!(delivered, [3, 4]);
    }

    #[test]
    fn loss_and_duplication_follow_their_rates() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let faults = NetworkFaults {
            loss_per_mille: 1000,
            ..NetworkFaults::HEALED
        };
        let mut network = Network::new(faults);
        assert_eq!(network.send(&mut rng, 0, packet(1, 2, 1)), SendFate::Lost);
        network.set_faults(NetworkFaults {
            duplicate_per_mille: 1000,
            ..NetworkFaults::HEALED
        });
        assert_eq!(
            network.send(&mut rng, 0, packet(1, 2, 1)),
            SendFate::Queued { copies: 2 }
        );
        assert!(network.pop_due(100).is_some() && network.pop_due(100).is_some());
        assert!(network.pop_due(100).is_none());
    }
}
