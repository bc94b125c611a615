use std::any::Any;
use std::ffi::{c_int, c_void, CString};
use std::io::{Read, Write};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use e2b_sys as sys;

use crate::client::Sandbox;
use crate::error::{cstr_lossy, cstr_opt, Error, Result};
use crate::{check, cstring, opt_cstring, opt_ptr, timeout_ms, CallbackScope};

pub(crate) fn take_buf(api: &sys::Api, mut b: sys::e2b_buf) -> Vec<u8> {
    // SAFETY: a filled buffer owns `size` bytes at ptr until disposed.
    let v = if b.ptr.is_null() {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(b.ptr as *const u8, b.size).to_vec() }
    };
    unsafe { (api.e2b_buf_dispose)(&mut b) };
    v
}

pub(crate) fn take_buf_string(api: &sys::Api, b: sys::e2b_buf) -> String {
    String::from_utf8_lossy(&take_buf(api, b)).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    File,
    Dir,
    Symlink,
    Unknown(u32),
}

/// One filesystem entry (EntryInfo). For a symlink envd reports the target's type and sets
/// `symlink_target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    pub name: String,
    pub path: String,
    pub file_type: FileType,
    pub size: i64,
    /// Permission bits, e.g. 0o644.
    pub mode: u32,
    /// "-rw-r--r--".
    pub permissions: String,
    pub owner: String,
    pub group: String,
    pub modified_time: SystemTime,
    pub symlink_target: Option<String>,
}

impl EntryInfo {
    unsafe fn from_raw(e: &sys::e2b_entry_info) -> EntryInfo {
        EntryInfo {
            name: cstr_lossy(e.name),
            path: cstr_lossy(e.path),
            file_type: match e.type_ {
                sys::E2B_FILE_TYPE_FILE => FileType::File,
                sys::E2B_FILE_TYPE_DIR => FileType::Dir,
                sys::E2B_FILE_TYPE_SYMLINK => FileType::Symlink,
                t => FileType::Unknown(t),
            },
            size: e.size,
            mode: e.mode,
            permissions: cstr_lossy(e.permissions),
            owner: cstr_lossy(e.owner),
            group: cstr_lossy(e.group),
            modified_time: if e.modified_time_ns >= 0 {
                UNIX_EPOCH + Duration::from_nanos(e.modified_time_ns as u64)
            } else {
                UNIX_EPOCH
            },
            symlink_target: cstr_opt(e.symlink_target),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesystemEventType {
    Create,
    Write,
    Remove,
    Rename,
    Chmod,
    /// A kind this libe2b does not know.
    Unknown,
}

/// A change under a watched directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesystemEvent {
    /// Path relative to the watched directory.
    pub name: String,
    pub event_type: FilesystemEventType,
}

/// `sandbox.files()`: filesystem operations, optionally as another user or with a per-request
/// timeout (`sbx.files().user("root").read(...)`). Every call blocks.
#[derive(Clone)]
pub struct Files<'a> {
    sbx: &'a Sandbox,
    user: Option<String>,
    timeout: Option<Duration>,
}

/// Options struct and its string, kept alive for one call.
struct RawFilesOpts {
    _user: Option<CString>,
    raw: sys::e2b_files_opts,
}

type Panic = Option<Box<dyn Any + Send>>;

struct ReadCtx<'w, W: Write> {
    w: &'w mut W,
    n: u64,
    io: Option<std::io::Error>,
    panic: Panic,
}

unsafe extern "C" fn read_tramp<W: Write>(data: *const c_void, len: usize, payload: *mut c_void) -> c_int {
    let _scope = CallbackScope::enter();
    let ctx = &mut *(payload as *mut ReadCtx<W>);
    let bytes: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(data as *const u8, len) };
    match catch_unwind(AssertUnwindSafe(|| ctx.w.write_all(bytes))) {
        Ok(Ok(())) => {
            ctx.n += len as u64;
            0
        }
        Ok(Err(e)) => {
            ctx.io = Some(e);
            1
        }
        Err(p) => {
            ctx.panic = Some(p);
            1
        }
    }
}

struct WriteCtx<'r, R: Read> {
    r: &'r mut R,
    io: Option<std::io::Error>,
    panic: Panic,
}

