//! Running a handler: each thread keeps one QuickJS runtime (with the limits, the interrupt
//! handler and the bundle loader) and one context per deployed bundle, in which the `ccf`
//! global is installed and the bundle's modules are evaluated once; a call only swaps in its
//! request's host state and calls the handler.
//!
//! Keeping the context is CCF's `interpreter_reuse`, always on: module-level variables of an
//! app survive from one request to the next on the same thread (CCF's default gives every
//! request a fresh interpreter, which costs about a millisecond of the request here; see
//! docs/js.md). A call that hits a limit drops the runtime and its context; the next call on
//! the thread builds new ones.
//!
//! A call is on the path of every JS request (a read-write one on the driver thread), so it
//! does little besides the handler: the prelude's request and response functions and the
//! handlers are looked up once per context, the request's fields go to the prelude as
//! arguments (no intermediate object), a UTF-8 body is decoded once here, and the response
//! comes back as one array whose text body is read as a string.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use std::collections::HashMap;

use rquickjs::convert::List;
use rquickjs::function::Args;
use rquickjs::{Context, Ctx, Exception, Function, Module, Object, Persistent, Runtime, Value};

use crate::bundle::{Bundle, module_key};
use crate::error::{JsError, JsLimit};
use crate::globals;
use crate::host::{HostInput, HostOutput, HostState};
use crate::limits::JsLimits;
use crate::loader::{BundleLoader, BundleResolver, CurrentBundle};
use crate::request::{JsRequest, JsResponse};

/// Allocation between cycle collections.
const GC_THRESHOLD_BYTES: usize = 8 * 1024 * 1024;

struct ThreadRuntime {
    /// The context of the bundle last run on this thread (declared first: dropped before the
    /// runtime).
    context: Option<BundleContext>,
    runtime: Runtime,
    limits: JsLimits,
    bundle: CurrentBundle,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
}

/// Functions already looked up, by module and then function name (two levels, so a lookup
/// borrows the names instead of allocating a key).
type HandlerCache = HashMap<String, HashMap<String, Persistent<Function<'static>>>>;

/// A context with `ccf` installed, for one bundle; its natives act on `host`.
struct BundleContext {
    /// Handlers already looked up; declared first, with the prelude's functions, so they are
    /// released before their context.
    handlers: RefCell<HandlerCache>,
    /// The prelude's `__quorate_request` and `__quorate_response`.
    make_request: Persistent<Function<'static>>,
    make_response: Persistent<Function<'static>>,
    bundle: Arc<Bundle>,
    context: Context,
    host: Rc<RefCell<HostState>>,
}

thread_local! {
    static RUNTIME: RefCell<Option<ThreadRuntime>> = const { RefCell::new(None) };
}

/// A QuickJS runtime under `limits`, with an interrupt handler that stops whatever runs once
/// `deadline` (when set) has passed and records that in `interrupted`.
pub(crate) struct LimitedRuntime {
    pub runtime: Runtime,
    pub deadline: Rc<Cell<Option<Instant>>>,
    pub interrupted: Rc<Cell<bool>>,
}

impl LimitedRuntime {
    pub fn new(limits: JsLimits) -> Result<Self, JsError> {
        let runtime = Runtime::new().map_err(|e| JsError::Interpreter(e.to_string()))?;
        runtime.set_memory_limit(limits.max_heap_bytes);
        runtime.set_max_stack_size(limits.max_stack_bytes);
        // Collect cycles every few MiB of allocation rather than QuickJS's default 256 KiB:
        // a context serves many requests, and most of their garbage is freed by refcounting.
        runtime.set_gc_threshold(GC_THRESHOLD_BYTES.min(limits.max_heap_bytes / 4));
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let interrupted = Rc::new(Cell::new(false));
        let (watch, flag) = (Rc::clone(&deadline), Rc::clone(&interrupted));
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let late = watch
                .get()
                .is_some_and(|deadline| Instant::now() > deadline);
            if late {
                flag.set(true);
            }
            late
        })));
        Ok(Self {
            runtime,
            deadline,
            interrupted,
        })
    }
}

