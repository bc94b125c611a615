use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use e2b_sys as sys;

use crate::error::{cstr_lossy, Result};
use crate::{api, check, cstring, opt_cstring, opt_ptr, timeout_ms, CStrList};

/// Where callbacks (command output, watch events) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// On the client's service thread (default). Closures must not block it for long.
    #[default]
    ServiceThread,
    /// Queued; they run only inside [`Client::dispatch`] on the caller's thread (event loops).
    Queued,
}

/// Builds a [`Client`]. Unset fields take defaults, read from the `E2B_*` environment variables
/// as the official SDKs do unless [`ClientBuilder::no_env`] is set.
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    api_key: Option<String>,
    domain: Option<String>,
    api_url: Option<String>,
    sandbox_url: Option<String>,
    request_timeout: Option<Duration>,
    proxy: Option<String>,
    user_agent: Option<String>,
    max_attempts: u32,
    no_env: bool,
    delivery: Delivery,
}

impl ClientBuilder {
    pub fn api_key(mut self, v: impl Into<String>) -> Self {
        self.api_key = Some(v.into());
        self
    }
    pub fn domain(mut self, v: impl Into<String>) -> Self {
        self.domain = Some(v.into());
        self
    }
    pub fn api_url(mut self, v: impl Into<String>) -> Self {
        self.api_url = Some(v.into());
        self
    }
    pub fn sandbox_url(mut self, v: impl Into<String>) -> Self {
        self.sandbox_url = Some(v.into());
        self
    }
    /// Per HTTP request (default 60 s); `Duration::ZERO` = no limit.
    pub fn request_timeout(mut self, v: Duration) -> Self {
        self.request_timeout = Some(v);
        self
    }
    /// `""` disables proxies; unset = libcurl's environment handling.
    pub fn proxy(mut self, v: impl Into<String>) -> Self {
        self.proxy = Some(v.into());
        self
    }
    pub fn user_agent(mut self, v: impl Into<String>) -> Self {
        self.user_agent = Some(v.into());
        self
    }
    /// Attempts of safe requests on 429/502/503/reset (default 3).
    pub fn max_attempts(mut self, v: u32) -> Self {
        self.max_attempts = v;
        self
    }
    /// Do not read `E2B_*` environment variables for defaults.
    pub fn no_env(mut self) -> Self {
        self.no_env = true;
        self
    }
    pub fn delivery(mut self, v: Delivery) -> Self {
        self.delivery = v;
        self
    }

    pub fn build(self) -> Result<Client> {
        let api = api()?;
        let key = opt_cstring(&self.api_key, "api_key")?;
        let domain = opt_cstring(&self.domain, "domain")?;
        let api_url = opt_cstring(&self.api_url, "api_url")?;
        let sandbox_url = opt_cstring(&self.sandbox_url, "sandbox_url")?;
        let proxy = opt_cstring(&self.proxy, "proxy")?;
        let ua = opt_cstring(&self.user_agent, "user_agent")?;
        let opts = sys::e2b_client_opts {
            version: sys::E2B_CLIENT_OPTS_VERSION,
            api_key: opt_ptr(&key),
            domain: opt_ptr(&domain),
            api_url: opt_ptr(&api_url),
            sandbox_url: opt_ptr(&sandbox_url),
            request_timeout_ms: timeout_ms(self.request_timeout),
            proxy: opt_ptr(&proxy),
            user_agent: opt_ptr(&ua),
            max_attempts: self.max_attempts,
            flags: if self.no_env { sys::E2B_CLIENT_F_NO_ENV } else { 0 },
            delivery: match self.delivery {
                Delivery::ServiceThread => sys::E2B_DELIVERY_SERVICE_THREAD,
                Delivery::Queued => sys::E2B_DELIVERY_QUEUED,
            },
        };
        let mut raw = std::ptr::null_mut();
        // SAFETY: opts and its strings outlive the call (they are copied by libe2b).
        check(api, unsafe { (api.e2b_client_new)(&mut raw, &opts) })?;
        Ok(Client { inner: Arc::new(ClientInner { api, raw, delivery: self.delivery }) })
    }
}

pub(crate) struct ClientInner {
    pub(crate) api: &'static sys::Api,
    pub(crate) raw: *mut sys::e2b_client,
    delivery: Delivery,
}

struct SendPtr(*mut sys::e2b_client);
// SAFETY: only moved to a thread that frees it; see ClientInner's Drop.
unsafe impl Send for SendPtr {}

