//! Governance mode: running CCF constitutions (`validate`, `resolve`, `apply`) and ballots
//! (`vote`) for the governance layer.
//!
//! A governance call gets a QuickJS runtime and context of its own, made for the call and
//! dropped after it: governance is rare, a fresh runtime costs about a millisecond, and this
//! way a governance call can neither evict nor change the app context this thread keeps
//! (`interpreter.rs`), even when it hits a limit or runs with other limits. Its `ccf` is the
//! app's plus CCF's gov-only API (`globals/governance.rs`), and `ccf.kv` may write every map
//! but the node's internal ones. Arguments and results cross as JSON.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::function::Rest;
use rquickjs::{Context, Ctx, Function, Module, Object, Value};

use crate::bundle::{AppMetadata, Bundle, module_key};
use crate::error::JsError;
use crate::globals::{self, GovernanceSettings};
use crate::host::{HostInput, HostOutput, HostState};
use crate::interpreter::{Handler, LimitedRuntime, Phase, describe, to_js};
use crate::limits::JsLimits;
use crate::loader::{BundleLoader, BundleResolver};

/// Governance code to run: a module name (for error messages and stack traces) and its source.
#[derive(Debug, Clone, Copy)]
pub struct GovernanceScript<'a> {
    pub name: &'a str,
    pub source: &'a str,
}

/// What governance code may use beyond an app's `ccf`: the service identity (to endorse node
/// certificates and renew the service certificate) and facts the node knows.
#[derive(Debug, Clone)]
pub struct GovernanceContext {
    pub service_key: Arc<quorate_crypto::KeyPair>,
    pub service_certificate: quorate_crypto::Certificate,
    /// What `ccf.network.getLatestLedgerSecretSeqno()` answers (recorded in a node's
    /// `ledger_secret_seqno` when it is trusted).
    pub latest_ledger_secret_seqno: u64,
}

/// Effects on the node that governance asks for (the node acts on them after the transaction
/// commits).
///
/// `ccf.node.transitionServiceToOpen` asks for a snapshot when it opens the service, as CCF
/// does; CCF also issues the recovery shares and the service's self-endorsement in that
/// transaction, which this runtime leaves to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeAction {
    /// `ccf.node.triggerLedgerRekey()`.
    TriggerLedgerRekey,
    /// `ccf.node.triggerRecoverySharesRefresh()`.
    TriggerRecoverySharesRefresh,
    /// `ccf.node.triggerLedgerChunk()`.
    TriggerLedgerChunk,
    /// `ccf.node.triggerSnapshot()`, and opening the service.
    TriggerSnapshot,
}

/// Calls `function` of the module `script` with `args` (JSON values, as JS values) under
/// `limits`, with `input`'s transaction; `input.governance` must be set. The result is the
/// function's return value read as JSON (`undefined` and functions are `null`); an exception is
/// [`JsError::Exception`] with its message and stack, a missing export
/// [`JsError::MissingFunction`], a module that does not compile or throws while evaluating
/// [`JsError::Module`]. The transaction comes back in the output, with the [`NodeAction`]s the
/// code asked for.
pub fn call_governance(
    script: GovernanceScript<'_>,
    function: &str,
    args: &[serde_json::Value],
    limits: JsLimits,
    input: HostInput,
) -> (HostOutput, Result<serde_json::Value, JsError>) {
    let mut state = HostState {
        input,
        ..HostState::default()
    };
    let outcome = if state.input.governance.is_none() {
        Err(JsError::Interpreter(
            "a governance call needs HostInput::governance".into(),
        ))
    } else {
        run(script, function, args, limits, &mut state)
    };
    let mut output = std::mem::take(&mut state.output);
    output.tx = state.input.tx.take();
    (output, outcome)
}

/// Compiles `source` as a module (nothing run); Err with the syntax error otherwise.
pub fn check_module_syntax(name: &str, source: &str) -> Result<(), JsError> {
    let modules = std::collections::BTreeMap::from([(module_key(name), source.to_owned())]);
    check_bundle(&Arc::new(Bundle::new(AppMetadata::default(), modules)?))
}

/// Compiles every module of `bundle` (nothing run), resolving its imports within the bundle:
/// Err with the first syntax error or missing import.
pub fn check_bundle(bundle: &Arc<Bundle>) -> Result<(), JsError> {
    let sandbox = LimitedRuntime::new(JsLimits::default())?;
    sandbox.runtime.set_loader(
        BundleResolver,
        BundleLoader {
            bundle: Rc::new(RefCell::new(Some(Arc::clone(bundle)))),
        },
    );
    let context =
        Context::full(&sandbox.runtime).map_err(|e| JsError::Interpreter(e.to_string()))?;
    for (name, source) in &bundle.modules {
        let handler = Handler {
            module: name,
            function: "",
        };
        context.with(|ctx| {
            Module::declare(ctx.clone(), name.as_str(), source.as_str())
                .map(|_| ())
                .map_err(|e| describe(&ctx, e, Phase::Module, false, handler))
        })?;
    }
    Ok(())
}

