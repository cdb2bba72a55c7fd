//! What can go wrong with a JS app: a bundle that does not load, an exception, a limit.

/// A JS limit that stopped a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsLimit {
    ExecutionTime,
    Memory,
    Stack,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsError {
    /// The bundle (app.json, the module list) is malformed; `path` names the field.
    #[error("invalid bundle at {path}: {reason}")]
    Bundle { path: String, reason: String },
    /// A bundle file could not be read.
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    /// A module failed to compile or evaluate (syntax error, missing import).
    #[error("module {module}: {message}")]
    Module { module: String, message: String },
    /// The endpoint's function is not exported by its module.
    #[error("module {module} exports no function {function}")]
    MissingFunction { module: String, function: String },
    /// The handler threw.
    #[error("{message}")]
    Exception {
        message: String,
        stack: Option<String>,
    },
    /// The handler ran past a limit and was stopped.
    #[error("the handler exceeded its {0:?} limit")]
    Limit(JsLimit),
    /// The handler returned something that is not a response.
    #[error("invalid response: {0}")]
    Response(String),
    /// The interpreter itself failed.
    #[error("interpreter: {0}")]
    Interpreter(String),
}
