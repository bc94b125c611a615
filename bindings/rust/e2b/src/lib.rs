//! Safe Rust client for [E2B](https://e2b.dev) sandboxes, over libe2b's C ABI.
//!
//! ```no_run
//! use e2b::{Client, Sandbox, SandboxOptions, CommandOptions};
//! # fn main() -> e2b::Result<()> {
//! let client = Client::new()?;                       // E2B_API_KEY, E2B_API_URL, ...
//! let sbx = Sandbox::create(&client, &SandboxOptions::default())?;
//! let out = sbx.commands().run("echo hi", &CommandOptions::default())?;
//! print!("{}", out.stdout);
//! sbx.files().write("/tmp/a.txt", b"hello")?;
//! sbx.kill()?;
//! # Ok(()) }
//! ```
//!
//! libe2b is loaded at run time (`$LIBE2B_PATH`, else `libe2b.so.0`) and must have the ABI
//! version this crate was written for; otherwise every constructor fails with
//! [`ErrorKind::Load`]. Feature `link` links it at build time instead (pkg-config).
//!
//! Callbacks (command output, file watch events) run on libe2b's service thread, so closures
//! must be `Send + 'static`. Panics in them are caught at the FFI edge (unwinding into C is
//! undefined behaviour): see [`CommandHandle::wait`] and [`Files::watch_dir`].

mod artifacts;
mod cancel;
mod client;
mod code;
mod commands;
mod error;
mod files;
mod monitoring;
mod ports;
mod production;
mod session;

pub use client::{
    Client, ClientBuilder, Delivery, LogLevel, ListOptions, Sandbox, SandboxInfo, SandboxOptions,
    SandboxPaginator, SandboxState,
};
pub use commands::{
    CommandHandle, CommandOptions, CommandOutput, Commands, Flow, Handlers, ProcessInfo, Pty,
    PtyHandle, PtyOptions,
};
pub use cancel::CancelToken;
pub use artifacts::{Artifact, Artifacts, ArtifactsOptions, TransferProgress, Workspace, WorkspaceOptions};
pub use code::{
    CodeHandlers, CodeResult, CodeRun, Context, ContextOptions, Execution, ExecutionError, Logs, OutputMessage,
    RunCodeOptions,
};
pub use error::{Error, ErrorKind, Result};
pub use monitoring::{LogsOptions, SandboxLogEntry, SandboxMetric};
pub use production::{
    CostTotals, Pool, PoolOptions, PoolStats, PooledSandbox, Profile, StallEvent, StallOptions, StallWatch,
};
pub use ports::{Message, PortRequest, PortResponse, WebSocket, WsHandlers, WsOptions};
pub use session::{Session, SessionOptions, SessionState};
pub use files::{EntryInfo, FileType, Files, FilesystemEvent, FilesystemEventType, WatchHandle};

/// The raw layer, for what the safe API does not cover.
pub use e2b_sys as sys;

use std::cell::Cell;
use std::ffi::{c_char, c_int, CString};
use std::time::Duration;

pub(crate) fn api() -> Result<&'static sys::Api> {
    sys::api().map_err(|e| Error::load(&e))
}

/// libe2b's version string ("0.1.0").
pub fn library_version() -> Result<String> {
    let api = api()?;
    // SAFETY: a static string.
    Ok(unsafe { error::cstr_lossy((api.e2b_version)()) })
}

/// Turns a libe2b return code into a Result, reading the thread's last error on failure.
pub(crate) fn check(api: &sys::Api, rc: c_int) -> Result<c_int> {
    if rc >= 0 {
        Ok(rc)
    } else {
        Err(Error::last(api, rc))
    }
}

pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(format!("{what} must not contain a NUL byte")))
}

/// A NULL-terminated `const char *const *` list ("k=v" items) owning its strings.
pub(crate) struct CStrList {
    _owned: Vec<CString>,
    ptrs: Vec<*const c_char>,
}

