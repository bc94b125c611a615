//! Artifacts (files out of and into a sandbox by glob pattern) and workspace sync (a directory
//! tree as one streamed tar), with progress callbacks.
use std::any::Any;
use std::ffi::{c_int, c_void};
use std::panic::resume_unwind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2b_sys as sys;

use crate::client::Sandbox;
use crate::commands::Flow;
use crate::error::{cstr_lossy, Result};
use crate::{catch, check, cstring, opt_cstring, opt_ptr, path_cstring, timeout_ms, CStrList, CallbackScope};

/// Progress of a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferProgress {
    /// Files (artifacts) or tar entries (workspace) done.
    pub files_done: u32,
    /// None when unknown.
    pub files_total: Option<u32>,
    pub bytes_done: i64,
    pub bytes_total: Option<i64>,
    /// The current file, relative ("" when none).
    pub path: String,
}

/// The progress closure with its panic, on the stack of the blocking call: libe2b calls it (on
/// its service thread, never overlapping) only while that call runs.
struct ProgressCtx<'f> {
    f: &'f mut (dyn FnMut(&TransferProgress) -> bool + Send),
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn progress_tramp(p: *const sys::e2b_transfer_progress, payload: *mut c_void) -> c_int {
    let _scope = CallbackScope::enter();
    let ctx = &mut *(payload as *mut ProgressCtx);
    if ctx.panic.is_some() {
        return 1;
    }
    let p = &*p;
    let tp = TransferProgress {
        files_done: p.files_done,
        files_total: (p.files_total != 0).then_some(p.files_total),
        bytes_done: p.bytes_done,
        bytes_total: (p.bytes_total >= 0).then_some(p.bytes_total),
        path: cstr_lossy(p.path),
    };
    match catch(|| (ctx.f)(&tp)) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(p) => {
            ctx.panic = Some(p);
            1
        }
    }
}

/// Runs `call` with the progress callback and payload (none without `f`), then re-raises a
/// panic of `f`. A stop asked by `f` makes the call fail with User.
fn with_progress<R>(
    f: Option<&mut (dyn FnMut(&TransferProgress) -> bool + Send)>,
    call: impl FnOnce(Option<sys::e2b_progress_fn>, *mut c_void) -> R,
) -> R {
    match f {
        None => call(None, std::ptr::null_mut()),
        Some(f) => {
            let mut ctx = ProgressCtx { f, panic: None };
            let r = call(Some(progress_tramp), &mut ctx as *mut ProgressCtx as *mut c_void);
            if let Some(p) = ctx.panic {
                resume_unwind(p);
            }
            r
        }
    }
}

/// Options of artifact transfers.
#[derive(Debug, Clone, Default)]
pub struct ArtifactsOptions {
    /// download: remove each remote file once downloaded.
    pub delete_after: bool,
    /// download: a pattern that matches nothing is not an error.
    pub allow_empty: bool,
    /// None = the sandbox's default user.
    pub user: Option<String>,
    /// Per request; None = the client's, ZERO = none.
    pub timeout: Option<Duration>,
}

/// One transferred file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative to the remote dir (download) / the file name (upload).
    pub rel_path: String,
    pub remote_path: String,
    pub local_path: PathBuf,
    pub size: i64,
    /// From the extension; "application/octet-stream" when unknown.
    pub mime_type: String,
}

/// `sandbox.artifacts()`. Patterns match paths relative to the remote directory: `*`, `?`,
/// `[...]` within a segment, `**` for any number of directories, `{a,b}` alternatives.
pub struct Artifacts<'a> {
    sbx: &'a Sandbox,
}

type ProgressFn<'f> = &'f mut (dyn FnMut(&TransferProgress) -> bool + Send);

impl<'a> Artifacts<'a> {
    /// Downloads every file under `remote_dir` matching one of `patterns` to
    /// `local_dir/<relative path>` (streamed; a file under its final name is whole).
    /// FileNotFound when remote_dir is missing or a pattern matches nothing (unless
    /// `allow_empty`), checked before anything is downloaded.
    pub fn download<P: AsRef<str>>(
        &self,
        remote_dir: &str,
        patterns: &[P],
        local_dir: impl AsRef<Path>,
        opts: &ArtifactsOptions,
    ) -> Result<Vec<Artifact>> {
        self.download_impl(remote_dir, patterns, local_dir.as_ref(), opts, None)
    }

