//! The production layer: resource profiles, a warm sandbox pool, cost tracking, structured log
//! events and timing, stall detection, Prometheus metrics.
use std::any::Any;
use std::ffi::{c_char, c_int, c_void};
use std::marker::PhantomData;
use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2b_sys as sys;

use crate::client::{Client, LogLevel, RawSandboxOpts, Sandbox, SandboxOptions};
use crate::commands::{lock, CommandHandle};
use crate::error::{cstr_lossy, Error, Result};
use crate::{api, catch, check, cstring, opt_cstring, opt_ptr, CallbackScope, Shared};

fn ms(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

/// A named resource size ("light", "medium", "heavy", "ml"); apply it with
/// `SandboxOptions::profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub cpu_count: i32,
    pub memory_mb: i32,
    pub timeout: Duration,
}

impl Profile {
    /// InvalidArgument for an unknown name (the message lists the known ones).
    pub fn get(name: &str) -> Result<Profile> {
        let api = api()?;
        let n = cstring(name, "profile")?;
        let mut p = sys::e2b_profile::default();
        check(api, unsafe { (api.e2b_profile_get)(&mut p, n.as_ptr()) })?;
        Ok(Profile { cpu_count: p.cpu_count, memory_mb: p.memory_mb, timeout: Duration::from_millis(p.timeout_ms.max(0) as u64) })
    }
}

// ---- Pool ----

/// Options of [`Pool::new`].
#[derive(Debug, Clone, Default)]
pub struct PoolOptions {
    /// Metrics label; None = "default".
    pub name: Option<String>,
    /// How members are created.
    pub sandbox: SandboxOptions,
    /// Kept warm (created ahead of time); <= max_size.
    pub min_idle: u32,
    /// Idle + in use + being created; 0 = 4.
    pub max_size: u32,
    /// Idle sandboxes above min_idle are killed after this; None = never.
    pub idle_timeout: Option<Duration>,
    /// Acquisitions per sandbox before it is killed; 0 = no limit.
    pub max_reuse: u32,
    /// Default wait of [`Pool::acquire`] when all are in use; None = fail at once.
    pub acquire_timeout: Option<Duration>,
    /// Hand out idle sandboxes without an envd /health check first.
    pub no_health_check: bool,
}

/// Counters of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolStats {
    pub idle: u32,
    pub active: u32,
    pub creating: u32,
    pub created: u64,
    pub reused: u64,
    pub replaced: u64,
    pub evicted: u64,
    pub exhausted: u64,
    pub create_errors: u64,
    pub acquisitions: u64,
    pub wait_p50_ms: f64,
    pub wait_p95_ms: f64,
}

pub(crate) struct PoolInner {
    raw: *mut sys::e2b_pool,
    client: Client,
}

// SAFETY: every e2b_pool function is "Thread: any".
unsafe impl Send for PoolInner {}
unsafe impl Sync for PoolInner {}

struct SendPool(*mut sys::e2b_pool);
// SAFETY: only moved to the thread that frees it.
unsafe impl Send for SendPool {}

impl Drop for PoolInner {
    fn drop(&mut self) {
        let free = self.client.inner.api.e2b_pool_free;
        if crate::in_callback() {
            // e2b_pool_free blocks and refuses to run in a callback: free it from another
            // thread, which also holds the client until then.
            let (p, client) = (SendPool(self.raw), self.client.clone());
            std::thread::spawn(move || {
                let p = p;
                unsafe { free(p.0) };
                drop(client);
            });
        } else {
            // SAFETY: every pooled sandbox holds an Arc of this, so all were given back.
            unsafe { free(self.raw) };
        }
    }
}

/// The pool side of a pooled sandbox handle: it is given back, not freed.
pub(crate) struct Lease {
    pool: Arc<PoolInner>,
    discard: AtomicBool,
}