unsafe extern "C" fn write_tramp<R: Read>(buf: *mut c_void, cap: usize, payload: *mut c_void) -> i64 {
    let _scope = CallbackScope::enter();
    let ctx = &mut *(payload as *mut WriteCtx<R>);
    let out = std::slice::from_raw_parts_mut(buf as *mut u8, cap);
    let r = catch_unwind(AssertUnwindSafe(|| loop {
        match ctx.r.read(out) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    }));
    match r {
        Ok(Ok(n)) => n as i64,
        Ok(Err(e)) => {
            ctx.io = Some(e);
            -1
        }
        Err(p) => {
            ctx.panic = Some(p);
            -1
        }
    }
}

impl<'a> Files<'a> {
    pub(crate) fn new(sbx: &'a Sandbox) -> Self {
        Files { sbx, user: None, timeout: None }
    }

    /// Act as `user` (default: the sandbox's default user).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Per-request timeout (default: the client's); `Duration::ZERO` = none. For watches: the
    /// watch's lifetime.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    fn opts(&self) -> Result<RawFilesOpts> {
        let user = opt_cstring(&self.user, "user")?;
        let raw = sys::e2b_files_opts {
            version: sys::E2B_FILES_OPTS_VERSION,
            user: opt_ptr(&user),
            timeout_ms: timeout_ms(self.timeout),
        };
        Ok(RawFilesOpts { _user: user, raw })
    }

    fn api(&self) -> &'static sys::Api {
        self.sbx.api()
    }

    fn raw(&self) -> *mut sys::e2b_sandbox {
        self.sbx.inner.raw
    }

    /// The whole file. FileNotFound when missing, InvalidArgument for a directory.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        let mut buf = sys::e2b_buf::default();
        check(api, unsafe { (api.e2b_files_read)(&mut buf, self.raw(), p.as_ptr(), &o.raw) })?;
        Ok(take_buf(api, buf))
    }

    /// The whole file as text (invalid UTF-8 is an InvalidArgument error).
    pub fn read_to_string(&self, path: &str) -> Result<String> {
        String::from_utf8(self.read(path)?).map_err(|_| Error::invalid(format!("{path} is not valid UTF-8")))
    }

    /// Streams the file into `w` as it arrives (constant memory); returns the byte count.
    /// `w` is written from libe2b's service thread while this call blocks, hence `Send`.
    /// A write error ends the download with [`ErrorKind::Io`](crate::ErrorKind).
    pub fn read_to_writer<W: Write + Send>(&self, path: &str, w: &mut W) -> Result<u64> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        let mut ctx = ReadCtx { w, n: 0, io: None, panic: None };
        let rc = unsafe {
            (api.e2b_files_read_stream)(
                self.raw(),
                p.as_ptr(),
                Some(read_tramp::<W>),
                &mut ctx as *mut ReadCtx<W> as *mut c_void,
                &o.raw,
            )
        };
        let r = check(api, rc);
        if let Some(p) = ctx.panic {
            resume_unwind(p);
        }
        if let Some(e) = ctx.io {
            return Err(Error::io(e));
        }
        r.map(|_| ctx.n)
    }

    /// Creates or overwrites a file (parents created). NotEnoughSpace when the disk is full.
    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        let d = data.as_ref();
        check(api, unsafe {
            (api.e2b_files_write)(self.raw(), p.as_ptr(), d.as_ptr() as *const c_void, d.len(), &o.raw)
        })?;
        Ok(())
    }

    /// Streamed upload from `r` (read on libe2b's service thread while this call blocks).
    /// `size`: the exact total if known (sent as Content-Length), else chunked. Never retried.
    pub fn write_from_reader<R: Read + Send>(&self, path: &str, r: &mut R, size: Option<u64>) -> Result<()> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        let mut ctx = WriteCtx { r, io: None, panic: None };
        let size = match size {
            Some(n) => i64::try_from(n).map_err(|_| Error::invalid("size too large"))?,
            None => -1,
        };
        let rc = unsafe {
            (api.e2b_files_write_stream)(
                self.raw(),
                p.as_ptr(),
                Some(write_tramp::<R>),
                &mut ctx as *mut WriteCtx<R> as *mut c_void,
                size,
                &o.raw,
            )
        };
        let res = check(api, rc);
        if let Some(p) = ctx.panic {
            resume_unwind(p);
        }
        if let Some(e) = ctx.io {
            return Err(Error::io(e));
        }
        res.map(|_| ())
    }

    /// Writes several files in one request. Duplicate paths are an InvalidArgument error.
    pub fn write_many<P: AsRef<str>, D: AsRef<[u8]>>(&self, files: &[(P, D)]) -> Result<()> {
        let api = self.api();
        let o = self.opts()?;
        let paths = files.iter().map(|(p, _)| cstring(p.as_ref(), "path")).collect::<Result<Vec<_>>>()?;
        let entries: Vec<sys::e2b_file_entry> = files
            .iter()
            .zip(&paths)
            .map(|((_, d), p)| {
                let d = d.as_ref();
                sys::e2b_file_entry { path: p.as_ptr(), data: d.as_ptr() as *const c_void, len: d.len() }
            })
            .collect();
        check(api, unsafe { (api.e2b_files_write_many)(self.raw(), entries.as_ptr(), entries.len(), &o.raw) })?;
        Ok(())
    }

    /// Entries of `dir` to `depth` levels (1 = direct children), parents before children.
    pub fn list(&self, dir: &str, depth: u32) -> Result<Vec<EntryInfo>> {
        let api = self.api();
        let (p, o) = (cstring(dir, "dir")?, self.opts()?);
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_files_list)(&mut raw, self.raw(), p.as_ptr(), depth, &o.raw) })?;
        // SAFETY: entries are borrowed from the list until it is freed.
        unsafe {
            let n = (api.e2b_entry_list_count)(raw);
            let v = (0..n).map(|i| EntryInfo::from_raw(&*(api.e2b_entry_list_at)(raw, i))).collect();
            (api.e2b_entry_list_free)(raw);
            Ok(v)
        }
    }

    /// lstat (the SDKs' `getInfo`). FileNotFound when missing.
    pub fn get_info(&self, path: &str) -> Result<EntryInfo> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_files_stat)(&mut raw, self.raw(), p.as_ptr(), &o.raw) })?;
        unsafe {
            let e = EntryInfo::from_raw(&*raw);
            (api.e2b_entry_info_free)(raw);
            Ok(e)
        }
    }

    pub fn exists(&self, path: &str) -> Result<bool> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        Ok(check(api, unsafe { (api.e2b_files_exists)(self.raw(), p.as_ptr(), &o.raw) })? == 1)
    }

    /// Creates `path` and its parents: Ok(true) created, Ok(false) it existed.
    pub fn make_dir(&self, path: &str) -> Result<bool> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        Ok(check(api, unsafe { (api.e2b_files_make_dir)(self.raw(), p.as_ptr(), &o.raw) })? == 1)
    }

    /// rename(2); destination parents are created. FileNotFound when `from` is missing.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        let api = self.api();
        let (f, t, o) = (cstring(from, "from")?, cstring(to, "to")?, self.opts()?);
        check(api, unsafe { (api.e2b_files_rename)(self.raw(), f.as_ptr(), t.as_ptr(), &o.raw) })?;
        Ok(())
    }

    /// Recursive; a missing path is success.
    pub fn remove(&self, path: &str) -> Result<()> {
        let api = self.api();
        let (p, o) = (cstring(path, "path")?, self.opts()?);
        check(api, unsafe { (api.e2b_files_remove)(self.raw(), p.as_ptr(), &o.raw) })?;
        Ok(())
    }

    /// Presigned upload URL (POST) for this handle's user; `expiration` None = no expiry.
    pub fn upload_url(&self, path: &str, expiration: Option<Duration>) -> Result<String> {
        self.signed_url(path, expiration, true)
    }
    /// Presigned download URL (GET).
    pub fn download_url(&self, path: &str, expiration: Option<Duration>) -> Result<String> {
        self.signed_url(path, expiration, false)
    }

    fn signed_url(&self, path: &str, expiration: Option<Duration>, upload: bool) -> Result<String> {
        let api = self.api();
        let (p, u) = (cstring(path, "path")?, opt_cstring(&self.user, "user")?);
        let secs = expiration.map_or(0, |d| d.as_secs().max(1).min(i64::MAX as u64) as i64);
        let f = if upload { api.e2b_files_upload_url } else { api.e2b_files_download_url };
        let mut buf = sys::e2b_buf::default();
        check(api, unsafe { f(&mut buf, self.raw(), p.as_ptr(), opt_ptr(&u), secs) })?;
        Ok(take_buf_string(api, buf))
    }

    /// Watches `dir`; returns once the server confirmed the watch. `on_event` runs on libe2b's
    /// service thread (or in `Client::dispatch` with queued delivery). A panic in it is caught
    /// (it must not unwind into C), stops further deliveries to it, and is reported to the
    /// panic hook only.
    pub fn watch_dir<F>(&self, dir: &str, recursive: bool, on_event: F) -> Result<WatchHandle>
    where
        F: FnMut(FilesystemEvent) + Send + 'static,
    {
        self.watch_dir_with_end(dir, recursive, on_event, |_| {})
    }

    /// As [`watch_dir`](Self::watch_dir), plus `on_end`, called exactly once, last: None when
    /// stopped or ended by the server cleanly, else the failure (Timeout at the lifetime's end).
    pub fn watch_dir_with_end<F, E>(&self, dir: &str, recursive: bool, on_event: F, on_end: E) -> Result<WatchHandle>
    where
        F: FnMut(FilesystemEvent) + Send + 'static,
        E: FnOnce(Option<Error>) + Send + 'static,
    {
        let api = self.api();
        let (p, o) = (cstring(dir, "dir")?, self.opts()?);
        let state = Box::into_raw(Box::new(WatchState { on_event: Some(Box::new(on_event)), on_end: Box::new(on_end) }));
        let mut raw = std::ptr::null_mut();
        let flags = if recursive { sys::E2B_WATCH_F_RECURSIVE } else { 0 };
        let rc = unsafe {
            (api.e2b_files_watch)(
                &mut raw,
                self.raw(),
                p.as_ptr(),
                flags,
                Some(watch_event_tramp),
                Some(watch_end_tramp),
                state as *mut c_void,
                &o.raw,
            )
        };
        if rc < 0 {
            let e = Error::last(api, rc);
            // SAFETY: on failure no callback ever runs, so the state is ours to free.
            unsafe { drop(Box::from_raw(state)) };
            return Err(e);
        }
        Ok(WatchHandle { raw, sandbox: self.sbx.clone() })
    }
}

