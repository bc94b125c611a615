//! HTTP requests and WebSockets to a port of the sandbox (a server started in it), routed as
//! the SDKs route envd traffic (the sandbox URL with E2b-Sandbox-Id/-Port headers, else
//! `https://<port>-<id>.<domain>`), with the sandbox's traffic access token when it has one.
use std::ffi::{c_void, CString};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2b_sys as sys;

use crate::client::Sandbox;
use crate::commands::lock;
use crate::error::{Error, Result};
use crate::{catch, check, cstring, opt_cstring, opt_ptr, timeout_ms, CStrList, CallbackScope, Shared};

/// An HTTP request to a sandbox port: `PortRequest::get("/health")`,
/// `PortRequest::new("POST", "/items").header("Content-Type", "application/json").body(json)`.
#[derive(Debug, Clone)]
pub struct PortRequest {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Option<Duration>,
}

impl PortRequest {
    /// `path` starts with '/' and may carry the query.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> PortRequest {
        PortRequest { method: method.into(), path: path.into(), headers: Vec::new(), body: Vec::new(), timeout: None }
    }
    pub fn get(path: impl Into<String>) -> PortRequest {
        PortRequest::new("GET", path)
    }
    pub fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> PortRequest {
        PortRequest::new("POST", path).body(body)
    }
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
    /// The whole request (default: the client's request timeout); `Duration::ZERO` = none.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }
}

/// A response from the server on the port (any HTTP status). Owns libe2b's buffers.
pub struct PortResponse {
    raw: sys::e2b_port_response,
    api: &'static sys::Api,
}

// SAFETY: plain owned buffers; e2b_port_response_header only reads them ("Thread: any").
unsafe impl Send for PortResponse {}
unsafe impl Sync for PortResponse {}

impl std::fmt::Debug for PortResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortResponse").field("status", &self.raw.status).field("body_len", &self.raw.body.size).finish()
    }
}

fn buf_bytes(b: &sys::e2b_buf) -> &[u8] {
    if b.ptr.is_null() {
        &[]
    } else {
        // SAFETY: a filled buffer owns `size` bytes at ptr until disposed.
        unsafe { std::slice::from_raw_parts(b.ptr as *const u8, b.size) }
    }
}

impl PortResponse {
    pub fn status(&self) -> u16 {
        self.raw.status as u16
    }
    pub fn body(&self) -> &[u8] {
        buf_bytes(&self.raw.body)
    }
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body()).into_owned()
    }
    /// The first value of header `name` (case-insensitive), None when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let n = CString::new(name).ok()?;
        let mut v = sys::e2b_buf::default();
        // SAFETY: raw is a filled response; v is disposed by take_buf_string.
        let rc = unsafe { (self.api.e2b_port_response_header)(&self.raw, n.as_ptr(), &mut v) };
        (rc == 1).then(|| crate::files::take_buf_string(self.api, v))
    }
    /// Every header line as received (case and repeats kept).
    pub fn headers(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(buf_bytes(&self.raw.headers))
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim_start().to_string()))
            .collect()
    }
}

impl Drop for PortResponse {
    fn drop(&mut self) {
        unsafe { (self.api.e2b_port_response_dispose)(&mut self.raw) }
    }
}

fn header_list(headers: &[(String, String)]) -> Result<CStrList> {
    let lines: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    CStrList::items(&lines, "header")
}