impl CStrList {
    pub(crate) fn pairs<'a>(
        items: impl IntoIterator<Item = (&'a String, &'a String)>,
        what: &str,
    ) -> Result<CStrList> {
        let mut owned = Vec::new();
        for (k, v) in items {
            if k.is_empty() || k.contains('=') {
                return Err(Error::invalid(format!("{what} key {k:?} must be non-empty without '='")));
            }
            owned.push(cstring(&format!("{k}={v}"), what)?);
        }
        Ok(CStrList::from_owned(owned))
    }

    /// Plain items ("Name: value" headers, glob patterns, paths).
    pub(crate) fn items<S: AsRef<str>>(items: impl IntoIterator<Item = S>, what: &str) -> Result<CStrList> {
        let owned = items.into_iter().map(|s| cstring(s.as_ref(), what)).collect::<Result<Vec<_>>>()?;
        Ok(CStrList::from_owned(owned))
    }

    pub(crate) fn from_owned(owned: Vec<CString>) -> CStrList {
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        CStrList { _owned: owned, ptrs }
    }

    /// Always a list (possibly just the terminator), for arguments that must not be NULL.
    pub(crate) fn as_list_ptr(&self) -> *const *const c_char {
        self.ptrs.as_ptr()
    }
    /// NULL for an empty list (the C side's "none").
    pub(crate) fn as_ptr(&self) -> *const *const c_char {
        if self.ptrs.len() == 1 {
            std::ptr::null()
        } else {
            self.ptrs.as_ptr()
        }
    }
}

/// A local path as libe2b takes it (bytes, no NUL).
pub(crate) fn path_cstring(p: &std::path::Path, what: &str) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::invalid(format!("{what} must not contain a NUL byte")))
}

pub(crate) fn opt_cstring(s: &Option<String>, what: &str) -> Result<Option<CString>> {
    s.as_deref().map(|s| cstring(s, what)).transpose()
}

pub(crate) fn opt_ptr(c: &Option<CString>) -> *const c_char {
    c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The C convention for durations: None = libe2b's default (0), Some(ZERO) = no limit (-1, as
/// the SDKs' `timeoutMs: 0`), else milliseconds (at least 1).
pub(crate) fn timeout_ms(t: Option<Duration>) -> i64 {
    match t {
        None => 0,
        Some(d) if d.is_zero() => -1,
        Some(d) => (d.as_millis().min(i64::MAX as u128) as i64).max(1),
    }
}

/// Callback state whose address is a libe2b payload. One strong count belongs to the C side and
/// is released exactly once: by the terminal callback, or after the handle's free when that
/// callback never ran (free guarantees no callback runs after it returns). Trampolines take
/// their own count while they run, so the state outlives a handle dropped inside its callback.
pub(crate) struct Shared<T> {
    c_released: std::sync::atomic::AtomicBool,
    pub(crate) value: T,
}

impl<T> Shared<T> {
    /// The state and the payload pointer carrying the C side's count.
    pub(crate) fn new(value: T) -> (std::sync::Arc<Shared<T>>, *mut std::ffi::c_void) {
        let a = std::sync::Arc::new(Shared { c_released: std::sync::atomic::AtomicBool::new(false), value });
        let p = std::sync::Arc::into_raw(a.clone()) as *mut std::ffi::c_void;
        (a, p)
    }

    /// A counted reference from a payload the C side still holds.
    pub(crate) unsafe fn borrow(payload: *mut std::ffi::c_void) -> std::sync::Arc<Shared<T>> {
        let p = payload as *const Shared<T>;
        std::sync::Arc::increment_strong_count(p);
        std::sync::Arc::from_raw(p)
    }

    /// Drops the C side's count unless already done. `this` must be the state behind payload.
    pub(crate) unsafe fn release_c(this: &std::sync::Arc<Shared<T>>) {
        if !this.c_released.swap(true, std::sync::atomic::Ordering::AcqRel) {
            drop(std::sync::Arc::from_raw(std::sync::Arc::as_ptr(this)));
        }
    }
}

/// Runs a user closure at the FFI edge: a panic must not unwind into C, so it is caught and
/// handed back.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> std::result::Result<R, Box<dyn std::any::Any + Send>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

thread_local! {
    static IN_CALLBACK: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as running a libe2b callback for the guard's lifetime.
pub(crate) struct CallbackScope;
impl CallbackScope {
    pub(crate) fn enter() -> CallbackScope {
        IN_CALLBACK.with(|c| c.set(c.get() + 1));
        CallbackScope
    }
}
impl Drop for CallbackScope {
    fn drop(&mut self) {
        IN_CALLBACK.with(|c| c.set(c.get() - 1));
    }
}

/// True while a libe2b callback runs on this thread (where blocking libe2b calls and
/// e2b_client_free are not allowed).
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get() > 0)
}
