//! Ledger append throughput: a 100-byte entry written to the chunk files plus its Merkle leaf
//! (write-set digest, leaf hash, tree append), and the Merkle append alone. No fsync: durability
//! is group-committed by the caller, separately from this path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quorate_crypto::sha256;
use quorate_ledger::chunk::{LedgerWriter, WriterConfig};
use quorate_ledger::merkle::{MerkleTree, ZERO_LEAF, leaf_for_entry};
use std::time::{Duration, Instant};

const ENTRY_BYTES: usize = 100;
/// One signature every this many entries, so chunks can complete.
const SIGNATURE_EVERY: u64 = 1000;
const IV_SEQNO_OFFSET: usize = 24;

/// A 100-byte entry template; the IV's seqno is patched per append.
fn template() -> Vec<u8> {
    let mut bytes = vec![1, 0];
    bytes.extend_from_slice(&((ENTRY_BYTES - 8) as u64).to_le_bytes()[..6]);
    bytes.resize(ENTRY_BYTES, 0x42);
    bytes
}

/// What each ledger benchmark does per entry besides the chunk-file append.
#[derive(Clone, Copy)]
enum PerEntry {
    Nothing,
    /// Append a leaf the caller already computed (the Merkle insert alone).
    MerkleInsert,
    /// Compute the leaf (SHA-256 of the entry, then of the three digests) and insert it.
    LeafAndMerkleInsert,
}

/// Appends `iterations` entries to a fresh ledger, returning the time taken.
fn run(iterations: u64, per_entry: PerEntry) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LedgerWriter::open(dir.path(), WriterConfig::default()).unwrap();
    let mut tree = MerkleTree::new();
    tree.append(ZERO_LEAF);
    let mut entry = template();
    let evidence = sha256(b"ce:2.1:00");
    let claims = [0u8; 32];
    let start = Instant::now();
    for seqno in 1..=iterations {
        entry[IV_SEQNO_OFFSET..IV_SEQNO_OFFSET + 8].copy_from_slice(&seqno.to_le_bytes());
        writer
            .append(seqno, &entry, seqno % SIGNATURE_EVERY == 0)
            .unwrap();
        match per_entry {
            PerEntry::Nothing => {}
            PerEntry::MerkleInsert => tree.append(evidence),
            PerEntry::LeafAndMerkleInsert => {
                tree.append(leaf_for_entry(&sha256(&entry), &evidence, &claims));
            }
        }
    }
    writer.sync().unwrap();
    start.elapsed()
}

fn ledger(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger");
    group.throughput(Throughput::Elements(1));
    for (name, per_entry) in [
        ("append_100B", PerEntry::Nothing),
        ("append_100B_and_merkle_insert", PerEntry::MerkleInsert),
        (
            "append_100B_leaf_hash_and_merkle_insert",
            PerEntry::LeafAndMerkleInsert,
        ),
    ] {
        group.bench_function(name, |b| b.iter_custom(|n| run(n, per_entry)));
    }
    group.finish();
}

fn merkle_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("merkle");
    group.throughput(Throughput::Elements(1));
    group.bench_function("append_leaf", |b| {
        b.iter_custom(|iterations| {
            let leaf = sha256(b"leaf");
            let mut tree = MerkleTree::new();
            let start = Instant::now();
            for _ in 0..iterations {
                tree.append(leaf);
            }
            let elapsed = start.elapsed();
            std::hint::black_box(tree.root().unwrap());
            elapsed
        });
    });
    group.bench_function("root_of_1M_leaves", |b| {
        let mut tree = MerkleTree::new();
        (0..1_000_000u64).for_each(|i| tree.append(sha256(&i.to_le_bytes())));
        b.iter(|| tree.root().unwrap());
    });
    group.bench_function("sha256_of_64B_baseline", |b| {
        let pair = [7u8; 64];
        b.iter(|| sha256(std::hint::black_box(&pair)));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = ledger, merkle_only
}
criterion_main!(benches);