/// Runs the call in a fresh runtime, with `state` swapped into the context's host for it.
fn run(
    script: GovernanceScript<'_>,
    function: &str,
    args: &[serde_json::Value],
    limits: JsLimits,
    state: &mut HostState,
) -> Result<serde_json::Value, JsError> {
    let sandbox = LimitedRuntime::new(limits)?;
    let deadline = Instant::now() + Duration::from_millis(limits.max_execution_time_ms);
    sandbox.deadline.set(Some(deadline));
    let context =
        Context::full(&sandbox.runtime).map_err(|e| JsError::Interpreter(e.to_string()))?;
    let host = Rc::new(RefCell::new(HostState::default()));
    std::mem::swap(&mut *host.borrow_mut(), state);
    let handler = Handler {
        module: script.name,
        function,
    };
    let interrupted = Rc::clone(&sandbox.interrupted);
    let outcome = context.with(|ctx| {
        let failed = |error: rquickjs::Error, phase: Phase| {
            describe(&ctx, error, phase, interrupted.get(), handler)
        };
        globals::install_governance(&ctx, &host, GovernanceSettings { limits, deadline })
            .map_err(|e| failed(e, Phase::Setup))?;
        let namespace = evaluate(&ctx, script).map_err(|e| failed(e, Phase::Module))?;
        let callee: Function = namespace
            .get(function)
            .map_err(|_| JsError::MissingFunction {
                module: script.name.to_owned(),
                function: function.to_owned(),
            })?;
        let args = args
            .iter()
            .map(|arg| to_js(&ctx, arg))
            .collect::<rquickjs::Result<Vec<_>>>()
            .map_err(|e| failed(e, Phase::Setup))?;
        let result: Value = callee
            .call((Rest(args),))
            .map_err(|e| failed(e, Phase::Handler))?;
        to_json(&ctx, result).map_err(|e| failed(e, Phase::Response))
    });
    std::mem::swap(&mut *host.borrow_mut(), state);
    outcome
}

/// Compiles and evaluates the module; its namespace.
fn evaluate<'js>(ctx: &Ctx<'js>, script: GovernanceScript<'_>) -> rquickjs::Result<Object<'js>> {
    let (module, promise) = Module::declare(ctx.clone(), script.name, script.source)?.eval()?;
    promise.finish::<()>()?;
    module.namespace()
}

/// A JS value read as JSON, as `JSON.stringify` sees it (`undefined` is `null`).
fn to_json<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<serde_json::Value> {
    match ctx.json_stringify(value)? {
        None => Ok(serde_json::Value::Null),
        Some(text) => serde_json::from_str(&text.to_string()?)
            .map_err(|e| rquickjs::Error::new_from_js_message("value", "JSON", e.to_string())),
    }
}

/// What a module exports under a name, for `ccf.gov.validateConstitution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportCheck {
    /// A function declaring `length` parameters.
    Function {
        length: usize,
    },
    Missing,
    NotAFunction,
}

/// Evaluates `source` as the module `name` in a runtime of its own (no `ccf`, nothing shared
/// with the caller's context) under `limits` until `deadline`, and says what it exports under
/// each of `names`. Err with CCF's "Failed to compile …" / "Failed to execute …" reason.
pub(crate) fn exported_functions(
    name: &str,
    source: &str,
    names: &[&str],
    limits: JsLimits,
    deadline: Instant,
) -> Result<Vec<ExportCheck>, String> {
    let sandbox = LimitedRuntime::new(limits).map_err(|e| e.to_string())?;
    sandbox.deadline.set(Some(deadline));
    let context = Context::full(&sandbox.runtime).map_err(|e| e.to_string())?;
    let handler = Handler {
        module: name,
        function: "",
    };
    let interrupted = Rc::clone(&sandbox.interrupted);
    context.with(|ctx| {
        let reason = |error: rquickjs::Error| match describe(
            &ctx,
            error,
            Phase::Handler,
            interrupted.get(),
            handler,
        ) {
            JsError::Exception { message, .. } => message,
            other => other.to_string(),
        };
        let declared = Module::declare(ctx.clone(), name, source)
            .map_err(|e| format!("Failed to compile {name}: {}", reason(e)))?;
        let (module, promise) = declared
            .eval()
            .map_err(|e| format!("Failed to execute {name}: {}", reason(e)))?;
        promise
            .finish::<()>()
            .map_err(|e| format!("Failed to execute {name}: {}", reason(e)))?;
        let namespace = module
            .namespace()
            .map_err(|e| format!("Failed to execute {name}: {}", reason(e)))?;
        Ok(names
            .iter()
            .map(|export| match namespace.get::<_, Value>(*export) {
                Ok(value) if value.is_function() => {
                    let length = value
                        .as_object()
                        .and_then(|object| object.get::<_, f64>("length").ok())
                        .unwrap_or(0.0);
                    ExportCheck::Function {
                        length: length.max(0.0) as usize,
                    }
                }
                Ok(value) if value.is_undefined() => ExportCheck::Missing,
                _ => ExportCheck::NotAFunction,
            })
            .collect())
    })
}
