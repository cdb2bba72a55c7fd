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

/// CCF's `js_runtime_options` (set by the `set_js_runtime_options` action): the limits, and
/// whether exception details go into responses and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsRuntimeOptions {
    pub limits: JsLimits,
    pub return_exception_details: bool,
    pub log_exception_details: bool,
}

impl JsRuntimeOptions {
    /// Reads the table's JSON value; absent fields keep their defaults, and a value that is not
    /// an object gives the defaults.
    pub fn from_json(value: &serde_json::Value) -> Self {
        let defaults = Self::default();
        let number = |name: &str| value.get(name).and_then(serde_json::Value::as_u64);
        let flag = |name: &str| value.get(name).and_then(serde_json::Value::as_bool);
        Self {
            limits: JsLimits {
                max_heap_bytes: number("max_heap_bytes")
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(defaults.limits.max_heap_bytes),
                max_stack_bytes: number("max_stack_bytes")
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(defaults.limits.max_stack_bytes),
                max_execution_time_ms: number("max_execution_time_ms")
                    .unwrap_or(defaults.limits.max_execution_time_ms),
            },
            return_exception_details: flag("return_exception_details").unwrap_or(false),
            log_exception_details: flag("log_exception_details").unwrap_or(false),
        }
    }
}
