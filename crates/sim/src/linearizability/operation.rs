//! One client operation as seen from outside the system.

/// What the client saw at the end of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<O> {
    /// The client received `output` at `return_ms`.
    Returned { output: O, return_ms: u64 },
    /// The client never learnt the outcome (e.g. a timed-out write): the operation may have taken
    /// effect at any time after its invocation, or never. Checked as returning at infinity with
    /// an output the model must accept whatever it is.
    Unknown,
}

/// An operation with its real-time interval. Two operations are ordered in real time only when
/// one returns strictly before the other is invoked; touching intervals count as concurrent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    pub client_id: u64,
    pub input: I,
    pub invoke_ms: u64,
    pub outcome: Outcome<O>,
}

impl<I, O> Operation<I, O> {
    /// The output the client observed, if it observed one.
    pub fn output(&self) -> Option<&O> {
        match &self.outcome {
            Outcome::Returned { output, .. } => Some(output),
            Outcome::Unknown => None,
        }
    }

    /// The return time, with an unknown outcome placed after every known time.
    pub fn return_ms_or_infinity(&self) -> u64 {
        match self.outcome {
            Outcome::Returned { return_ms, .. } => return_ms,
            Outcome::Unknown => u64::MAX,
        }
    }
}
