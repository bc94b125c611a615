package capi

import (
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// purego.NewCallback can create at most 2000 callbacks per process and never frees them, so
// the binding creates its nine trampolines once (at Load) and every stream passes a handle-table
// id as the C `payload`. The id is a plain integer, never a Go pointer, so C may keep it for as
// long as it likes; the entry is removed as soon as the C side guarantees no further call for
// it (terminal callback, or return of the synchronous call or free).

// ExecSink receives one exec stream's callbacks. Byte slices are only valid during the call.
type ExecSink interface {
	Stdout(p []byte) bool // false: stop receiving
	Stderr(p []byte) bool
	Exit(code int32, err *CallError) // terminal
}

// ReadSink receives e2b_files_read_stream data.
type ReadSink interface{ Data(p []byte) bool }

// WriteSource feeds e2b_files_write_stream: bytes written into buf, 0 at the end, <0 to abort.
type WriteSource interface{ Fill(buf []byte) int64 }

// WatchSink receives a watch's events and its terminal end.
type WatchSink interface {
	Event(typ uint32, name string)
	End(err *CallError)
}

var handles struct {
	sync.Mutex
	next uintptr
	m    map[uintptr]any
}

// Register stores v and returns its payload id (never 0).
func Register(v any) uintptr {
	handles.Lock()
	defer handles.Unlock()
	if handles.m == nil {
		handles.m = map[uintptr]any{}
	}
	handles.next++
	handles.m[handles.next] = v
	return handles.next
}

// Unregister drops an id; unknown ids are ignored (both the terminal callback and the free path
// call it).
func Unregister(id uintptr) {
	handles.Lock()
	delete(handles.m, id)
	handles.Unlock()
}

func lookup(id uintptr) any {
	handles.Lock()
	defer handles.Unlock()
	return handles.m[id]
}

// LiveHandles is the number of registered payloads (tests prove it returns to zero).
func LiveHandles() int {
	handles.Lock()
	defer handles.Unlock()
	return len(handles.m)
}

// WsSink receives a WebSocket's messages and its terminal close.
type WsSink interface {
	Message(p []byte, flags uint32)
	Closed(code int32, err *CallError)
}

// CodeSink receives a code run's callbacks. The execution handle is only valid during End.
type CodeSink interface {
	Output(stderr bool, line []byte, tsMicros int64) bool
	Result(r *CodeResult) bool
	Error(e *CodeError) bool
	End(execution uintptr, err *CallError)
}

// ProgressSink receives transfer progress (artifacts, workspace); false stops the transfer.
type ProgressSink interface {
	Progress(p *TransferProgress) bool
}

// LogSink receives a client's structured log lines (any thread, possibly concurrently).
type LogSink interface {
	Log(level int32, line []byte)
}

// MeasureFn is the function e2b_measure times (on the caller's thread).
type MeasureFn interface{ Run() int32 }

// StallSink receives a stall watch's reports.
type StallSink interface {
	Stall(sandboxID string, pid uint32, idleMs int64, killed bool)
}

// Trampoline addresses, set once by Load.
var (
	CbExecStdout, CbExecStderr, CbExecExit uintptr
	CbReadData, CbWriteFill                uintptr
	CbWatchEvent, CbWatchEnd               uintptr
	CbWsMessage, CbWsClose                 uintptr
	CbCodeStdout, CbCodeStderr             uintptr
	CbCodeResult, CbCodeError, CbCodeEnd   uintptr
	CbProgress                             uintptr
	CbLog, CbMeasure, CbStall              uintptr
	trampolinesOnce                        sync.Once
	callbacksCreated                       int
)

// CallbacksCreated is how many purego callbacks this package ever made (constant after Load).
func CallbacksCreated() int { return callbacksCreated }

func newCB(fn any) uintptr {
	callbacksCreated++
	return purego.NewCallback(fn)
}

// A panic must not unwind into C: it is recovered and the stream told to stop.
func initTrampolines() {
	trampolinesOnce.Do(func() {
		CbExecStdout = newCB(func(data *byte, n uintptr, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(ExecSink); ok && !s.Stdout(view(unsafe.Pointer(data), n)) {
				return 1
			}
			return 0
		})
		CbExecStderr = newCB(func(data *byte, n uintptr, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(ExecSink); ok && !s.Stderr(view(unsafe.Pointer(data), n)) {
				return 1
			}
			return 0
		})
		CbExecExit = newCB(func(code int32, err *Error, payload uintptr) {
			defer func() { _ = recover() }()
			s, ok := lookup(payload).(ExecSink)
			Unregister(payload) // on_exit is terminal: no further call for this payload
			if ok {
				s.Exit(code, FromC(err))
			}
		})
		CbReadData = newCB(func(data unsafe.Pointer, n uintptr, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(ReadSink); ok && s.Data(view(data, n)) {
				return 0
			}
			return 1
		})
		CbWriteFill = newCB(func(buf unsafe.Pointer, capacity uintptr, payload uintptr) (rc int64) {
			defer func() {
				if recover() != nil {
					rc = -1
				}
			}()
			if s, ok := lookup(payload).(WriteSource); ok {
				return s.Fill(unsafe.Slice((*byte)(buf), capacity))
			}
			return -1
		})
		CbWatchEvent = newCB(func(ev *FsEvent, payload uintptr) {
			defer func() { _ = recover() }()
			if s, ok := lookup(payload).(WatchSink); ok && ev != nil {
				s.Event(ev.Type, GoString(ev.Name))
			}
		})
		CbWatchEnd = newCB(func(err *Error, payload uintptr) {
			defer func() { _ = recover() }()
			s, ok := lookup(payload).(WatchSink)
			Unregister(payload) // on_end runs exactly once, last
			if ok {
				s.End(FromC(err))
			}
		})
		CbWsMessage = newCB(func(data unsafe.Pointer, n uintptr, flags uint32, payload uintptr) {
			defer func() { _ = recover() }()
			if s, ok := lookup(payload).(WsSink); ok {
				s.Message(view(data, n), flags)
			}
		})
		CbWsClose = newCB(func(code int32, err *Error, payload uintptr) {
			defer func() { _ = recover() }()
			s, ok := lookup(payload).(WsSink)
			Unregister(payload) // on_close is terminal
			if ok {
				s.Closed(code, FromC(err))
			}
		})
		codeOut := func(stderr bool) uintptr {
			return newCB(func(text *byte, n uintptr, ts int64, payload uintptr) (rc int32) {
				defer func() {
					if recover() != nil {
						rc = 1
					}
				}()
				if s, ok := lookup(payload).(CodeSink); ok && !s.Output(stderr, view(unsafe.Pointer(text), n), ts) {
					return 1
				}
				return 0
			})
		}
		CbCodeStdout, CbCodeStderr = codeOut(false), codeOut(true)
		CbCodeResult = newCB(func(r *CodeResult, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(CodeSink); ok && r != nil && !s.Result(r) {
				return 1
			}
			return 0
		})
		CbCodeError = newCB(func(e *CodeError, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(CodeSink); ok && e != nil && !s.Error(e) {
				return 1
			}
			return 0
		})
		CbCodeEnd = newCB(func(execution uintptr, err *Error, payload uintptr) {
			defer func() { _ = recover() }()
			s, ok := lookup(payload).(CodeSink)
			Unregister(payload) // on_end is terminal
			if ok {
				s.End(execution, FromC(err))
			}
		})
		CbProgress = newCB(func(p *TransferProgress, payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = 1
				}
			}()
			if s, ok := lookup(payload).(ProgressSink); ok && p != nil && !s.Progress(p) {
				return 1
			}
			return 0
		})
		CbLog = newCB(func(level int32, line *byte, n uintptr, payload uintptr) {
			defer func() { _ = recover() }()
			if s, ok := lookup(payload).(LogSink); ok {
				s.Log(level, view(unsafe.Pointer(line), n))
			}
		})
		CbMeasure = newCB(func(payload uintptr) (rc int32) {
			defer func() {
				if recover() != nil {
					rc = EError
				}
			}()
			if f, ok := lookup(payload).(MeasureFn); ok {
				return f.Run()
			}
			return EInval
		})
		CbStall = newCB(func(sandboxID *byte, pid uint32, idleMs int64, killed int32, payload uintptr) {
			defer func() { _ = recover() }()
			if s, ok := lookup(payload).(StallSink); ok {
				s.Stall(GoString(sandboxID), pid, idleMs, killed != 0)
			}
		})
	})
}

// Trampolines is how many callbacks the binding ever creates.
const Trampolines = 18

func view(p unsafe.Pointer, n uintptr) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}
