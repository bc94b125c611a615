use std::any::Any;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::ops::{ControlFlow, Deref};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use e2b_sys as sys;

use crate::client::Sandbox;
use crate::error::{cstr_lossy, cstr_opt, Error, Result};
use crate::{check, cstring, opt_cstring, opt_ptr, timeout_ms, CStrList, CallbackScope};

/// What an output callback returns: `()` to keep receiving, or `ControlFlow::Break(())` to
/// stop receiving (the stream then ends with [`ErrorKind::User`](crate::ErrorKind); the process
/// keeps running).
pub trait Flow {
    fn keep_going(self) -> bool;
}
impl Flow for () {
    fn keep_going(self) -> bool {
        true
    }
}
impl Flow for ControlFlow<()> {
    fn keep_going(self) -> bool {
        self.is_continue()
    }
}

type DataFn = Box<dyn FnMut(&[u8]) -> bool + Send>;
type ExitFn = Box<dyn FnOnce(i32, Option<Error>) + Send>;

/// Stream callbacks of a command or PTY. They run on libe2b's service thread (or in
/// [`Client::dispatch`](crate::Client::dispatch) with queued delivery), in order, then
/// `on_exit` once; `data` is only valid during the call. Blocking libe2b calls from inside fail
/// with [`ErrorKind::Misuse`](crate::ErrorKind).
#[derive(Default)]
pub struct Handlers {
    stdout: Option<DataFn>,
    stderr: Option<DataFn>,
    exit: Option<ExitFn>,
}

impl Handlers {
    pub fn new() -> Handlers {
        Handlers::default()
    }
    /// stdout bytes (for a PTY: the terminal's bytes).
    pub fn on_stdout<R: Flow, F: FnMut(&[u8]) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.stdout = Some(Box::new(move |d| f(d).keep_going()));
        self
    }
    pub fn on_stderr<R: Flow, F: FnMut(&[u8]) -> R + Send + 'static>(mut self, mut f: F) -> Self {
        self.stderr = Some(Box::new(move |d| f(d).keep_going()));
        self
    }
    /// Once, last: the exit code (-1 when killed by a signal) and None for a complete stream,
    /// else the failure (Canceled after disconnect, Timeout, Network, SandboxNotFound, ...).
    pub fn on_exit<F: FnOnce(i32, Option<Error>) + Send + 'static>(mut self, f: F) -> Self {
        self.exit = Some(Box::new(f));
        self
    }
}

/// Callback state shared by the handle and the trampolines. The handle owns one strong count,
/// passed to libe2b as the payload; a trampoline takes its own count while it runs, so a handle
/// dropped inside its own callback cannot free the closure being called.
struct ExecState {
    stdout: Mutex<Option<DataFn>>,
    stderr: Mutex<Option<DataFn>>,
    exit: Mutex<Option<ExitFn>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Closures run under catch_unwind inside the lock, so poisoning cannot happen; be lenient.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ExecState {
    fn stash(&self, p: Box<dyn Any + Send>) {
        let mut g = lock(&self.panic);
        if g.is_none() {
            *g = Some(p);
        }
    }
}

unsafe fn borrow_state(payload: *mut c_void) -> Arc<ExecState> {
    let p = payload as *const ExecState;
    Arc::increment_strong_count(p);
    Arc::from_raw(p)
}

unsafe fn on_data(data: *const c_char, len: usize, payload: *mut c_void, err: bool) -> c_int {
    let _scope = CallbackScope::enter();
    let st = borrow_state(payload);
    let bytes: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(data as *const u8, len) };
    let mut g = lock(if err { &st.stderr } else { &st.stdout });
    let Some(f) = g.as_mut() else { return 0 };
    match catch_unwind(AssertUnwindSafe(|| f(bytes))) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(p) => {
            *g = None;
            st.stash(p);
            1 // stop the stream; wait() re-raises the panic
        }
    }
}

