#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Store and transaction behaviour: isolation, conflicts, versions, hooks, rollback, compaction.

use std::ops::Bound;
use std::sync::{Arc, Mutex};

use quorate_kv::{CommitOutcome, KvError, Store, TxId, WriteSet};

fn committed(outcome: CommitOutcome) -> TxId {
    match outcome {
        CommitOutcome::Committed { txid, .. } => txid,
        CommitOutcome::ReadOnly { .. } => panic!("expected a write commit"),
    }
}

fn put(store: &Store, map: &str, key: &str, value: &str) -> TxId {
    let mut tx = store.begin();
    tx.put(map, key.as_bytes().to_vec(), value.as_bytes().to_vec());
    committed(store.commit(tx).unwrap())
}

#[test]
fn snapshot_isolation_and_own_writes() {
    let store = Store::new();
    put(&store, "m", "a", "1");
    let mut reader = store.begin();
    put(&store, "m", "a", "2");
    assert_eq!(reader.get("m", b"a").unwrap(), &b"1"[..]);
    reader.put("m", &b"b"[..], &b"x"[..]);
    reader.remove("m", &b"a"[..]);
    assert!(!reader.has("m", b"a"));
    assert_eq!(reader.get("m", b"b").unwrap(), &b"x"[..]);
    assert_eq!(store.begin().get("m", b"a").unwrap(), &b"2"[..]);
    store.check_invariants().unwrap();
}

#[test]
fn read_then_concurrent_write_conflicts_but_blind_writes_do_not() {
    let store = Store::new();
    put(&store, "m", "a", "1");
    let mut reader = store.begin();
    let mut blind = store.begin();
    assert!(reader.get("m", b"a").is_some());
    reader.put("m", &b"b"[..], &b"1"[..]);
    blind.put("m", &b"c"[..], &b"1"[..]);
    put(&store, "m", "a", "2");
    assert_eq!(
        store.commit(reader).unwrap_err(),
        KvError::Conflict {
            map: "m".into(),
            read_version: 1
        }
    );
    assert_eq!(committed(store.commit(blind).unwrap()).seqno, 3);
}

#[test]
fn absent_key_read_conflicts_with_later_insert() {
    let store = Store::new();
    let mut tx = store.begin();
    assert!(!tx.has("m", b"k"));
    tx.put("m", &b"other"[..], &b"v"[..]);
    put(&store, "m", "k", "v");
    assert!(matches!(store.commit(tx), Err(KvError::Conflict { .. })));
}

#[test]
fn range_reads_conflict_only_on_writes_inside_the_range() {
    let store = Store::new();
    for k in ["a", "c", "e"] {
        put(&store, "m", k, "0");
    }
    let mut inside = store.begin();
    let mut outside = store.begin();
    let range = (Bound::Included(&b"b"[..]), Bound::Excluded(&b"d"[..]));
    assert_eq!(inside.range("m", range).len(), 1);
    assert_eq!(outside.range("m", range).len(), 1);
    inside.put("x", &b"k"[..], &b"v"[..]);
    outside.put("y", &b"k"[..], &b"v"[..]);
    put(&store, "m", "e", "1");
    committed(store.commit(outside).unwrap());
    put(&store, "m", "bb", "1");
    assert!(matches!(
        store.commit(inside),
        Err(KvError::Conflict { .. })
    ));
}

#[test]
fn foreach_stops_early_and_records_only_the_visited_prefix() {
    let store = Store::new();
    for k in ["a", "b", "c"] {
        put(&store, "m", k, "0");
    }
    let mut tx = store.begin();
    let mut seen = Vec::new();
    tx.foreach("m", |k, _| {
        seen.push(k.to_vec());
        k != b"b"
    });
    assert_eq!(seen, [b"a".to_vec(), b"b".to_vec()]);
    tx.put("n", &b"k"[..], &b"v"[..]);
    put(&store, "m", "c", "1");
    committed(store.commit(tx).unwrap());
}

