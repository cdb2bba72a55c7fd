//! Per-request limits (CCF's `js_runtime_options`): heap, stack and execution time. A handler
//! past one is stopped with a [`JsError::Limit`](crate::JsError::Limit); the node answers 500
//! and keeps serving.

/// CCF's defaults: 100 MiB heap, 1 MiB stack, 1 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsLimits {
    pub max_heap_bytes: usize,
    pub max_stack_bytes: usize,
    pub max_execution_time_ms: u64,
}

impl Default for JsLimits {
    fn default() -> Self {
        Self {
            max_heap_bytes: 100 * 1024 * 1024,
            max_stack_bytes: 1024 * 1024,
            max_execution_time_ms: 1000,
        }
    }
}
