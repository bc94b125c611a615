//! The code interpreter (template `code-interpreter-v1`), shaped like `@e2b/code-interpreter`:
//! `sbx.run_code(..)` returns an [`Execution`] (results, logs, error, execution count); cells
//! run in persistent contexts. A cell that raises is not an `Err`: see [`Execution::error`].
use std::any::Any;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::panic::resume_unwind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2b_sys as sys;

use crate::client::Sandbox;
use crate::commands::{lock, Flow};
use crate::error::{cstr_lossy, cstr_opt, Error, Result};
use crate::{catch, check, cstring, opt_cstring, opt_ptr, timeout_ms, CStrList, CallbackScope, Shared};

/// Options of [`Sandbox::run_code`]. `Default`: Python in its default context, 60 s limit.
#[derive(Debug, Clone, Default)]
pub struct RunCodeOptions {
    /// "python" (default), "javascript"/"js", "typescript"/"ts", "bash": that language's
    /// default context. Not together with `context`.
    pub language: Option<String>,
    /// A context made by [`Sandbox::create_code_context`].
    pub context: Option<Context>,
    /// Environment variables for this cell only.
    pub envs: HashMap<String, String>,
    /// The whole execution: None = 60 s, `Duration::ZERO` = none. At the limit the run ends with
    /// Timeout and the cell is interrupted; the context keeps its state.
    pub timeout: Option<Duration>,
    /// Until the response starts: None = the client's request timeout, ZERO = none.
    pub request_timeout: Option<Duration>,
}

struct RawCodeOpts {
    _strings: [Option<CString>; 2],
    _envs: CStrList,
    raw: sys::e2b_code_opts,
}

impl RawCodeOpts {
    fn new(o: &RunCodeOptions) -> Result<RawCodeOpts> {
        let language = opt_cstring(&o.language, "language")?;
        let ctx = opt_cstring(&o.context.as_ref().map(|c| c.id.clone()), "context id")?;
        let envs = CStrList::pairs(&o.envs, "envs")?;
        let raw = sys::e2b_code_opts {
            version: sys::E2B_CODE_OPTS_VERSION,
            language: opt_ptr(&language),
            context_id: opt_ptr(&ctx),
            envs: envs.as_ptr(),
            timeout_ms: timeout_ms(o.timeout),
            request_timeout_ms: timeout_ms(o.request_timeout),
        };
        Ok(RawCodeOpts { _strings: [language, ctx], _envs: envs, raw })
    }
}

/// One result of a cell (the SDK's `Result`): the value of its last expression
/// (`is_main_result`) or displayed data. png/jpeg/pdf are base64; json, data, chart and extra
/// are JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeResult {
    pub is_main_result: bool,
    pub text: Option<String>,
    pub html: Option<String>,
    pub markdown: Option<String>,
    pub svg: Option<String>,
    pub png: Option<String>,
    pub jpeg: Option<String>,
    pub pdf: Option<String>,
    pub latex: Option<String>,
    pub json: Option<String>,
    pub javascript: Option<String>,
    pub data: Option<String>,
    pub chart: Option<String>,
    /// Other MIME types as a JSON object.
    pub extra: Option<String>,
    /// The formats present, in the SDK's order.
    pub formats: Vec<String>,
}

impl CodeResult {
    unsafe fn from_raw(r: &sys::e2b_code_result) -> CodeResult {
        CodeResult {
            is_main_result: r.is_main_result != 0,
            text: cstr_opt(r.text),
            html: cstr_opt(r.html),
            markdown: cstr_opt(r.markdown),
            svg: cstr_opt(r.svg),
            png: cstr_opt(r.png),
            jpeg: cstr_opt(r.jpeg),
            pdf: cstr_opt(r.pdf),
            latex: cstr_opt(r.latex),
            json: cstr_opt(r.json),
            javascript: cstr_opt(r.javascript),
            data: cstr_opt(r.data),
            chart: cstr_opt(r.chart),
            extra: cstr_opt(r.extra),
            formats: (0..r.format_count).map(|i| cstr_lossy(*r.formats.add(i))).collect(),
        }
    }
}

