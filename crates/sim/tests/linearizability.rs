//! Known histories, and property tests against a real sequential register and a brute-force
//! oracle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use quorate_sim::error::SimError;
use quorate_sim::linearizability::{
    KvInput, KvModel, KvOutput, Model, Operation, Outcome, Verdict, check_operations,
};

type KvOp = Operation<KvInput, KvOutput>;

const BUDGET: u64 = 1_000_000;

fn op(client_id: u64, input: KvInput, output: KvOutput, invoke_ms: u64, return_ms: u64) -> KvOp {
    Operation {
        client_id,
        input,
        invoke_ms,
        outcome: Outcome::Returned { output, return_ms },
    }
}

fn unknown(client_id: u64, input: KvInput, invoke_ms: u64) -> KvOp {
    Operation {
        client_id,
        input,
        invoke_ms,
        outcome: Outcome::Unknown,
    }
}

fn put(key: u64, value: u64) -> KvInput {
    KvInput::Put { key, value }
}

fn get(key: u64) -> KvInput {
    KvInput::Get { key }
}

fn cas(key: u64, expected: Option<u64>, new: u64) -> KvInput {
    KvInput::CompareAndSet { key, expected, new }
}

fn read(value: Option<u64>) -> KvOutput {
    KvOutput::Value(value)
}

fn check(history: &[KvOp]) -> Verdict<u64> {
    check_operations(&KvModel, history, BUDGET).unwrap()
}

fn stuck_ops(history: &[KvOp]) -> Vec<usize> {
    match check(history) {
        Verdict::NotLinearizable(violation) => violation.stuck,
        other => panic!("expected a violation, got {other}"),
    }
}

#[test]
fn empty_and_sequential_histories_are_linearizable() {
    assert_eq!(check(&[]), Verdict::Linearizable);
    let history = [
        op(0, put(1, 5), KvOutput::Done, 0, 10),
        op(0, get(1), read(Some(5)), 20, 30),
        op(1, KvInput::Delete { key: 1 }, KvOutput::Done, 40, 50),
        op(1, get(1), read(None), 60, 70),
    ];
    assert_eq!(check(&history), Verdict::Linearizable);
}

#[test]
fn stale_read_after_a_completed_write_is_rejected() {
    let history = [
        op(0, put(1, 1), KvOutput::Done, 0, 10),
        op(0, put(1, 2), KvOutput::Done, 20, 30),
        op(1, get(1), read(Some(1)), 40, 50),
    ];
    let verdict = check(&history);
    let Verdict::NotLinearizable(violation) = &verdict else {
        panic!("expected a violation, got {verdict}");
    };
    assert_eq!(violation.partition, 1);
    assert_eq!(violation.operation_count, 3);
    assert_eq!(violation.linearized_count, 2);
    assert_eq!(violation.stuck, vec![2]);
    let text = verdict.to_string();
    assert!(text.contains("partition 1"), "{text}");
    assert!(
        text.contains("#2 client 1 Get { key: 1 } -> Value(Some(1)) [40..50 ms]"),
        "{text}"
    );
}

#[test]
fn read_of_a_value_never_written_is_rejected() {
    let history = [
        op(0, put(1, 1), KvOutput::Done, 0, 10),
        op(1, get(1), read(Some(7)), 5, 15),
    ];
    assert_eq!(stuck_ops(&history), vec![1]);
}

#[test]
fn lost_update_through_compare_and_set_is_rejected() {
    // Two clients both read the absent key and both claim their swap won.
    let history = [
        op(0, cas(1, None, 1), KvOutput::Swapped(true), 0, 10),
        op(1, cas(1, None, 2), KvOutput::Swapped(true), 5, 15),
    ];
    assert!(matches!(check(&history), Verdict::NotLinearizable(_)));
    let one_loses = [
        op(0, cas(1, None, 1), KvOutput::Swapped(true), 0, 10),
        op(1, cas(1, None, 2), KvOutput::Swapped(false), 5, 15),
        op(2, get(1), read(Some(1)), 20, 30),
    ];
    assert_eq!(check(&one_loses), Verdict::Linearizable);
}