impl ThreadRuntime {
    fn new(limits: JsLimits) -> Result<Self, JsError> {
        let LimitedRuntime {
            runtime,
            deadline,
            interrupted,
        } = LimitedRuntime::new(limits)?;
        let bundle: CurrentBundle = Rc::new(RefCell::new(None));
        runtime.set_loader(
            BundleResolver,
            BundleLoader {
                bundle: Rc::clone(&bundle),
            },
        );
        Ok(Self {
            runtime,
            limits,
            bundle,
            deadline,
            interrupted,
            context: None,
        })
    }

    /// The context for `bundle`, made (and `ccf` installed in it) if this thread has none yet.
    fn context_for(&mut self, bundle: &Arc<Bundle>) -> Result<&BundleContext, JsError> {
        let current = self
            .context
            .as_ref()
            .is_some_and(|cached| Arc::ptr_eq(&cached.bundle, bundle));
        if !current {
            self.context = None;
            let context =
                Context::full(&self.runtime).map_err(|e| JsError::Interpreter(e.to_string()))?;
            let host = Rc::new(RefCell::new(HostState::default()));
            let (make_request, make_response) = context
                .with(|ctx| {
                    globals::install(&ctx, &host)?;
                    let globals = ctx.globals();
                    let function = |name: &str| -> rquickjs::Result<_> {
                        Ok(Persistent::save(&ctx, globals.get::<_, Function>(name)?))
                    };
                    Ok((
                        function("__quorate_request")?,
                        function("__quorate_response")?,
                    ))
                })
                .map_err(|e: rquickjs::Error| JsError::Interpreter(e.to_string()))?;
            self.context = Some(BundleContext {
                handlers: RefCell::new(HashMap::new()),
                make_request,
                make_response,
                bundle: Arc::clone(bundle),
                context,
                host,
            });
        }
        self.context
            .as_ref()
            .ok_or_else(|| JsError::Interpreter("no context".into()))
    }
}

/// Which handler to run.
#[derive(Debug, Clone, Copy)]
pub struct Handler<'a> {
    pub module: &'a str,
    pub function: &'a str,
}

/// Runs `handler` of `bundle` for `request` on this thread, with `input`'s transaction and
/// host state; returns what the call left (the transaction handed back) and the response.
pub fn call(
    bundle: &Arc<Bundle>,
    limits: JsLimits,
    handler: Handler<'_>,
    request: &JsRequest,
    input: HostInput,
) -> (HostOutput, Result<JsResponse, JsError>) {
    let mut state = HostState {
        input,
        ..HostState::default()
    };
    let outcome = RUNTIME.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot
            .as_ref()
            .is_some_and(|runtime| runtime.limits != limits)
        {
            *slot = None;
        }
        if slot.is_none() {
            *slot = Some(ThreadRuntime::new(limits)?);
        }
        let Some(runtime) = slot.as_mut() else {
            return Err(JsError::Interpreter("no runtime".into()));
        };
        let outcome = run(runtime, bundle, handler, request, &mut state);
        if matches!(outcome, Err(JsError::Limit(_))) {
            *slot = None;
        }
        outcome
    });
    let mut output = std::mem::take(&mut state.output);
    output.tx = state.input.tx.take();
    (output, outcome)
}

/// Runs the handler with `state` swapped into the context's host for the call.
fn run(
    runtime: &mut ThreadRuntime,
    bundle: &Arc<Bundle>,
    handler: Handler<'_>,
    request: &JsRequest,
    state: &mut HostState,
) -> Result<JsResponse, JsError> {
    *runtime.bundle.borrow_mut() = Some(Arc::clone(bundle));
    runtime.interrupted.set(false);
    runtime.deadline.set(Some(
        Instant::now() + Duration::from_millis(runtime.limits.max_execution_time_ms),
    ));
    let interrupted = Rc::clone(&runtime.interrupted);
    let outcome = match runtime.context_for(bundle) {
        Ok(cached) => {
            std::mem::swap(&mut *cached.host.borrow_mut(), state);
            let outcome = cached.context.with(|ctx| {
                let function = cached_handler(&ctx, cached, handler, &interrupted)?;
                call_handler(&ctx, cached, function, handler, request, &interrupted)
            });
            std::mem::swap(&mut *cached.host.borrow_mut(), state);
            outcome
        }
        Err(error) => Err(error),
    };
    runtime.deadline.set(None);
    *runtime.bundle.borrow_mut() = None;
    outcome
}

