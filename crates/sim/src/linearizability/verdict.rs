//! What the checker concludes about a history.

use std::fmt;

/// The checker's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<P> {
    /// Every partition has an order that respects real time and the model.
    Linearizable,
    /// Some partition has no such order.
    NotLinearizable(Violation<P>),
    /// The step budget ran out on `partition` before its search finished; no other partition was
    /// found to be non-linearizable.
    Unknown { partition: P, steps: u64 },
}

impl<P> Verdict<P> {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

/// Why a partition is not linearizable: the longest order the search could build, and the
/// operations none of which could extend it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation<P> {
    pub partition: P,
    /// Operations in the partition.
    pub operation_count: usize,
    /// Length of the longest order found that respects real time and the model.
    pub linearized_count: usize,
    /// Indices, into the checked history, of the operations that could not come next.
    pub stuck: Vec<usize>,
    /// One line per stuck operation: client, input, output and interval.
    pub stuck_descriptions: Vec<String>,
}

impl<P: fmt::Debug> fmt::Display for Violation<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partition {:?}: ordered {} of {} operations, then none of these could come next: {}",
            self.partition,
            self.linearized_count,
            self.operation_count,
            self.stuck_descriptions.join("; ")
        )
    }
}

impl<P: fmt::Debug> fmt::Display for Verdict<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable(violation) => write!(f, "not linearizable: {violation}"),
            Verdict::Unknown { partition, steps } => write!(
                f,
                "unknown: search of partition {partition:?} gave up after {steps} steps"
            ),
        }
    }
}
