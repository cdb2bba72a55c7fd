//! The sequential specification a history is checked against.

use std::fmt::Debug;
use std::hash::Hash;

/// A sequential object. The checker searches for an order of the operations that respects real
/// time and in which every step is accepted by the model.
pub trait Model {
    type Input: Debug;
    type Output: Debug;
    /// The state of one partition; hashed to memoise visited (linearized set, state) pairs.
    type State: Clone + Eq + Hash;
    /// Operations on different partitions never constrain each other, so each partition is
    /// checked on its own (P-compositionality). Use `()` for a model that cannot be split.
    type Partition: Ord + Clone + Debug;

    /// The state of every partition before any operation.
    fn init(&self) -> Self::State;

    /// The partition an operation belongs to.
    fn partition(&self, input: &Self::Input) -> Self::Partition;

    /// Whether `input` never changes the state. An operation that does not and whose output was
    /// never observed constrains nothing, so the checker drops it before searching.
    fn is_read_only(&self, _input: &Self::Input) -> bool {
        false
    }

    /// The state after `input` runs in `state` and produces `output` (`None`: the output was not
    /// observed, so any output the object could produce is acceptable). Returns `None` when the
    /// object could not have produced `output` in `state`.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;
}