    /// As [`download`](Self::download), reporting progress to `f` (called on libe2b's service
    /// thread while this blocks; `ControlFlow::Break(())` stops with User).
    pub fn download_with_progress<P: AsRef<str>, R: Flow>(
        &self,
        remote_dir: &str,
        patterns: &[P],
        local_dir: impl AsRef<Path>,
        opts: &ArtifactsOptions,
        mut f: impl FnMut(&TransferProgress) -> R + Send,
    ) -> Result<Vec<Artifact>> {
        let mut g = move |p: &TransferProgress| f(p).keep_going();
        self.download_impl(remote_dir, patterns, local_dir.as_ref(), opts, Some(&mut g))
    }

    /// Uploads `local_files` (regular files) to `remote_dir/<file name>`, each streamed.
    /// InvalidArgument for a missing file or two files with one name, before anything is sent.
    pub fn upload<P: AsRef<Path>>(&self, local_files: &[P], remote_dir: &str, opts: &ArtifactsOptions) -> Result<Vec<Artifact>> {
        self.upload_impl(local_files, remote_dir, opts, None)
    }

    pub fn upload_with_progress<P: AsRef<Path>, R: Flow>(
        &self,
        local_files: &[P],
        remote_dir: &str,
        opts: &ArtifactsOptions,
        mut f: impl FnMut(&TransferProgress) -> R + Send,
    ) -> Result<Vec<Artifact>> {
        let mut g = move |p: &TransferProgress| f(p).keep_going();
        self.upload_impl(local_files, remote_dir, opts, Some(&mut g))
    }

    fn raw_opts(
        opts: &ArtifactsOptions,
        user: &Option<std::ffi::CString>,
        cb: Option<sys::e2b_progress_fn>,
        payload: *mut c_void,
    ) -> sys::e2b_artifacts_opts {
        let mut flags = 0;
        if opts.delete_after {
            flags |= sys::E2B_ARTIFACTS_F_DELETE;
        }
        if opts.allow_empty {
            flags |= sys::E2B_ARTIFACTS_F_ALLOW_EMPTY;
        }
        sys::e2b_artifacts_opts {
            version: sys::E2B_ARTIFACTS_OPTS_VERSION,
            flags,
            user: opt_ptr(user),
            timeout_ms: timeout_ms(opts.timeout),
            on_progress: cb,
            payload,
        }
    }

    fn download_impl<P: AsRef<str>>(
        &self,
        remote_dir: &str,
        patterns: &[P],
        local_dir: &Path,
        opts: &ArtifactsOptions,
        f: Option<ProgressFn>,
    ) -> Result<Vec<Artifact>> {
        let api = self.sbx.api();
        let rd = cstring(remote_dir, "remote_dir")?;
        let pats = CStrList::items(patterns, "pattern")?;
        let ld = path_cstring(local_dir, "local_dir")?;
        let user = opt_cstring(&opts.user, "user")?;
        let mut list = std::ptr::null_mut();
        let rc = with_progress(f, |cb, payload| {
            let o = Self::raw_opts(opts, &user, cb, payload);
            unsafe {
                (api.e2b_artifacts_download)(&mut list, self.sbx.inner.raw, rd.as_ptr(), pats.as_list_ptr(), ld.as_ptr(), &o)
            }
        });
        check(api, rc)?;
        Ok(take_list(api, list))
    }

    fn upload_impl<P: AsRef<Path>>(
        &self,
        local_files: &[P],
        remote_dir: &str,
        opts: &ArtifactsOptions,
        f: Option<ProgressFn>,
    ) -> Result<Vec<Artifact>> {
        let api = self.sbx.api();
        let files = local_files.iter().map(|p| path_cstring(p.as_ref(), "local file")).collect::<Result<Vec<_>>>()?;
        let files = CStrList::from_owned(files);
        let rd = cstring(remote_dir, "remote_dir")?;
        let user = opt_cstring(&opts.user, "user")?;
        let mut list = std::ptr::null_mut();
        let rc = with_progress(f, |cb, payload| {
            let o = Self::raw_opts(opts, &user, cb, payload);
            unsafe { (api.e2b_artifacts_upload)(&mut list, self.sbx.inner.raw, files.as_list_ptr(), rd.as_ptr(), &o) }
        });
        check(api, rc)?;
        Ok(take_list(api, list))
    }
}