#[test]
fn size_counts_own_writes_and_inverted_ranges_are_empty() {
    let store = Store::new();
    put(&store, "m", "a", "0");
    put(&store, "m", "b", "0");
    let mut tx = store.begin();
    tx.put("m", &b"c"[..], &b"0"[..]);
    tx.remove("m", &b"a"[..]);
    tx.remove("m", &b"zz"[..]);
    assert_eq!(tx.size("m"), 2);
    assert_eq!(tx.size("absent"), 0);
    let inverted = (Bound::Excluded(&b"z"[..]), Bound::Excluded(&b"a"[..]));
    assert!(tx.range("m", inverted).is_empty());
    let merged: Vec<_> = tx.range("m", (Bound::Unbounded, Bound::Unbounded));
    let keys: Vec<&[u8]> = merged.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, [&b"b"[..], &b"c"[..]]);
}

#[test]
fn versions_views_and_read_only_commits() {
    let store = Store::new();
    store.set_view(2).unwrap();
    assert_eq!(put(&store, "m", "a", "1"), TxId::new(2, 1));
    put(&store, "m", "b", "1");
    let mut tx = store.begin();
    assert_eq!(tx.get_version_of_previous_write("m", b"a"), Some(1));
    assert_eq!(tx.get_version_of_previous_write("m", b"nope"), None);
    match store.commit(tx).unwrap() {
        CommitOutcome::ReadOnly { read_version } => assert_eq!(read_version, TxId::new(2, 2)),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(store.current_txid(), TxId::new(2, 2));
    assert!(matches!(
        store.set_view(1),
        Err(KvError::InvalidView { .. })
    ));
}

#[test]
fn hook_sees_every_commit_in_order_with_claims() {
    let store = Store::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    store.set_commit_hook(move |txid: TxId, ws: &WriteSet, claims: &[u8; 32]| {
        sink.lock()
            .unwrap()
            .push((txid.seqno, ws.change_count(), claims[0]));
    });
    put(&store, "m", "a", "1");
    let mut tx = store.begin();
    tx.put("m", &b"b"[..], &b"1"[..]);
    tx.remove("m", &b"a"[..]);
    tx.set_claims_digest([7u8; 32]);
    let CommitOutcome::Committed { claims_digest, .. } = store.commit(tx).unwrap() else {
        panic!("a write commits a version");
    };
    assert_eq!(
        claims_digest, [7u8; 32],
        "the outcome carries the claims digest"
    );
    assert_eq!(*seen.lock().unwrap(), [(1, 1, 0), (2, 2, 7)]);
}

#[test]
fn old_versions_are_readable_until_compacted_and_rollback_restores_them() {
    let store = Store::new();
    put(&store, "m", "a", "1");
    put(&store, "m", "a", "2");
    put(&store, "m", "b", "1");
    let mut old = store.begin_at(1).unwrap();
    assert_eq!(old.read_version().seqno, 1);
    assert_eq!(old.get("m", b"a").unwrap(), &b"1"[..]);
    assert!(!old.has("m", b"b"));
    let pending = store.begin();
    store.rollback(1).unwrap();
    store.check_invariants().unwrap();
    assert_eq!(store.current_txid().seqno, 1);
    assert_eq!(store.state(), store.state_at(1).unwrap());
    assert_eq!(store.commit(pending).unwrap_err(), KvError::RolledBack);
    store.set_view(3).unwrap();
    assert_eq!(put(&store, "m", "c", "1"), TxId::new(3, 2));
    store.compact(2).unwrap();
    store.check_invariants().unwrap();
    assert!(matches!(
        store.begin_at(1),
        Err(KvError::VersionNotAddressable { .. })
    ));
    assert!(matches!(
        store.rollback(1),
        Err(KvError::VersionNotAddressable { .. })
    ));
    assert!(matches!(
        store.compact(9),
        Err(KvError::VersionNotAddressable { .. })
    ));
    assert_eq!(store.compacted_txid(), TxId::new(3, 2));
}

#[test]
fn removing_the_last_key_drops_the_map_and_rollback_restores_it() {
    let store = Store::new();
    put(&store, "m", "a", "1");
    let mut tx = store.begin();
    tx.remove("m", &b"a"[..]);
    store.commit(tx).unwrap();
    assert!(store.state().0.map("m").is_none());
    store.rollback(1).unwrap();
    assert_eq!(store.begin().get("m", b"a").unwrap(), &b"1"[..]);
    store.check_invariants().unwrap();
}

#[test]
fn apply_write_set_rejects_gaps_replays_and_lower_views() {
    let store = Store::new();
    let mut ws = WriteSet::new();
    ws.put("public:t", &b"k"[..], &b"v"[..]);
    store.apply_write_set(TxId::new(2, 1), &ws).unwrap();
    assert_eq!(
        store.apply_write_set(TxId::new(2, 1), &ws),
        Err(KvError::OutOfOrder {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        store.apply_write_set(TxId::new(2, 3), &ws),
        Err(KvError::OutOfOrder {
            expected: 2,
            got: 3
        })
    );
    assert!(matches!(
        store.apply_write_set(TxId::new(1, 2), &ws),
        Err(KvError::InvalidView { .. })
    ));
    assert_eq!(
        store
            .begin()
            .get_version_of_previous_write("public:t", b"k"),
        Some(1)
    );
    assert_eq!(put(&store, "m", "a", "1"), TxId::new(2, 2));
}

#[test]
fn apply_entry_replays_a_primary_into_a_backup() {
    use quorate_kv::{LedgerSecret, encode_entry};
    let secret = LedgerSecret::from_bytes([3; 32]);
    let primary = Store::new();
    primary.set_view(4).unwrap();
    let entries = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&entries);
    let hook_secret = secret.clone();
    primary.set_commit_hook(move |txid: TxId, ws: &WriteSet, claims: &[u8; 32]| {
        let entry = encode_entry(txid, ws, claims, 0, &hook_secret).unwrap();
        sink.lock().unwrap().push(entry.bytes);
    });
    put(&primary, "public:t", "a", "1");
    put(&primary, "secret", "b", "2");
    let mut tx = primary.begin();
    tx.remove("public:t", &b"a"[..]);
    tx.put("secret", &b"c"[..], &b"3"[..]);
    primary.commit(tx).unwrap();

    let entries = entries.lock().unwrap();
    let backup = Store::new();
    for entry in entries.iter() {
        backup.apply_entry(entry, Some(&secret)).unwrap();
    }
    assert_eq!(backup.state(), primary.state());
    assert!(matches!(
        backup.apply_entry(&entries[2], Some(&secret)),
        Err(KvError::OutOfOrder { .. })
    ));
    backup.check_invariants().unwrap();

    let public_only = Store::new();
    for entry in entries.iter() {
        public_only.apply_entry(entry, None).unwrap();
    }
    assert_eq!(public_only.current_txid(), TxId::new(4, 3));
    assert!(public_only.state().0.map("secret").is_none());
    assert!(public_only.state().0.map("public:t").is_none());
}

#[test]
fn concurrent_increments_from_threads_are_never_lost() {
    let store = Arc::new(Store::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut conflicts = 0u32;
                for _ in 0..200 {
                    loop {
                        let mut tx = store.begin();
                        let n = tx
                            .get("c", b"n")
                            .map_or(0, |v| u64::from_le_bytes(v[..].try_into().unwrap()));
                        tx.put("c", &b"n"[..], (n + 1).to_le_bytes().to_vec());
                        match store.commit(tx) {
                            Ok(_) => break,
                            Err(KvError::Conflict { .. }) => conflicts += 1,
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // A transaction can also move to another thread between begin and commit.
    let mut tx = store.begin();
    let committer = Arc::clone(&store);
    std::thread::spawn(move || {
        tx.put("c", &b"moved"[..], &b"1"[..]);
        committer.commit(tx).unwrap();
    })
    .join()
    .unwrap();
    let n = store.begin().get("c", b"n").unwrap();
    assert_eq!(u64::from_le_bytes(n[..].try_into().unwrap()), 800);
    assert_eq!(store.current_txid().seqno, 801);
    store.check_invariants().unwrap();
}