impl Drop for ClientInner {
    fn drop(&mut self) {
        let (free, raw) = (self.api.e2b_client_free, self.raw);
        if crate::in_callback() {
            // The last reference went away inside a callback (a closure owned it): freeing joins
            // the service thread we are on, which libe2b forbids, so free it from another thread.
            let p = SendPtr(raw);
            std::thread::spawn(move || {
                let p = p;
                unsafe { free(p.0) }
            });
        } else {
            // SAFETY: every sandbox holds an Arc of this, so all were freed before.
            unsafe { free(raw) }
        }
    }
}

// SAFETY: every libe2b client function is documented "Thread: any"; the client's state is
// owned by its service thread and reached through libe2b's locked queue.
unsafe impl Send for ClientInner {}
unsafe impl Sync for ClientInner {}

/// A connection to the E2B API (one libe2b client: one service thread). Cheap to clone;
/// `Send + Sync`. The native client is freed when the last clone and the last [`Sandbox`]
/// made with it are dropped.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// All defaults, from the environment (`E2B_API_KEY`, `E2B_DOMAIN`, `E2B_API_URL`, ...).
    pub fn new() -> Result<Client> {
        ClientBuilder::default().build()
    }
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn delivery(&self) -> Delivery {
        self.inner.delivery
    }

    /// With [`Delivery::Queued`]: runs up to `max_events` queued callbacks (0 = all) on this
    /// thread and returns how many ran. Never blocks. Not from inside a callback.
    pub fn dispatch(&self, max_events: usize) -> Result<usize> {
        let api = self.inner.api;
        let n = max_events.min(i32::MAX as usize) as i32;
        let rc = check(api, unsafe { (api.e2b_client_dispatch)(self.inner.raw, n) })?;
        Ok(rc as usize)
    }

    /// With [`Delivery::Queued`]: a descriptor readable while callbacks are queued (poll it,
    /// then [`Client::dispatch`]). Owned by the client. None in service-thread mode.
    pub fn wake_fd(&self) -> Option<std::os::fd::RawFd> {
        let fd = unsafe { (self.inner.api.e2b_client_wake_fd)(self.inner.raw) };
        (fd >= 0).then_some(fd)
    }
}

/// Options of [`Sandbox::create`]. `Default` gives the SDKs' defaults.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// None = "base".
    pub template: Option<String>,
    /// Lifetime; None = 300 s (rounded up to seconds).
    pub timeout: Option<Duration>,
    pub metadata: HashMap<String, String>,
    /// Sandbox-wide environment variables.
    pub envs: HashMap<String, String>,
    /// false = no envd access token (SDK: secure=false).
    pub secure: bool,
    pub allow_internet_access: bool,
    /// Pause instead of kill at the end of the lifetime.
    pub auto_pause: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            template: None,
            timeout: None,
            metadata: HashMap::new(),
            envs: HashMap::new(),
            secure: true,
            allow_internet_access: true,
            auto_pause: false,
        }
    }
}

pub(crate) struct SandboxInner {
    pub(crate) raw: *mut sys::e2b_sandbox,
    pub(crate) client: Client,
    id: String,
    envd_version: String,
}

impl Drop for SandboxInner {
    fn drop(&mut self) {
        // SAFETY: command, PTY and watch handles hold an Arc of this, so they were freed first.
        unsafe { (self.client.inner.api.e2b_sandbox_free)(self.raw) }
    }
}

// SAFETY: the sandbox handle is immutable after creation and every function on it is
// documented "Thread: any" (blocking ones fail with E2B_EMISUSE inside callbacks instead).
unsafe impl Send for SandboxInner {}
unsafe impl Sync for SandboxInner {}

/// The local view of one remote sandbox. Cheap to clone; `Send + Sync`. Dropping the last
/// clone releases the local handle only; it never kills the sandbox (use [`Sandbox::kill`]).
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<SandboxInner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("id", &self.inner.id).finish()
    }
}

impl Sandbox {
    fn wrap(client: &Client, raw: *mut sys::e2b_sandbox) -> Sandbox {
        let api = client.inner.api;
        // SAFETY: borrowed strings valid while the handle lives; copied.
        let (id, envd_version) =
            unsafe { (cstr_lossy((api.e2b_sandbox_id)(raw)), cstr_lossy((api.e2b_sandbox_envd_version)(raw))) };
        Sandbox { inner: Arc::new(SandboxInner { raw, client: client.clone(), id, envd_version }) }
    }