/// The error a cell raised (the SDK's `ExecutionError`), e.g. ZeroDivisionError.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionError {
    pub name: String,
    pub value: String,
    /// May hold ANSI colour codes.
    pub traceback: String,
}

impl ExecutionError {
    unsafe fn from_raw(e: &sys::e2b_code_error) -> ExecutionError {
        ExecutionError { name: cstr_lossy(e.name), value: cstr_lossy(e.value), traceback: cstr_lossy(e.traceback) }
    }
}

/// A cell's output lines, each with its "\n" when printed with one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Logs {
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// A finished (or, in an error, partial) cell execution (the SDK's `Execution`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Execution {
    pub results: Vec<CodeResult>,
    pub logs: Logs,
    pub error: Option<ExecutionError>,
    /// Jupyter's In \[n\]; None when the server sent none.
    pub execution_count: Option<i64>,
    text: Option<String>,
}

impl Execution {
    /// The main result's text (the SDK's `execution.text`).
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    unsafe fn from_raw(api: &sys::Api, x: *const sys::e2b_execution) -> Execution {
        let lines = |stream| {
            let n = (api.e2b_execution_log_count)(x, stream);
            (0..n).map(|i| cstr_lossy((api.e2b_execution_log_at)(x, stream, i))).collect()
        };
        let n = (api.e2b_execution_result_count)(x);
        let err = (api.e2b_execution_error)(x);
        let count = (api.e2b_execution_execution_count)(x);
        Execution {
            results: (0..n)
                .filter_map(|i| (api.e2b_execution_result_at)(x, i).as_ref())
                .map(|r| CodeResult::from_raw(r))
                .collect(),
            logs: Logs { stdout: lines(sys::E2B_CODE_STDOUT), stderr: lines(sys::E2B_CODE_STDERR) },
            error: err.as_ref().map(|e| ExecutionError::from_raw(e)),
            execution_count: (count != 0).then_some(count),
            text: cstr_opt((api.e2b_execution_text)(x)),
        }
    }
}

/// A line of output as it is printed (the SDK's `OutputMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputMessage {
    /// One line, with its "\n".
    pub line: String,
    /// The server's timestamp, unix microseconds.
    pub timestamp_us: i64,
    /// true for stderr.
    pub error: bool,
}

/// A data callback: true to continue.
type DataFn<T> = Box<dyn FnMut(T) -> bool + Send>;
type OutFn = DataFn<OutputMessage>;
type ResultFn = DataFn<CodeResult>;
type ErrFn = DataFn<ExecutionError>;
type EndFn = Box<dyn FnOnce(Execution, Option<Error>) + Send>;

/// Streaming callbacks of a cell (the SDK's onStdout/onStderr/onResult/onError). They run as
/// the client's other callbacks (service thread, or `Client::dispatch` with queued delivery).
/// Returning `ControlFlow::Break(())` stops the run (the cell is interrupted; the run ends with
/// [`ErrorKind::User`](crate::ErrorKind)). A panic stops the run too and is re-raised by the
/// call that waits for it (`run_code_with`, [`CodeRun::wait`]).
#[derive(Default)]
pub struct CodeHandlers {
    stdout: Option<OutFn>,
    stderr: Option<OutFn>,
    result: Option<ResultFn>,
    error: Option<ErrFn>,
    end: Option<EndFn>,
}

impl CodeHandlers {
    pub fn new() -> CodeHandlers {
        CodeHandlers::default()
    }
    pub fn on_stdout<R: Flow, F: FnMut(OutputMessage) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.stdout = Some(Box::new(move |m| f(m).keep_going()));
        self
    }
    pub fn on_stderr<R: Flow, F: FnMut(OutputMessage) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.stderr = Some(Box::new(move |m| f(m).keep_going()));
        self
    }
    pub fn on_result<R: Flow, F: FnMut(CodeResult) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.result = Some(Box::new(move |r| f(r).keep_going()));
        self
    }
    pub fn on_error<R: Flow, F: FnMut(ExecutionError) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.error = Some(Box::new(move |e| f(e).keep_going()));
        self
    }
    /// Once, last, for a run that started: what arrived, and None or the run's failure.
    pub fn on_end<F: FnOnce(Execution, Option<Error>) + Send + 'static>(mut self, f: F) -> Self {
        self.end = Some(Box::new(f));
        self
    }
}

