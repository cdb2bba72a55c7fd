//! The search: split the history by partition, then run the memoised Wing–Gong search on each.

use std::collections::{BTreeMap, HashSet};

use super::bitset::Bitset;
use super::entries::{EntryList, HEAD};
use super::{Model, Operation, Outcome, Verdict, Violation};
use crate::error::SimError;

/// Checks `history` against `model`. `step_budget` bounds the search steps spent on each
/// partition; a partition that needs more yields [`Verdict::Unknown`] unless another partition
/// is found to be non-linearizable.
pub fn check_operations<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    step_budget: u64,
) -> Result<Verdict<M::Partition>, SimError> {
    let mut partitions: BTreeMap<M::Partition, Vec<usize>> = BTreeMap::new();
    for (index, operation) in history.iter().enumerate() {
        if let Outcome::Returned { return_ms, .. } = operation.outcome
            && return_ms < operation.invoke_ms
        {
            return Err(SimError::ReturnBeforeInvoke {
                index,
                invoke_ms: operation.invoke_ms,
                return_ms,
            });
        }
        if matches!(operation.outcome, Outcome::Unknown) && model.is_read_only(&operation.input) {
            continue;
        }
        partitions
            .entry(model.partition(&operation.input))
            .or_default()
            .push(index);
    }
    let mut verdict = Verdict::Linearizable;
    for (partition, indices) in partitions {
        let operations: Vec<&Operation<M::Input, M::Output>> =
            indices.iter().map(|&index| &history[index]).collect();
        match search(model, &operations, step_budget) {
            Search::Linearizable => {}
            Search::Stuck {
                linearized_count,
                stuck,
            } => {
                return Ok(Verdict::NotLinearizable(Violation {
                    operation_count: indices.len(),
                    linearized_count,
                    stuck_descriptions: stuck
                        .iter()
                        .map(|&op| describe(&indices, &operations, op))
                        .collect(),
                    stuck: stuck.iter().map(|&op| indices[op]).collect(),
                    partition,
                }));
            }
            Search::OutOfSteps => {
                if verdict.is_linearizable() {
                    verdict = Verdict::Unknown {
                        partition,
                        steps: step_budget,
                    };
                }
            }
        }
    }
    Ok(verdict)
}

/// The result of searching one partition; operation numbers are local to the partition.
enum Search {
    Linearizable,
    Stuck {
        linearized_count: usize,
        stuck: Vec<usize>,
    },
    OutOfSteps,
}

/// Wing–Gong: repeatedly linearize the first call that the model accepts and whose
/// (linearized set, state) pair is new (Lowe's memoisation); on reaching a return whose call is
/// still pending, undo the last choice.
fn search<M: Model>(
    model: &M,
    operations: &[&Operation<M::Input, M::Output>],
    step_budget: u64,
) -> Search {
    let intervals: Vec<(u64, u64)> = operations
        .iter()
        .map(|op| (op.invoke_ms, op.return_ms_or_infinity()))
        .collect();
    let mut list = EntryList::new(&intervals);
    let mut state = model.init();
    let mut linearized = Bitset::new(operations.len());
    let mut seen: HashSet<(Bitset, M::State)> = HashSet::new();
    let mut choices: Vec<(usize, M::State)> = Vec::new();
    let mut deepest: Option<(usize, Vec<usize>)> = None;
    let mut cursor = list.next(HEAD);
    let mut steps: u64 = 0;
    while let Some(index) = cursor {
        steps += 1;
        if steps > step_budget {
            return Search::OutOfSteps;
        }
        let Some(entry) = list.entry(index) else {
            break;
        };
        if entry.is_call {
            let op = operations[entry.op];
            if let Some(next_state) = model.step(&state, &op.input, op.output()) {
                let mut next_linearized = linearized.clone();
                next_linearized.set(entry.op);
                if seen.insert((next_linearized.clone(), next_state.clone())) {
                    choices.push((index, std::mem::replace(&mut state, next_state)));
                    linearized = next_linearized;
                    list.lift(index);
                    cursor = list.next(HEAD);
                    continue;
                }
            }
            cursor = list.next(index);
        } else {
            if deepest
                .as_ref()
                .is_none_or(|(depth, _)| choices.len() > *depth)
            {
                deepest = Some((choices.len(), pending_calls(&list, index)));
            }
            let Some((call_index, previous_state)) = choices.pop() else {
                let (linearized_count, stuck) = deepest.unwrap_or_default();
                return Search::Stuck {
                    linearized_count,
                    stuck,
                };
            };
            state = previous_state;
            if let Some(call) = list.entry(call_index) {
                linearized.clear(call.op);
            }
            list.unlift(call_index);
            cursor = list.next(call_index);
        }
    }
    Search::Linearizable
}

/// The calls in front of the return at `until`: the only candidates to be linearized next.
fn pending_calls(list: &EntryList, until: usize) -> Vec<usize> {
    let mut calls = Vec::new();
    let mut cursor = list.next(HEAD);
    while let Some(index) = cursor.filter(|&index| index != until) {
        if let Some(entry) = list.entry(index).filter(|entry| entry.is_call) {
            calls.push(entry.op);
        }
        cursor = list.next(index);
    }
    calls
}

fn describe<I: std::fmt::Debug, O: std::fmt::Debug>(
    indices: &[usize],
    operations: &[&Operation<I, O>],
    op: usize,
) -> String {
    let operation = operations[op];
    let (output, until) = match &operation.outcome {
        Outcome::Returned { output, return_ms } => (format!("{output:?}"), return_ms.to_string()),
        Outcome::Unknown => ("unknown".to_owned(), "?".to_owned()),
    };
    format!(
        "#{} client {} {:?} -> {} [{}..{} ms]",
        indices[op], operation.client_id, operation.input, output, operation.invoke_ms, until
    )
}