/// The handler's function: imported (its module evaluated) on first use in this context,
/// then kept.
fn cached_handler<'js>(
    ctx: &Ctx<'js>,
    cached: &BundleContext,
    handler: Handler<'_>,
    interrupted: &Cell<bool>,
) -> Result<Function<'js>, JsError> {
    let known = cached
        .handlers
        .borrow()
        .get(handler.module)
        .and_then(|functions| functions.get(handler.function))
        .cloned();
    if let Some(function) = known {
        return function
            .restore(ctx)
            .map_err(|e| JsError::Interpreter(e.to_string()));
    }
    let namespace: Object = Module::import(ctx, module_key(handler.module))
        .and_then(|promise| promise.finish())
        .map_err(|e| describe(ctx, e, Phase::Module, interrupted.get(), handler))?;
    let function: Function =
        namespace
            .get(handler.function)
            .map_err(|_| JsError::MissingFunction {
                module: handler.module.to_owned(),
                function: handler.function.to_owned(),
            })?;
    cached
        .handlers
        .borrow_mut()
        .entry(handler.module.to_owned())
        .or_default()
        .insert(
            handler.function.to_owned(),
            Persistent::save(ctx, function.clone()),
        );
    Ok(function)
}

/// Calls the handler with CCF's request object and reads its response.
fn call_handler<'js>(
    ctx: &Ctx<'js>,
    cached: &BundleContext,
    function: Function<'js>,
    handler: Handler<'_>,
    request: &JsRequest,
    interrupted: &Cell<bool>,
) -> Result<JsResponse, JsError> {
    let failed = |error: rquickjs::Error, phase: Phase| {
        describe(ctx, error, phase, interrupted.get(), handler)
    };
    let restore = |function: &Persistent<Function<'static>>| function.clone().restore(ctx);
    let make_request = restore(&cached.make_request).map_err(|e| failed(e, Phase::Setup))?;
    let request_object: Value = request_arguments(ctx, request)
        .and_then(|arguments| make_request.call_arg(arguments))
        .map_err(|e| failed(e, Phase::Setup))?;
    let result: Value = function
        .call((request_object,))
        .map_err(|e| failed(e, Phase::Handler))?;
    let make_response = restore(&cached.make_response).map_err(|e| failed(e, Phase::Setup))?;
    let List((status, headers, body, binary)) = make_response
        .call((result,))
        .map_err(|e| failed(e, Phase::Response))?;
    response(status, headers, body, binary).map_err(|e| failed(e, Phase::Response))
}

#[derive(Clone, Copy)]
pub(crate) enum Phase {
    Setup,
    Module,
    Handler,
    Response,
}

/// The pending exception as a [`JsError`]: a limit if one was hit, else the thrown error.
pub(crate) fn describe(
    ctx: &Ctx<'_>,
    error: rquickjs::Error,
    phase: Phase,
    interrupted: bool,
    handler: Handler<'_>,
) -> JsError {
    let (message, stack) = match error {
        rquickjs::Error::Exception => {
            let thrown = ctx.catch();
            match thrown
                .as_object()
                .and_then(|o| Exception::from_object(o.clone()))
            {
                Some(exception) => (
                    exception.message().unwrap_or_else(|| "exception".into()),
                    exception.stack(),
                ),
                None => (
                    thrown
                        .as_string()
                        .and_then(|s| s.to_string().ok())
                        .unwrap_or_else(|| format!("{thrown:?}")),
                    None,
                ),
            }
        }
        other => (other.to_string(), None),
    };
    if interrupted {
        return JsError::Limit(JsLimit::ExecutionTime);
    }
    let lower = message.to_lowercase();
    if lower.contains("out of memory") {
        return JsError::Limit(JsLimit::Memory);
    }
    if lower.contains("stack overflow") || lower.contains("maximum call stack") {
        return JsError::Limit(JsLimit::Stack);
    }
    match phase {
        Phase::Module => JsError::Module {
            module: handler.module.to_owned(),
            message,
        },
        Phase::Response => JsError::Response(message),
        Phase::Setup => JsError::Interpreter(message),
        Phase::Handler => JsError::Exception { message, stack },
    }
}