struct CodeState {
    api: &'static sys::Api,
    stdout: Mutex<Option<OutFn>>,
    stderr: Mutex<Option<OutFn>>,
    result: Mutex<Option<ResultFn>>,
    error: Mutex<Option<ErrFn>>,
    end: Mutex<Option<EndFn>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl CodeState {
    fn take_panic(&self) {
        if let Some(p) = lock(&self.panic).take() {
            resume_unwind(p);
        }
    }
}

/// Runs one data callback: 0 to continue, 1 to stop (asked, or after a panic, which is kept).
fn deliver<T>(st: &CodeState, slot: &Mutex<Option<DataFn<T>>>, v: T) -> c_int {
    let mut g = lock(slot);
    let Some(f) = g.as_mut() else { return 0 };
    match catch(|| f(v)) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(p) => {
            *g = None;
            let mut pg = lock(&st.panic);
            if pg.is_none() {
                *pg = Some(p);
            }
            1
        }
    }
}

unsafe fn out_tramp(text: *const c_char, len: usize, ts: i64, payload: *mut c_void, error: bool) -> c_int {
    let _scope = CallbackScope::enter();
    let st = Shared::<CodeState>::borrow(payload);
    let bytes: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(text as *const u8, len) };
    let m = OutputMessage { line: String::from_utf8_lossy(bytes).into_owned(), timestamp_us: ts, error };
    let s = &st.value;
    deliver(s, if error { &s.stderr } else { &s.stdout }, m)
}
unsafe extern "C" fn stdout_tramp(text: *const c_char, len: usize, ts: i64, payload: *mut c_void) -> c_int {
    out_tramp(text, len, ts, payload, false)
}
unsafe extern "C" fn stderr_tramp(text: *const c_char, len: usize, ts: i64, payload: *mut c_void) -> c_int {
    out_tramp(text, len, ts, payload, true)
}
unsafe extern "C" fn result_tramp(r: *const sys::e2b_code_result, payload: *mut c_void) -> c_int {
    let _scope = CallbackScope::enter();
    let st = Shared::<CodeState>::borrow(payload);
    deliver(&st.value, &st.value.result, CodeResult::from_raw(&*r))
}
unsafe extern "C" fn error_tramp(e: *const sys::e2b_code_error, payload: *mut c_void) -> c_int {
    let _scope = CallbackScope::enter();
    let st = Shared::<CodeState>::borrow(payload);
    deliver(&st.value, &st.value.error, ExecutionError::from_raw(&*e))
}
unsafe extern "C" fn end_tramp(x: *const sys::e2b_execution, err: *const sys::e2b_error, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    let st = Shared::<CodeState>::borrow(payload);
    let s = &st.value;
    let err = Error::from_raw(err);
    let end = lock(&s.end).take();
    // Terminal: the data closures go now rather than with the handle.
    let data = (lock(&s.stdout).take(), lock(&s.stderr).take(), lock(&s.result).take(), lock(&s.error).take());
    if let Some(f) = end {
        let exec = if x.is_null() { Execution::default() } else { Execution::from_raw(s.api, x) };
        if let Err(p) = catch(move || f(exec, err)) {
            let mut pg = lock(&s.panic);
            if pg.is_none() {
                *pg = Some(p);
            }
        }
    }
    drop(data);
    Shared::release_c(&st);
}

fn callbacks(h: &CodeHandlers, payload: *mut c_void) -> sys::e2b_code_callbacks {
    sys::e2b_code_callbacks {
        version: sys::E2B_CODE_CALLBACKS_VERSION,
        on_stdout: h.stdout.is_some().then_some(stdout_tramp as sys::e2b_code_output_cb),
        on_stderr: h.stderr.is_some().then_some(stderr_tramp as sys::e2b_code_output_cb),
        on_result: h.result.is_some().then_some(result_tramp as sys::e2b_code_result_cb),
        on_error: h.error.is_some().then_some(error_tramp as sys::e2b_code_error_cb),
        // Always: it releases the closures when the run ends.
        on_end: Some(end_tramp),
        payload,
    }
}

