//! The crate's one error type.

/// Everything that can go wrong in the simulator crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    /// A history handed to the linearizability checker is malformed.
    #[error(
        "invalid history: operation {index} returns at {return_ms} ms, before its invocation at {invoke_ms} ms"
    )]
    ReturnBeforeInvoke {
        index: usize,
        invoke_ms: u64,
        return_ms: u64,
    },
}
