//! Cancelling blocking calls from another thread (Go contexts, AbortSignal, dropped futures).
use std::cell::RefCell;
use std::sync::Arc;

use e2b_sys as sys;

use crate::error::Result;
use crate::{api, check};

struct Token {
    api: &'static sys::Api,
    raw: *mut sys::e2b_cancel,
}

// SAFETY: every e2b_cancel function is "Thread: any" (bind governs the calling thread only).
unsafe impl Send for Token {}
unsafe impl Sync for Token {}

impl Drop for Token {
    fn drop(&mut self) {
        // A thread still bound to it keeps the C token alive until it unbinds.
        unsafe { (self.api.e2b_cancel_free)(self.raw) }
    }
}

thread_local! {
    /// The token bound to this thread by `CancelToken::scope` (libe2b does not report it).
    static BOUND: RefCell<Option<Arc<Token>>> = const { RefCell::new(None) };
}

/// Makes the blocking calls made inside [`CancelToken::scope`] cancellable from any thread:
/// after [`cancel`](Self::cancel) they return [`ErrorKind::Canceled`](crate::ErrorKind)
/// promptly (requests in flight are aborted, streams started in the scope end as after a
/// disconnect, later requests fail at once; waiting for a pooled sandbox is not cut short).
/// A token is never reset: make one per operation. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct CancelToken {
    inner: Arc<Token>,
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken").field("cancelled", &self.is_cancelled()).finish()
    }
}

/// Restores the previous binding of the thread, also when the scope unwinds.
struct Rebind {
    api: &'static sys::Api,
    prev: Option<Arc<Token>>,
}

impl Drop for Rebind {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let raw = prev.as_ref().map_or(std::ptr::null_mut(), |t| t.raw);
        unsafe { (self.api.e2b_cancel_bind)(raw) };
        // Ours is dropped only after the thread no longer refers to it.
        let mine = BOUND.with(|b| std::mem::replace(&mut *b.borrow_mut(), prev));
        drop(mine);
    }
}

impl CancelToken {
    pub fn new() -> Result<CancelToken> {
        let api = api()?;
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_cancel_new)(&mut raw) })?;
        Ok(CancelToken { inner: Arc::new(Token { api, raw }) })
    }

    /// Cancels (idempotent). Any thread, also from libe2b callbacks; non-blocking.
    pub fn cancel(&self) {
        unsafe { (self.inner.api.e2b_cancel_trigger)(self.inner.raw) }
    }

    pub fn is_cancelled(&self) -> bool {
        unsafe { (self.inner.api.e2b_cancel_is_triggered)(self.inner.raw) == 1 }
    }

    /// Runs `f` on this thread with the token bound: its libe2b calls obey [`cancel`](Self::cancel).
    /// Scopes nest; the previous binding is restored when `f` returns or panics.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let prev = BOUND.with(|b| b.borrow_mut().replace(self.inner.clone()));
        let _restore = Rebind { api: self.inner.api, prev };
        unsafe { (self.inner.api.e2b_cancel_bind)(self.inner.raw) };
        f()
    }
}