impl Lease {
    pub(crate) unsafe fn release(&self, raw: *mut sys::e2b_sandbox) {
        let flags = if self.discard.load(Ordering::Acquire) { sys::E2B_POOL_RELEASE_F_DISCARD } else { 0 };
        (self.pool.client.inner.api.e2b_pool_release)(self.pool.raw, raw, flags);
    }
}

/// A warm pool of sandboxes. `Send + Sync`; cheap to clone. The pool (and every sandbox it
/// created) is shut down when the last clone is dropped and every acquired sandbox was given
/// back; [`Pool::shutdown`] reports the outcome.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// Creates the pool and starts filling it to min_idle in the background (returns at once).
    pub fn new(client: &Client, opts: &PoolOptions) -> Result<Pool> {
        let api = client.inner.api;
        let name = opt_cstring(&opts.name, "name")?;
        let so = RawSandboxOpts::new(&opts.sandbox)?;
        let o = sys::e2b_pool_opts {
            version: sys::E2B_POOL_OPTS_VERSION,
            name: opt_ptr(&name),
            sandbox: &so.raw,
            min_idle: opts.min_idle,
            max_size: opts.max_size,
            idle_timeout_ms: opts.idle_timeout.map_or(0, |d| ms(d).max(1)),
            max_reuse: opts.max_reuse,
            acquire_timeout_ms: opts.acquire_timeout.map_or(0, ms),
            flags: if opts.no_health_check { sys::E2B_POOL_F_NO_HEALTH_CHECK } else { 0 },
        };
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_pool_new)(&mut raw, client.inner.raw, &o) })?;
        Ok(Pool { inner: Arc::new(PoolInner { raw, client: client.clone() }) })
    }

    /// A sandbox for exclusive use: a warm (health-checked) one, else a new one while under
    /// max_size, else waits up to `timeout` (None = the pool's acquire_timeout) for a release.
    /// PoolExhausted when none came. It goes back to the pool when the [`PooledSandbox`] and
    /// every clone of its sandbox are dropped.
    pub fn acquire(&self, timeout: Option<Duration>) -> Result<PooledSandbox> {
        let api = self.inner.client.inner.api;
        let t = timeout.map_or(-1, ms);
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_pool_acquire)(&mut raw, self.inner.raw, t) })?;
        let lease = Lease { pool: self.inner.clone(), discard: AtomicBool::new(false) };
        Ok(PooledSandbox { sandbox: Sandbox::wrap_pooled(&self.inner.client, raw, lease) })
    }

    /// Housekeeping now (evict idle, refresh lifetimes, refill to min_idle). Non-blocking; call
    /// it periodically for timely eviction when no acquire/release happens.
    pub fn maintain(&self) -> Result<()> {
        let api = self.inner.client.inner.api;
        check(api, unsafe { (api.e2b_pool_maintain)(self.inner.raw) })?;
        Ok(())
    }

    pub fn stats(&self) -> Result<PoolStats> {
        let api = self.inner.client.inner.api;
        let mut s = sys::e2b_pool_stats { version: 1, ..Default::default() };
        check(api, unsafe { (api.e2b_pool_get_stats)(self.inner.raw, &mut s) })?;
        Ok(PoolStats {
            idle: s.idle,
            active: s.active,
            creating: s.creating,
            created: s.created,
            reused: s.reused,
            replaced: s.replaced,
            evicted: s.evicted,
            exhausted: s.exhausted,
            create_errors: s.create_errors,
            acquisitions: s.acquisitions,
            wait_p50_ms: s.wait_p50_ms,
            wait_p95_ms: s.wait_p95_ms,
        })
    }

    /// Shuts the pool down now: waits for background creates, kills every sandbox it created,
    /// and returns the first kill error. Misuse (and nothing is done yet) while other clones of
    /// the pool or acquired sandboxes are alive: the pool then shuts down when the last goes.
    pub fn shutdown(self) -> Result<()> {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => {
                let api = inner.client.inner.api;
                let rc = unsafe { (api.e2b_pool_free)(inner.raw) };
                let r = check(api, rc).map(|_| ());
                if rc != sys::E2B_EMISUSE {
                    // Freed (also on a kill error): only the client reference is left to drop.
                    let inner = std::mem::ManuallyDrop::new(inner);
                    drop(unsafe { std::ptr::read(&inner.client) });
                }
                // On Misuse (from a callback) nothing was freed; Drop frees it off this thread.
                r
            }
            Err(inner) => Err(Error::new(
                sys::E2B_EMISUSE,
                0,
                format!("pool still in use ({} references: clones or acquired sandboxes)", Arc::strong_count(&inner) - 1),
            )),
        }
    }
}