unsafe extern "C" fn on_stdout_tramp(data: *const c_char, len: usize, payload: *mut c_void) -> c_int {
    on_data(data, len, payload, false)
}
unsafe extern "C" fn on_stderr_tramp(data: *const c_char, len: usize, payload: *mut c_void) -> c_int {
    on_data(data, len, payload, true)
}
unsafe extern "C" fn on_exit_tramp(code: i32, err: *const sys::e2b_error, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    let st = borrow_state(payload);
    let err = Error::from_raw(err);
    // Terminal: the output closures are released now rather than with the handle.
    let (a, b) = (lock(&st.stdout).take(), lock(&st.stderr).take());
    let f = lock(&st.exit).take();
    if let Err(p) = catch_unwind(AssertUnwindSafe(move || {
        drop((a, b));
        if let Some(f) = f {
            f(code, err)
        }
    })) {
        st.stash(p);
    }
}

/// Options of a command. `Default` = the sandbox user's home, no extra env, 60 s limit.
#[derive(Debug, Clone, Default)]
pub struct CommandOptions {
    pub cwd: Option<String>,
    pub envs: HashMap<String, String>,
    /// None = the sandbox's default user; e.g. "root".
    pub user: Option<String>,
    /// Process lifetime; None = 60 s, `Duration::ZERO` = no limit.
    pub timeout: Option<Duration>,
    pub tag: Option<String>,
    /// Keep stdin open for [`CommandHandle::send_stdin`] (default: /dev/null).
    pub stdin: bool,
}

struct RawExecOpts {
    _strings: [Option<CString>; 3],
    _envs: CStrList,
    raw: sys::e2b_exec_opts,
}

impl RawExecOpts {
    fn new(o: &CommandOptions) -> Result<RawExecOpts> {
        let cwd = opt_cstring(&o.cwd, "cwd")?;
        let user = opt_cstring(&o.user, "user")?;
        let tag = opt_cstring(&o.tag, "tag")?;
        let envs = CStrList::pairs(&o.envs, "envs")?;
        let raw = sys::e2b_exec_opts {
            version: sys::E2B_EXEC_OPTS_VERSION,
            cwd: opt_ptr(&cwd),
            envs: envs.as_ptr(),
            user: opt_ptr(&user),
            timeout_ms: timeout_ms(o.timeout),
            tag: opt_ptr(&tag),
            flags: if o.stdin { sys::E2B_EXEC_F_STDIN } else { 0 },
        };
        Ok(RawExecOpts { _strings: [cwd, user, tag], _envs: envs, raw })
    }
}

/// The result of [`Commands::run`] (also carried by its CommandExit error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandOutput {
    /// stdout, decoded as UTF-8 (invalid bytes replaced).
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// The end status text of a failed process ("exit status 2"), None if none.
    pub error: Option<String>,
}

/// A process started with envd, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub cmd: String,
    pub args: Vec<String>,
    pub tag: Option<String>,
}

/// `sandbox.commands()`.
pub struct Commands<'a> {
    sbx: &'a Sandbox,
}

impl<'a> Commands<'a> {
    pub(crate) fn new(sbx: &'a Sandbox) -> Self {
        Commands { sbx }
    }

    /// Runs `cmd` (`/bin/bash -l -c cmd`) to completion. A non-zero exit is an error of kind
    /// CommandExit with [`Error::exit_code`] and [`Error::command_output`].
    pub fn run(&self, cmd: &str, opts: &CommandOptions) -> Result<CommandOutput> {
        let api = self.sbx.api();
        let c = cstring(cmd, "cmd")?;
        let o = RawExecOpts::new(opts)?;
        let mut out = sys::e2b_exec_output::default();
        let rc = unsafe { (api.e2b_exec_run)(&mut out, self.sbx.inner.raw, c.as_ptr(), &o.raw) };
        let err = (rc < 0).then(|| Error::last(api, rc));
        // SAFETY: the buffers are NUL-terminated and owned by us until disposed.
        let output = unsafe {
            let s = |b: &sys::e2b_buf| {
                if b.ptr.is_null() {
                    String::new()
                } else {
                    String::from_utf8_lossy(std::slice::from_raw_parts(b.ptr as *const u8, b.size)).into_owned()
                }
            };
            let r = CommandOutput {
                stdout: s(&out.out),
                stderr: s(&out.err),
                exit_code: out.exit_code,
                error: Some(s(&out.error)).filter(|e| !e.is_empty()),
            };
            (api.e2b_exec_output_dispose)(&mut out);
            r
        };
        match err {
            None => Ok(output),
            Some(e) if rc == sys::E2B_ECOMMAND_EXIT => Err(e.with_exit(output.exit_code, Some(output))),
            Some(e) => Err(e),
        }
    }