fn new_state(api: &'static sys::Api, h: CodeHandlers) -> (Arc<Shared<CodeState>>, *mut c_void, sys::e2b_code_callbacks) {
    let mut cbs = callbacks(&h, std::ptr::null_mut());
    let (st, payload) = Shared::new(CodeState {
        api,
        stdout: Mutex::new(h.stdout),
        stderr: Mutex::new(h.stderr),
        result: Mutex::new(h.result),
        error: Mutex::new(h.error),
        end: Mutex::new(h.end),
        panic: Mutex::new(None),
    });
    cbs.payload = payload;
    (st, payload, cbs)
}

/// The outcome of e2b_code_run/e2b_code_wait: Ok(execution), or the run's error carrying what
/// arrived (see [`Error::execution`]). Must run right after that call (it reads the last error).
fn finish(api: &sys::Api, rc: c_int, x: *mut sys::e2b_execution) -> Result<Execution> {
    let err = (rc < 0).then(|| Error::last(api, rc));
    let exec = (!x.is_null()).then(|| unsafe {
        let e = Execution::from_raw(api, x);
        (api.e2b_execution_free)(x);
        e
    });
    match (err, exec) {
        (None, Some(e)) => Ok(e),
        (Some(err), e) => Err(err.with_execution(e)),
        (None, None) => Err(Error::new(sys::E2B_EPROTOCOL, 0, "libe2b returned no execution".into())),
    }
}

/// A context (kernel) keeping state between cells (the SDK's `Context`). Converts to its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub id: String,
    /// "python", "javascript", "typescript", "bash".
    pub language: String,
    pub cwd: String,
}

impl AsRef<str> for Context {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

impl Context {
    unsafe fn from_raw(c: &sys::e2b_code_context) -> Context {
        Context { id: cstr_lossy(c.id), language: cstr_lossy(c.language), cwd: cstr_lossy(c.cwd) }
    }
}

/// Options of [`Sandbox::create_code_context`]: None = python, /home/user.
#[derive(Debug, Clone, Default)]
pub struct ContextOptions {
    pub language: Option<String>,
    pub cwd: Option<String>,
}

impl Sandbox {
    /// Runs `code` to the end of the cell (the SDK's `runCode`). A cell that raises is Ok with
    /// [`Execution::error`] set. Err: Timeout (the execution limit; the context keeps its
    /// state), NotFound (unknown context), ... — with what arrived in [`Error::execution`].
    pub fn run_code(&self, code: &str, opts: &RunCodeOptions) -> Result<Execution> {
        self.run_code_with(code, opts, CodeHandlers::new())
    }

    /// As [`run_code`](Self::run_code), streaming to `handlers` (onStdout, onResult, ...).
    /// With queued delivery the callbacks run in later `Client::dispatch` calls, possibly after
    /// this returns.
    pub fn run_code_with(&self, code: &str, opts: &RunCodeOptions, handlers: CodeHandlers) -> Result<Execution> {
        let api = self.api();
        let c = cstring(code, "code")?;
        let o = RawCodeOpts::new(opts)?;
        let (st, _payload, cbs) = new_state(api, handlers);
        let mut x = std::ptr::null_mut();
        let rc = unsafe { (api.e2b_code_run)(&mut x, self.inner.raw, c.as_ptr(), &o.raw, &cbs) };
        let r = finish(api, rc, x);
        if x.is_null() {
            // No execution: the request never started, so no callback (on_end) ever runs.
            unsafe { Shared::release_c(&st) };
        }
        st.value.take_panic();
        r
    }

    /// Starts `code` and returns once the server accepted it; [`CodeRun::wait`] for the end,
    /// [`CodeRun::cancel`] to interrupt it.
    pub fn start_code(&self, code: &str, opts: &RunCodeOptions, handlers: CodeHandlers) -> Result<CodeRun> {
        let api = self.api();
        let c = cstring(code, "code")?;
        let o = RawCodeOpts::new(opts)?;
        let (st, _payload, cbs) = new_state(api, handlers);
        let mut raw = std::ptr::null_mut();
        let rc = unsafe { (api.e2b_code_start)(&mut raw, self.inner.raw, c.as_ptr(), &o.raw, &cbs) };
        if rc < 0 {
            let e = Error::last(api, rc);
            // SAFETY: a run that did not start never calls back.
            unsafe { Shared::release_c(&st) };
            return Err(e);
        }
        Ok(CodeRun { raw, state: st, sandbox: self.clone() })
    }