/// A sandbox acquired from a [`Pool`]; derefs to [`Sandbox`]. Given back to the pool when it
/// and every clone of its sandbox are dropped.
#[derive(Debug)]
pub struct PooledSandbox {
    sandbox: Sandbox,
}

impl std::ops::Deref for PooledSandbox {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl PooledSandbox {
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
    /// Gives it back to be killed instead of reused (e.g. after a failure left it dirty).
    pub fn discard(self) {
        if let Some(l) = &self.sandbox.inner.pool {
            l.discard.store(true, Ordering::Release);
        }
    }
}

// ---- Cost, logs, metrics ----

/// Cost estimate of every sandbox this client created or connected to.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTotals {
    pub sandboxes: u32,
    /// Excludes paused time.
    pub running_seconds: f64,
    pub paused_seconds: f64,
    pub vcpu_seconds: f64,
    pub gib_seconds: f64,
    /// From the price table (default: E2B's published prices).
    pub cost_usd: f64,
}

struct MeasureCtx<T, F> {
    f: Option<F>,
    out: Option<Result<T>>,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn measure_tramp<T, F: FnOnce() -> Result<T>>(payload: *mut c_void) -> c_int {
    let ctx = &mut *(payload as *mut MeasureCtx<T, F>);
    let Some(f) = ctx.f.take() else { return sys::E2B_EINVAL };
    match catch(f) {
        Ok(r) => {
            let rc = match &r {
                Ok(_) => 0,
                Err(e) if e.code() < 0 => e.code(),
                Err(_) => sys::E2B_ERROR,
            };
            ctx.out = Some(r);
            rc
        }
        Err(p) => {
            ctx.panic = Some(p);
            sys::E2B_ERROR
        }
    }
}

impl Client {
    pub fn cost_totals(&self) -> Result<CostTotals> {
        let api = self.inner.api;
        let mut t = sys::e2b_cost_totals { version: 1, ..Default::default() };
        check(api, unsafe { (api.e2b_cost_get_totals)(self.inner.raw, &mut t) })?;
        Ok(CostTotals {
            sandboxes: t.sandboxes,
            running_seconds: t.running_seconds,
            paused_seconds: t.paused_seconds,
            vcpu_seconds: t.vcpu_seconds,
            gib_seconds: t.gib_seconds,
            cost_usd: t.cost_usd,
        })
    }

    /// Sets the price table (USD per vCPU-second / per GiB-second); None keeps a price.
    /// InvalidArgument for a negative or non-finite price (prices unchanged).
    pub fn set_cost_prices(&self, vcpu_second: Option<f64>, gib_second: Option<f64>) -> Result<()> {
        let api = self.inner.api;
        let mut fields = Vec::new();
        for (k, v) in [("vcpu_second", vcpu_second), ("gib_second", gib_second)] {
            if let Some(v) = v {
                if !v.is_finite() {
                    return Err(Error::invalid(format!("{k} must be a finite number")));
                }
                fields.push(format!("\"{k}\":{v:e}"));
            }
        }
        let json = cstring(&format!("{{{}}}", fields.join(",")), "prices")?;
        check(api, unsafe { (api.e2b_cost_set_prices)(self.inner.raw, json.as_ptr()) })?;
        Ok(())
    }