    /// Runs `cmd` to completion, streaming its output to `handlers`.
    pub fn run_with(&self, cmd: &str, opts: &CommandOptions, handlers: Handlers) -> Result<()> {
        self.start(cmd, opts, handlers)?.wait()
    }

    /// Starts `cmd` in the background; returns once its pid is known.
    pub fn start(&self, cmd: &str, opts: &CommandOptions, handlers: Handlers) -> Result<CommandHandle> {
        let c = cstring(cmd, "cmd")?;
        let o = RawExecOpts::new(opts)?;
        CommandHandle::open(self.sbx, handlers, |out, cbs| unsafe {
            (self.sbx.api().e2b_exec_start)(out, self.sbx.inner.raw, c.as_ptr(), &o.raw, cbs)
        })
    }

    /// Attaches to a running process (its output from now on). NotFound if there is none.
    pub fn connect(&self, pid: u32, handlers: Handlers) -> Result<CommandHandle> {
        CommandHandle::open(self.sbx, handlers, |out, cbs| unsafe {
            (self.sbx.api().e2b_exec_connect)(out, self.sbx.inner.raw, pid, cbs)
        })
    }

    /// SIGKILL by pid, without attaching: Ok(false) when there is no such process.
    pub fn kill(&self, pid: u32) -> Result<bool> {
        let api = self.sbx.api();
        gone_is_false(check(api, unsafe { (api.e2b_process_kill)(self.sbx.inner.raw, pid) }))
    }

    /// Writes to the stdin of process `pid` (started with `CommandOptions::stdin`) without a
    /// handle. NotFound when there is no such process.
    pub fn send_stdin(&self, pid: u32, data: impl AsRef<[u8]>) -> Result<()> {
        let api = self.sbx.api();
        let d = data.as_ref();
        check(api, unsafe { (api.e2b_process_send_stdin)(self.sbx.inner.raw, pid, d.as_ptr() as *const c_void, d.len()) })?;
        Ok(())
    }

    /// Closes the stdin of process `pid` (EOF for it) without a handle.
    pub fn close_stdin(&self, pid: u32) -> Result<()> {
        let api = self.sbx.api();
        check(api, unsafe { (api.e2b_process_close_stdin)(self.sbx.inner.raw, pid) })?;
        Ok(())
    }

    /// Live processes started through envd.
    pub fn list(&self) -> Result<Vec<ProcessInfo>> {
        let api = self.sbx.api();
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_exec_list)(&mut raw, self.sbx.inner.raw) })?;
        // SAFETY: entries are borrowed from the list until it is freed.
        unsafe {
            let n = (api.e2b_process_list_count)(raw);
            let v = (0..n)
                .map(|i| {
                    let p = &*(api.e2b_process_list_at)(raw, i);
                    ProcessInfo {
                        pid: p.pid,
                        cmd: cstr_lossy(p.cmd),
                        args: (0..p.arg_count).map(|k| cstr_lossy(*p.args.add(k))).collect(),
                        tag: cstr_opt(p.tag),
                    }
                })
                .collect();
            (api.e2b_process_list_free)(raw);
            Ok(v)
        }
    }
}

/// A kill's result as the SDKs give it: false when the process was already gone.
fn gone_is_false(r: Result<c_int>) -> Result<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.code() == sys::E2B_ENOTFOUND => Ok(false),
        Err(e) => Err(e),
    }
}

/// A local handle to one process stream (background command, connect, or PTY).
///
/// `Send + Sync`: every e2b_exec function is documented "Thread: any" and libe2b serialises
/// them with the handle's callbacks (e.g. `disconnect` from another thread while one `wait`s).
/// Dropping it disconnects (never kills) and frees the callbacks once libe2b guarantees none
/// runs any more.
pub struct CommandHandle {
    pub(crate) raw: *mut sys::e2b_exec,
    state: *const ExecState,
    sandbox: Sandbox,
    pid: u32,
}

// SAFETY: see the type's doc; the closures in ExecState are Send and behind mutexes.
unsafe impl Send for CommandHandle {}
unsafe impl Sync for CommandHandle {}

impl std::fmt::Debug for CommandHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandHandle").field("pid", &self.pid).finish()
    }
}

