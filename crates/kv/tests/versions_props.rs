#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Random sequences of commits, rollbacks and compactions against a model that keeps a full
//! copy of the state at every version: every addressable version must read back exactly, and
//! the store's invariants must hold throughout.

use std::collections::BTreeMap;

use proptest::prelude::*;
use quorate_kv::{KvError, State, Store};

type Model = BTreeMap<(String, Vec<u8>), Vec<u8>>;

#[derive(Debug, Clone)]
enum Step {
    Commit(Vec<(bool, u8, Option<u8>)>),
    Rollback(prop::sample::Index),
    Compact(prop::sample::Index),
    View(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let change = (any::<bool>(), 0u8..6, prop::option::of(any::<u8>()));
    prop_oneof![
        6 => prop::collection::vec(change, 1..4).prop_map(Step::Commit),
        1 => any::<prop::sample::Index>().prop_map(Step::Rollback),
        1 => any::<prop::sample::Index>().prop_map(Step::Compact),
        1 => (0u8..3).prop_map(Step::View),
    ]
}

fn flatten(state: &State) -> Model {
    state
        .maps()
        .flat_map(|(name, map)| {
            map.iter()
                .map(move |(k, v)| ((name.to_string(), k.to_vec()), v.value.to_vec()))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_addressable_version_reads_back(steps in prop::collection::vec(step(), 1..40)) {
        let store = Store::new();
        // models[i] = state at seqno compacted + i
        let mut models: Vec<Model> = vec![Model::new()];
        let mut compacted = 0u64;
        let mut view = 0u64;
        for step in steps {
            match step {
                Step::Commit(changes) => {
                    let mut tx = store.begin();
                    let mut model = models.last().unwrap().clone();
                    for (public, key, value) in changes {
                        let map = if public { "public:m" } else { "m" };
                        match value {
                            Some(v) => {
                                tx.put(map, vec![key], vec![v]);
                                model.insert((map.to_string(), vec![key]), vec![v]);
                            }
                            None => {
                                tx.remove(map, vec![key]);
                                model.remove(&(map.to_string(), vec![key]));
                            }
                        }
                    }
                    store.commit(tx).unwrap();
                    models.push(model);
                }
                Step::Rollback(at) => {
                    let keep = at.index(models.len());
                    store.rollback(compacted + keep as u64).unwrap();
                    models.truncate(keep + 1);
                }
                Step::Compact(at) => {
                    let drop = at.index(models.len());
                    store.compact(compacted + drop as u64).unwrap();
                    models.drain(..drop);
                    compacted += drop as u64;
                }
                Step::View(bump) => {
                    view += u64::from(bump);
                    store.set_view(view).unwrap();
                }
            }
            store.check_invariants().unwrap();
            let current = store.current_txid().seqno;
            prop_assert_eq!(current, compacted + models.len() as u64 - 1);
            prop_assert_eq!(store.compacted_txid().seqno, compacted);
            for (i, model) in models.iter().enumerate() {
                let (state, txid) = store.state_at(compacted + i as u64).unwrap();
                prop_assert_eq!(txid.seqno, compacted + i as u64);
                prop_assert_eq!(&flatten(&state), model);
            }
            let before = compacted.checked_sub(1);
            if let Some(before) = before {
                let is_unaddressable = matches!(
                    store.state_at(before),
                    Err(KvError::VersionNotAddressable { .. })
                );
                prop_assert!(is_unaddressable);
            }
        }
    }
}