    /// The cost report as JSON: prices, totals and one entry per sandbox.
    pub fn cost_report_json(&self) -> Result<String> {
        let api = self.inner.api;
        let mut b = sys::e2b_buf::default();
        check(api, unsafe { (api.e2b_cost_export_json)(&mut b, self.inner.raw) })?;
        Ok(crate::files::take_buf_string(api, b))
    }

    /// Emits a user event into the structured log.
    pub fn log_emit(&self, level: LogLevel, event: &str, sandbox_id: Option<&str>, message: Option<&str>) -> Result<()> {
        let api = self.inner.api;
        let e = cstring(event, "event")?;
        let sid = opt_cstring(&sandbox_id.map(String::from), "sandbox_id")?;
        let msg = opt_cstring(&message.map(String::from), "message")?;
        check(api, unsafe { (api.e2b_log_emit)(self.inner.raw, level.raw(), e.as_ptr(), opt_ptr(&sid), opt_ptr(&msg)) })?;
        Ok(())
    }

    /// Times `f` on this thread: logs `event` with its duration and outcome and records it in
    /// the e2b_user_operation_seconds{op=event} histogram. Returns what `f` returned.
    pub fn measure<T, F: FnOnce() -> Result<T>>(&self, event: &str, sandbox_id: Option<&str>, f: F) -> Result<T> {
        let api = self.inner.api;
        let e = cstring(event, "event")?;
        let sid = opt_cstring(&sandbox_id.map(String::from), "sandbox_id")?;
        let mut ctx = MeasureCtx::<T, F> { f: Some(f), out: None, panic: None };
        let rc = unsafe {
            (api.e2b_measure)(
                self.inner.raw,
                e.as_ptr(),
                opt_ptr(&sid),
                Some(measure_tramp::<T, F>),
                &mut ctx as *mut MeasureCtx<T, F> as *mut c_void,
            )
        };
        if let Some(p) = ctx.panic {
            resume_unwind(p);
        }
        match ctx.out {
            Some(r) => r,
            None => Err(Error::last(api, rc)),
        }
    }

    /// The client's metrics in Prometheus text format 0.0.4.
    pub fn metrics_render(&self) -> Result<String> {
        let api = self.inner.api;
        let mut b = sys::e2b_buf::default();
        check(api, unsafe { (api.e2b_metrics_render)(&mut b, self.inner.raw) })?;
        Ok(crate::files::take_buf_string(api, b))
    }

    /// Serves GET /metrics on 127.0.0.1:`port` (0 = a free port) and returns the port.
    /// InvalidArgument if already serving or the port is taken.
    pub fn metrics_serve(&self, port: u16) -> Result<u16> {
        let api = self.inner.api;
        let mut bound = 0u16;
        check(api, unsafe { (api.e2b_metrics_serve)(self.inner.raw, port, &mut bound) })?;
        Ok(bound)
    }

    pub fn metrics_serve_stop(&self) -> Result<()> {
        let api = self.inner.api;
        check(api, unsafe { (api.e2b_metrics_serve_stop)(self.inner.raw) })?;
        Ok(())
    }
}

// ---- Stall detection ----

/// Options of a stall watch: `on_stall` runs once per silence of `idle` (no stdout/stderr).
#[derive(Debug, Clone)]
pub struct StallOptions {
    pub idle: Duration,
    /// Kill the command (or sandbox) before on_stall runs.
    pub kill: bool,
}

/// A detected stall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StallEvent {
    pub sandbox_id: String,
    /// The command; None for a sandbox watch.
    pub pid: Option<u32>,
    pub idle: Duration,
    /// true if `kill` killed it.
    pub killed: bool,
}

type StallFn = Box<dyn FnMut(StallEvent) + Send>;

