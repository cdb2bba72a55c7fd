//! Which peers the transport keeps channels with, derived from `nodes.info` in the node's own
//! store: every other Trusted node, at its published node-to-node address. On the primary the
//! store includes a just-trusted node before its trust commits, so the primary reaches a
//! joiner at once; backups learn of it when the trust commits.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};

use quorate_consensus::NodeId;
use quorate_kv::Store;
use quorate_ledger::genesis::{NodeInfo, NodeStatus as TrustStatus};
use quorate_ledger::tables;

use super::status::KnownNode;
use crate::channel::{NODE_ID_SIZE_BYTES, NodeId as ChannelId};
use crate::replication::raft_id_of;
use crate::transport::TransportHandle;

/// Every node in `nodes.info`, by consensus id; entries that do not parse are skipped (the
/// ledger validator rejects them, they cannot be trusted peers).
pub fn known_nodes(store: &Store) -> BTreeMap<NodeId, KnownNode> {
    let mut tx = store.begin();
    let mut nodes = BTreeMap::new();
    let mut entries = Vec::new();
    tx.foreach(tables::NODES_INFO, |key, value| {
        entries.push((key.to_vec(), value.to_vec()));
        true
    });
    for (key, value) in entries {
        let Ok(node_id_hex) = String::from_utf8(key) else {
            continue;
        };
        let (Ok(raft_id), Ok(info)) = (
            raft_id_of(&node_id_hex),
            serde_json::from_slice::<NodeInfo>(&value),
        ) else {
            continue;
        };
        let last_written = tx
            .get_version_of_previous_write(tables::NODES_INFO, node_id_hex.as_bytes())
            .unwrap_or(0);
        nodes.insert(
            raft_id,
            KnownNode {
                node_id_hex,
                info,
                last_written,
            },
        );
    }
    nodes
}

/// The channel id (32 bytes) of a hex node id.
pub fn channel_id_of(node_id_hex: &str) -> Option<ChannelId> {
    let bytes = hex::decode(node_id_hex).ok()?;
    let array: [u8; NODE_ID_SIZE_BYTES] = bytes.try_into().ok()?;
    Some(ChannelId::from_bytes(array))
}

/// The consensus id of a channel id: its first 8 bytes, as [`raft_id_of`] reads the hex.
pub fn raft_id_of_channel(id: &ChannelId) -> NodeId {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&id.as_bytes()[..8]);
    NodeId(u64::from_be_bytes(prefix))
}

/// Resolves `host:port` (a name is looked up once, first address wins).
pub fn resolve(address: &str) -> Option<SocketAddr> {
    address.to_socket_addrs().ok()?.next()
}

/// The transport's peers, kept in step with `nodes.info`.
#[derive(Default)]
pub struct PeerBook {
    /// Consensus id → (channel id, address) of every peer given to the transport.
    peers: BTreeMap<NodeId, (ChannelId, SocketAddr)>,
}

impl PeerBook {
    /// A joining node's first peers (from its join response), kept until its store lists
    /// nodes: the primary must be a peer before the joiner can receive its first entries.
    pub fn bootstrap(
        peers: impl IntoIterator<Item = (ChannelId, SocketAddr)>,
        transport: &TransportHandle,
    ) -> Self {
        let mut book = Self::default();
        for (channel, address) in peers {
            match transport.add_peer(channel, address) {
                Ok(()) => {
                    book.peers
                        .insert(raft_id_of_channel(&channel), (channel, address));
                }
                Err(error) => tracing::warn!(peer = %channel, %error, "cannot add peer"),
            }
        }
        book
    }

    /// Adds, moves and removes transport peers so they match the Trusted nodes of `nodes`.
    pub fn update(
        &mut self,
        self_id: NodeId,
        nodes: &BTreeMap<NodeId, KnownNode>,
        transport: &TransportHandle,
    ) {
        if nodes.is_empty() {
            return;
        }
        let mut wanted = BTreeMap::new();
        for (id, node) in nodes {
            if *id == self_id || node.info.status != TrustStatus::Trusted {
                continue;
            }
            let address = node
                .info
                .network
                .node_to_node_interface
                .as_ref()
                .and_then(|interface| resolve(&interface.published_address));
            if let (Some(channel), Some(address)) = (channel_id_of(&node.node_id_hex), address) {
                wanted.insert(*id, (channel, address));
            }
        }
        for (id, (channel, _)) in &self.peers {
            if !wanted.contains_key(id) {
                transport.remove_peer(*channel);
            }
        }
        for (id, peer) in &wanted {
            if self.peers.get(id) != Some(peer)
                && let Err(error) = transport.add_peer(peer.0, peer.1)
            {
                tracing::warn!(peer = %peer.0, %error, "cannot add peer");
            }
        }
        self.peers = wanted;
    }

    /// The channel id of consensus peer `id`.
    pub fn channel_of(&self, id: NodeId) -> Option<ChannelId> {
        self.peers.get(&id).map(|(channel, _)| *channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_has_the_same_consensus_id_from_its_hex_and_from_its_channel_id() {
        let hex_id = "f5371d7f074f465e2d92c3498d83c8b66534ed1b2b8ba61e43737c710da87b82";
        let channel = channel_id_of(hex_id).unwrap();
        assert_eq!(channel.to_string(), hex_id);
        assert_eq!(raft_id_of_channel(&channel), raft_id_of(hex_id).unwrap());
        assert_eq!(channel_id_of("f5371d7f"), None);
        assert_eq!(channel_id_of("not hex"), None);
    }

    #[test]
    fn nodes_info_entries_that_do_not_parse_are_skipped() {
        let store = Store::new();
        let mut tx = store.begin();
        let good = "aa".repeat(32);
        let info = quorate_ledger::genesis::NodeInfo::trusted_virtual("00", "PEM");
        tx.put(
            tables::NODES_INFO,
            good.clone().into_bytes(),
            serde_json::to_vec(&info).unwrap(),
        );
        tx.put(
            tables::NODES_INFO,
            b"zz".to_vec(),
            serde_json::to_vec(&info).unwrap(),
        );
        tx.put(
            tables::NODES_INFO,
            "bb".repeat(32).into_bytes(),
            b"{not json".to_vec(),
        );
        store.commit(tx).unwrap();
        let nodes = known_nodes(&store);
        assert_eq!(nodes.len(), 1);
        let node = nodes.values().next().unwrap();
        assert_eq!(node.node_id_hex, good);
        assert_eq!(node.last_written, 1);
    }
}