    pub(crate) fn api(&self) -> &'static sys::Api {
        self.inner.client.inner.api
    }

    /// Creates a sandbox (POST /sandboxes). Blocking.
    pub fn create(client: &Client, opts: &SandboxOptions) -> Result<Sandbox> {
        let api = client.inner.api;
        let template = opt_cstring(&opts.template, "template")?;
        let metadata = CStrList::pairs(&opts.metadata, "metadata")?;
        let envs = CStrList::pairs(&opts.envs, "envs")?;
        let mut flags = 0;
        if !opts.secure {
            flags |= sys::E2B_SANDBOX_F_INSECURE;
        }
        if !opts.allow_internet_access {
            flags |= sys::E2B_SANDBOX_F_NO_INTERNET;
        }
        if opts.auto_pause {
            flags |= sys::E2B_SANDBOX_F_AUTO_PAUSE;
        }
        let o = sys::e2b_sandbox_opts {
            version: sys::E2B_SANDBOX_OPTS_VERSION,
            template_id: opt_ptr(&template),
            timeout_ms: match opts.timeout {
                Some(d) if !d.is_zero() => d.as_millis().min(i64::MAX as u128) as i64,
                _ => 0,
            },
            metadata: metadata.as_ptr(),
            envs: envs.as_ptr(),
            flags,
        };
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_sandbox_create)(&mut raw, client.inner.raw, &o) })?;
        Ok(Sandbox::wrap(client, raw))
    }

    /// Connects to an existing sandbox, resuming it if paused; its lifetime is extended to at
    /// least `timeout` (None = 300 s). [`ErrorKind::SandboxNotFound`](crate::ErrorKind) if unknown.
    pub fn connect(client: &Client, sandbox_id: &str, timeout: Option<Duration>) -> Result<Sandbox> {
        let api = client.inner.api;
        let id = cstring(sandbox_id, "sandbox_id")?;
        let t = timeout.map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64);
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_sandbox_connect)(&mut raw, client.inner.raw, id.as_ptr(), t) })?;
        Ok(Sandbox::wrap(client, raw))
    }

    /// Details of a sandbox by id (GET /sandboxes/{id}).
    pub fn get_info_by_id(client: &Client, sandbox_id: &str) -> Result<SandboxInfo> {
        let api = client.inner.api;
        let id = cstring(sandbox_id, "sandbox_id")?;
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_sandbox_get_info)(&mut raw, client.inner.raw, id.as_ptr()) })?;
        // SAFETY: raw is a valid info until freed just below.
        let info = unsafe { SandboxInfo::from_raw(&*raw) };
        unsafe { (api.e2b_sandbox_info_free)(raw) };
        Ok(info)
    }

    /// One page of sandboxes (GET /v2/sandboxes) and the token of the next, if any.
    pub fn list_page(client: &Client, opts: &ListOptions) -> Result<(Vec<SandboxInfo>, Option<String>)> {
        let api = client.inner.api;
        let metadata = CStrList::pairs(&opts.metadata, "metadata")?;
        let token = opt_cstring(&opts.next_token, "next_token")?;
        let mut states = 0;
        for s in &opts.states {
            states |= match s {
                SandboxState::Running => sys::E2B_LIST_RUNNING,
                SandboxState::Paused => sys::E2B_LIST_PAUSED,
            };
        }
        let o = sys::e2b_list_opts {
            version: sys::E2B_LIST_OPTS_VERSION,
            states,
            metadata: metadata.as_ptr(),
            limit: opts.limit,
            next_token: opt_ptr(&token),
        };
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_sandbox_list_page)(&mut raw, client.inner.raw, &o) })?;
        // SAFETY: items and the token are borrowed from the list until it is freed below.
        unsafe {
            let n = (api.e2b_sandbox_list_count)(raw);
            let items = (0..n).map(|i| SandboxInfo::from_raw(&*(api.e2b_sandbox_list_at)(raw, i))).collect();
            let next = crate::error::cstr_opt((api.e2b_sandbox_list_next_token)(raw)).filter(|t| !t.is_empty());
            (api.e2b_sandbox_list_free)(raw);
            Ok((items, next))
        }
    }

    /// A paginator over the sandboxes matching `opts` (as the SDKs' `Sandbox.list`).
    pub fn list(client: &Client, opts: ListOptions) -> SandboxPaginator {
        SandboxPaginator { client: client.clone(), has_next: true, opts }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }
    pub fn envd_version(&self) -> &str {
        &self.inner.envd_version
    }
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Kills the sandbox: Ok(true), or Ok(false) when it no longer existed (as the SDKs).
    pub fn kill(&self) -> Result<bool> {
        let api = self.api();
        match check(api, unsafe { (api.e2b_sandbox_kill)(self.inner.raw) }) {
            Ok(_) => Ok(true),
            Err(e) if e.code() == sys::E2B_ESANDBOX_NOT_FOUND => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets the remaining lifetime from now (may shorten it).
    pub fn set_timeout(&self, timeout: Duration) -> Result<()> {
        let api = self.api();
        let ms = timeout.as_millis().min(i64::MAX as u128) as i64;
        check(api, unsafe { (api.e2b_sandbox_set_timeout)(self.inner.raw, ms) })?;
        Ok(())
    }

    /// Pauses it keeping memory: Ok(true) if it paused, Ok(false) if it was already paused.
    pub fn pause(&self) -> Result<bool> {
        let api = self.api();
        Ok(check(api, unsafe { (api.e2b_sandbox_pause)(self.inner.raw) })? == 1)
    }

    /// Whether its envd answers /health.
    pub fn is_running(&self) -> Result<bool> {
        let api = self.api();
        Ok(check(api, unsafe { (api.e2b_sandbox_is_running)(self.inner.raw) })? == 1)
    }

    pub fn get_info(&self) -> Result<SandboxInfo> {
        Sandbox::get_info_by_id(&self.inner.client, &self.inner.id)
    }

    /// "<port>-<id>.<domain>", as the SDKs' getHost.
    pub fn get_host(&self, port: u16) -> Result<String> {
        let api = self.api();
        let mut buf = sys::e2b_buf::default();
        check(api, unsafe { (api.e2b_sandbox_get_host)(&mut buf, self.inner.raw, port) })?;
        Ok(crate::files::take_buf_string(api, buf))
    }

    pub fn commands(&self) -> crate::Commands<'_> {
        crate::Commands::new(self)
    }
    pub fn pty(&self) -> crate::Pty<'_> {
        crate::Pty::new(self)
    }
    pub fn files(&self) -> crate::Files<'_> {
        crate::Files::new(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxState {
    Running,
    Paused,
}

/// Filters of [`Sandbox::list`].
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Empty = both states.
    pub states: Vec<SandboxState>,
    /// All must match.
    pub metadata: HashMap<String, String>,
    /// Page size 1..=100; 0 = 100.
    pub limit: u32,
    /// None = the first page.
    pub next_token: Option<String>,
}