impl Sandbox {
    /// Sends `req` to `port` of the sandbox. Any HTTP status is Ok (read
    /// [`PortResponse::status`]); Network when nothing listens on the port (HTTP 502 from the
    /// proxy), SandboxNotFound when the sandbox is gone. Never retried. Blocking.
    pub fn port_request(&self, port: u16, req: &PortRequest) -> Result<PortResponse> {
        let api = self.api();
        let method = cstring(&req.method, "method")?;
        let path = cstring(&req.path, "path")?;
        let headers = header_list(&req.headers)?;
        let o = sys::e2b_port_request_opts {
            version: sys::E2B_PORT_REQUEST_OPTS_VERSION,
            headers: headers.as_ptr(),
            body: req.body.as_ptr() as *const c_void,
            body_len: req.body.len(),
            timeout_ms: timeout_ms(req.timeout),
        };
        let mut raw = sys::e2b_port_response::default();
        check(api, unsafe {
            (api.e2b_port_request)(&mut raw, self.inner.raw, port, method.as_ptr(), path.as_ptr(), &o)
        })?;
        Ok(PortResponse { raw, api })
    }

    /// Opens a WebSocket to `port` at `path` and returns once the handshake completed. The
    /// handlers run as the client's other callbacks (service thread, or `Client::dispatch`).
    pub fn websocket(&self, port: u16, path: &str, opts: &WsOptions, handlers: WsHandlers) -> Result<WebSocket> {
        let api = self.api();
        let p = cstring(path, "path")?;
        let headers = header_list(&opts.headers)?;
        let sub = opt_cstring(&opts.subprotocol, "subprotocol")?;
        let o = sys::e2b_ws_opts {
            version: sys::E2B_WS_OPTS_VERSION,
            headers: headers.as_ptr(),
            subprotocol: opt_ptr(&sub),
            max_message_size: opts.max_message_size,
            connect_timeout_ms: timeout_ms(opts.connect_timeout),
        };
        let (state, payload) = Shared::new(WsState {
            on_message: Mutex::new(handlers.on_message),
            on_close: Mutex::new(handlers.on_close),
        });
        // on_close is always registered: it releases the closures when the connection ends.
        let cbs = sys::e2b_ws_callbacks {
            version: sys::E2B_WS_CALLBACKS_VERSION,
            on_message: Some(ws_message_tramp),
            on_close: Some(ws_close_tramp),
            payload,
        };
        let mut raw = std::ptr::null_mut();
        let rc = unsafe { (api.e2b_ws_connect)(&mut raw, self.inner.raw, port, p.as_ptr(), &o, &cbs) };
        if rc < 0 {
            let e = Error::last(api, rc);
            // SAFETY: on failure no callback ever runs.
            unsafe { Shared::release_c(&state) };
            return Err(e);
        }
        Ok(WebSocket { raw, state, sandbox: self.clone() })
    }
}

/// Options of [`Sandbox::websocket`].
#[derive(Debug, Clone, Default)]
pub struct WsOptions {
    /// Extra handshake headers.
    pub headers: Vec<(String, String)>,
    /// Sec-WebSocket-Protocol.
    pub subprotocol: Option<String>,
    /// Largest incoming message; 0 = 16 MiB. Larger: the connection closes (1009, Protocol).
    pub max_message_size: u64,
    /// Handshake; None = the client's request timeout, `Duration::ZERO` = none.
    pub connect_timeout: Option<Duration>,
}

/// A whole WebSocket message (fragments are reassembled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (invalid UTF-8 from the peer is replaced).
    Text(String),
    Binary(Vec<u8>),
}

type MessageFn = Box<dyn FnMut(Message) + Send>;
type CloseFn = Box<dyn FnOnce(i32, Option<Error>) + Send>;

/// Callbacks of a WebSocket. A panic in one is caught at the FFI edge and stops deliveries to
/// that closure (reported to the panic hook only).
#[derive(Default)]
pub struct WsHandlers {
    on_message: Option<MessageFn>,
    on_close: Option<CloseFn>,
}

impl WsHandlers {
    pub fn new() -> WsHandlers {
        WsHandlers::default()
    }
    pub fn on_message<F: FnMut(Message) + Send + 'static>(mut self, f: F) -> Self {
        self.on_message = Some(Box::new(f));
        self
    }
    /// Once, last: the close code (the peer's, 1005 if it gave none; ours when we closed; 1006
    /// when lost) and None after a close handshake, else the failure (Network: lost without a
    /// close frame; Protocol: a message above `max_message_size`).
    pub fn on_close<F: FnOnce(i32, Option<Error>) + Send + 'static>(mut self, f: F) -> Self {
        self.on_close = Some(Box::new(f));
        self
    }
}