#[test]
fn lost_update_through_read_modify_write_is_rejected() {
    // Two increments that both read 0 and both write 1, after which the counter reads 2.
    let history = [
        op(0, put(1, 0), KvOutput::Done, 0, 5),
        op(1, get(1), read(Some(0)), 10, 20),
        op(2, get(1), read(Some(0)), 10, 20),
        op(1, put(1, 1), KvOutput::Done, 30, 40),
        op(2, put(1, 1), KvOutput::Done, 30, 40),
        op(3, get(1), read(Some(2)), 50, 60),
    ];
    assert_eq!(stuck_ops(&history), vec![5]);
}

#[test]
fn reads_during_a_write_may_see_either_value_but_never_flip_back() {
    let forwards = [
        op(0, put(1, 1), KvOutput::Done, 0, 100),
        op(1, get(1), read(None), 10, 20),
        op(1, get(1), read(Some(1)), 30, 40),
    ];
    assert_eq!(check(&forwards), Verdict::Linearizable);
    let backwards = [
        op(0, put(1, 1), KvOutput::Done, 0, 100),
        op(1, get(1), read(Some(1)), 10, 20),
        op(1, get(1), read(None), 30, 40),
    ];
    assert!(matches!(check(&backwards), Verdict::NotLinearizable(_)));
}

#[test]
fn porcupine_readme_register_examples() {
    // A write overlapping two reads, one of which sees it and one of which does not.
    let linearizable = [
        op(0, put(0, 100), KvOutput::Done, 0, 100),
        op(1, get(0), read(Some(100)), 25, 75),
        op(2, get(0), read(None), 30, 60),
    ];
    assert_eq!(check(&linearizable), Verdict::Linearizable);
    // The first read proves the write happened by 30, so a read starting at 40 must see it.
    let not_linearizable = [
        op(0, put(0, 200), KvOutput::Done, 0, 100),
        op(1, get(0), read(Some(200)), 10, 30),
        op(2, get(0), read(None), 40, 90),
    ];
    assert_eq!(stuck_ops(&not_linearizable), vec![2]);
}

#[test]
fn jepsen_cas_register_examples() {
    // write 1; cas 1->2 succeeds; a later read of 1 is stale.
    let stale = [
        op(0, put(5, 1), KvOutput::Done, 0, 10),
        op(1, cas(5, Some(1), 2), KvOutput::Swapped(true), 20, 30),
        op(2, get(5), read(Some(1)), 40, 50),
    ];
    assert!(matches!(check(&stale), Verdict::NotLinearizable(_)));
    // A failed cas proves the value was not 1 at some point inside its interval.
    let failed_cas_overlapping_write = [
        op(0, put(5, 1), KvOutput::Done, 0, 50),
        op(1, cas(5, Some(1), 2), KvOutput::Swapped(false), 10, 20),
        op(2, get(5), read(Some(1)), 60, 70),
    ];
    assert_eq!(check(&failed_cas_overlapping_write), Verdict::Linearizable);
    let failed_cas_after_write = [
        op(0, put(5, 1), KvOutput::Done, 0, 5),
        op(1, cas(5, Some(1), 2), KvOutput::Swapped(false), 10, 20),
        op(2, get(5), read(Some(1)), 60, 70),
    ];
    assert!(matches!(
        check(&failed_cas_after_write),
        Verdict::NotLinearizable(_)
    ));
}

#[test]
fn unknown_outcomes_may_take_effect_late_or_never() {
    let took_effect = [
        unknown(0, put(1, 5), 0),
        op(1, get(1), read(None), 10, 20),
        op(1, get(1), read(Some(5)), 1_000, 1_010),
    ];
    assert_eq!(check(&took_effect), Verdict::Linearizable);
    let never = [
        unknown(0, put(1, 5), 0),
        op(1, get(1), read(None), 1_000, 1_010),
    ];
    assert_eq!(check(&never), Verdict::Linearizable);
    let cannot_be_undone = [
        unknown(0, put(1, 5), 0),
        op(1, get(1), read(Some(5)), 10, 20),
        op(1, get(1), read(None), 30, 40),
    ];
    assert!(matches!(
        check(&cannot_be_undone),
        Verdict::NotLinearizable(_)
    ));
    let unknown_get = [
        op(0, put(1, 5), KvOutput::Done, 0, 10),
        unknown(1, get(1), 20),
    ];
    assert_eq!(check(&unknown_get), Verdict::Linearizable);
}