    /// A new context (a fresh kernel).
    pub fn create_code_context(&self, opts: &ContextOptions) -> Result<Context> {
        let api = self.api();
        let (lang, cwd) = (opt_cstring(&opts.language, "language")?, opt_cstring(&opts.cwd, "cwd")?);
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_code_context_create)(&mut raw, self.inner.raw, opt_ptr(&lang), opt_ptr(&cwd)) })?;
        unsafe {
            let c = Context::from_raw(&*raw);
            (api.e2b_code_context_free)(raw);
            Ok(c)
        }
    }

    /// Every context, the default ones included.
    pub fn list_code_contexts(&self) -> Result<Vec<Context>> {
        let api = self.api();
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_code_list_contexts)(&mut raw, self.inner.raw) })?;
        // SAFETY: items are borrowed from the list until it is freed.
        unsafe {
            let n = (api.e2b_code_context_list_count)(raw);
            let v = (0..n)
                .filter_map(|i| (api.e2b_code_context_list_at)(raw, i).as_ref())
                .map(|c| Context::from_raw(c))
                .collect();
            (api.e2b_code_context_list_free)(raw);
            Ok(v)
        }
    }

    /// Restarts the context's kernel (its state is lost). NotFound for an unknown id.
    pub fn restart_code_context(&self, context: impl AsRef<str>) -> Result<()> {
        let api = self.api();
        let id = cstring(context.as_ref(), "context id")?;
        check(api, unsafe { (api.e2b_code_context_restart)(self.inner.raw, id.as_ptr()) })?;
        Ok(())
    }

    /// Removes the context and stops its kernel. NotFound for an unknown id.
    pub fn remove_code_context(&self, context: impl AsRef<str>) -> Result<()> {
        let api = self.api();
        let id = cstring(context.as_ref(), "context id")?;
        check(api, unsafe { (api.e2b_code_context_remove)(self.inner.raw, id.as_ptr()) })?;
        Ok(())
    }
}

/// A running cell ([`Sandbox::start_code`]). `Send + Sync` (wait and cancel are "Thread:
/// any"; cancel also from callbacks). Dropping it cancels the run if still going; the closures
/// are freed once libe2b guarantees no further call.
pub struct CodeRun {
    raw: *mut sys::e2b_code_exec,
    state: Arc<Shared<CodeState>>,
    sandbox: Sandbox,
}

// SAFETY: see the type's doc; the closures are Send and behind mutexes.
unsafe impl Send for CodeRun {}
unsafe impl Sync for CodeRun {}

impl std::fmt::Debug for CodeRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRun").finish_non_exhaustive()
    }
}

impl CodeRun {
    /// Blocks until the run ended: as [`Sandbox::run_code`] returns (Canceled after
    /// [`cancel`](Self::cancel)). May be called again. Re-raises a callback's panic.
    pub fn wait(&self) -> Result<Execution> {
        let api = self.sandbox.api();
        let mut x = std::ptr::null_mut();
        let rc = unsafe { (api.e2b_code_wait)(&mut x, self.raw) };
        let r = finish(api, rc, x);
        self.state.value.take_panic();
        r
    }

    /// Interrupts the cell (the context keeps its state); the run ends with Canceled. No effect
    /// once it ended. Callable from any thread, including callbacks.
    pub fn cancel(&self) -> Result<()> {
        let api = self.sandbox.api();
        check(api, unsafe { (api.e2b_code_cancel)(self.raw) })?;
        Ok(())
    }
}

impl Drop for CodeRun {
    fn drop(&mut self) {
        // SAFETY: after e2b_code_free no callback of this run runs (from inside one, none after
        // it); if on_end never ran, the C side's count is ours to drop.
        unsafe {
            (self.sandbox.api().e2b_code_free)(self.raw);
            Shared::release_c(&self.state);
        }
    }
}