struct WsState {
    on_message: Mutex<Option<MessageFn>>,
    on_close: Mutex<Option<CloseFn>>,
}

unsafe extern "C" fn ws_message_tramp(data: *const c_void, len: usize, flags: u32, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    let st = Shared::<WsState>::borrow(payload);
    let bytes: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(data as *const u8, len) };
    let msg = if flags & sys::E2B_WS_TEXT != 0 {
        Message::Text(String::from_utf8_lossy(bytes).into_owned())
    } else {
        Message::Binary(bytes.to_vec())
    };
    let mut g = lock(&st.value.on_message);
    if let Some(f) = g.as_mut() {
        if catch(|| f(msg)).is_err() {
            *g = None;
        }
    }
}

unsafe extern "C" fn ws_close_tramp(code: i32, err: *const sys::e2b_error, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    let st = Shared::<WsState>::borrow(payload);
    let err = Error::from_raw(err);
    let m = lock(&st.value.on_message).take();
    let f = lock(&st.value.on_close).take();
    let _ = catch(move || {
        drop(m);
        if let Some(f) = f {
            f(code, err)
        }
    });
    // Terminal: libe2b never uses the payload again.
    Shared::release_c(&st);
}

/// An open WebSocket. `Send + Sync`: the e2b_ws functions are "Thread: any", sends and close
/// also from inside callbacks. Dropping it drops the connection (no close frame) unless it
/// already ended; the closures are freed once libe2b guarantees no further call.
pub struct WebSocket {
    raw: *mut sys::e2b_ws,
    state: Arc<Shared<WsState>>,
    sandbox: Sandbox,
}

// SAFETY: see the type's doc; the closures are Send and behind mutexes.
unsafe impl Send for WebSocket {}
unsafe impl Sync for WebSocket {}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

impl WebSocket {
    fn send_raw(&self, data: &[u8], flags: u32) -> Result<()> {
        let api = self.sandbox.api();
        check(api, unsafe { (api.e2b_ws_send)(self.raw, data.as_ptr() as *const c_void, data.len(), flags) })?;
        Ok(())
    }
    /// Queues a text message (copied) and returns; messages go out in order. Misuse once
    /// closing or closed.
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.send_raw(text.as_bytes(), sys::E2B_WS_TEXT)
    }
    pub fn send_binary(&self, data: impl AsRef<[u8]>) -> Result<()> {
        self.send_raw(data.as_ref(), sys::E2B_WS_BINARY)
    }
    pub fn send(&self, msg: &Message) -> Result<()> {
        match msg {
            Message::Text(t) => self.send_text(t),
            Message::Binary(b) => self.send_binary(b),
        }
    }
    /// Starts the closing handshake after the queued messages (`code` 1000..=4999, not
    /// 1004-1006/1015; `reason` cut to 123 bytes); on_close follows once the peer answered.
    pub fn close(&self, code: u16, reason: &str) -> Result<()> {
        let api = self.sandbox.api();
        let r = cstring(reason, "reason")?;
        check(api, unsafe { (api.e2b_ws_close)(self.raw, code, r.as_ptr()) })?;
        Ok(())
    }
    /// Bytes queued by send not yet handed to the socket.
    pub fn buffered_amount(&self) -> u64 {
        unsafe { (self.sandbox.api().e2b_ws_buffered_amount)(self.raw) }
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        // SAFETY: after e2b_ws_free returns no callback of this handle runs (from inside one,
        // none after it); if on_close never ran, the C side's count is ours to drop.
        unsafe {
            (self.sandbox.api().e2b_ws_free)(self.raw);
            Shared::release_c(&self.state);
        }
    }
}
