//! A key-value store of `u64` keys and values, partitioned by key.

use super::Model;

/// An operation on one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvInput {
    Get {
        key: u64,
    },
    Put {
        key: u64,
        value: u64,
    },
    /// Writes `new` if the current value is `expected` (`None`: the key is absent).
    CompareAndSet {
        key: u64,
        expected: Option<u64>,
        new: u64,
    },
    Delete {
        key: u64,
    },
}

impl KvInput {
    pub fn key(&self) -> u64 {
        match *self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::CompareAndSet { key, .. }
            | KvInput::Delete { key } => key,
        }
    }
}

/// What a client sees when a KV operation completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvOutput {
    /// A get's result (`None`: the key is absent).
    Value(Option<u64>),
    /// A put or delete took effect.
    Done,
    /// Whether a compare-and-set wrote.
    Swapped(bool),
}

/// The sequential KV store. Each partition is one key, whose state is its current value.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl KvModel {
    /// Runs `input` against the value `current`, returning the new value and the output.
    pub fn apply(current: Option<u64>, input: &KvInput) -> (Option<u64>, KvOutput) {
        match *input {
            KvInput::Get { .. } => (current, KvOutput::Value(current)),
            KvInput::Put { value, .. } => (Some(value), KvOutput::Done),
            KvInput::CompareAndSet { expected, new, .. } => {
                if current == expected {
                    (Some(new), KvOutput::Swapped(true))
                } else {
                    (current, KvOutput::Swapped(false))
                }
            }
            KvInput::Delete { .. } => (None, KvOutput::Done),
        }
    }
}

impl Model for KvModel {
    type Input = KvInput;
    type Output = KvOutput;
    type State = Option<u64>;
    type Partition = u64;

    fn init(&self) -> Option<u64> {
        None
    }

    fn partition(&self, input: &KvInput) -> u64 {
        input.key()
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        matches!(input, KvInput::Get { .. })
    }

    fn step(
        &self,
        state: &Option<u64>,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Option<Option<u64>> {
        let (next, actual) = Self::apply(*state, input);
        match output {
            Some(observed) if *observed != actual => None,
            _ => Some(next),
        }
    }
}