impl CommandHandle {
    fn open(
        sbx: &Sandbox,
        h: Handlers,
        start: impl FnOnce(*mut *mut sys::e2b_exec, *const sys::e2b_exec_callbacks) -> c_int,
    ) -> Result<CommandHandle> {
        let api = sbx.api();
        let cbs_wanted = (h.stdout.is_some(), h.stderr.is_some(), h.exit.is_some());
        let state = Arc::into_raw(Arc::new(ExecState {
            stdout: Mutex::new(h.stdout),
            stderr: Mutex::new(h.stderr),
            exit: Mutex::new(h.exit),
            panic: Mutex::new(None),
        }));
        // on_exit is always registered: it releases the closures as soon as the stream ends.
        let cbs = sys::e2b_exec_callbacks {
            version: sys::E2B_EXEC_CALLBACKS_VERSION,
            on_stdout: cbs_wanted.0.then_some(on_stdout_tramp as sys::e2b_data_cb),
            on_stderr: cbs_wanted.1.then_some(on_stderr_tramp as sys::e2b_data_cb),
            on_exit: Some(on_exit_tramp),
            payload: state as *mut c_void,
        };
        let mut raw = std::ptr::null_mut();
        let rc = start(&mut raw, &cbs);
        if rc < 0 {
            let e = Error::last(api, rc);
            // SAFETY: on failure libe2b keeps no reference to the payload.
            unsafe { drop(Arc::from_raw(state)) };
            return Err(e);
        }
        let pid = unsafe { (api.e2b_exec_pid)(raw) };
        Ok(CommandHandle { raw, state, sandbox: sbx.clone(), pid })
    }

    fn api(&self) -> &'static sys::Api {
        self.sandbox.api()
    }

    pub(crate) fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn resume_panic(&self) {
        // SAFETY: the handle holds a strong count until Drop.
        let st = unsafe { &*self.state };
        if let Some(p) = lock(&st.panic).take() {
            resume_unwind(p);
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Blocks until the stream ends: Ok on exit 0; CommandExit (with [`Error::exit_code`]) for
    /// a non-zero exit; Canceled after [`disconnect`](Self::disconnect); the stream's error
    /// otherwise. A panic raised in one of the handle's callbacks is re-raised here.
    pub fn wait(&self) -> Result<()> {
        let api = self.api();
        let mut code = 0i32;
        let rc = unsafe { (api.e2b_exec_wait)(self.raw, &mut code) };
        let r = check(api, rc).map(|_| ()).map_err(|e| {
            if rc == sys::E2B_ECOMMAND_EXIT {
                e.with_exit(code, None)
            } else {
                e
            }
        });
        self.resume_panic();
        r
    }

    /// The process's end status as envd reports it ("exit status 3", "signal: killed"); None
    /// while it runs or when there is none. Non-blocking (also from callbacks).
    pub fn end_status(&self) -> Result<Option<String>> {
        let api = self.api();
        let mut b = sys::e2b_buf::default();
        check(api, unsafe { (api.e2b_exec_end_status)(&mut b, self.raw) })?;
        Ok(Some(crate::files::take_buf_string(api, b)).filter(|s| !s.is_empty()))
    }

    /// SIGKILL: Ok(true), or Ok(false) when the process was already gone.
    pub fn kill(&self) -> Result<bool> {
        let api = self.api();
        gone_is_false(check(api, unsafe { (api.e2b_exec_kill)(self.raw) }))
    }

    /// Writes to stdin (started with `CommandOptions::stdin`).
    pub fn send_stdin(&self, data: impl AsRef<[u8]>) -> Result<()> {
        let api = self.api();
        let d = data.as_ref();
        check(api, unsafe { (api.e2b_exec_send_stdin)(self.raw, d.as_ptr() as *const c_void, d.len()) })?;
        Ok(())
    }

    /// Closes stdin (EOF for the process).
    pub fn close_stdin(&self) -> Result<()> {
        let api = self.api();
        check(api, unsafe { (api.e2b_exec_close_stdin)(self.raw) })?;
        Ok(())
    }

    /// Stops receiving; the process keeps running; on_exit follows with Canceled. Callable from
    /// any thread, including callbacks; idempotent.
    pub fn disconnect(&self) -> Result<()> {
        let api = self.api();
        check(api, unsafe { (api.e2b_exec_disconnect)(self.raw) })?;
        Ok(())
    }
}

impl Drop for CommandHandle {
    fn drop(&mut self) {
        // SAFETY: after e2b_exec_free returns no callback of this handle runs (or, from inside
        // one, none after it; the trampoline holds its own count then), so the payload's count
        // can go.
        unsafe {
            (self.api().e2b_exec_free)(self.raw);
            drop(Arc::from_raw(self.state));
        }
    }
}

/// Options of [`Pty::create`].
#[derive(Debug, Clone)]
pub struct PtyOptions {
    pub cols: u16,
    pub rows: u16,
    pub cwd: Option<String>,
    /// TERM defaults to xterm-256color.
    pub envs: HashMap<String, String>,
    pub user: Option<String>,
    /// None = 60 s, `Duration::ZERO` = no limit (usual for terminals).
    pub timeout: Option<Duration>,
}

impl Default for PtyOptions {
    fn default() -> Self {
        PtyOptions { cols: 80, rows: 24, cwd: None, envs: HashMap::new(), user: None, timeout: Some(Duration::ZERO) }
    }
}

/// `sandbox.pty()`.
pub struct Pty<'a> {
    sbx: &'a Sandbox,
}

