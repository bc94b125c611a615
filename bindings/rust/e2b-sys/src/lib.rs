//! Raw declarations of libe2b's C ABI (`include/e2b.h`), hand-written and checked against the
//! header by `tests/layout.rs` (sizes and offsets printed by a C program compiled at test time).
//!
//! All functions live in one table, [`Api`], obtained with [`api()`]:
//! - feature `dynamic` (default): `libe2b.so.0` is opened at run time, `$LIBE2B_PATH` first, then
//!   the system loader path. `e2b_abi_version()` must equal [`E2B_ABI_VERSION`]. The library is
//!   never unloaded (unloading would run its termination code under live threads).
//! - feature `link`: the symbols are linked at build time (pkg-config `e2b`); same ABI check.
//!
//! Nothing here is safe to call without reading the header's contract; use the `e2b` crate.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::marker::{PhantomData, PhantomPinned};
use std::sync::OnceLock;

/// The `E2B_ABI_VERSION` these declarations follow.
pub const E2B_ABI_VERSION: c_int = 1;

// ---- Error codes ----
pub const E2B_OK: c_int = 0;
pub const E2B_ERROR: c_int = -1;
pub const E2B_EINVAL: c_int = -2;
pub const E2B_EVERSION: c_int = -3;
pub const E2B_ENOTFOUND: c_int = -4;
pub const E2B_ETIMEOUT: c_int = -5;
pub const E2B_EAUTH: c_int = -6;
pub const E2B_ERATELIMIT: c_int = -7;
pub const E2B_ENOSPACE: c_int = -8;
pub const E2B_ECANCELED: c_int = -9;
pub const E2B_EUSER: c_int = -10;
pub const E2B_EMISUSE: c_int = -11;
pub const E2B_ESANDBOX_NOT_FOUND: c_int = -12;
pub const E2B_EFILE_NOT_FOUND: c_int = -13;
pub const E2B_ECOMMAND_EXIT: c_int = -14;
pub const E2B_ETEMPLATE: c_int = -15;
pub const E2B_ENETWORK: c_int = -16;
pub const E2B_EPROTOCOL: c_int = -17;
pub const E2B_ENOMEM: c_int = -18;
pub const E2B_EPOOL_EXHAUSTED: c_int = -19;

// ---- Flags and versions ----
pub const E2B_CLIENT_F_NO_ENV: u32 = 0x1;
pub const E2B_CLIENT_OPTS_VERSION: u32 = 3;
pub const E2B_LOG_DEBUG: i32 = 1;
pub const E2B_LOG_INFO: i32 = 2;
pub const E2B_LOG_WARN: i32 = 3;
pub const E2B_LOG_ERROR: i32 = 4;
pub const E2B_LOG_NONE: i32 = 5;
pub const E2B_DELIVERY_SERVICE_THREAD: u32 = 0;
pub const E2B_DELIVERY_QUEUED: u32 = 1;
pub const E2B_SANDBOX_F_INSECURE: u32 = 0x1;
pub const E2B_SANDBOX_F_NO_INTERNET: u32 = 0x2;
pub const E2B_SANDBOX_F_AUTO_PAUSE: u32 = 0x4;
pub const E2B_SANDBOX_OPTS_VERSION: u32 = 2;
pub const E2B_LIST_RUNNING: u32 = 0x1;
pub const E2B_LIST_PAUSED: u32 = 0x2;
pub const E2B_LIST_OPTS_VERSION: u32 = 1;
pub const E2B_EXEC_F_STDIN: u32 = 0x1;
pub const E2B_EXEC_OPTS_VERSION: u32 = 1;
pub const E2B_EXEC_CALLBACKS_VERSION: u32 = 1;
pub const E2B_FILES_OPTS_VERSION: u32 = 1;
pub const E2B_FILE_TYPE_FILE: u32 = 1;
pub const E2B_FILE_TYPE_DIR: u32 = 2;
pub const E2B_FILE_TYPE_SYMLINK: u32 = 3;
pub const E2B_WATCH_F_RECURSIVE: u32 = 0x1;
pub const E2B_FS_EVENT_CREATE: u32 = 1;
pub const E2B_FS_EVENT_WRITE: u32 = 2;
pub const E2B_FS_EVENT_REMOVE: u32 = 3;
pub const E2B_FS_EVENT_RENAME: u32 = 4;
pub const E2B_FS_EVENT_CHMOD: u32 = 5;

// ---- Opaque handles ----
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}
opaque!(
    e2b_client,
    e2b_sandbox,
    e2b_sandbox_list,
    e2b_exec,
    e2b_process_list,
    e2b_entry_list,
    e2b_watch,
    e2b_sandbox_metric_list,
    e2b_sandbox_log_list,
    e2b_ws,
    e2b_execution,
    e2b_code_exec,
    e2b_code_context_list,
    e2b_session,
    e2b_artifact_list,
    e2b_pool,
    e2b_stall_watch,
    e2b_cancel
);

