#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Commit throughput on a store holding ~100k keys, and entry encoding of a small write set.
//!
//! Run: cargo bench -p quorate-kv --bench commit -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quorate_kv::{CommitOutcome, LedgerSecret, Store, TxId, WriteSet, decode_entry, encode_entry};

const KEY_COUNT: usize = 100_000;
const MAP: &str = "records";
/// Versions kept before the bench compacts, as a consensus layer would after commit.
const COMPACT_EVERY: u64 = 4096;

fn keys() -> Vec<Bytes> {
    (0..KEY_COUNT)
        .map(|i| Bytes::from(format!("key-{i:08}")))
        .collect()
}

fn loaded_store(keys: &[Bytes]) -> Store {
    let store = Store::new();
    let mut ws = WriteSet::new();
    for key in keys {
        ws.put(MAP, key.clone(), Bytes::from_static(&[7u8; 64]));
    }
    store.apply_write_set(TxId::new(1, 1), &ws).unwrap();
    store.compact(1).unwrap();
    store
}

fn commit(c: &mut Criterion) {
    let keys = keys();
    let store = loaded_store(&keys);
    let value = Bytes::from_static(&[1u8; 64]);
    let mut i = 0usize;
    let mut group = c.benchmark_group("kv");
    group.throughput(Throughput::Elements(1));
    group.bench_function("commit_1_write_100k_keys", |b| {
        b.iter(|| {
            let mut tx = store.begin();
            tx.put(MAP, keys[i % KEY_COUNT].clone(), value.clone());
            i += 1;
            let outcome = store.commit(tx).unwrap();
            if let CommitOutcome::Committed { txid, .. } = &outcome
                && txid.seqno % COMPACT_EVERY == 0
            {
                store.compact(txid.seqno).unwrap();
            }
            black_box(outcome)
        })
    });
    group.bench_function("read_modify_write_100k_keys", |b| {
        b.iter(|| {
            let key = &keys[i % KEY_COUNT];
            i += 7919;
            let mut tx = store.begin();
            let old = tx.get(MAP, key).unwrap();
            tx.put(MAP, key.clone(), old);
            let outcome = store.commit(tx).unwrap();
            if let CommitOutcome::Committed { txid, .. } = &outcome
                && txid.seqno % COMPACT_EVERY == 0
            {
                store.compact(txid.seqno).unwrap();
            }
            black_box(outcome)
        })
    });

    let secret = LedgerSecret::from_bytes([3; 32]);
    let mut small = WriteSet::new();
    small.put("public:records", &b"id-42"[..], vec![b'x'; 64]);
    small.put("records", &b"id-42"[..], vec![b'y'; 64]);
    group.bench_function("encode_entry_small_write_set", |b| {
        b.iter(|| {
            encode_entry(
                black_box(TxId::new(2, 12345)),
                black_box(&small),
                &[0; 32],
                0,
                &secret,
            )
            .unwrap()
        })
    });
    let encoded = encode_entry(TxId::new(2, 12345), &small, &[0; 32], 0, &secret).unwrap();
    group.bench_function("decode_entry_small_write_set", |b| {
        b.iter(|| decode_entry(black_box(&encoded.bytes), Some(&secret)).unwrap())
    });
    group.bench_function("commit_evidence", |b| {
        b.iter(|| secret.commit_evidence(black_box(TxId::new(2, 12345))))
    });
    group.finish();
}

criterion_group!(benches, commit);
criterion_main!(benches);
