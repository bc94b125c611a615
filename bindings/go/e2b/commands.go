package e2b

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// CommandOptions configure Commands.Run / Start (the SDKs' commands.run options). A command
// string runs as `/bin/bash -l -c <cmd>`.
type CommandOptions struct {
	Cwd     string            // "" = the user's home
	Envs    map[string]string //
	User    string            // "" = the sandbox's default user
	Timeout time.Duration     // process lifetime (envd kills it after); 0 = 60s; < 0 = none
	Tag     string            //
	Stdin   bool              // keep stdin open for SendStdin / Write
	// Stdout and Stderr receive the output as it arrives, in order, on a goroutine of the
	// binding (never on libe2b's thread, so they may block; output then queues in memory). A
	// write error stops the stream. When nil, the output is collected into the result.
	Stdout io.Writer
	Stderr io.Writer
}

// CommandResult is a finished command (the SDKs' CommandResult).
type CommandResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
	Error    string // the end status of a failed process ("exit status 2"), "" if none
}

// Commands runs processes in the sandbox (sandbox.commands).
type Commands struct{ s *Sandbox }

func (o *CommandOptions) toC(a *capi.Arena) *capi.ExecOpts {
	c := &capi.ExecOpts{Version: capi.ExecOptsVersion}
	a.Pin(c)
	if o == nil {
		return c
	}
	c.Cwd = a.OptStr(o.Cwd)
	c.Envs = a.KVList(o.Envs)
	c.User = a.OptStr(o.User)
	c.TimeoutMs = durMs(o.Timeout)
	c.Tag = a.OptStr(o.Tag)
	if o.Stdin {
		c.Flags |= capi.ExecFStdin
	}
	return c
}

// Run runs cmd to completion. A non-zero exit gives the result and a *CommandExitError
// (errors.Is(err, ErrCommandExit)). If ctx ends first the process is killed (as
// exec.CommandContext does) and the context's error returned.
func (c *Commands) Run(ctx context.Context, cmd string, opts *CommandOptions) (*CommandResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() == nil && (opts == nil || (opts.Stdout == nil && opts.Stderr == nil && !opts.Stdin)) {
		return c.runInline(cmd, opts) // nothing to stream or cancel: one e2b_exec_run call
	}
	h, err := c.Start(ctx, cmd, opts)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	res, err := h.Wait(ctx)
	if ctx.Err() != nil && res == nil {
		kctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = h.Kill(kctx)
		cancel()
	}
	return res, err
}

func (c *Commands) runInline(cmd string, opts *CommandOptions) (*CommandResult, error) {
	var a capi.Arena
	o := opts.toC(&a)
	var out capi.ExecOutput
	_, err := do(context.Background(), &c.s.life, "Commands.Run", &a, func() int32 { return capi.ExecRun(&out, c.s.h, cmd, o) }, nil)
	var ee *Error
	if err != nil && !(errors.As(err, &ee) && ee.Code == CodeCommandExit) {
		return nil, err
	}
	res := &CommandResult{ExitCode: int(out.ExitCode), Stdout: string(capi.Bytes(out.Out.Ptr, out.Out.Size)),
		Stderr: string(capi.Bytes(out.Err.Ptr, out.Err.Size)), Error: capi.GoString(out.Error.Ptr)}
	capi.ExecOutputDispose(&out)
	if ee != nil {
		return res, &CommandExitError{Err: ee, Result: res}
	}
	return res, nil
}

// Start starts cmd in the background and returns once its pid is known (the SDKs'
// run(..., {background: true})). Close the handle when done with it (the process keeps running).
func (c *Commands) Start(ctx context.Context, cmd string, opts *CommandOptions) (*CommandHandle, error) {
	var a capi.Arena
	o := opts.toC(&a)
	var so, se io.Writer
	if opts != nil {
		so, se = opts.Stdout, opts.Stderr
	}
	return c.s.startStream(ctx, "Commands.Start", &a, so, se, true, func(out *uintptr, cb *capi.ExecCallbacks) int32 {
		return capi.ExecStart(out, c.s.h, cmd, o, cb)
	})
}