fn take_list(api: &sys::Api, list: *mut sys::e2b_artifact_list) -> Vec<Artifact> {
    use std::os::unix::ffi::OsStringExt;
    // SAFETY: items are borrowed from the list until it is freed.
    unsafe {
        let n = (api.e2b_artifact_list_count)(list);
        let v = (0..n)
            .filter_map(|i| (api.e2b_artifact_list_at)(list, i).as_ref())
            .map(|a| Artifact {
                rel_path: cstr_lossy(a.rel_path),
                remote_path: cstr_lossy(a.remote_path),
                local_path: PathBuf::from(std::ffi::OsString::from_vec(
                    std::ffi::CStr::from_ptr(a.local_path).to_bytes().to_vec(),
                )),
                size: a.size,
                mime_type: cstr_lossy(a.mime_type),
            })
            .collect();
        (api.e2b_artifact_list_free)(list);
        v
    }
}

/// Options of workspace sync.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceOptions {
    /// push: the local path is a tar file (plain or compressed); pull: the remote path is a tar
    /// file in the sandbox.
    pub tar: bool,
    /// pull: an existing local directory is replaced (atomically).
    pub replace: bool,
    /// None = the sandbox's default user (owner of what is made).
    pub user: Option<String>,
    /// Per request; None = the client's, ZERO = none.
    pub timeout: Option<Duration>,
}

/// `sandbox.workspace()`: a directory tree as one streamed tar. Unsafe entries (absolute paths,
/// "..", links leaving the tree) are refused with InvalidArgument.
pub struct Workspace<'a> {
    sbx: &'a Sandbox,
}

impl<'a> Workspace<'a> {
    /// Pushes the tree under `local_path` into `remote_dir` (created; existing files
    /// overwritten, others kept). Nothing is extracted unless the whole upload arrived. Returns
    /// the tar entries sent.
    pub fn push(&self, local_path: impl AsRef<Path>, remote_dir: &str, opts: &WorkspaceOptions) -> Result<u32> {
        self.transfer(true, local_path.as_ref(), remote_dir, opts, None)
    }
    pub fn push_with_progress<R: Flow>(
        &self,
        local_path: impl AsRef<Path>,
        remote_dir: &str,
        opts: &WorkspaceOptions,
        mut f: impl FnMut(&TransferProgress) -> R + Send,
    ) -> Result<u32> {
        let mut g = move |p: &TransferProgress| f(p).keep_going();
        self.transfer(true, local_path.as_ref(), remote_dir, opts, Some(&mut g))
    }

    /// Pulls `remote_path` into `local_dir`, which appears only once complete (must not exist
    /// unless `replace`). On failure `local_dir` is untouched. Returns the tar entries received.
    pub fn pull(&self, remote_path: &str, local_dir: impl AsRef<Path>, opts: &WorkspaceOptions) -> Result<u32> {
        self.transfer(false, local_dir.as_ref(), remote_path, opts, None)
    }
    pub fn pull_with_progress<R: Flow>(
        &self,
        remote_path: &str,
        local_dir: impl AsRef<Path>,
        opts: &WorkspaceOptions,
        mut f: impl FnMut(&TransferProgress) -> R + Send,
    ) -> Result<u32> {
        let mut g = move |p: &TransferProgress| f(p).keep_going();
        self.transfer(false, local_dir.as_ref(), remote_path, opts, Some(&mut g))
    }

    fn transfer(&self, push: bool, local: &Path, remote: &str, opts: &WorkspaceOptions, f: Option<ProgressFn>) -> Result<u32> {
        let api = self.sbx.api();
        let l = path_cstring(local, "local path")?;
        let r = cstring(remote, "remote path")?;
        let user = opt_cstring(&opts.user, "user")?;
        let mut flags = 0;
        if opts.tar {
            flags |= sys::E2B_WORKSPACE_F_TAR;
        }
        if opts.replace {
            flags |= sys::E2B_WORKSPACE_F_REPLACE;
        }
        let mut entries = 0u32;
        let rc = with_progress(f, |cb, payload| {
            let o = sys::e2b_workspace_opts {
                version: sys::E2B_WORKSPACE_OPTS_VERSION,
                flags,
                user: opt_ptr(&user),
                timeout_ms: timeout_ms(opts.timeout),
                on_progress: cb,
                payload,
            };
            unsafe {
                if push {
                    (api.e2b_workspace_push)(self.sbx.inner.raw, l.as_ptr(), r.as_ptr(), &o, &mut entries)
                } else {
                    (api.e2b_workspace_pull)(self.sbx.inner.raw, r.as_ptr(), l.as_ptr(), &o, &mut entries)
                }
            }
        });
        check(api, rc)?;
        Ok(entries)
    }
}

impl Sandbox {
    pub fn artifacts(&self) -> Artifacts<'_> {
        Artifacts { sbx: self }
    }
    pub fn workspace(&self) -> Workspace<'_> {
        Workspace { sbx: self }
    }
}