unsafe extern "C" fn stall_tramp(sid: *const c_char, pid: u32, idle_ms: i64, killed: i32, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    let st = Shared::<Mutex<Option<StallFn>>>::borrow(payload);
    let ev = StallEvent {
        sandbox_id: cstr_lossy(sid),
        pid: (pid != 0).then_some(pid),
        idle: Duration::from_millis(idle_ms.max(0) as u64),
        killed: killed != 0,
    };
    let mut g = lock(&st.value);
    if let Some(f) = g.as_mut() {
        // A panic must not unwind into C: it stops deliveries to this closure.
        if catch(|| f(ev)).is_err() {
            *g = None;
        }
    }
}

/// A running stall watch; dropping it stops it (none of its callbacks runs after). Borrows the
/// command it watches.
pub struct StallWatch<'a> {
    raw: *mut sys::e2b_stall_watch,
    state: Arc<Shared<Mutex<Option<StallFn>>>>,
    api: &'static sys::Api,
    _sandbox: Option<Sandbox>,
    _exec: PhantomData<&'a CommandHandle>,
}

// SAFETY: e2b_stall_watch_free is "Thread: any"; the closure is Send and behind a mutex.
unsafe impl Send for StallWatch<'_> {}
unsafe impl Sync for StallWatch<'_> {}

impl std::fmt::Debug for StallWatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StallWatch").finish_non_exhaustive()
    }
}

impl Drop for StallWatch<'_> {
    fn drop(&mut self) {
        // SAFETY: after e2b_stall_watch_free no on_stall of this watch runs (from inside one,
        // the trampoline holds its own count).
        unsafe {
            (self.api.e2b_stall_watch_free)(self.raw);
            Shared::release_c(&self.state);
        }
    }
}

fn start_stall<'a>(
    api: &'static sys::Api,
    opts: &StallOptions,
    f: StallFn,
    sandbox: Option<Sandbox>,
    start: impl FnOnce(*mut *mut sys::e2b_stall_watch, &sys::e2b_stall_opts) -> c_int,
) -> Result<StallWatch<'a>> {
    let (state, payload) = Shared::new(Mutex::new(Some(f)));
    let o = sys::e2b_stall_opts {
        version: sys::E2B_STALL_OPTS_VERSION,
        idle_ms: ms(opts.idle),
        flags: if opts.kill { sys::E2B_STALL_F_KILL } else { 0 },
        on_stall: Some(stall_tramp),
        payload,
    };
    let mut raw = std::ptr::null_mut();
    let rc = start(&mut raw, &o);
    if rc < 0 {
        let e = Error::last(api, rc);
        // SAFETY: a watch that did not start never calls back.
        unsafe { Shared::release_c(&state) };
        return Err(e);
    }
    Ok(StallWatch { raw, state, api, _sandbox: sandbox, _exec: PhantomData })
}

impl Sandbox {
    /// Watches every command of this sandbox started through this client: `on_stall` runs (on
    /// the client's monitor thread, or in `Client::dispatch`) when none printed anything for
    /// `opts.idle`.
    pub fn watch_stall<F: FnMut(StallEvent) + Send + 'static>(&self, opts: &StallOptions, on_stall: F) -> Result<StallWatch<'static>> {
        let api = self.api();
        start_stall(api, opts, Box::new(on_stall), Some(self.clone()), |out, o| unsafe {
            (api.e2b_stall_watch_sandbox)(out, self.inner.raw, o)
        })
    }
}

impl CommandHandle {
    /// Watches this command: `on_stall` runs when it printed nothing for `opts.idle` (once
    /// per silence; with `kill`, after killing it).
    pub fn watch_stall<F: FnMut(StallEvent) + Send + 'static>(&self, opts: &StallOptions, on_stall: F) -> Result<StallWatch<'_>> {
        let api = self.sandbox().api();
        start_stall(api, opts, Box::new(on_stall), None, |out, o| unsafe { (api.e2b_stall_watch_exec)(out, self.raw, o) })
    }
}