impl<'a> Pty<'a> {
    pub(crate) fn new(sbx: &'a Sandbox) -> Self {
        Pty { sbx }
    }

    /// An interactive login shell on a pseudo-terminal; its bytes go to `on_data`.
    pub fn create<R: Flow, F: FnMut(&[u8]) -> R + Send + 'static>(
        &self,
        opts: &PtyOptions,
        on_data: F,
    ) -> Result<PtyHandle> {
        self.create_with(opts, Handlers::new().on_stdout(on_data))
    }

    /// As [`create`](Self::create), with an on_exit too.
    pub fn create_with(&self, opts: &PtyOptions, handlers: Handlers) -> Result<PtyHandle> {
        let co = CommandOptions {
            cwd: opts.cwd.clone(),
            envs: opts.envs.clone(),
            user: opts.user.clone(),
            timeout: opts.timeout,
            tag: None,
            stdin: false,
        };
        let o = RawExecOpts::new(&co)?;
        let h = CommandHandle::open(self.sbx, handlers, |out, cbs| unsafe {
            (self.sbx.api().e2b_pty_create)(out, self.sbx.inner.raw, opts.cols, opts.rows, &o.raw, cbs)
        })?;
        Ok(PtyHandle(h))
    }

    /// Bytes to the terminal of PTY process `pid`, without a handle. NotFound when there is no
    /// such process.
    pub fn send_input(&self, pid: u32, data: impl AsRef<[u8]>) -> Result<()> {
        let api = self.sbx.api();
        let d = data.as_ref();
        check(api, unsafe {
            (api.e2b_process_send_pty_input)(self.sbx.inner.raw, pid, d.as_ptr() as *const c_void, d.len())
        })?;
        Ok(())
    }

    /// Resizes the terminal of PTY process `pid`, without a handle.
    pub fn resize(&self, pid: u32, cols: u16, rows: u16) -> Result<()> {
        let api = self.sbx.api();
        check(api, unsafe { (api.e2b_process_resize_pty)(self.sbx.inner.raw, pid, cols, rows) })?;
        Ok(())
    }

    /// SIGKILL by pid: Ok(false) when there is no such process.
    pub fn kill(&self, pid: u32) -> Result<bool> {
        self.sbx.commands().kill(pid)
    }
}

/// A PTY session: a [`CommandHandle`] (kill, wait, disconnect) plus terminal input and resize.
#[derive(Debug)]
pub struct PtyHandle(CommandHandle);

impl Deref for PtyHandle {
    type Target = CommandHandle;
    fn deref(&self) -> &CommandHandle {
        &self.0
    }
}

impl PtyHandle {
    /// Bytes to the terminal (keystrokes; b"\x04" is Ctrl-D).
    pub fn send_input(&self, data: impl AsRef<[u8]>) -> Result<()> {
        let api = self.0.api();
        let d = data.as_ref();
        check(api, unsafe { (api.e2b_pty_send_input)(self.0.raw, d.as_ptr() as *const c_void, d.len()) })?;
        Ok(())
    }
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        let api = self.0.api();
        check(api, unsafe { (api.e2b_pty_resize)(self.0.raw, cols, rows) })?;
        Ok(())
    }
}
