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

mod client;
mod commands;
mod error;
mod files;

pub use client::{
    Client, ClientBuilder, Delivery, ListOptions, Sandbox, SandboxInfo, SandboxOptions,
    SandboxPaginator, SandboxState,
};
pub use commands::{
    CommandHandle, CommandOptions, CommandOutput, Commands, Flow, Handlers, ProcessInfo, Pty,
    PtyHandle, PtyOptions,
};
pub use error::{Error, ErrorKind, Result};
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
        let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        Ok(CStrList { _owned: owned, ptrs })
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
