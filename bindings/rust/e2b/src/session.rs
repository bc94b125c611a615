//! Sessions: a sandbox kept between requests and addressed by its id (persist
//! [`Session::id`], resume it later from any process), optionally auto-paused when idle.
use std::ffi::c_int;
use std::time::Duration;

use e2b_sys as sys;

use crate::client::{not_found_is_false, Client, RawSandboxOpts, Sandbox, SandboxOptions};
use crate::error::{Error, Result};
use crate::{check, cstring};

/// Options of [`Session::start`] and [`Session::resume`].
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// start: the sandbox's options (its timeout is replaced by `idle_pause` when set).
    pub sandbox: SandboxOptions,
    /// Some: the sandbox pauses after this long without [`Session::touch`] (E2B's auto-pause,
    /// even when this process is gone). On resume it restarts the idle period (only for a
    /// session started with one).
    pub idle_pause: Option<Duration>,
    /// resume of a session without idle period: the lifetime from now (None = 300 s).
    pub timeout: Option<Duration>,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Running.
    Active,
    /// Paused; [`Session::resume`] continues it.
    Paused,
    /// Killed or expired: gone for good.
    Ended,
}

/// A session handle. Its [`sandbox`](Self::sandbox) is usable for commands, files, code,
/// artifacts and workspace sync. Dropping it (and every clone of that sandbox) releases the
/// local handle only; it never pauses or kills.
#[derive(Debug, Clone)]
pub struct Session {
    sandbox: Sandbox,
}

fn ms(d: Option<Duration>) -> i64 {
    d.map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

impl Session {
    fn open(
        client: &Client,
        opts: &SessionOptions,
        f: impl FnOnce(*mut *mut sys::e2b_session, &sys::e2b_session_opts) -> c_int,
    ) -> Result<Session> {
        let api = client.inner.api;
        let so = RawSandboxOpts::new(&opts.sandbox)?;
        let o = sys::e2b_session_opts {
            version: sys::E2B_SESSION_OPTS_VERSION,
            sandbox: &so.raw,
            idle_pause_ms: ms(opts.idle_pause),
            timeout_ms: ms(opts.timeout),
        };
        let mut raw = std::ptr::null_mut();
        check(api, f(&mut raw, &o))?;
        // SAFETY: the session's sandbox handle lives as long as the session handle, which the
        // Sandbox wrapper now owns (freed in its Drop).
        let sbx = unsafe { (api.e2b_session_sandbox)(raw) };
        Ok(Session { sandbox: Sandbox::wrap(client, sbx, raw) })
    }

    /// Starts a session on a new sandbox.
    pub fn start(client: &Client, opts: &SessionOptions) -> Result<Session> {
        Session::open(client, opts, |out, o| unsafe { (client.inner.api.e2b_session_start)(out, client.inner.raw, o) })
    }

    /// Resumes session `id`: a paused sandbox is resumed, a running one attached. An ended
    /// session is SandboxNotFound, never a new sandbox.
    pub fn resume(client: &Client, id: &str, opts: &SessionOptions) -> Result<Session> {
        let c = cstring(id, "session id")?;
        Session::open(client, opts, |out, o| unsafe {
            (client.inner.api.e2b_session_resume)(out, client.inner.raw, c.as_ptr(), o)
        })
    }

    /// The state of any session id (an unknown id is Ended).
    pub fn state_of(client: &Client, id: &str) -> Result<SessionState> {
        let api = client.inner.api;
        let c = cstring(id, "session id")?;
        match check(api, unsafe { (api.e2b_session_state)(client.inner.raw, c.as_ptr()) })? {
            sys::E2B_SESSION_ACTIVE => Ok(SessionState::Active),
            sys::E2B_SESSION_PAUSED => Ok(SessionState::Paused),
            sys::E2B_SESSION_ENDED => Ok(SessionState::Ended),
            n => Err(Error::new(sys::E2B_EPROTOCOL, 0, format!("unknown session state {n}"))),
        }
    }

    /// The session's id (its sandbox id): persist it to resume later.
    pub fn id(&self) -> &str {
        self.sandbox.id()
    }
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
    pub fn state(&self) -> Result<SessionState> {
        Session::state_of(self.sandbox.client(), self.id())
    }

    fn raw(&self) -> *mut sys::e2b_session {
        self.sandbox.inner.session
    }

    /// Marks activity: the idle period starts again. No-op without one.
    pub fn touch(&self) -> Result<()> {
        let api = self.sandbox.api();
        check(api, unsafe { (api.e2b_session_touch)(self.raw()) })?;
        Ok(())
    }

    /// Pauses it (files and memory kept): Ok(true) paused, Ok(false) already paused. Continue
    /// with [`Session::resume`].
    pub fn pause(&self) -> Result<bool> {
        let api = self.sandbox.api();
        Ok(check(api, unsafe { (api.e2b_session_pause)(self.raw()) })? == 1)
    }

    /// Ends it (kills the sandbox): Ok(true), or Ok(false) when it was already gone.
    pub fn end(&self) -> Result<bool> {
        let api = self.sandbox.api();
        not_found_is_false(check(api, unsafe { (api.e2b_session_end)(self.raw()) }))
    }
}
