use std::ffi::{c_int, CStr};
use std::fmt;

use e2b_sys as sys;

use crate::commands::CommandOutput;

/// The kind of a failure: one per libe2b error code (each maps onto an error class of the
/// official SDKs, named in the variant's doc), plus `Load` and `Io` that arise in the binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// E2B_ERROR, generic failure (SDK: SandboxError).
    Sandbox,
    /// E2B_EINVAL (InvalidArgumentError).
    InvalidArgument,
    /// E2B_EVERSION: an options-struct version the library does not know.
    Version,
    /// E2B_ENOTFOUND: process, context or other resource (NotFoundError).
    NotFound,
    /// E2B_ETIMEOUT (TimeoutError).
    Timeout,
    /// E2B_EAUTH: missing or rejected API key (AuthenticationError).
    Authentication,
    /// E2B_ERATELIMIT (RateLimitError).
    RateLimit,
    /// E2B_ENOSPACE: disk full in the sandbox (NotEnoughSpaceError).
    NotEnoughSpace,
    /// E2B_ECANCELED: cancelled by the caller (e.g. after `disconnect`).
    Canceled,
    /// E2B_EUSER: a callback asked to stop.
    User,
    /// E2B_EMISUSE: e.g. a blocking call from inside a callback.
    Misuse,
    /// E2B_ESANDBOX_NOT_FOUND (SandboxNotFoundError).
    SandboxNotFound,
    /// E2B_EFILE_NOT_FOUND (FileNotFoundError).
    FileNotFound,
    /// E2B_ECOMMAND_EXIT: a command exited non-zero (CommandExitError); see
    /// [`Error::exit_code`] and [`Error::command_output`].
    CommandExit,
    /// E2B_ETEMPLATE (TemplateError).
    Template,
    /// E2B_ENETWORK: no HTTP response.
    Network,
    /// E2B_EPROTOCOL: malformed or unexpected response.
    Protocol,
    /// E2B_ENOMEM.
    OutOfMemory,
    /// libe2b could not be loaded or has another ABI version (no libe2b code).
    Load,
    /// A reader or writer given to a streamed transfer failed (code E2B_EUSER); the
    /// `std::io::Error` is the [`std::error::Error::source`].
    Io,
    /// A code this binding does not know (a newer libe2b).
    Unknown,
}

impl ErrorKind {
    pub fn from_code(code: c_int) -> ErrorKind {
        match code {
            sys::E2B_ERROR => ErrorKind::Sandbox,
            sys::E2B_EINVAL => ErrorKind::InvalidArgument,
            sys::E2B_EVERSION => ErrorKind::Version,
            sys::E2B_ENOTFOUND => ErrorKind::NotFound,
            sys::E2B_ETIMEOUT => ErrorKind::Timeout,
            sys::E2B_EAUTH => ErrorKind::Authentication,
            sys::E2B_ERATELIMIT => ErrorKind::RateLimit,
            sys::E2B_ENOSPACE => ErrorKind::NotEnoughSpace,
            sys::E2B_ECANCELED => ErrorKind::Canceled,
            sys::E2B_EUSER => ErrorKind::User,
            sys::E2B_EMISUSE => ErrorKind::Misuse,
            sys::E2B_ESANDBOX_NOT_FOUND => ErrorKind::SandboxNotFound,
            sys::E2B_EFILE_NOT_FOUND => ErrorKind::FileNotFound,
            sys::E2B_ECOMMAND_EXIT => ErrorKind::CommandExit,
            sys::E2B_ETEMPLATE => ErrorKind::Template,
            sys::E2B_ENETWORK => ErrorKind::Network,
            sys::E2B_EPROTOCOL => ErrorKind::Protocol,
            sys::E2B_ENOMEM => ErrorKind::OutOfMemory,
            _ => ErrorKind::Unknown,
        }
    }
}

/// A failed call: the kind, libe2b's code and message, and the last HTTP status seen.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    code: i32,
    http_status: i32,
    message: String,
    exit_code: Option<i32>,
    output: Option<Box<CommandOutput>>,
    source: Option<std::io::Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(code: i32, http_status: i32, message: String) -> Error {
        Error {
            kind: ErrorKind::from_code(code),
            code,
            http_status,
            message,
            exit_code: None,
            output: None,
            source: None,
        }
    }

    /// The error libe2b recorded for the failing call `rc` on this thread. Must be called right
    /// after that call, before any other libe2b call on the thread.
    pub(crate) fn last(api: &sys::Api, rc: c_int) -> Error {
        // SAFETY: e2b_error_last never returns NULL; the message is valid until the thread's next
        // libe2b call, and is copied here.
        unsafe {
            let e = &*(api.e2b_error_last)();
            if e.code == rc && !e.message.is_null() {
                return Error::new(rc, e.http_status, cstr_lossy(e.message));
            }
            Error::new(rc, 0, cstr_lossy((api.e2b_status_str)(rc)))
        }
    }

    /// From an `e2b_error` handed to a callback (borrowed for the call).
    pub(crate) unsafe fn from_raw(e: *const sys::e2b_error) -> Option<Error> {
        if e.is_null() || (*e).code == sys::E2B_OK {
            return None;
        }
        Some(Error::new((*e).code, (*e).http_status, cstr_lossy((*e).message)))
    }

    pub(crate) fn load(e: &sys::LoadError) -> Error {
        let mut err = Error::new(sys::E2B_ERROR, 0, e.to_string());
        err.kind = ErrorKind::Load;
        err
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::new(sys::E2B_EINVAL, 0, msg.into())
    }

    pub(crate) fn io(e: std::io::Error) -> Error {
        let mut err = Error::new(sys::E2B_EUSER, 0, format!("stream I/O failed: {e}"));
        err.kind = ErrorKind::Io;
        err.source = Some(e);
        err
    }

    pub(crate) fn with_exit(mut self, exit_code: i32, output: Option<CommandOutput>) -> Error {
        self.exit_code = Some(exit_code);
        self.output = output.map(Box::new);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// libe2b's code (a negative E2B_E* value).
    pub fn code(&self) -> i32 {
        self.code
    }
    /// The last HTTP status seen by the failing call, 0 if none.
    pub fn http_status(&self) -> i32 {
        self.http_status
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// For [`ErrorKind::CommandExit`]: the command's exit code.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }
    /// For [`ErrorKind::CommandExit`] from `run`: what the command printed.
    pub fn command_output(&self) -> Option<&CommandOutput> {
        self.output.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?}", self.message, self.kind)?;
        if self.http_status != 0 {
            write!(f, ", HTTP {}", self.http_status)?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// Copies a NUL-terminated C string (NULL gives ""), replacing invalid UTF-8.
pub(crate) unsafe fn cstr_lossy(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

pub(crate) unsafe fn cstr_opt(p: *const std::ffi::c_char) -> Option<String> {
    (!p.is_null()).then(|| cstr_lossy(p))
}
