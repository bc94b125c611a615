package e2b

import (
	"errors"
	"fmt"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Code is libe2b's error code (E2B_E* in e2b.h); each maps onto an error class of the official
// SDKs.
type Code int32

// The codes. Values are ABI and never change.
const (
	CodeOK              Code = capi.OK
	CodeError           Code = capi.EError           // SandboxError
	CodeInvalidArgument Code = capi.EInval           // InvalidArgumentError
	CodeVersion         Code = capi.EVersion         // unknown options version
	CodeNotFound        Code = capi.ENotFound        // NotFoundError (process, ...)
	CodeTimeout         Code = capi.ETimeout         // TimeoutError
	CodeAuth            Code = capi.EAuth            // AuthenticationError
	CodeRateLimit       Code = capi.ERateLimit       // RateLimitError
	CodeNoSpace         Code = capi.ENoSpace         // NotEnoughSpaceError
	CodeCanceled        Code = capi.ECanceled        // cancelled by the caller
	CodeUser            Code = capi.EUser            // a callback asked to stop
	CodeMisuse          Code = capi.EMisuse          // e.g. a blocking call from a callback
	CodeSandboxNotFound Code = capi.ESandboxNotFound // SandboxNotFoundError
	CodeFileNotFound    Code = capi.EFileNotFound    // FileNotFoundError
	CodeCommandExit     Code = capi.ECommandExit     // CommandExitError
	CodeTemplate        Code = capi.ETemplate        // TemplateError
	CodeNetwork         Code = capi.ENetwork         // no HTTP response
	CodeProtocol        Code = capi.EProtocol        // malformed response
	CodeNoMemory        Code = capi.ENoMem
	CodePoolExhausted   Code = capi.EPoolExhausted // every pooled sandbox is in use
)

// String is libe2b's name for the code ("not found", ...).
func (c Code) String() string {
	if capi.Load() != nil {
		return fmt.Sprintf("code %d", int32(c))
	}
	return capi.StatusStr(int32(c))
}

// Error is every failure reported by libe2b. Match its kind with errors.Is and the Err*
// sentinels, or read Code/HTTPStatus after errors.As.
type Error struct {
	Op         string // the binding's operation, e.g. "Sandbox.Kill"
	Code       Code
	HTTPStatus int // the last HTTP status seen, 0 if none
	Message    string
}

func (e *Error) Error() string {
	s := "e2b: " + e.Op + ": " + e.Message
	if e.Message == "" {
		s = "e2b: " + e.Op + ": " + e.Code.String()
	}
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	return s
}

// Is makes errors.Is(err, ErrSandboxNotFound) (and the other sentinels) match by code.
func (e *Error) Is(target error) bool {
	k, ok := target.(kind)
	return ok && Code(k) == e.Code
}

type kind Code

func (k kind) Error() string { return "e2b: " + Code(k).String() }

// Sentinels for errors.Is, one per code.
var (
	ErrSandbox         error = kind(CodeError)
	ErrInvalidArgument error = kind(CodeInvalidArgument)
	ErrVersion         error = kind(CodeVersion)
	ErrNotFound        error = kind(CodeNotFound)
	ErrTimeout         error = kind(CodeTimeout)
	ErrAuth            error = kind(CodeAuth)
	ErrRateLimit       error = kind(CodeRateLimit)
	ErrNoSpace         error = kind(CodeNoSpace)
	ErrCanceled        error = kind(CodeCanceled)
	ErrUser            error = kind(CodeUser)
	ErrMisuse          error = kind(CodeMisuse)
	ErrSandboxNotFound error = kind(CodeSandboxNotFound)
	ErrFileNotFound    error = kind(CodeFileNotFound)
	ErrCommandExit     error = kind(CodeCommandExit)
	ErrTemplate        error = kind(CodeTemplate)
	ErrNetwork         error = kind(CodeNetwork)
	ErrProtocol        error = kind(CodeProtocol)
	ErrNoMemory        error = kind(CodeNoMemory)
	ErrPoolExhausted   error = kind(CodePoolExhausted)
)

// ErrClosed is returned by calls on a Client, Sandbox or handle after Close.
var ErrClosed = errors.New("e2b: use of a closed handle")

func newError(op string, ce *capi.CallError) error {
	if ce == nil {
		return nil
	}
	return &Error{Op: op, Code: Code(ce.Code), HTTPStatus: int(ce.HTTPStatus), Message: ce.Message}
}

// CommandExitError is returned with the result of a command that exited non-zero; it matches
// ErrCommandExit and carries the output (as the SDKs' CommandExitError).
type CommandExitError struct {
	Err    *Error // Code is CodeCommandExit
	Result *CommandResult
}

func (e *CommandExitError) Error() string { return e.Err.Error() }

// Unwrap gives the *Error (so errors.Is(err, ErrCommandExit) and errors.As(err, **Error) work).
func (e *CommandExitError) Unwrap() error { return e.Err }

// ExitCode is the process's exit code.
func (e *CommandExitError) ExitCode() int { return e.Result.ExitCode }

func asError(err error, e **Error) bool { return errors.As(err, e) }