/// Pages of [`Sandbox::list`]: `has_next` / `next_items`, or iterate (one item per page).
#[derive(Debug)]
pub struct SandboxPaginator {
    client: Client,
    has_next: bool,
    opts: ListOptions,
}

impl SandboxPaginator {
    pub fn has_next(&self) -> bool {
        self.has_next
    }
    /// The token of the next page (None before the first call or after the last page).
    pub fn next_token(&self) -> Option<&str> {
        self.opts.next_token.as_deref()
    }
    /// The next page. After the last page: an empty Vec.
    pub fn next_items(&mut self) -> Result<Vec<SandboxInfo>> {
        if !self.has_next {
            return Ok(Vec::new());
        }
        let (items, next) = Sandbox::list_page(&self.client, &self.opts)?;
        self.has_next = next.is_some();
        self.opts.next_token = next;
        Ok(items)
    }
}

impl Iterator for SandboxPaginator {
    type Item = Result<Vec<SandboxInfo>>;
    fn next(&mut self) -> Option<Self::Item> {
        if !self.has_next {
            return None;
        }
        let r = self.next_items();
        if r.is_err() {
            self.has_next = false; // an error ends the iteration rather than repeating it
        }
        Some(r)
    }
}

/// Sandbox details (owned copy of `e2b_sandbox_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxInfo {
    pub sandbox_id: String,
    pub template_id: String,
    /// May be empty.
    pub alias: String,
    /// "running" | "paused".
    pub state: String,
    pub envd_version: String,
    pub started_at: SystemTime,
    pub end_at: SystemTime,
    pub cpu_count: i32,
    pub memory_mb: i32,
    pub disk_size_mb: i32,
    pub metadata: HashMap<String, String>,
}

fn unix_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

impl SandboxInfo {
    unsafe fn from_raw(i: &sys::e2b_sandbox_info) -> SandboxInfo {
        let mut metadata = HashMap::new();
        for k in 0..i.metadata_count {
            metadata.insert(cstr_lossy(*i.metadata_keys.add(k)), cstr_lossy(*i.metadata_values.add(k)));
        }
        SandboxInfo {
            sandbox_id: cstr_lossy(i.sandbox_id),
            template_id: cstr_lossy(i.template_id),
            alias: cstr_lossy(i.alias),
            state: cstr_lossy(i.state),
            envd_version: cstr_lossy(i.envd_version),
            started_at: unix_ms(i.started_at_ms),
            end_at: unix_ms(i.end_at_ms),
            cpu_count: i.cpu_count,
            memory_mb: i.memory_mb,
            disk_size_mb: i.disk_size_mb,
            metadata,
        }
    }
}