// Connect attaches to a running process by pid; output arrives from now on (the SDKs'
// commands.connect). ErrNotFound if there is no such process.
func (c *Commands) Connect(ctx context.Context, pid uint32, stdout, stderr io.Writer) (*CommandHandle, error) {
	return c.s.startStream(ctx, "Commands.Connect", nil, stdout, stderr, false, func(out *uintptr, cb *capi.ExecCallbacks) int32 {
		return capi.ExecConnect(out, c.s.h, pid, cb)
	})
}

// Kill sends SIGKILL to the process pid (the SDKs' commands.kill): false when it did not exist.
func (c *Commands) Kill(ctx context.Context, pid uint32) (bool, error) {
	if capi.ProcessKill == nil { // an older libe2b: through a handle
		h, err := c.Connect(ctx, pid, io.Discard, io.Discard)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		defer h.Close()
		err = h.Kill(ctx)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	_, err := do(ctx, &c.s.life, "Commands.Kill", nil, func() int32 { return capi.ProcessKill(c.s.h, pid) }, nil)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SendStdin writes to the stdin of process pid (started with CommandOptions.Stdin), without a
// handle (the SDKs' commands.sendStdin). ErrNotFound when there is no such process.
func (c *Commands) SendStdin(ctx context.Context, pid uint32, data []byte) error {
	return c.s.byPid(ctx, "Commands.SendStdin", "e2b_process_send_stdin", capi.ProcessSendStdin, pid, data)
}

// CloseStdin closes the stdin of process pid.
func (c *Commands) CloseStdin(ctx context.Context, pid uint32) error {
	if capi.ProcessCloseStdin == nil {
		return missing("Commands.CloseStdin", "e2b_process_close_stdin")
	}
	_, err := do(ctx, &c.s.life, "Commands.CloseStdin", nil, func() int32 { return capi.ProcessCloseStdin(c.s.h, pid) }, nil)
	return err
}

func (s *Sandbox) byPid(ctx context.Context, op, fn string, f func(uintptr, uint32, unsafe.Pointer, uintptr) int32, pid uint32, data []byte) error {
	if f == nil {
		return missing(op, fn)
	}
	var a capi.Arena
	p := a.Data(data)
	_, err := do(ctx, &s.life, op, &a, func() int32 { return f(s.h, pid, p, uintptr(len(data))) }, nil)
	return err
}

// ProcessInfo is a running process (the SDKs' ProcessInfo).
type ProcessInfo struct {
	PID  uint32
	Cmd  string
	Args []string
	Tag  string
}

// List lists the processes started through envd that are still running.
func (c *Commands) List(ctx context.Context) ([]ProcessInfo, error) {
	l := new(uintptr)
	_, err := do(ctx, &c.s.life, "Commands.List", nil, func() int32 { return capi.ExecList(l, c.s.h) },
		func() { capi.ProcessListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.ProcessListFree(*l)
	n := capi.ProcessListCount(*l)
	out := make([]ProcessInfo, 0, n)
	for i := uintptr(0); i < n; i++ {
		p := capi.ProcessListAt(*l, i)
		out = append(out, ProcessInfo{PID: p.Pid, Cmd: capi.GoString(p.Cmd), Args: capi.GoStrings(p.Args, p.ArgCount),
			Tag: capi.GoString(p.Tag)})
	}
	return out, nil
}

// CommandHandle is one stream of a process started by Start, Connect or Pty.Create.
type CommandHandle struct {
	s       *Sandbox
	h       uintptr
	life    life
	payload uintptr
	pid     uint32
	sink    *execSink
	stalls  []*StallWatch // freed before the handle
}

// startStream registers the sink, makes the call with the shared trampolines, and wraps the
// handle. An abandoned call's handle is freed (and, for a new process, the process killed).
func (s *Sandbox) startStream(ctx context.Context, op string, a *capi.Arena, so, se io.Writer, killOnAbandon bool,
	call func(out *uintptr, cb *capi.ExecCallbacks) int32) (*CommandHandle, error) {
	sink := newExecSink(so, se)
	payload := capi.Register(sink)
	cb := &capi.ExecCallbacks{Version: capi.ExecCallbacksVersion, OnStdout: capi.CbExecStdout,
		OnStderr: capi.CbExecStderr, OnExit: capi.CbExecExit, Payload: payload}
	h := new(uintptr)
	_, err := do(ctx, &s.life, op, a, func() int32 { return call(h, cb) }, func() {
		if killOnAbandon {
			capi.Call(func() int32 { return capi.ExecKill(*h) })
		}
		capi.ExecFree(*h)
		capi.Unregister(payload)
	})
	if err != nil {
		capi.Unregister(payload) // failed: no callback runs; abandoned: undo frees it later too
		return nil, err
	}
	ch := &CommandHandle{s: s, h: *h, payload: payload, pid: capi.ExecPid(*h), sink: sink}
	sink.handle.Store(ch)
	s.adopt(ch, true)
	return ch, nil
}

// PID is the process id.
func (h *CommandHandle) PID() uint32 { return h.pid }

// Done is closed when the stream has ended and its output has been delivered.
func (h *CommandHandle) Done() <-chan struct{} { return h.sink.done }

// Wait waits for the stream to end (the SDKs' handle.wait()). A non-zero exit gives the result
// and a *CommandExitError. If ctx ends first Wait returns its error and the process and the
// stream go on (Kill or Disconnect them). After Disconnect: ErrCanceled.
func (h *CommandHandle) Wait(ctx context.Context) (*CommandResult, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-h.sink.done:
		return h.sink.result, h.sink.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Kill kills the process (SIGKILL). ErrNotFound when it is already gone.
func (h *CommandHandle) Kill(ctx context.Context) error {
	_, err := do(ctx, &h.life, "CommandHandle.Kill", nil, func() int32 { return capi.ExecKill(h.h) }, nil)
	return err
}

// SendStdin writes to the process's stdin (needs CommandOptions.Stdin).
func (h *CommandHandle) SendStdin(ctx context.Context, data []byte) error {
	var a capi.Arena
	p := a.Data(data)
	_, err := do(ctx, &h.life, "CommandHandle.SendStdin", &a, func() int32 { return capi.ExecSendStdin(h.h, p, uintptr(len(data))) }, nil)
	return err
}

// Write makes the handle an io.Writer onto stdin.
func (h *CommandHandle) Write(p []byte) (int, error) {
	if err := h.SendStdin(context.Background(), p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseStdin closes stdin (EOF for the process).
func (h *CommandHandle) CloseStdin(ctx context.Context) error {
	_, err := do(ctx, &h.life, "CommandHandle.CloseStdin", nil, func() int32 { return capi.ExecCloseStdin(h.h) }, nil)
	return err
}

// SendInput sends bytes to a PTY ("\x04" is Ctrl-D).
func (h *CommandHandle) SendInput(ctx context.Context, data []byte) error {
	var a capi.Arena
	p := a.Data(data)
	_, err := do(ctx, &h.life, "Pty.SendInput", &a, func() int32 { return capi.PtySendInput(h.h, p, uintptr(len(data))) }, nil)
	return err
}

// Resize resizes a PTY.
func (h *CommandHandle) Resize(ctx context.Context, cols, rows uint16) error {
	_, err := do(ctx, &h.life, "Pty.Resize", nil, func() int32 { return capi.PtyResize(h.h, cols, rows) }, nil)
	return err
}

// Disconnect stops receiving output; the process keeps running (reconnect with
// Commands.Connect). Wait then returns ErrCanceled. Non-blocking.
func (h *CommandHandle) Disconnect() error {
	if err := h.life.acquire(); err != nil {
		return err
	}
	defer h.life.release()
	_, ce := capi.Call(func() int32 { return capi.ExecDisconnect(h.h) })
	return newError("CommandHandle.Disconnect", ce)
}

// Close releases the local handle (disconnecting if still streaming; never kills). Idempotent.
func (h *CommandHandle) Close() error {
	h.closeLocal()
	return nil
}

func (h *CommandHandle) closeLocal() {
	h.life.mu.Lock()
	stalls := h.stalls
	h.stalls = nil
	h.life.mu.Unlock()
	for _, w := range stalls {
		w.Close()
	}
	if !h.life.shut() {
		return
	}
	// A stream still running is disconnected and its on_exit awaited before the free: libe2b
	// finishes a freed handle's stream later on its service thread and then still reads the
	// sandbox, so freeing the sandbox (or client) right after e2b_exec_free is a
	// use-after-free in libe2b (see the README). on_exit only arrives once that is done.
	select {
	case <-h.sink.exited:
	default:
		capi.ExecDisconnect(h.h)
		awaitEnd(h.sink.exited)
	}
	capi.ExecFree(h.h) // no callback of this handle runs after it returns
	capi.Unregister(h.payload)
	h.sink.abandon()
	h.s.adopt(h, false)
}

// execSink receives the callbacks on libe2b's thread, copies the bytes and hands them, in
// order, to a goroutine, so user writers never block libe2b's service thread.
type execSink struct {
	q       serial
	stdout  io.Writer
	stderr  io.Writer
	outBuf  bytes.Buffer
	errBuf  bytes.Buffer
	stopped atomic.Bool
	done    chan struct{}
	exited  chan struct{} // closed by the on_exit callback itself
	once    sync.Once
	handle  atomic.Pointer[CommandHandle] // set once the start call returned
	result  *CommandResult
	err     error
}

func newExecSink(so, se io.Writer) *execSink {
	s := &execSink{stdout: so, stderr: se, done: make(chan struct{}), exited: make(chan struct{})}
	if s.stdout == nil {
		s.stdout = &s.outBuf
	}
	if s.stderr == nil {
		s.stderr = &s.errBuf
	}
	return s
}

func (s *execSink) Stdout(p []byte) bool { return s.deliver(&s.stdout, p) }
func (s *execSink) Stderr(p []byte) bool { return s.deliver(&s.stderr, p) }

func (s *execSink) deliver(w *io.Writer, p []byte) bool {
	if s.stopped.Load() {
		return false
	}
	b := append([]byte(nil), p...)
	s.q.push(func() {
		if s.stopped.Load() {
			return
		}
		if _, err := (*w).Write(b); err != nil {
			s.stopped.Store(true)
		}
	})
	return true
}

func (s *execSink) Exit(code int32, ce *capi.CallError) {
	close(s.exited)
	s.q.push(func() { s.finish(code, ce) })
}

// endWait bounds how long a Close waits for a cancelled stream's terminal callback.
const endWait = 5 * time.Second

func awaitEnd(ch <-chan struct{}) {
	select {
	case <-ch:
	case <-time.After(endWait):
	}
}

// finish builds the result; libe2b's e2b_exec_wait gives the exact end status once the stream
// ended (it returns at once), the callback's values are the fallback when the handle is gone.
func (s *execSink) finish(code int32, ce *capi.CallError) {
	res := &CommandResult{ExitCode: int(code), Stdout: s.outBuf.String(), Stderr: s.errBuf.String()}
	var err error
	if ce != nil {
		err = newError("CommandHandle.Wait", ce)
	} else if code != 0 {
		err = &Error{Op: "CommandHandle.Wait", Code: CodeCommandExit, Message: "command exited with code " + strconv.Itoa(int(code))}
	}
	if h := s.handle.Load(); h != nil && h.life.acquire() == nil {
		var c int32
		_, wce := capi.Call(func() int32 { return capi.ExecWait(h.h, &c) })
		h.life.release()
		err = newError("CommandHandle.Wait", wce)
	}
	var ee *Error
	if errors.As(err, &ee) && ee.Code == CodeCommandExit {
		res.Error = ee.Message
		err = &CommandExitError{Err: ee, Result: res}
	} else if err != nil {
		res = nil
	}
	s.result, s.err = res, err
	s.once.Do(func() { close(s.done) })
}

// abandon ends Wait after Close freed a handle whose stream had not ended.
func (s *execSink) abandon() {
	s.q.push(func() {
		s.once.Do(func() {
			s.err = &Error{Op: "CommandHandle.Wait", Code: CodeCanceled, Message: "handle closed"}
			close(s.done)
		})
	})
}

// serial runs pushed functions one at a time, in order, on a goroutine that exists only while
// there is work.
type serial struct {
	mu      sync.Mutex
	q       []func()
	running bool
}

func (s *serial) push(f func()) {
	s.mu.Lock()
	s.q = append(s.q, f)
	if !s.running {
		s.running = true
		go s.run()
	}
	s.mu.Unlock()
}

func (s *serial) run() {
	for {
		s.mu.Lock()
		if len(s.q) == 0 {
			s.running = false
			s.q = nil
			s.mu.Unlock()
			return
		}
		f := s.q[0]
		s.q[0] = nil
		s.q = s.q[1:]
		s.mu.Unlock()
		f()
	}
}

// Pty runs interactive terminals (sandbox.pty).
type Pty struct{ s *Sandbox }

// PtyOptions configure Pty.Create.
type PtyOptions struct {
	Cols, Rows uint16            // 0 = 80x24
	Cwd        string            //
	Envs       map[string]string // TERM=xterm-256color unless set here
	User       string            //
	Timeout    time.Duration     // 0 = 60s; < 0 = none (interactive sessions)
	Output     io.Writer         // the terminal's bytes; nil = collected into the result
}

// SendInput sends keystrokes to the PTY process pid without a handle (the SDKs'
// pty.sendInput).
func (p *Pty) SendInput(ctx context.Context, pid uint32, data []byte) error {
	return p.s.byPid(ctx, "Pty.SendInput", "e2b_process_send_pty_input", capi.ProcessSendPtyInput, pid, data)
}

// Resize resizes the PTY of process pid without a handle (the SDKs' pty.resize).
func (p *Pty) Resize(ctx context.Context, pid uint32, cols, rows uint16) error {
	if capi.ProcessResizePty == nil {
		return missing("Pty.Resize", "e2b_process_resize_pty")
	}
	_, err := do(ctx, &p.s.life, "Pty.Resize", nil, func() int32 { return capi.ProcessResizePty(p.s.h, pid, cols, rows) }, nil)
	return err
}

// Create starts `/bin/bash -i -l` on a pseudo-terminal. Send keystrokes with SendInput.
func (p *Pty) Create(ctx context.Context, opts *PtyOptions) (*CommandHandle, error) {
	if opts == nil {
		opts = &PtyOptions{}
	}
	cols, rows := opts.Cols, opts.Rows
	if cols == 0 {
		cols = 80
	}
	if rows == 0 {
		rows = 24
	}
	var a capi.Arena
	o := (&CommandOptions{Cwd: opts.Cwd, Envs: opts.Envs, User: opts.User, Timeout: opts.Timeout}).toC(&a)
	return p.s.startStream(ctx, "Pty.Create", &a, opts.Output, nil, true, func(out *uintptr, cb *capi.ExecCallbacks) int32 {
		return capi.PtyCreate(out, p.s.h, cols, rows, o, cb)
	})
}