#[test]
fn touching_intervals_are_concurrent() {
    let touching = [
        op(0, put(1, 1), KvOutput::Done, 0, 10),
        op(1, get(1), read(None), 10, 20),
    ];
    assert_eq!(check(&touching), Verdict::Linearizable);
    let apart = [
        op(0, put(1, 1), KvOutput::Done, 0, 10),
        op(1, get(1), read(None), 11, 20),
    ];
    assert!(matches!(check(&apart), Verdict::NotLinearizable(_)));
}

#[test]
fn partitions_are_checked_independently_and_the_bad_key_is_named() {
    let history = [
        op(0, put(1, 1), KvOutput::Done, 0, 10),
        op(0, put(2, 2), KvOutput::Done, 0, 10),
        op(1, get(1), read(Some(1)), 20, 30),
        op(1, get(2), read(Some(3)), 20, 30),
    ];
    let Verdict::NotLinearizable(violation) = check(&history) else {
        panic!("expected a violation");
    };
    assert_eq!(violation.partition, 2);
    assert_eq!(violation.operation_count, 2);
    assert_eq!(violation.stuck, vec![3]);
}

#[test]
fn a_return_before_its_invocation_is_an_error() {
    let history = [op(0, get(1), read(None), 10, 5)];
    assert_eq!(
        check_operations(&KvModel, &history, BUDGET),
        Err(SimError::ReturnBeforeInvoke {
            index: 0,
            invoke_ms: 10,
            return_ms: 5
        })
    );
}

#[test]
fn an_exhausted_step_budget_gives_unknown() {
    let history: Vec<KvOp> = (0..12)
        .map(|client| op(client, put(1, client), KvOutput::Done, 0, 100))
        .chain([op(99, get(1), read(Some(1_000)), 200, 300)])
        .collect();
    assert_eq!(
        check_operations(&KvModel, &history, 10),
        Ok(Verdict::Unknown {
            partition: 1,
            steps: 10
        })
    );
    assert!(matches!(check(&history), Verdict::NotLinearizable(_)));
}

/// One generated operation: what it does and how its interval sits around its linearization
/// point.
#[derive(Clone, Debug)]
struct Planned {
    kind: u8,
    key: u64,
    slack_before_ms: u64,
    slack_after_ms: u64,
    unknown: bool,
    applied_if_unknown: bool,
}

fn planned() -> impl Strategy<Value = Planned> {
    (
        0u8..4,
        0u64..3,
        0u64..60,
        0u64..60,
        prop::bool::weighted(0.15),
        any::<bool>(),
    )
        .prop_map(
            |(kind, key, slack_before_ms, slack_after_ms, unknown, applied_if_unknown)| Planned {
                kind,
                key,
                slack_before_ms,
                slack_after_ms,
                unknown,
                applied_if_unknown,
            },
        )
}

/// Runs the plan against a real sequential store, operation `i` taking effect at `10 i + 5` ms;
/// every write stores a value unique to it.
fn run_on_register(plan: &[Planned]) -> Vec<KvOp> {
    let mut store = std::collections::BTreeMap::<u64, u64>::new();
    let mut history = Vec::new();
    for (i, planned) in plan.iter().enumerate() {
        let point_ms = 10 * i as u64 + 5;
        let value = 1_000 + i as u64;
        let input = match planned.kind {
            0 => get(planned.key),
            1 => put(planned.key, value),
            2 => cas(
                planned.key,
                store.get(&planned.key).copied().filter(|_| i % 2 == 0),
                value,
            ),
            _ => KvInput::Delete { key: planned.key },
        };
        let invoke_ms = point_ms.saturating_sub(planned.slack_before_ms);
        if planned.unknown && !planned.applied_if_unknown {
            history.push(unknown(i as u64, input, invoke_ms));
            continue;
        }
        let (next, output) = KvModel::apply(store.get(&planned.key).copied(), &input);
        match next {
            Some(value) => store.insert(planned.key, value),
            None => store.remove(&planned.key),
        };
        history.push(if planned.unknown {
            unknown(i as u64, input, invoke_ms)
        } else {
            op(
                i as u64,
                input,
                output,
                invoke_ms,
                point_ms + planned.slack_after_ms,
            )
        });
    }
    history
}