struct WatchState {
    on_event: Option<Box<dyn FnMut(FilesystemEvent) + Send>>,
    on_end: Box<dyn FnOnce(Option<Error>) + Send>,
}

unsafe extern "C" fn watch_event_tramp(ev: *const sys::e2b_fs_event, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    // SAFETY: the state lives until on_end, which runs after every on_event; events of one
    // watch are delivered one at a time.
    let st = &mut *(payload as *mut WatchState);
    let Some(f) = st.on_event.as_mut() else { return };
    let e = &*ev;
    let event = FilesystemEvent {
        name: cstr_lossy(e.name),
        event_type: match e.type_ {
            sys::E2B_FS_EVENT_CREATE => FilesystemEventType::Create,
            sys::E2B_FS_EVENT_WRITE => FilesystemEventType::Write,
            sys::E2B_FS_EVENT_REMOVE => FilesystemEventType::Remove,
            sys::E2B_FS_EVENT_RENAME => FilesystemEventType::Rename,
            sys::E2B_FS_EVENT_CHMOD => FilesystemEventType::Chmod,
            _ => FilesystemEventType::Unknown,
        },
    };
    if catch_unwind(AssertUnwindSafe(|| f(event))).is_err() {
        st.on_event = None;
    }
}

unsafe extern "C" fn watch_end_tramp(err: *const sys::e2b_error, payload: *mut c_void) {
    let _scope = CallbackScope::enter();
    // SAFETY: on_end runs exactly once, last: the C side never touches the payload again, so
    // this is where the closures are freed.
    let st = Box::from_raw(payload as *mut WatchState);
    let err = Error::from_raw(err);
    let WatchState { on_event, on_end } = *st;
    let _ = catch_unwind(AssertUnwindSafe(move || {
        drop(on_event);
        on_end(err)
    }));
}

/// A directory watch. `Send + Sync`: e2b_watch_stop and e2b_watch_free are "Thread: any".
/// Dropping it stops the watch; the closures are freed after their last call (on_end).
pub struct WatchHandle {
    raw: *mut sys::e2b_watch,
    sandbox: Sandbox,
}

// SAFETY: see the type's doc.
unsafe impl Send for WatchHandle {}
unsafe impl Sync for WatchHandle {}

impl std::fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchHandle").finish_non_exhaustive()
    }
}

impl WatchHandle {
    /// Stops it; idempotent; no on_event after it returns. Returns after on_end ran, except from
    /// inside a callback or with queued delivery (then on_end follows).
    pub fn stop(&self) {
        unsafe { (self.sandbox.api().e2b_watch_stop)(self.raw) }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        unsafe { (self.sandbox.api().e2b_watch_free)(self.raw) }
    }
}
