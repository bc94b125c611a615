package e2b

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Thousands of streams reuse the same nine purego trampolines and leave no callback state
// behind: the handle table returns to empty and no callback is ever created after Load.
func TestManyStreamsNoState(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 100*time.Second)
	if err := sbx.Files.Write(ctx, "/tmp/small.txt", []byte("0123456789"), nil); err != nil {
		t.Fatal(err)
	}
	created := capi.CallbacksCreated()
	if created != capi.Trampolines {
		t.Fatalf("trampolines: %d, want %d", created, capi.Trampolines)
	}
	baseG := runtime.NumGoroutine()
	const n = 1500 // exec streams; as many streamed reads again
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			var out bytes.Buffer
			h, err := sbx.Commands.Start(ctx, fmt.Sprintf("echo %d", i), &CommandOptions{Stdout: &out})
			if err == nil {
				var res *CommandResult
				res, err = h.Wait(ctx)
				h.Close()
				if err == nil && (res.ExitCode != 0 || out.String() != fmt.Sprintf("%d\n", i)) {
					err = fmt.Errorf("stream %d: %q", i, out.String())
				}
			}
			if err == nil {
				var b []byte
				rc, e := sbx.Files.ReadStream(ctx, "/tmp/small.txt", nil)
				if err = e; err == nil {
					b, err = readAllClose(rc)
					if err == nil && string(b) != "0123456789" {
						err = fmt.Errorf("read %q", b)
					}
				}
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}(i)
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d streams failed, first: %v", failed.Load(), firstErr.Load())
	}
	if live := capi.LiveHandles(); live != 0 {
		t.Fatalf("%d callback states left after %d streams", live, 2*n)
	}
	if capi.CallbacksCreated() != created {
		t.Fatalf("callbacks created grew to %d", capi.CallbacksCreated())
	}
	sbx.mu.Lock()
	kids := len(sbx.children)
	sbx.mu.Unlock()
	if kids != 0 {
		t.Fatalf("%d command handles still tracked", kids)
	}
	waitFor(t, "goroutines to settle", 5*time.Second, func() bool { return runtime.NumGoroutine() <= baseG+2 })
}

func readAllClose(rc interface {
	Read([]byte) (int, error)
	Close() error
}) ([]byte, error) {
	defer rc.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(rc)
	return b.Bytes(), err
}

// Callbacks come from libe2b's own service thread (an OS thread Go did not create) with
// CGO_ENABLED=0: when the output arrives no goroutine is inside a libe2b call (Start returned
// and the test only waits on a channel), and the thread is one that appeared with the client.
func TestCallbackFromServiceThread(t *testing.T) {
	needServer(t)
	before := threadIDs()
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 30*time.Second)
	tids := make(chan int, 64)
	w := writerFunc(func(p []byte) (int, error) { return len(p), nil })
	sink := newExecSink(w, nil)
	// Observe the raw callback thread: wrap the sink.
	probe := &tidProbe{execSink: sink, tids: tids}
	payload := capi.Register(probe)
	defer capi.Unregister(payload)
	cb := &capi.ExecCallbacks{Version: capi.ExecCallbacksVersion, OnStdout: capi.CbExecStdout,
		OnStderr: capi.CbExecStderr, OnExit: capi.CbExecExit, Payload: payload}
	var h uintptr
	_, ce := capi.Call(func() int32 { return capi.ExecStart(&h, sbx.h, "sleep 0.3; echo from-c", nil, cb) })
	if ce != nil {
		t.Fatal(ce.Message)
	}
	defer capi.ExecFree(h)
	select {
	case tid := <-tids:
		if before[tid] {
			t.Fatalf("callback on thread %d, which existed before the client", tid)
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/comm", tid)); len(comm) == 0 {
			t.Fatalf("callback thread %d not in this process", tid)
		}
	case <-ctx.Done():
		t.Fatal("no callback")
	}
	select {
	case <-sink.done:
	case <-ctx.Done():
		t.Fatal("no exit callback")
	}
}

type tidProbe struct {
	*execSink
	tids chan int
}

func (p *tidProbe) Stdout(b []byte) bool {
	p.tids <- syscall.Gettid()
	return p.execSink.Stdout(b)
}

