#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Random interleaved transaction histories over a few keys. Checks that
//! - a write transaction is rejected exactly when something it read (point or range, as
//!   recorded) was written by a commit after its snapshot, and
//! - the committed transactions, replayed serially in commit order against a plain model,
//!   observe exactly what they observed when interleaved and leave the same final state.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use quorate_kv::{CommitOutcome, KvError, Store, Tx};

const MAPS: [&str; 2] = ["a", "public:b"];

#[derive(Debug, Clone)]
enum Op {
    Get(usize, u8),
    Put(usize, u8, u8),
    Remove(usize, u8),
    Range(usize, u8, u8),
    Foreach(usize, usize),
    Size(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Obs {
    Value(Option<Vec<u8>>),
    Entries(Vec<(Vec<u8>, Vec<u8>)>),
    Count(usize),
    Nothing,
}

/// The part of the state a transaction's outcome depends on, as our store records it.
#[derive(Debug, Clone)]
enum Read {
    Point(usize, u8),
    Span(usize, Bound<u8>, Bound<u8>),
}

impl Read {
    fn covers(&self, map: usize, key: u8) -> bool {
        match self {
            Read::Point(m, k) => *m == map && *k == key,
            Read::Span(m, lo, hi) => *m == map && (*lo, *hi).contains(&key),
        }
    }
}

use std::ops::RangeBounds;

type Model = BTreeMap<(usize, Vec<u8>), Vec<u8>>;

fn op_strategy() -> impl Strategy<Value = Op> {
    let map = 0..MAPS.len();
    let key = 0u8..5;
    prop_oneof![
        3 => (map.clone(), key.clone()).prop_map(|(m, k)| Op::Get(m, k)),
        3 => (map.clone(), key.clone(), any::<u8>()).prop_map(|(m, k, v)| Op::Put(m, k, v)),
        1 => (map.clone(), key.clone()).prop_map(|(m, k)| Op::Remove(m, k)),
        1 => (map.clone(), key.clone(), key).prop_map(|(m, lo, hi)| Op::Range(m, lo, hi)),
        1 => (map.clone(), 0usize..4).prop_map(|(m, n)| Op::Foreach(m, n)),
        1 => map.prop_map(Op::Size),
    ]
}

/// Runs `op` on a real transaction, returning what it saw and what it read.
fn run_on_tx(
    tx: &mut Tx,
    op: &Op,
    own: &std::collections::BTreeSet<(usize, u8)>,
) -> (Obs, Vec<Read>) {
    match *op {
        Op::Get(m, k) => {
            let reads = if own.contains(&(m, k)) {
                vec![]
            } else {
                vec![Read::Point(m, k)]
            };
            (Obs::Value(tx.get(MAPS[m], &[k]).map(|v| v.to_vec())), reads)
        }
        Op::Put(m, k, v) => {
            tx.put(MAPS[m], vec![k], vec![v]);
            (Obs::Nothing, vec![])
        }
        Op::Remove(m, k) => {
            tx.remove(MAPS[m], vec![k]);
            (Obs::Nothing, vec![])
        }
        Op::Range(m, lo, hi) => {
            let (lo_b, hi_b) = ([lo], [hi]);
            let got = tx.range(
                MAPS[m],
                (Bound::Included(&lo_b[..]), Bound::Excluded(&hi_b[..])),
            );
            let entries = got
                .into_iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            let reads = if lo < hi {
                vec![Read::Span(m, Bound::Included(lo), Bound::Excluded(hi))]
            } else {
                vec![]
            };
            (Obs::Entries(entries), reads)
        }
        Op::Foreach(m, stop_after) => {
            let mut seen = Vec::new();
            tx.foreach(MAPS[m], |k, v| {
                seen.push((k.to_vec(), v.to_vec()));
                seen.len() <= stop_after
            });
            let upper = if seen.len() > stop_after {
                Bound::Included(seen[stop_after].0[0])
            } else {
                Bound::Unbounded
            };
            (
                Obs::Entries(seen),
                vec![Read::Span(m, Bound::Unbounded, upper)],
            )
        }
        Op::Size(m) => (
            Obs::Count(tx.size(MAPS[m])),
            vec![Read::Span(m, Bound::Unbounded, Bound::Unbounded)],
        ),
    }
}

/// Runs `op` against a plain map (the serial reference).
fn run_on_model(model: &mut Model, op: &Op) -> Obs {
    let entries_of = |model: &Model, m: usize| -> Vec<(Vec<u8>, Vec<u8>)> {
        model
            .iter()
            .filter(|((mm, _), _)| *mm == m)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    };
    match *op {
        Op::Get(m, k) => Obs::Value(model.get(&(m, vec![k])).cloned()),
        Op::Put(m, k, v) => {
            model.insert((m, vec![k]), vec![v]);
            Obs::Nothing
        }
        Op::Remove(m, k) => {
            model.remove(&(m, vec![k]));
            Obs::Nothing
        }
        Op::Range(m, lo, hi) => Obs::Entries(
            entries_of(model, m)
                .into_iter()
                .filter(|(k, _)| lo < hi && k[0] >= lo && k[0] < hi)
                .collect(),
        ),
        Op::Foreach(m, stop_after) => Obs::Entries(
            entries_of(model, m)
                .into_iter()
                .take(stop_after + 1)
                .collect(),
        ),
        Op::Size(m) => Obs::Count(entries_of(model, m).len()),
    }
}

struct Running {
    tx: Option<Tx>,
    snapshot_seqno: u64,
    next_op: usize,
    observations: Vec<Obs>,
    reads: Vec<Read>,
    own: std::collections::BTreeSet<(usize, u8)>,
    done: bool,
}

fn check_history(programs: Vec<Vec<Op>>, schedule: Vec<usize>) -> Result<(), TestCaseError> {
    let store = Store::new();
    let mut running: Vec<Running> = programs
        .iter()
        .map(|_| Running {
            tx: None,
            snapshot_seqno: 0,
            next_op: 0,
            observations: vec![],
            reads: vec![],
            own: Default::default(),
            done: false,
        })
        .collect();
    // (seqno, map, key, version afterwards) of every committed write; `None` = absent.
    let mut write_log: Vec<(u64, usize, u8, Option<u64>)> = Vec::new();
    let mut committed: Vec<usize> = Vec::new();
    let steps = schedule
        .into_iter()
        .chain((0..programs.len()).flat_map(|i| std::iter::repeat_n(i, 20)));
    for step in steps {
        let i = step % programs.len();
        let r = &mut running[i];
        if r.done {
            continue;
        }
        let Some(tx) = r.tx.as_mut() else {
            let tx = store.begin();
            r.snapshot_seqno = tx.read_version().seqno;
            r.tx = Some(tx);
            continue;
        };
        if let Some(op) = programs[i].get(r.next_op) {
            let (obs, reads) = run_on_tx(tx, op, &r.own);
            r.observations.push(obs);
            r.reads.extend(reads);
            if let Op::Put(m, k, _) | Op::Remove(m, k) = *op {
                r.own.insert((m, k));
            }
            r.next_op += 1;
            continue;
        }
        r.done = true;
        let tx = r.tx.take().unwrap();
        let current = store.current_txid().seqno;
        let version_at = |m: usize, k: u8, at: u64| {
            write_log
                .iter()
                .rev()
                .find(|w| w.0 <= at && w.1 == m && w.2 == k)
                .and_then(|w| w.3)
        };
        // A read is overwritten when the version it saw is no longer the current one. (A key
        // inserted and removed again since the snapshot reads as absent both times: not a
        // conflict, and still serializable at the commit point.)
        let overwritten = (0..MAPS.len()).any(|m| {
            (0u8..5).any(|k| {
                r.reads.iter().any(|rd| rd.covers(m, k))
                    && version_at(m, k, r.snapshot_seqno) != version_at(m, k, current)
            })
        });
        let read_only = tx.is_read_only();
        match store.commit(tx) {
            Ok(CommitOutcome::Committed {
                txid, write_set, ..
            }) => {
                prop_assert!(
                    !overwritten,
                    "tx {i} committed although its reads were overwritten"
                );
                prop_assert_eq!(txid.seqno, current + 1);
                for (name, writes) in write_set.maps() {
                    let m = MAPS.iter().position(|n| **n == **name).unwrap();
                    for (key, change) in writes.changes() {
                        write_log.push((txid.seqno, m, key[0], change.map(|_| txid.seqno)));
                    }
                }
                committed.push(i);
            }
            Ok(CommitOutcome::ReadOnly { .. }) => prop_assert!(read_only),
            Err(KvError::Conflict { .. }) => {
                prop_assert!(
                    overwritten,
                    "tx {i} rejected although nothing it read changed"
                );
            }
            Err(other) => return Err(TestCaseError::fail(format!("unexpected error {other}"))),
        }
        store
            .check_invariants()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    let mut model = Model::new();
    for &i in &committed {
        let mut local = model.clone();
        let serial: Vec<Obs> = programs[i]
            .iter()
            .map(|op| run_on_model(&mut local, op))
            .collect();
        prop_assert_eq!(
            &serial,
            &running[i].observations,
            "tx {} saw a non-serial state",
            i
        );
        model = local;
    }
    let mut check = store.begin();
    for (m, name) in MAPS.iter().enumerate() {
        let mut actual = Vec::new();
        check.foreach(name, |k, v| {
            actual.push((k.to_vec(), v.to_vec()));
            true
        });
        let expected: Vec<_> = model
            .iter()
            .filter(|((mm, _), _)| *mm == m)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect();
        prop_assert_eq!(actual, expected);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn interleaved_histories_are_serializable_in_commit_order(
        programs in prop::collection::vec(prop::collection::vec(op_strategy(), 1..6), 1..6),
        schedule in prop::collection::vec(0usize..6, 0..60),
    ) {
        check_history(programs, schedule)?;
    }
}
