//! Signature-transaction creation: the node's ECDSA signature over the root, the service's COSE
//! signature, the serialised tree and the write set, over a tree of one signature interval.
//! Measured with seeded keys (deterministic RFC 6979 signing, what `ledger generate` uses) and
//! with fresh keys (randomised aws-lc signing, what a running node uses).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use quorate_crypto::{KeyPair, sha256};
use quorate_kv::TxId;
use quorate_ledger::generate::GeneratedIdentities;
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF};
use quorate_ledger::signature::{
    CoseSignatureConfig, SigningNode, SigningService, signature_write_set,
};

/// Transactions between two signatures (the generator's default).
const INTERVAL: u64 = 1000;

fn tree_of_one_interval() -> MerkleTree {
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    for seqno in 1..INTERVAL {
        tree.append(sha256(&seqno.to_le_bytes()));
    }
    tree
}

fn bench_signature(c: &mut Criterion) {
    let identities = GeneratedIdentities::from_seed("bench").unwrap();
    let fresh_node_key = KeyPair::generate().unwrap();
    let fresh_service_key = KeyPair::generate().unwrap();
    let config = CoseSignatureConfig {
        issuer: "service.example".into(),
        subject: "ledger.signature".into(),
    };
    let tree = tree_of_one_interval();
    let txid = TxId::new(2, INTERVAL);
    let node_cert = identities.node_cert.pem().to_owned();

    let mut group = c.benchmark_group("signature_transaction");
    for (name, node_key, service_key) in [
        (
            "seeded_rfc6979",
            &identities.node_key,
            &identities.service_key,
        ),
        ("fresh_randomised", &fresh_node_key, &fresh_service_key),
    ] {
        let node = SigningNode {
            node_id: &identities.node_id,
            key: node_key,
            endorsed_cert_pem: &node_cert,
        };
        let service = SigningService {
            key: service_key,
            config: &config,
        };
        group.bench_function(name, |b| {
            b.iter(|| signature_write_set(txid, &tree, &node, &service, 1_750_000_000).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_signature);
criterion_main!(benches);