func threadIDs() map[int]bool {
	ents, _ := os.ReadDir("/proc/self/task")
	m := map[int]bool{}
	for _, e := range ents {
		var id int
		fmt.Sscan(e.Name(), &id)
		m[id] = true
	}
	return m
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// QUEUED delivery: the client's goroutine polls the wake fd and dispatches.
func TestQueuedDelivery(t *testing.T) {
	c := newTestClient(t, func(cfg *Config) { cfg.QueuedDelivery = true })
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 30*time.Second)
	var out lockedBuffer
	res, err := sbx.Commands.Run(ctx, "echo a; sleep 0.1; echo b", &CommandOptions{Stdout: &out})
	if err != nil || res.ExitCode != 0 || out.String() != "a\nb\n" {
		t.Fatalf("%+v %v %q", res, err, out.String())
	}
	events := make(chan FilesystemEvent, 8)
	w, err := sbx.Files.WatchDir(ctx, "/tmp", func(ev FilesystemEvent) { events <- ev }, nil)
	if err != nil {
		t.Fatal(err)
	}
	sbx.Files.Write(ctx, "/tmp/q.txt", []byte("q"), nil)
	for got := false; !got; {
		select {
		case ev := <-events:
			got = ev.Name == "q.txt"
		case <-ctx.Done():
			t.Fatal("no event with queued delivery")
		}
	}
	w.Close()
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("watch did not end")
	}
}

// Contexts: a cancelled Run kills its process; Wait gives up without touching the process;
// streams stop; a call on a closed handle fails cleanly.
func TestContextCancellation(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)

	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	start := time.Now()
	_, err := sbx.Commands.Run(short, "sleep 30", &CommandOptions{Tag: "cancelme"})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Run with a short context: %v after %v", err, time.Since(start))
	}
	waitFor(t, "the cancelled command to be killed", 10*time.Second, func() bool {
		procs, err := sbx.Commands.List(ctx)
		if err != nil {
			return false
		}
		for _, p := range procs {
			if p.Tag == "cancelme" {
				return false
			}
		}
		return true
	})

	h, err := sbx.Commands.Start(ctx, "sleep 30", &CommandOptions{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	if _, err := h.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: %v", err)
	}
	cancel()
	if err := h.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("Wait after Disconnect: %v", err)
	}
	// Still running: reconnect and kill it.
	if ok, err := sbx.Commands.Kill(ctx, h.PID()); !ok || err != nil {
		t.Fatalf("kill after disconnect: %v %v", ok, err)
	}
	h.Close()
	if err := h.Kill(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("use after Close: %v", err)
	}

	// A streamed read stopped by its context mid-way: larger than the 4 MiB the binding reads
	// ahead, so the download cannot have finished when the context ends.
	big := bytes.Repeat([]byte("z"), 32<<20)
	if err := sbx.Files.Write(ctx, "/tmp/z.bin", big, nil); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(ctx)
	rc, err := sbx.Files.ReadStream(rctx, "/tmp/z.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if _, err := rc.Read(buf); err != nil {
		t.Fatal(err)
	}
	rcancel()
	var rerr error
	for rerr == nil {
		_, rerr = rc.Read(buf)
	}
	if !errors.Is(rerr, context.Canceled) {
		t.Fatalf("read after cancel: %v", rerr)
	}
	rc.Close()
	// Closing a reader early stops the download too.
	rc, err = sbx.Files.ReadStream(ctx, "/tmp/z.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	rc.Read(buf)
	rc.Close()

	// A streamed upload whose source fails.
	src := &failingReader{n: 1 << 20}
	err = sbx.Files.WriteStream(ctx, "/tmp/fail.bin", src, -1, nil)
	if err == nil || !strings.Contains(err.Error(), "source broke") {
		t.Fatalf("failing source: %v", err)
	}
	waitFor(t, "callback states to be released", 5*time.Second, func() bool { return capi.LiveHandles() == 0 })
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("source broke")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	f.n -= len(p)
	return len(p), nil
}

// A blocking call whose context ends is cancelled inside libe2b (cancel token), not merely
// abandoned: the sandbox's Close, which waits for calls in flight, returns at once.
func TestBlockingCallCancelledInLibe2b(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	if _, err := sbx.Commands.Run(ctx, "head -c 1500000000 /dev/zero > /tmp/huge", nil); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sbx.Files.Read(short, "/tmp/huge", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read with a short context: %v", err)
	}
	if _, err := sbx.Commands.Run(ctx, "rm /tmp/huge", nil); err != nil {
		t.Fatal(err)
	}
	sbx.Close() // waits for the cancelled read: it must already have ended
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("the cancelled read kept running for %v", d)
	}
}