/// The prelude's `makeRequest` arguments: method, url, path, route, query, hostname, params,
/// headers, body (a string when it is UTF-8, else an ArrayBuffer) and caller.
fn request_arguments<'js>(ctx: &Ctx<'js>, request: &JsRequest) -> rquickjs::Result<Args<'js>> {
    let mut arguments = Args::new(ctx.clone(), 10);
    for text in [
        &request.method,
        &request.url,
        &request.path,
        &request.route,
        &request.query,
        &request.hostname,
    ] {
        arguments.push_arg(text.as_str())?;
    }
    let params = Object::new(ctx.clone())?;
    for (name, value) in &request.params {
        params.set(name.as_str(), value.as_str())?;
    }
    arguments.push_arg(params)?;
    let headers = Object::new(ctx.clone())?;
    for (name, value) in &request.headers {
        if name.bytes().any(|byte| byte.is_ascii_uppercase()) {
            headers.set(name.to_lowercase(), value.as_str())?;
        } else {
            headers.set(name.as_str(), value.as_str())?;
        }
    }
    arguments.push_arg(headers)?;
    match std::str::from_utf8(&request.body) {
        Ok(text) => arguments.push_arg(text)?,
        Err(_) => arguments.push_arg(rquickjs::ArrayBuffer::new_copy(
            ctx.clone(),
            request.body.as_ref(),
        )?)?,
    }
    arguments.push_arg(to_js(ctx, &request.caller)?)?;
    Ok(arguments)
}

/// A JSON value as a JS value, built directly (no text round trip).
pub(crate) fn to_js<'js>(
    ctx: &Ctx<'js>,
    value: &serde_json::Value,
) -> rquickjs::Result<Value<'js>> {
    use serde_json::Value as Json;
    Ok(match value {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(flag) => Value::new_bool(ctx.clone(), *flag),
        Json::Number(number) => Value::new_number(ctx.clone(), number.as_f64().unwrap_or(f64::NAN)),
        Json::String(text) => rquickjs::String::from_str(ctx.clone(), text)?.into_value(),
        Json::Array(items) => {
            let array = rquickjs::Array::new(ctx.clone())?;
            for (index, item) in items.iter().enumerate() {
                array.set(index, to_js(ctx, item)?)?;
            }
            array.into_value()
        }
        Json::Object(fields) => {
            let object = Object::new(ctx.clone())?;
            for (name, field) in fields {
                object.set(name.as_str(), to_js(ctx, field)?)?;
            }
            object.into_value()
        }
    })
}

/// The response from `makeResponse`'s parts: `headers` alternate names and values, `body` is
/// text (its UTF-8 is sent) or, when `binary`, the prelude's `bytes` of it.
fn response(
    status: f64,
    headers: Vec<String>,
    body: String,
    binary: bool,
) -> rquickjs::Result<JsResponse> {
    let body: Vec<u8> = if binary {
        globals::bytes_from_js(&body).ok_or_else(|| {
            rquickjs::Error::new_from_js_message("string", "body", "not a byte string")
        })?
    } else {
        body.into_bytes()
    };
    let status = if (100.0..=999.0).contains(&status) && status.fract() == 0.0 {
        status as u16
    } else {
        return Err(rquickjs::Error::new_from_js_message(
            "number",
            "status",
            format!("statusCode {status} is not an HTTP status"),
        ));
    };
    let mut pairs = Vec::with_capacity(headers.len() / 2);
    let mut headers = headers.into_iter();
    while let (Some(name), Some(value)) = (headers.next(), headers.next()) {
        pairs.push((name, value));
    }
    Ok(JsResponse {
        status,
        headers: pairs,
        body: Bytes::from(body),
    })
}
