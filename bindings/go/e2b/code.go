package e2b

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Code interpreter (the @e2b/code-interpreter SDK's runCode and contexts): cells of Python
// (default), JavaScript/TypeScript or bash in persistent contexts, on port 49999 of the sandbox.

// OutputMessage is one line a cell printed.
type OutputMessage struct {
	Line      string // with its "\n" when printed with one
	Timestamp time.Time
	Error     bool // printed on stderr
}

// Result is one result of a cell: the value of its last expression (IsMainResult) or displayed
// data. Formats that are absent are "". PNG/JPEG/PDF are base64; JSON, Data, Chart and Extra
// are JSON text.
type Result struct {
	IsMainResult bool
	Text         string
	HTML         string
	Markdown     string
	SVG          string
	PNG          string
	JPEG         string
	PDF          string
	LaTeX        string
	JSON         string
	JavaScript   string
	Data         string
	Chart        string
	Extra        string
	Formats      []string // the formats present, in the SDK's order
}

// ExecutionError is the error a cell raised (a Python exception, ...). It is part of the
// Execution, not a Go error: RunCode succeeds.
type ExecutionError struct {
	Name      string // "ZeroDivisionError"
	Value     string
	Traceback string
}

// Execution is a finished (or, with an error, partial) cell execution.
type Execution struct {
	Results        []Result
	Stdout         []string
	Stderr         []string
	Error          *ExecutionError
	ExecutionCount int
}

// Text is the main result's text ("" when there is none), as the SDK's execution.text.
func (e *Execution) Text() string {
	for _, r := range e.Results {
		if r.IsMainResult {
			return r.Text
		}
	}
	return ""
}

// RunCodeOptions configure RunCode.
type RunCodeOptions struct {
	Language       string            // "" = python, or "javascript"/"js", "typescript"/"ts", "bash"
	ContextID      string            // a context from CreateCodeContext; not together with Language
	Envs           map[string]string // for this cell only
	Timeout        time.Duration     // the whole execution; 0 = 60s; < 0 = none
	RequestTimeout time.Duration     // until the response starts; 0 = the client's
	// Streaming handlers, called in order on a goroutine of the binding (they may block).
	OnStdout func(OutputMessage)
	OnStderr func(OutputMessage)
	OnResult func(Result)
	OnError  func(ExecutionError)
}

func codeResultFromC(r *capi.CodeResult) Result {
	s := capi.GoString
	return Result{IsMainResult: r.IsMainResult != 0, Text: s(r.Text), HTML: s(r.HTML), Markdown: s(r.Markdown),
		SVG: s(r.SVG), PNG: s(r.PNG), JPEG: s(r.JPEG), PDF: s(r.PDF), LaTeX: s(r.LaTeX), JSON: s(r.JSON),
		JavaScript: s(r.JavaScript), Data: s(r.Data), Chart: s(r.Chart), Extra: s(r.Extra),
		Formats: capi.GoStrings(r.Formats, r.FormatCount)}
}

func codeErrorFromC(e *capi.CodeError) *ExecutionError {
	if e == nil {
		return nil
	}
	return &ExecutionError{Name: capi.GoString(e.Name), Value: capi.GoString(e.Value), Traceback: capi.GoString(e.Traceback)}
}

func executionFromC(h uintptr) *Execution {
	if h == 0 {
		return nil
	}
	ex := &Execution{Error: codeErrorFromC(capi.ExecutionError(h)), ExecutionCount: int(capi.ExecutionExecutionCount(h))}
	for i := uintptr(0); i < capi.ExecutionResultCount(h); i++ {
		ex.Results = append(ex.Results, codeResultFromC(capi.ExecutionResultAt(h, i)))
	}
	for i := uintptr(0); i < capi.ExecutionLogCount(h, capi.CodeStdout); i++ {
		ex.Stdout = append(ex.Stdout, capi.GoString(capi.ExecutionLogAt(h, capi.CodeStdout, i)))
	}
	for i := uintptr(0); i < capi.ExecutionLogCount(h, capi.CodeStderr); i++ {
		ex.Stderr = append(ex.Stderr, capi.GoString(capi.ExecutionLogAt(h, capi.CodeStderr, i)))
	}
	return ex
}

// codeRun is one running cell: a child of its sandbox until it ended.
type codeRun struct {
	s       *Sandbox
	h       uintptr
	life    life
	payload uintptr
	opts    *RunCodeOptions
	q       serial
	done    chan struct{}
	ended   chan struct{} // closed by the on_end callback itself
	once    sync.Once
	exec    *Execution
	err     error
}

// Output, Result, Error and End run on libe2b's thread: they copy and queue.
func (r *codeRun) Output(stderr bool, line []byte, ts int64) bool {
	m := OutputMessage{Line: string(line), Timestamp: time.UnixMicro(ts), Error: stderr}
	f := r.opts.OnStdout
	if stderr {
		f = r.opts.OnStderr
	}
	if f != nil {
		r.q.push(func() { f(m) })
	}
	return true
}

// Result is the on_result callback.
func (r *codeRun) Result(cr *capi.CodeResult) bool {
	if f := r.opts.OnResult; f != nil {
		res := codeResultFromC(cr)
		r.q.push(func() { f(res) })
	}
	return true
}

// Error is the on_error callback.
func (r *codeRun) Error(ce *capi.CodeError) bool {
	if f := r.opts.OnError; f != nil {
		e := *codeErrorFromC(ce)
		r.q.push(func() { f(e) })
	}
	return true
}

// End is the terminal callback; the execution is converted while it is valid.
func (r *codeRun) End(execution uintptr, ce *capi.CallError) {
	ex, err := executionFromC(execution), newError("Sandbox.RunCode", ce)
	close(r.ended)
	r.q.push(func() {
		r.exec, r.err = ex, err
		r.once.Do(func() { close(r.done) })
	})
}

func (r *codeRun) closeLocal() {
	if !r.life.shut() {
		return
	}
	select { // as CommandHandle.closeLocal: let the run end before the free
	case <-r.ended:
	default:
		capi.CodeCancel(r.h)
		awaitEnd(r.ended)
	}
	capi.CodeFree(r.h) // no callback after it returns
	capi.Unregister(r.payload)
	r.q.push(func() {
		r.once.Do(func() {
			r.err = &Error{Op: "Sandbox.RunCode", Code: CodeCanceled, Message: "sandbox closed"}
			close(r.done)
		})
	})
	r.s.adopt(r, false)
}

// RunCode runs a cell and returns its execution. A cell that raised is a success with
// Execution.Error set. If ctx ends first the run is cancelled (the server interrupts the cell;
// the context keeps its state) and the partial execution is returned with the context's error.
func (s *Sandbox) RunCode(ctx context.Context, code string, opts *RunCodeOptions) (*Execution, error) {
	if capi.CodeStart == nil {
		return nil, missing("Sandbox.RunCode", "e2b_code_start")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if opts == nil {
		opts = &RunCodeOptions{}
	}
	var a capi.Arena
	o := &capi.CodeOpts{Version: capi.CodeOptsVersion, Language: a.OptStr(opts.Language), ContextID: a.OptStr(opts.ContextID),
		Envs: a.KVList(opts.Envs), TimeoutMs: durMs(opts.Timeout), RequestTimeoutMs: durMs(opts.RequestTimeout)}
	a.Pin(o)
	run := &codeRun{s: s, opts: opts, done: make(chan struct{}), ended: make(chan struct{})}
	run.payload = capi.Register(run)
	cb := &capi.CodeCallbacks{Version: capi.CodeCallbacksVersion, OnStdout: capi.CbCodeStdout, OnStderr: capi.CbCodeStderr,
		OnResult: capi.CbCodeResult, OnError: capi.CbCodeError, OnEnd: capi.CbCodeEnd, Payload: run.payload}
	a.Pin(cb)
	h := new(uintptr)
	_, err := do(ctx, &s.life, "Sandbox.RunCode", &a, func() int32 { return capi.CodeStart(h, s.h, code, o, cb) },
		func() { capi.CodeFree(*h); capi.Unregister(run.payload) })
	if err != nil {
		if ctx.Err() == nil { // did not start: no callback ever runs
			capi.Unregister(run.payload)
		}
		return nil, err
	}
	run.h = *h
	s.adopt(run, true)
	defer run.closeLocal()
	select {
	case <-run.done:
	case <-ctx.Done():
		if run.life.acquire() == nil {
			capi.CodeCancel(run.h) // non-blocking; on_end follows with E2B_ECANCELED
			run.life.release()
		}
		<-run.done
		return run.exec, fmt.Errorf("e2b: Sandbox.RunCode: %w", ctx.Err())
	}
	return run.exec, run.err
}

// CodeContext is an interpreter context (a kernel keeping state between cells).
type CodeContext struct {
	ID       string
	Language string
	Cwd      string
}

func codeContextFromC(c *capi.CodeContext) CodeContext {
	return CodeContext{ID: capi.GoString(c.ID), Language: capi.GoString(c.Language), Cwd: capi.GoString(c.Cwd)}
}

// CreateCodeContext starts a fresh context; language "" = python, cwd "" = /home/user.
func (s *Sandbox) CreateCodeContext(ctx context.Context, language, cwd string) (*CodeContext, error) {
	if capi.CodeContextCreate == nil {
		return nil, missing("Sandbox.CreateCodeContext", "e2b_code_context_create")
	}
	var a capi.Arena
	l, c := a.OptStr(language), a.OptStr(cwd)
	p := new(*capi.CodeContext)
	_, err := do(ctx, &s.life, "Sandbox.CreateCodeContext", &a, func() int32 { return capi.CodeContextCreate(p, s.h, l, c) },
		func() { capi.CodeContextFree(*p) })
	if err != nil {
		return nil, err
	}
	defer capi.CodeContextFree(*p)
	cc := codeContextFromC(*p)
	return &cc, nil
}

// ListCodeContexts lists every context, the default ones included.
func (s *Sandbox) ListCodeContexts(ctx context.Context) ([]CodeContext, error) {
	if capi.CodeListContexts == nil {
		return nil, missing("Sandbox.ListCodeContexts", "e2b_code_list_contexts")
	}
	l := new(uintptr)
	_, err := do(ctx, &s.life, "Sandbox.ListCodeContexts", nil, func() int32 { return capi.CodeListContexts(l, s.h) },
		func() { capi.CodeContextListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.CodeContextListFree(*l)
	n := capi.CodeContextListCount(*l)
	out := make([]CodeContext, 0, n)
	for i := uintptr(0); i < n; i++ {
		out = append(out, codeContextFromC(capi.CodeContextListAt(*l, i)))
	}
	return out, nil
}

// RestartCodeContext restarts a context's kernel (its state is lost). ErrNotFound if unknown.
func (s *Sandbox) RestartCodeContext(ctx context.Context, id string) error {
	if capi.CodeContextRestart == nil {
		return missing("Sandbox.RestartCodeContext", "e2b_code_context_restart")
	}
	_, err := do(ctx, &s.life, "Sandbox.RestartCodeContext", nil, func() int32 { return capi.CodeContextRestart(s.h, id) }, nil)
	return err
}

// RemoveCodeContext removes a context and stops its kernel. ErrNotFound if unknown.
func (s *Sandbox) RemoveCodeContext(ctx context.Context, id string) error {
	if capi.CodeContextRemove == nil {
		return missing("Sandbox.RemoveCodeContext", "e2b_code_context_remove")
	}
	_, err := do(ctx, &s.life, "Sandbox.RemoveCodeContext", nil, func() int32 { return capi.CodeContextRemove(s.h, id) }, nil)
	return err
}
