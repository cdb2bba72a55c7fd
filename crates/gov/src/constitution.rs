//! Calling the constitution and ballots: the JavaScript in `public:ccf.gov.constitution` (a
//! JSON string) and in proposals' ballots runs on the governance mode of `quorate_js`, in the
//! request's transaction. Limits are the service's JS runtime options, never lower than the
//! defaults (CCF's `NO_LOWER_THAN_DEFAULTS`).

use quorate_js::{
    GovernanceContext, GovernanceScript, HostInput, JsError, JsLimit, JsLimits, JsRuntimeOptions,
    NodeAction, call_governance,
};
use quorate_kv::Tx;
use quorate_ledger::tables;
use serde_json::Value;

use crate::error::GovError;
use crate::proposal_info::Failure;

/// What governance code runs with: the service identity and the node's facts.
#[derive(Clone)]
pub struct GovernanceEnv {
    pub context: GovernanceContext,
}

/// The constitution in force, read from the transaction.
pub(crate) struct Constitution {
    source: String,
}

/// One call's outcome: its result or the failure to record, and what it asked of the node.
pub(crate) struct CallOutcome {
    pub result: Result<Value, Failure>,
    pub node_actions: Vec<NodeAction>,
}

impl Constitution {
    /// The constitution `tx` sees; `what` names the calls that need it, for the error.
    pub fn load(tx: &mut Tx, what: &str) -> Result<Constitution, GovError> {
        let stored = tx
            .get(tables::CONSTITUTION, &tables::SINGLETON_KEY)
            .ok_or_else(|| {
                GovError::Internal(format!(
                    "No constitution is set - {what} cannot be evaluated"
                ))
            })?;
        let source: String = serde_json::from_slice(&stored).map_err(|error| {
            GovError::Internal(format!(
                "The stored constitution is not a JSON string: {error}"
            ))
        })?;
        Ok(Constitution { source })
    }

    /// Calls the constitution's `function` with `args`; only `apply` writes.
    pub fn call(
        &self,
        tx: &mut Tx,
        env: &GovernanceEnv,
        function: &str,
        args: &[Value],
    ) -> CallOutcome {
        let script = GovernanceScript {
            name: tables::CONSTITUTION,
            source: &self.source,
        };
        run(tx, env, script, function, args, function == "apply")
    }
}

/// Calls a ballot's `vote(proposal, proposerId)`, read-only.
pub(crate) fn vote(
    tx: &mut Tx,
    env: &GovernanceEnv,
    name: &str,
    ballot: &str,
    args: &[Value],
) -> CallOutcome {
    let script = GovernanceScript {
        name,
        source: ballot,
    };
    run(tx, env, script, "vote", args, false)
}

fn run(
    tx: &mut Tx,
    env: &GovernanceEnv,
    script: GovernanceScript<'_>,
    function: &str,
    args: &[Value],
    writable: bool,
) -> CallOutcome {
    let limits = limits(tx);
    let input = HostInput {
        tx: Some(std::mem::take(tx)),
        writable,
        governance: Some(env.context.clone()),
        ..HostInput::default()
    };
    let (output, result) = call_governance(script, function, args, limits, input);
    if let Some(handed_back) = output.tx {
        *tx = handed_back;
    }
    CallOutcome {
        result: result.map_err(failure),
        node_actions: output.node_actions,
    }
}

/// The service's JS limits, raised to the defaults where they are lower.
fn limits(tx: &mut Tx) -> JsLimits {
    let defaults = JsLimits::default();
    let configured = tx
        .get(tables::JS_RUNTIME_OPTIONS, &tables::SINGLETON_KEY)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .map(|value| JsRuntimeOptions::from_json(&value).limits)
        .unwrap_or_default();
    JsLimits {
        max_heap_bytes: configured.max_heap_bytes.max(defaults.max_heap_bytes),
        max_stack_bytes: configured.max_stack_bytes.max(defaults.max_stack_bytes),
        max_execution_time_ms: configured
            .max_execution_time_ms
            .max(defaults.max_execution_time_ms),
    }
}

/// CCF's failure record for a JS error.
fn failure(error: JsError) -> Failure {
    match error {
        JsError::Exception { message, stack } => Failure {
            reason: message,
            trace: stack,
        },
        JsError::Limit(JsLimit::ExecutionTime) => Failure {
            reason: "Operation took too long to complete.".into(),
            trace: None,
        },
        other => Failure {
            reason: other.to_string(),
            trace: None,
        },
    }
}