/// Tries every order that respects real time: exponential, for tiny histories only.
fn brute_force(history: &[KvOp]) -> bool {
    fn extend(history: &[KvOp], placed: &mut Vec<bool>, state: Option<u64>) -> bool {
        if placed.iter().all(|&p| p) {
            return true;
        }
        for i in 0..history.len() {
            let must_wait = (0..history.len()).any(|j| {
                !placed[j] && j != i && history[j].return_ms_or_infinity() < history[i].invoke_ms
            });
            if placed[i] || must_wait {
                continue;
            }
            if let Some(next) = KvModel.step(&state, &history[i].input, history[i].output()) {
                placed[i] = true;
                if extend(history, placed, next) {
                    return true;
                }
                placed[i] = false;
            }
        }
        false
    }
    extend(history, &mut vec![false; history.len()], None)
}

fn arbitrary_op() -> impl Strategy<Value = KvOp> {
    let input = prop_oneof![
        Just(get(0)),
        (1u64..3).prop_map(|value| put(0, value)),
        (prop::option::of(1u64..3), 1u64..3).prop_map(|(expected, new)| cas(0, expected, new)),
        Just(KvInput::Delete { key: 0 }),
    ];
    (
        input,
        prop::option::of(1u64..3),
        0u64..30,
        0u64..30,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(input, value, invoke_ms, length_ms, is_unknown)| {
            let output = match input {
                KvInput::Get { .. } => read(value),
                KvInput::CompareAndSet { .. } => KvOutput::Swapped(value.is_some()),
                _ => KvOutput::Done,
            };
            if is_unknown {
                unknown(0, input, invoke_ms)
            } else {
                op(0, input, output, invoke_ms, invoke_ms + length_ms)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn histories_of_a_real_register_are_linearizable(plan in prop::collection::vec(planned(), 0..40)) {
        let history = run_on_register(&plan);
        prop_assert_eq!(check(&history), Verdict::Linearizable);
    }

    #[test]
    fn an_injected_stale_read_is_rejected(plan in prop::collection::vec(planned(), 1..40), key in 0u64..3) {
        let mut history = run_on_register(&plan);
        let end_ms = history.iter().map(|op| op.invoke_ms.max(op.return_ms_or_infinity() % u64::MAX)).max().unwrap_or(0) + 10;
        // Two completed writes, then a read that sees the first. The values are unique to these
        // writes, so no unknown-outcome operation of the plan can explain the read.
        history.push(op(50, put(key, 8), KvOutput::Done, end_ms, end_ms + 5));
        history.push(op(51, put(key, 7), KvOutput::Done, end_ms + 10, end_ms + 15));
        history.push(op(52, get(key), read(Some(8)), end_ms + 20, end_ms + 25));
        let stale_index = history.len() - 1;
        match check(&history) {
            Verdict::NotLinearizable(violation) => {
                prop_assert_eq!(violation.partition, key);
                prop_assert!(violation.stuck.contains(&stale_index));
            }
            other => prop_assert!(false, "stale read accepted: {}", other),
        }
    }

    #[test]
    fn agrees_with_brute_force_on_small_histories(history in prop::collection::vec(arbitrary_op(), 0..7)) {
        prop_assert_eq!(check(&history).is_linearizable(), brute_force(&history));
    }
}

#[test]
fn unknown_reads_are_dropped_so_many_of_them_stay_cheap() {
    // Forty concurrent reads of unknown outcome plus a write: without dropping the reads the
    // search would face 2^40 subsets; with a 1,000-step budget it must still decide.
    let mut history: Vec<KvOp> = (0..40).map(|client| unknown(client, get(1), 0)).collect();
    history.push(op(50, put(1, 5), KvOutput::Done, 0, 10));
    history.push(op(51, get(1), read(Some(5)), 20, 30));
    assert_eq!(
        check_operations(&KvModel, &history, 1_000),
        Ok(Verdict::Linearizable)
    );
    history.push(op(52, get(1), read(Some(6)), 40, 50));
    let Ok(Verdict::NotLinearizable(violation)) = check_operations(&KvModel, &history, 1_000)
    else {
        panic!("a read of a value never written must be caught");
    };
    assert_eq!(violation.operation_count, 3);
    assert_eq!(violation.stuck, vec![42]);
}