// ---- Structs (field order and types exactly as in e2b.h) ----
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_error {
    pub code: i32,
    pub http_status: i32,
    pub message: *const c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_buf {
    pub ptr: *mut c_char,
    pub size: usize,
    pub reserved: usize,
}
impl Default for e2b_buf {
    fn default() -> Self {
        e2b_buf { ptr: std::ptr::null_mut(), size: 0, reserved: 0 }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_client_opts {
    pub version: u32,
    pub api_key: *const c_char,
    pub domain: *const c_char,
    pub api_url: *const c_char,
    pub sandbox_url: *const c_char,
    pub request_timeout_ms: i64,
    pub proxy: *const c_char,
    pub user_agent: *const c_char,
    pub max_attempts: u32,
    pub flags: u32,
    pub delivery: u32,
    // since version 3
    pub log_cb: Option<e2b_log_cb>,
    pub log_payload: *mut c_void,
    pub log_level: i32,
    pub log_file: *const c_char,
}

pub type e2b_log_cb = unsafe extern "C" fn(level: i32, line: *const c_char, len: usize, payload: *mut c_void);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_sandbox_opts {
    pub version: u32,
    pub template_id: *const c_char,
    pub timeout_ms: i64,
    pub metadata: *const *const c_char,
    pub envs: *const *const c_char,
    pub flags: u32,
    // since version 2
    pub profile: *const c_char,
    pub cpu_count: i32,
    pub memory_mb: i32,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_sandbox_info {
    pub version: u32,
    pub sandbox_id: *const c_char,
    pub template_id: *const c_char,
    pub alias: *const c_char,
    pub state: *const c_char,
    pub envd_version: *const c_char,
    pub started_at_ms: i64,
    pub end_at_ms: i64,
    pub cpu_count: i32,
    pub memory_mb: i32,
    pub disk_size_mb: i32,
    pub metadata_count: usize,
    pub metadata_keys: *const *const c_char,
    pub metadata_values: *const *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_list_opts {
    pub version: u32,
    pub states: u32,
    pub metadata: *const *const c_char,
    pub limit: u32,
    pub next_token: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_exec_opts {
    pub version: u32,
    pub cwd: *const c_char,
    pub envs: *const *const c_char,
    pub user: *const c_char,
    pub timeout_ms: i64,
    pub tag: *const c_char,
    pub flags: u32,
}

pub type e2b_data_cb = unsafe extern "C" fn(data: *const c_char, len: usize, payload: *mut c_void) -> c_int;
pub type e2b_exit_cb = unsafe extern "C" fn(exit_code: i32, err: *const e2b_error, payload: *mut c_void);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_exec_callbacks {
    pub version: u32,
    pub on_stdout: Option<e2b_data_cb>,
    pub on_stderr: Option<e2b_data_cb>,
    pub on_exit: Option<e2b_exit_cb>,
    pub payload: *mut c_void,
}

#[repr(C)]
#[derive(Debug, Default)]
pub struct e2b_exec_output {
    pub out: e2b_buf,
    pub err: e2b_buf,
    pub exit_code: i32,
    pub error: e2b_buf,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_process_info {
    pub version: u32,
    pub pid: u32,
    pub cmd: *const c_char,
    pub arg_count: usize,
    pub args: *const *const c_char,
    pub tag: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_files_opts {
    pub version: u32,
    pub user: *const c_char,
    pub timeout_ms: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_file_entry {
    pub path: *const c_char,
    pub data: *const c_void,
    pub len: usize,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_entry_info {
    pub version: u32,
    pub type_: u32,
    pub name: *const c_char,
    pub path: *const c_char,
    pub size: i64,
    pub mode: u32,
    pub permissions: *const c_char,
    pub owner: *const c_char,
    pub group: *const c_char,
    pub modified_time_ns: i64,
    pub symlink_target: *const c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_fs_event {
    pub version: u32,
    pub type_: u32,
    pub name: *const c_char,
}

// Sandbox metrics and platform logs (declared in the Sandboxes part of e2b.h).
pub const E2B_LOGS_F_BACKWARD: u32 = 0x1;
pub const E2B_LOGS_OPTS_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_sandbox_metric {
    pub version: u32,
    pub cpu_count: i32,
    pub timestamp_ms: i64,
    pub cpu_used_pct: f64,
    pub mem_used_bytes: i64,
    pub mem_total_bytes: i64,
    pub disk_used_bytes: i64,
    pub disk_total_bytes: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_logs_opts {
    pub version: u32,
    pub cursor_ms: i64,
    pub limit: u32,
    pub flags: u32,
    pub min_level: *const c_char,
    pub search: *const c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_sandbox_log_entry {
    pub version: u32,
    pub timestamp_ms: i64,
    pub level: *const c_char,
    pub message: *const c_char,
    pub field_count: usize,
    pub field_keys: *const *const c_char,
    pub field_values: *const *const c_char,
}

// ---- Ports: HTTP and WebSockets ----
pub const E2B_PORT_REQUEST_OPTS_VERSION: u32 = 1;
pub const E2B_WS_TEXT: u32 = 0x1;
pub const E2B_WS_BINARY: u32 = 0x2;
pub const E2B_WS_OPTS_VERSION: u32 = 1;
pub const E2B_WS_CALLBACKS_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_port_request_opts {
    pub version: u32,
    pub headers: *const *const c_char,
    pub body: *const c_void,
    pub body_len: usize,
    pub timeout_ms: i64,
}

#[repr(C)]
#[derive(Debug, Default)]
pub struct e2b_port_response {
    pub status: i32,
    pub headers: e2b_buf,
    pub body: e2b_buf,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_ws_opts {
    pub version: u32,
    pub headers: *const *const c_char,
    pub subprotocol: *const c_char,
    pub max_message_size: u64,
    pub connect_timeout_ms: i64,
}

pub type e2b_ws_message_cb = unsafe extern "C" fn(data: *const c_void, len: usize, flags: u32, payload: *mut c_void);
pub type e2b_ws_close_cb = unsafe extern "C" fn(code: i32, err: *const e2b_error, payload: *mut c_void);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_ws_callbacks {
    pub version: u32,
    pub on_message: Option<e2b_ws_message_cb>,
    pub on_close: Option<e2b_ws_close_cb>,
    pub payload: *mut c_void,
}

// ---- Code interpreter ----
pub const E2B_CODE_OPTS_VERSION: u32 = 1;
pub const E2B_CODE_CALLBACKS_VERSION: u32 = 1;
pub const E2B_CODE_STDOUT: u32 = 1;
pub const E2B_CODE_STDERR: u32 = 2;

#[repr(C)]
#[derive(Debug)]
pub struct e2b_code_result {
    pub version: u32,
    pub is_main_result: i32,
    pub text: *const c_char,
    pub html: *const c_char,
    pub markdown: *const c_char,
    pub svg: *const c_char,
    pub png: *const c_char,
    pub jpeg: *const c_char,
    pub pdf: *const c_char,
    pub latex: *const c_char,
    pub json: *const c_char,
    pub javascript: *const c_char,
    pub data: *const c_char,
    pub chart: *const c_char,
    pub extra: *const c_char,
    pub format_count: usize,
    pub formats: *const *const c_char,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_code_error {
    pub version: u32,
    pub name: *const c_char,
    pub value: *const c_char,
    pub traceback: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_code_opts {
    pub version: u32,
    pub language: *const c_char,
    pub context_id: *const c_char,
    pub envs: *const *const c_char,
    pub timeout_ms: i64,
    pub request_timeout_ms: i64,
}

pub type e2b_code_output_cb = unsafe extern "C" fn(text: *const c_char, len: usize, timestamp_us: i64, payload: *mut c_void) -> c_int;
pub type e2b_code_result_cb = unsafe extern "C" fn(result: *const e2b_code_result, payload: *mut c_void) -> c_int;
pub type e2b_code_error_cb = unsafe extern "C" fn(error: *const e2b_code_error, payload: *mut c_void) -> c_int;
pub type e2b_code_end_cb = unsafe extern "C" fn(execution: *const e2b_execution, err: *const e2b_error, payload: *mut c_void);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_code_callbacks {
    pub version: u32,
    pub on_stdout: Option<e2b_code_output_cb>,
    pub on_stderr: Option<e2b_code_output_cb>,
    pub on_result: Option<e2b_code_result_cb>,
    pub on_error: Option<e2b_code_error_cb>,
    pub on_end: Option<e2b_code_end_cb>,
    pub payload: *mut c_void,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_code_context {
    pub version: u32,
    pub id: *const c_char,
    pub language: *const c_char,
    pub cwd: *const c_char,
}

// ---- Production layer A: sessions, artifacts, workspace ----
pub const E2B_SESSION_ACTIVE: c_int = 1;
pub const E2B_SESSION_PAUSED: c_int = 2;
pub const E2B_SESSION_ENDED: c_int = 3;
pub const E2B_SESSION_OPTS_VERSION: u32 = 1;
pub const E2B_ARTIFACTS_F_DELETE: u32 = 0x1;
pub const E2B_ARTIFACTS_F_ALLOW_EMPTY: u32 = 0x2;
pub const E2B_ARTIFACTS_OPTS_VERSION: u32 = 1;
pub const E2B_WORKSPACE_F_TAR: u32 = 0x1;
pub const E2B_WORKSPACE_F_REPLACE: u32 = 0x2;
pub const E2B_WORKSPACE_OPTS_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_session_opts {
    pub version: u32,
    pub sandbox: *const e2b_sandbox_opts,
    pub idle_pause_ms: i64,
    pub timeout_ms: i64,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_transfer_progress {
    pub version: u32,
    pub files_done: u32,
    pub files_total: u32,
    pub reserved: u32,
    pub bytes_done: i64,
    pub bytes_total: i64,
    pub path: *const c_char,
}

pub type e2b_progress_fn = unsafe extern "C" fn(p: *const e2b_transfer_progress, payload: *mut c_void) -> c_int;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_artifacts_opts {
    pub version: u32,
    pub flags: u32,
    pub user: *const c_char,
    pub timeout_ms: i64,
    pub on_progress: Option<e2b_progress_fn>,
    pub payload: *mut c_void,
}

#[repr(C)]
#[derive(Debug)]
pub struct e2b_artifact {
    pub version: u32,
    pub reserved: u32,
    pub rel_path: *const c_char,
    pub remote_path: *const c_char,
    pub local_path: *const c_char,
    pub size: i64,
    pub mime_type: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_workspace_opts {
    pub version: u32,
    pub flags: u32,
    pub user: *const c_char,
    pub timeout_ms: i64,
    pub on_progress: Option<e2b_progress_fn>,
    pub payload: *mut c_void,
}

// ---- Production layer B: profiles, pool, cost, logs, stall detection, metrics ----
pub const E2B_POOL_F_NO_HEALTH_CHECK: u32 = 0x1;
pub const E2B_POOL_OPTS_VERSION: u32 = 1;
pub const E2B_POOL_RELEASE_F_DISCARD: u32 = 0x1;
pub const E2B_STALL_F_KILL: u32 = 0x1;
pub const E2B_STALL_OPTS_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct e2b_profile {
    pub version: u32,
    pub cpu_count: i32,
    pub memory_mb: i32,
    pub timeout_ms: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_pool_opts {
    pub version: u32,
    pub name: *const c_char,
    pub sandbox: *const e2b_sandbox_opts,
    pub min_idle: u32,
    pub max_size: u32,
    pub idle_timeout_ms: i64,
    pub max_reuse: u32,
    pub acquire_timeout_ms: i64,
    pub flags: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct e2b_pool_stats {
    pub version: u32,
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

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct e2b_cost_totals {
    pub version: u32,
    pub sandboxes: u32,
    pub running_seconds: f64,
    pub paused_seconds: f64,
    pub vcpu_seconds: f64,
    pub gib_seconds: f64,
    pub cost_usd: f64,
}

pub type e2b_stall_cb = unsafe extern "C" fn(sandbox_id: *const c_char, pid: u32, idle_ms: i64, killed: i32, payload: *mut c_void);
pub type e2b_measure_fn = unsafe extern "C" fn(payload: *mut c_void) -> c_int;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct e2b_stall_opts {
    pub version: u32,
    pub idle_ms: i64,
    pub flags: u32,
    pub on_stall: Option<e2b_stall_cb>,
    pub payload: *mut c_void,
}

pub type e2b_read_data_cb = unsafe extern "C" fn(data: *const c_void, len: usize, payload: *mut c_void) -> c_int;
pub type e2b_write_read_cb = unsafe extern "C" fn(buf: *mut c_void, cap: usize, payload: *mut c_void) -> i64;
pub type e2b_fs_event_cb = unsafe extern "C" fn(event: *const e2b_fs_event, payload: *mut c_void);
pub type e2b_watch_end_cb = unsafe extern "C" fn(err: *const e2b_error, payload: *mut c_void);

// ---- The function table ----
// One list generates the table's fields, the dlopen loader and the link-time externs, so the two
// features cannot drift apart.
macro_rules! functions {
    ($( fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ; )*) => {
        /// Every libe2b function, as a table of function pointers.
        #[derive(Clone, Copy)]
        pub struct Api {
            $( pub $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
        }

        #[cfg(feature = "link")]
        mod linked {
            #[allow(unused_imports)]
            use super::*;
            #[link(name = "e2b")]
            extern "C" {
                $( pub fn $name($($arg: $ty),*) $(-> $ret)?; )*
            }
        }

        impl Api {
            #[cfg(feature = "link")]
            fn linked() -> Api {
                Api { $( $name: linked::$name, )* }
            }

            #[cfg(all(feature = "dynamic", not(feature = "link")))]
            unsafe fn from_library(lib: &libloading::Library) -> Result<Api, LoadError> {
                Ok(Api { $( $name: {
                    let sym: libloading::Symbol<unsafe extern "C" fn($($ty),*) $(-> $ret)?> = lib
                        .get(concat!(stringify!($name), "\0").as_bytes())
                        .map_err(|e| LoadError::Symbol { name: stringify!($name), detail: e.to_string() })?;
                    *sym
                }, )* })
            }
        }
    };
}

functions! {
    fn e2b_version() -> *const c_char;
    fn e2b_abi_version() -> c_int;
    fn e2b_error_last() -> *const e2b_error;
    fn e2b_status_str(code: c_int) -> *const c_char;
    fn e2b_buf_dispose(buf: *mut e2b_buf);
    fn e2b_cancel_new(out: *mut *mut e2b_cancel) -> c_int;
    fn e2b_cancel_free(cancel: *mut e2b_cancel);
    fn e2b_cancel_bind(cancel: *mut e2b_cancel);
    fn e2b_cancel_trigger(cancel: *mut e2b_cancel);
    fn e2b_cancel_is_triggered(cancel: *const e2b_cancel) -> c_int;

    fn e2b_client_opts_init(opts: *mut e2b_client_opts, version: u32) -> c_int;
    fn e2b_client_new(out: *mut *mut e2b_client, opts: *const e2b_client_opts) -> c_int;
    fn e2b_client_free(client: *mut e2b_client);
    fn e2b_client_dispatch(client: *mut e2b_client, max_events: c_int) -> c_int;
    fn e2b_client_wake_fd(client: *const e2b_client) -> c_int;

    fn e2b_sandbox_opts_init(opts: *mut e2b_sandbox_opts, version: u32) -> c_int;
    fn e2b_sandbox_create(out: *mut *mut e2b_sandbox, client: *mut e2b_client, opts: *const e2b_sandbox_opts) -> c_int;
    fn e2b_sandbox_connect(out: *mut *mut e2b_sandbox, client: *mut e2b_client, sandbox_id: *const c_char, timeout_ms: i64) -> c_int;
    fn e2b_sandbox_free(sandbox: *mut e2b_sandbox);
    fn e2b_sandbox_id(sandbox: *const e2b_sandbox) -> *const c_char;
    fn e2b_sandbox_envd_version(sandbox: *const e2b_sandbox) -> *const c_char;
    fn e2b_sandbox_kill(sandbox: *mut e2b_sandbox) -> c_int;
    fn e2b_sandbox_set_timeout(sandbox: *mut e2b_sandbox, timeout_ms: i64) -> c_int;
    fn e2b_sandbox_pause(sandbox: *mut e2b_sandbox) -> c_int;
    fn e2b_sandbox_is_running(sandbox: *mut e2b_sandbox) -> c_int;
    fn e2b_sandbox_get_info(out: *mut *mut e2b_sandbox_info, client: *mut e2b_client, sandbox_id: *const c_char) -> c_int;
    fn e2b_sandbox_info_free(info: *mut e2b_sandbox_info);
    fn e2b_list_opts_init(opts: *mut e2b_list_opts, version: u32) -> c_int;
    fn e2b_sandbox_list_page(out: *mut *mut e2b_sandbox_list, client: *mut e2b_client, opts: *const e2b_list_opts) -> c_int;
    fn e2b_sandbox_list_count(list: *const e2b_sandbox_list) -> usize;
    fn e2b_sandbox_list_at(list: *const e2b_sandbox_list, i: usize) -> *const e2b_sandbox_info;
    fn e2b_sandbox_list_next_token(list: *const e2b_sandbox_list) -> *const c_char;
    fn e2b_sandbox_list_free(list: *mut e2b_sandbox_list);
    fn e2b_sandbox_get_host(out: *mut e2b_buf, sandbox: *const e2b_sandbox, port: u16) -> c_int;

    fn e2b_exec_opts_init(opts: *mut e2b_exec_opts, version: u32) -> c_int;
    fn e2b_exec_start(out: *mut *mut e2b_exec, sandbox: *mut e2b_sandbox, cmd: *const c_char, opts: *const e2b_exec_opts, callbacks: *const e2b_exec_callbacks) -> c_int;
    fn e2b_exec_connect(out: *mut *mut e2b_exec, sandbox: *mut e2b_sandbox, pid: u32, callbacks: *const e2b_exec_callbacks) -> c_int;
    fn e2b_exec_pid(exec: *const e2b_exec) -> u32;
    fn e2b_exec_wait(exec: *mut e2b_exec, exit_code: *mut i32) -> c_int;
    fn e2b_exec_end_status(out: *mut e2b_buf, exec: *const e2b_exec) -> c_int;
    fn e2b_exec_kill(exec: *mut e2b_exec) -> c_int;
    fn e2b_exec_send_stdin(exec: *mut e2b_exec, data: *const c_void, len: usize) -> c_int;
    fn e2b_exec_close_stdin(exec: *mut e2b_exec) -> c_int;
    fn e2b_exec_disconnect(exec: *mut e2b_exec) -> c_int;
    fn e2b_exec_free(exec: *mut e2b_exec);
    fn e2b_exec_run(out: *mut e2b_exec_output, sandbox: *mut e2b_sandbox, cmd: *const c_char, opts: *const e2b_exec_opts) -> c_int;
    fn e2b_exec_output_dispose(out: *mut e2b_exec_output);
    fn e2b_exec_list(out: *mut *mut e2b_process_list, sandbox: *mut e2b_sandbox) -> c_int;
    fn e2b_process_list_count(list: *const e2b_process_list) -> usize;
    fn e2b_process_list_at(list: *const e2b_process_list, i: usize) -> *const e2b_process_info;
    fn e2b_process_list_free(list: *mut e2b_process_list);
    fn e2b_pty_create(out: *mut *mut e2b_exec, sandbox: *mut e2b_sandbox, cols: u16, rows: u16, opts: *const e2b_exec_opts, callbacks: *const e2b_exec_callbacks) -> c_int;
    fn e2b_pty_send_input(pty: *mut e2b_exec, data: *const c_void, len: usize) -> c_int;
    fn e2b_pty_resize(pty: *mut e2b_exec, cols: u16, rows: u16) -> c_int;

    fn e2b_files_opts_init(opts: *mut e2b_files_opts, version: u32) -> c_int;
    fn e2b_files_read(out: *mut e2b_buf, sandbox: *mut e2b_sandbox, path: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_read_stream(sandbox: *mut e2b_sandbox, path: *const c_char, on_data: Option<e2b_read_data_cb>, payload: *mut c_void, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_write(sandbox: *mut e2b_sandbox, path: *const c_char, data: *const c_void, len: usize, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_write_stream(sandbox: *mut e2b_sandbox, path: *const c_char, read: Option<e2b_write_read_cb>, payload: *mut c_void, size_or_minus1: i64, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_write_many(sandbox: *mut e2b_sandbox, entries: *const e2b_file_entry, n: usize, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_list(out: *mut *mut e2b_entry_list, sandbox: *mut e2b_sandbox, dir: *const c_char, depth: u32, opts: *const e2b_files_opts) -> c_int;
    fn e2b_entry_list_count(list: *const e2b_entry_list) -> usize;
    fn e2b_entry_list_at(list: *const e2b_entry_list, i: usize) -> *const e2b_entry_info;
    fn e2b_entry_list_free(list: *mut e2b_entry_list);
    fn e2b_files_stat(out: *mut *mut e2b_entry_info, sandbox: *mut e2b_sandbox, path: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_entry_info_free(info: *mut e2b_entry_info);
    fn e2b_files_exists(sandbox: *mut e2b_sandbox, path: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_make_dir(sandbox: *mut e2b_sandbox, path: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_rename(sandbox: *mut e2b_sandbox, from: *const c_char, to: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_remove(sandbox: *mut e2b_sandbox, path: *const c_char, opts: *const e2b_files_opts) -> c_int;
    fn e2b_files_watch(out: *mut *mut e2b_watch, sandbox: *mut e2b_sandbox, dir: *const c_char, flags: u32, on_event: Option<e2b_fs_event_cb>, on_end: Option<e2b_watch_end_cb>, payload: *mut c_void, opts: *const e2b_files_opts) -> c_int;
    fn e2b_watch_stop(watch: *mut e2b_watch);
    fn e2b_watch_free(watch: *mut e2b_watch);
    fn e2b_files_upload_url(out: *mut e2b_buf, sandbox: *const e2b_sandbox, path: *const c_char, user: *const c_char, expiration_s: i64) -> c_int;
    fn e2b_files_download_url(out: *mut e2b_buf, sandbox: *const e2b_sandbox, path: *const c_char, user: *const c_char, expiration_s: i64) -> c_int;

    fn e2b_sandbox_kill_id(client: *mut e2b_client, sandbox_id: *const c_char) -> c_int;
    fn e2b_sandbox_set_timeout_id(client: *mut e2b_client, sandbox_id: *const c_char, timeout_ms: i64) -> c_int;
    fn e2b_sandbox_pause_id(client: *mut e2b_client, sandbox_id: *const c_char) -> c_int;
    fn e2b_sandbox_get_metrics(out: *mut *mut e2b_sandbox_metric_list, client: *mut e2b_client, sandbox_id: *const c_char, start_unix_s: i64, end_unix_s: i64) -> c_int;
    fn e2b_sandbox_metric_list_count(list: *const e2b_sandbox_metric_list) -> usize;
    fn e2b_sandbox_metric_list_at(list: *const e2b_sandbox_metric_list, i: usize) -> *const e2b_sandbox_metric;
    fn e2b_sandbox_metric_list_free(list: *mut e2b_sandbox_metric_list);
    fn e2b_logs_opts_init(opts: *mut e2b_logs_opts, version: u32) -> c_int;
    fn e2b_sandbox_get_logs(out: *mut *mut e2b_sandbox_log_list, client: *mut e2b_client, sandbox_id: *const c_char, opts: *const e2b_logs_opts) -> c_int;
    fn e2b_sandbox_log_list_count(list: *const e2b_sandbox_log_list) -> usize;
    fn e2b_sandbox_log_list_at(list: *const e2b_sandbox_log_list, i: usize) -> *const e2b_sandbox_log_entry;
    fn e2b_sandbox_log_list_free(list: *mut e2b_sandbox_log_list);

    fn e2b_process_kill(sandbox: *mut e2b_sandbox, pid: u32) -> c_int;
    fn e2b_process_send_stdin(sandbox: *mut e2b_sandbox, pid: u32, data: *const c_void, len: usize) -> c_int;
    fn e2b_process_close_stdin(sandbox: *mut e2b_sandbox, pid: u32) -> c_int;
    fn e2b_process_send_pty_input(sandbox: *mut e2b_sandbox, pid: u32, data: *const c_void, len: usize) -> c_int;
    fn e2b_process_resize_pty(sandbox: *mut e2b_sandbox, pid: u32, cols: u16, rows: u16) -> c_int;

    fn e2b_port_request_opts_init(opts: *mut e2b_port_request_opts, version: u32) -> c_int;
    fn e2b_port_request(out: *mut e2b_port_response, sandbox: *mut e2b_sandbox, port: u16, method: *const c_char, path: *const c_char, opts: *const e2b_port_request_opts) -> c_int;
    fn e2b_port_response_header(resp: *const e2b_port_response, name: *const c_char, value: *mut e2b_buf) -> c_int;
    fn e2b_port_response_dispose(resp: *mut e2b_port_response);
    fn e2b_ws_opts_init(opts: *mut e2b_ws_opts, version: u32) -> c_int;
    fn e2b_ws_connect(out: *mut *mut e2b_ws, sandbox: *mut e2b_sandbox, port: u16, path: *const c_char, opts: *const e2b_ws_opts, callbacks: *const e2b_ws_callbacks) -> c_int;
    fn e2b_ws_send(ws: *mut e2b_ws, data: *const c_void, len: usize, flags: u32) -> c_int;
    fn e2b_ws_close(ws: *mut e2b_ws, code: u16, reason: *const c_char) -> c_int;
    fn e2b_ws_buffered_amount(ws: *const e2b_ws) -> u64;
    fn e2b_ws_free(ws: *mut e2b_ws);

    fn e2b_code_opts_init(opts: *mut e2b_code_opts, version: u32) -> c_int;
    fn e2b_code_run(out: *mut *mut e2b_execution, sandbox: *mut e2b_sandbox, code: *const c_char, opts: *const e2b_code_opts, callbacks: *const e2b_code_callbacks) -> c_int;
    fn e2b_code_start(out: *mut *mut e2b_code_exec, sandbox: *mut e2b_sandbox, code: *const c_char, opts: *const e2b_code_opts, callbacks: *const e2b_code_callbacks) -> c_int;
    fn e2b_code_wait(out: *mut *mut e2b_execution, run: *mut e2b_code_exec) -> c_int;
    fn e2b_code_cancel(run: *mut e2b_code_exec) -> c_int;
    fn e2b_code_free(run: *mut e2b_code_exec);
    fn e2b_execution_result_count(execution: *const e2b_execution) -> usize;
    fn e2b_execution_result_at(execution: *const e2b_execution, i: usize) -> *const e2b_code_result;
    fn e2b_execution_text(execution: *const e2b_execution) -> *const c_char;
    fn e2b_execution_log_count(execution: *const e2b_execution, stream: u32) -> usize;
    fn e2b_execution_log_at(execution: *const e2b_execution, stream: u32, i: usize) -> *const c_char;
    fn e2b_execution_error(execution: *const e2b_execution) -> *const e2b_code_error;
    fn e2b_execution_execution_count(execution: *const e2b_execution) -> i64;
    fn e2b_execution_free(execution: *mut e2b_execution);
    fn e2b_code_context_create(out: *mut *mut e2b_code_context, sandbox: *mut e2b_sandbox, language: *const c_char, cwd: *const c_char) -> c_int;
    fn e2b_code_context_free(context: *mut e2b_code_context);
    fn e2b_code_list_contexts(out: *mut *mut e2b_code_context_list, sandbox: *mut e2b_sandbox) -> c_int;
    fn e2b_code_context_list_count(list: *const e2b_code_context_list) -> usize;
    fn e2b_code_context_list_at(list: *const e2b_code_context_list, i: usize) -> *const e2b_code_context;
    fn e2b_code_context_list_free(list: *mut e2b_code_context_list);
    fn e2b_code_context_restart(sandbox: *mut e2b_sandbox, context_id: *const c_char) -> c_int;
    fn e2b_code_context_remove(sandbox: *mut e2b_sandbox, context_id: *const c_char) -> c_int;

    fn e2b_session_opts_init(opts: *mut e2b_session_opts, version: u32) -> c_int;
    fn e2b_session_start(out: *mut *mut e2b_session, client: *mut e2b_client, opts: *const e2b_session_opts) -> c_int;
    fn e2b_session_resume(out: *mut *mut e2b_session, client: *mut e2b_client, session_id: *const c_char, opts: *const e2b_session_opts) -> c_int;
    fn e2b_session_id(session: *const e2b_session) -> *const c_char;
    fn e2b_session_sandbox(session: *mut e2b_session) -> *mut e2b_sandbox;
    fn e2b_session_touch(session: *mut e2b_session) -> c_int;
    fn e2b_session_pause(session: *mut e2b_session) -> c_int;
    fn e2b_session_end(session: *mut e2b_session) -> c_int;
    fn e2b_session_state(client: *mut e2b_client, session_id: *const c_char) -> c_int;
    fn e2b_session_free(session: *mut e2b_session);
    fn e2b_artifacts_opts_init(opts: *mut e2b_artifacts_opts, version: u32) -> c_int;
    fn e2b_artifacts_download(out: *mut *mut e2b_artifact_list, sandbox: *mut e2b_sandbox, remote_dir: *const c_char, patterns: *const *const c_char, local_dir: *const c_char, opts: *const e2b_artifacts_opts) -> c_int;
    fn e2b_artifacts_upload(out: *mut *mut e2b_artifact_list, sandbox: *mut e2b_sandbox, local_files: *const *const c_char, remote_dir: *const c_char, opts: *const e2b_artifacts_opts) -> c_int;
    fn e2b_artifact_list_count(list: *const e2b_artifact_list) -> usize;
    fn e2b_artifact_list_at(list: *const e2b_artifact_list, i: usize) -> *const e2b_artifact;
    fn e2b_artifact_list_free(list: *mut e2b_artifact_list);
    fn e2b_workspace_opts_init(opts: *mut e2b_workspace_opts, version: u32) -> c_int;
    fn e2b_workspace_push(sandbox: *mut e2b_sandbox, local_path: *const c_char, remote_dir: *const c_char, opts: *const e2b_workspace_opts, entries_out: *mut u32) -> c_int;
    fn e2b_profile_get(out: *mut e2b_profile, name: *const c_char) -> c_int;
    fn e2b_pool_opts_init(opts: *mut e2b_pool_opts, version: u32) -> c_int;
    fn e2b_pool_new(out: *mut *mut e2b_pool, client: *mut e2b_client, opts: *const e2b_pool_opts) -> c_int;
    fn e2b_pool_acquire(out: *mut *mut e2b_sandbox, pool: *mut e2b_pool, timeout_ms: i64) -> c_int;
    fn e2b_pool_release(pool: *mut e2b_pool, sandbox: *mut e2b_sandbox, flags: u32) -> c_int;
    fn e2b_pool_maintain(pool: *mut e2b_pool) -> c_int;
    fn e2b_pool_get_stats(pool: *mut e2b_pool, out: *mut e2b_pool_stats) -> c_int;
    fn e2b_pool_free(pool: *mut e2b_pool) -> c_int;
    fn e2b_cost_get_totals(client: *mut e2b_client, out: *mut e2b_cost_totals) -> c_int;
    fn e2b_cost_set_prices(client: *mut e2b_client, json: *const c_char) -> c_int;
    fn e2b_cost_export_json(out: *mut e2b_buf, client: *mut e2b_client) -> c_int;
    fn e2b_log_emit(client: *mut e2b_client, level: i32, event: *const c_char, sandbox_id: *const c_char, message: *const c_char) -> c_int;
    fn e2b_measure(client: *mut e2b_client, event: *const c_char, sandbox_id: *const c_char, f: Option<e2b_measure_fn>, payload: *mut c_void) -> c_int;
    fn e2b_stall_opts_init(opts: *mut e2b_stall_opts, version: u32) -> c_int;
    fn e2b_stall_watch_exec(out: *mut *mut e2b_stall_watch, exec: *mut e2b_exec, opts: *const e2b_stall_opts) -> c_int;
    fn e2b_stall_watch_sandbox(out: *mut *mut e2b_stall_watch, sandbox: *mut e2b_sandbox, opts: *const e2b_stall_opts) -> c_int;
    fn e2b_stall_watch_free(watch: *mut e2b_stall_watch);
    fn e2b_metrics_render(out: *mut e2b_buf, client: *mut e2b_client) -> c_int;
    fn e2b_metrics_serve(client: *mut e2b_client, port: u16, bound_port: *mut u16) -> c_int;
    fn e2b_metrics_serve_stop(client: *mut e2b_client) -> c_int;
    fn e2b_workspace_pull(sandbox: *mut e2b_sandbox, remote_path: *const c_char, local_dir: *const c_char, opts: *const e2b_workspace_opts, entries_out: *mut u32) -> c_int;
}

/// Why libe2b could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// dlopen failed for the path tried.
    Open { path: String, detail: String },
    /// The library lacks a function these declarations need.
    Symbol { name: &'static str, detail: String },
    /// `e2b_abi_version()` differs from [`E2B_ABI_VERSION`].
    AbiMismatch { path: String, found: c_int, expected: c_int },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Open { path, detail } => write!(
                f,
                "cannot load libe2b from {path:?} ({detail}); set LIBE2B_PATH to the library file"
            ),
            LoadError::Symbol { name, detail } => {
                write!(f, "libe2b lacks the function {name} ({detail}); it is older than this binding")
            }
            LoadError::AbiMismatch { path, found, expected } => write!(
                f,
                "libe2b at {path:?} has ABI version {found}, this binding needs {expected}; install a matching libe2b or binding"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Where the `dynamic` feature looks for the library: `$LIBE2B_PATH`, else `libe2b.so.0`
/// through the system loader path.
pub fn library_path() -> String {
    match std::env::var("LIBE2B_PATH") {
        Ok(p) if !p.is_empty() => p,
        _ => "libe2b.so.0".to_string(),
    }
}

/// The function table, loaded and ABI-checked on first use; later calls return the same result.
pub fn api() -> Result<&'static Api, LoadError> {
    static API: OnceLock<Result<Api, LoadError>> = OnceLock::new();
    API.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn check_abi(api: Api, path: String) -> Result<Api, LoadError> {
    // SAFETY: e2b_abi_version takes no arguments and may be called from any thread.
    let found = unsafe { (api.e2b_abi_version)() };
    if found != E2B_ABI_VERSION {
        return Err(LoadError::AbiMismatch { path, found, expected: E2B_ABI_VERSION });
    }
    Ok(api)
}

#[cfg(feature = "link")]
fn load() -> Result<Api, LoadError> {
    check_abi(Api::linked(), "(linked at build time)".to_string())
}

#[cfg(all(feature = "dynamic", not(feature = "link")))]
fn load() -> Result<Api, LoadError> {
    let path = library_path();
    // SAFETY: loading libe2b runs no user-visible initialisers (style: no work in static
    // constructors). The Library is leaked on purpose: never dlclose libe2b.
    let lib = unsafe { libloading::Library::new(&path) }
        .map_err(|e| LoadError::Open { path: path.clone(), detail: e.to_string() })?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // The version first, so an older or newer library gets the clear mismatch message rather
    // than a missing-symbol one.
    let abi: libloading::Symbol<unsafe extern "C" fn() -> c_int> = unsafe { lib.get(b"e2b_abi_version\0") }
        .map_err(|e| LoadError::Symbol { name: "e2b_abi_version", detail: e.to_string() })?;
    let found = unsafe { abi() };
    if found != E2B_ABI_VERSION {
        return Err(LoadError::AbiMismatch { path, found, expected: E2B_ABI_VERSION });
    }
    let api = unsafe { Api::from_library(lib)? };
    check_abi(api, path)
}

#[cfg(not(any(feature = "dynamic", feature = "link")))]
compile_error!("e2b-sys needs the feature `dynamic` (default) or `link`");
