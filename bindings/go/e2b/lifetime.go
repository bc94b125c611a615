package e2b

import (
	"context"
	"fmt"
	"sync"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// life guards one C handle: calls hold a reference while they run (possibly on a goroutine
// abandoned by a cancelled context), and Close waits for them before freeing the handle, so C
// never sees a freed handle.
type life struct {
	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	closed   bool
}

func (l *life) acquire() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.inflight++
	return nil
}

func (l *life) release() {
	l.mu.Lock()
	l.inflight--
	if l.inflight == 0 && l.cond != nil {
		l.cond.Broadcast()
	}
	l.mu.Unlock()
}

// shut marks the handle closed and waits for calls in flight; false if it was already closed.
func (l *life) shut() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closed = true
	if l.cond == nil {
		l.cond = sync.NewCond(&l.mu)
	}
	for l.inflight > 0 {
		l.cond.Wait()
	}
	return true
}

// do runs one blocking libe2b call for operation op under l.
//
// With a context that can be cancelled the call runs on its own goroutine with a libe2b cancel
// token bound to its OS thread (e2b_cancel_*, when the library has them): if ctx ends first, do
// returns the context's error at once and triggers the token, so the call's requests are
// cancelled and it ends promptly; should it still complete, `undo` releases whatever it produced
// (a created sandbox is killed and freed, a buffer disposed). The arena is unpinned and the
// reference dropped when it ends, so Close waits for it. With an older libe2b (no tokens) the
// call runs to its end (bounded by the client's request timeout) before undo. Without a
// cancellable context the call runs inline.
func do(ctx context.Context, l *life, op string, a *capi.Arena, fn func() int32, undo func()) (int32, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		a.Free()
		return 0, fmt.Errorf("e2b: %s: %w", op, err)
	}
	if err := l.acquire(); err != nil {
		a.Free()
		return 0, err
	}
	if ctx.Done() == nil {
		rc, ce := capi.Call(fn)
		a.Free()
		l.release()
		return rc, newError(op, ce)
	}
	type result struct {
		rc int32
		ce *capi.CallError
	}
	var (
		mu        sync.Mutex
		finished  bool
		abandoned bool
		tok       uintptr // guarded by mu once the goroutine runs: freed when fn returned
		ch        = make(chan result, 1)
	)
	if capi.CancelNew != nil && capi.CancelNew(&tok) != capi.OK {
		tok = 0
	}
	go func() {
		rc, ce := capi.CallCancellable(tok, fn)
		mu.Lock()
		finished = true
		ab := abandoned
		if tok != 0 {
			capi.CancelFree(tok)
			tok = 0
		}
		mu.Unlock()
		if ab && rc >= 0 && undo != nil {
			undo()
		}
		a.Free()
		l.release()
		ch <- result{rc, ce}
	}()
	select {
	case r := <-ch:
		return r.rc, newError(op, r.ce)
	case <-ctx.Done():
		mu.Lock()
		if finished { // it completed while ctx ended: keep the result rather than leak it
			mu.Unlock()
			r := <-ch
			return r.rc, newError(op, r.ce)
		}
		abandoned = true
		if tok != 0 {
			capi.CancelTrigger(tok) // fn returns E2B_ECANCELED soon; undo covers a late success
		}
		mu.Unlock()
		return 0, fmt.Errorf("e2b: %s: %w", op, ctx.Err())
	}
}
