package e2b

import (
	"context"
	"sync"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Profile is a named sandbox size.
type Profile struct {
	CPUCount int
	MemoryMB int
	Timeout  time.Duration
}

// GetProfile looks a resource profile up ("light", "medium", "heavy", "ml").
func GetProfile(name string) (*Profile, error) {
	if err := capi.Load(); err != nil {
		return nil, err
	}
	if capi.ProfileGet == nil {
		return nil, missing("GetProfile", "e2b_profile_get")
	}
	var p capi.Profile
	_, ce := capi.Call(func() int32 { return capi.ProfileGet(&p, name) })
	if ce != nil {
		return nil, newError("GetProfile", ce)
	}
	return &Profile{CPUCount: int(p.CPUCount), MemoryMB: int(p.MemoryMB), Timeout: time.Duration(p.TimeoutMs) * time.Millisecond}, nil
}

// PoolOptions configure a warm pool.
type PoolOptions struct {
	Name           string          // metrics label; "" = "default"
	Sandbox        *SandboxOptions // how members are created
	MinIdle        int             // kept warm; <= MaxSize
	MaxSize        int             // idle + in use + being created; 0 = 4
	IdleTimeout    time.Duration   // idle sandboxes above MinIdle are killed after; 0 = never
	MaxReuse       int             // acquisitions per sandbox before it is killed; 0 = no limit
	AcquireTimeout time.Duration   // default wait when all are in use; 0 = fail at once
	NoHealthCheck  bool            // hand out idle sandboxes without an envd /health check
}

// Pool keeps sandboxes warm and hands them out (libe2b's pool has no thread: call Maintain
// periodically for timely eviction while nothing is acquired or released).
type Pool struct {
	c    *Client
	h    uintptr
	life life

	mu  sync.Mutex
	out map[*Sandbox]struct{} // handed out
}

// NewPool creates a pool and starts filling it in the background.
func (c *Client) NewPool(opts *PoolOptions) (*Pool, error) {
	if capi.PoolNew == nil {
		return nil, missing("Client.NewPool", "e2b_pool_new")
	}
	if opts == nil {
		opts = &PoolOptions{}
	}
	var a capi.Arena
	o := &capi.PoolOpts{Version: capi.PoolOptsVersion, Name: a.OptStr(opts.Name), MinIdle: uint32(opts.MinIdle),
		MaxSize: uint32(opts.MaxSize), IdleTimeoutMs: durMs(opts.IdleTimeout), MaxReuse: uint32(opts.MaxReuse),
		AcquireTimeoutMs: durMs(opts.AcquireTimeout)}
	a.Pin(o)
	if opts.Sandbox != nil {
		o.Sandbox = opts.Sandbox.toC(&a)
	}
	if opts.NoHealthCheck {
		o.Flags |= capi.PoolFNoHealthCheck
	}
	var h uintptr
	_, err := do(context.Background(), &c.life, "Client.NewPool", &a, func() int32 { return capi.PoolNew(&h, c.h, o) }, nil)
	if err != nil {
		return nil, err
	}
	p := &Pool{c: c, h: h, out: map[*Sandbox]struct{}{}}
	c.mu.Lock()
	c.pools[p] = struct{}{}
	c.mu.Unlock()
	return p, nil
}

// Acquire hands out a sandbox for exclusive use: a warm one, else a new one while under
// MaxSize, else it waits up to timeout (< 0 = the pool's AcquireTimeout) for a release.
// ErrPoolExhausted when none became free. Give it back with Release or Close.
func (p *Pool) Acquire(ctx context.Context, timeout time.Duration) (*Sandbox, error) {
	h := new(uintptr)
	ms := durMs(timeout)
	if timeout < 0 {
		ms = -1
	}
	_, err := do(ctx, &p.life, "Pool.Acquire", nil, func() int32 { return capi.PoolAcquire(h, p.h, ms) },
		func() { capi.PoolRelease(p.h, *h, 0) })
	if err != nil {
		return nil, err
	}
	s := newSandbox(p.c, *h)
	s.pool = p
	p.mu.Lock()
	p.out[s] = struct{}{}
	p.mu.Unlock()
	return s, nil
}

// Release gives a sandbox back (its command handles and watches are closed first); discard
// kills it instead of keeping it for reuse. Sandbox.Close is Release(s, false).
func (p *Pool) Release(s *Sandbox, discard bool) error {
	if s.pool != p {
		return &Error{Op: "Pool.Release", Code: CodeInvalidArgument, Message: "sandbox not from this pool"}
	}
	var flags uint32
	if discard {
		flags = capi.PoolReleaseFDiscard
	}
	s.closeChildren()
	if s.life.shut() {
		s.closeChildren()
		return p.giveBack(s, flags)
	}
	return ErrClosed
}

func (p *Pool) giveBack(s *Sandbox, flags uint32) error {
	p.mu.Lock()
	_, mine := p.out[s]
	delete(p.out, s)
	p.mu.Unlock()
	if !mine { // the pool was closed: it freed the handle
		return nil
	}
	if err := p.life.acquire(); err != nil {
		return err
	}
	defer p.life.release()
	_, ce := capi.Call(func() int32 { return capi.PoolRelease(p.h, s.h, flags) })
	return newError("Pool.Release", ce)
}

// Maintain runs the pool's housekeeping now (eviction, refresh, refill). Non-blocking.
func (p *Pool) Maintain() error {
	_, err := do(context.Background(), &p.life, "Pool.Maintain", nil, func() int32 { return capi.PoolMaintain(p.h) }, nil)
	return err
}

// PoolStats are a pool's counters.
type PoolStats struct {
	Idle, Active, Creating                                                    int
	Created, Reused, Replaced, Evicted, Exhausted, CreateErrors, Acquisitions uint64
	WaitP50, WaitP95                                                          time.Duration
}

// Stats returns the pool's counters.
func (p *Pool) Stats() (*PoolStats, error) {
	var st capi.PoolStats
	st.Version = 1
	_, err := do(context.Background(), &p.life, "Pool.Stats", nil, func() int32 { return capi.PoolGetStats(p.h, &st) }, nil)
	if err != nil {
		return nil, err
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	return &PoolStats{Idle: int(st.Idle), Active: int(st.Active), Creating: int(st.Creating), Created: st.Created,
		Reused: st.Reused, Replaced: st.Replaced, Evicted: st.Evicted, Exhausted: st.Exhausted,
		CreateErrors: st.CreateErrors, Acquisitions: st.Acquisitions, WaitP50: ms(st.WaitP50Ms), WaitP95: ms(st.WaitP95Ms)}, nil
}

// Close shuts the pool down: it kills every sandbox it created, including ones still handed
// out (whose Sandbox values are closed here). Returns the first kill error. Idempotent.
func (p *Pool) Close() error {
	p.mu.Lock()
	outs := make([]*Sandbox, 0, len(p.out))
	for s := range p.out {
		outs = append(outs, s)
	}
	p.out = map[*Sandbox]struct{}{} // giveBack now skips: e2b_pool_free frees their handles
	p.mu.Unlock()
	for _, s := range outs {
		s.Close()
	}
	if !p.life.shut() {
		return nil
	}
	_, ce := capi.Call(func() int32 { return capi.PoolFree(p.h) })
	p.c.mu.Lock()
	delete(p.c.pools, p)
	p.c.mu.Unlock()
	return newError("Pool.Close", ce)
}

// CostTotals are the client's cost estimate over every sandbox it created or connected to.
type CostTotals struct {
	Sandboxes      int
	RunningSeconds float64
	PausedSeconds  float64
	VCPUSeconds    float64
	GiBSeconds     float64
	CostUSD        float64
}

// CostTotals returns the running totals of the client's cost tracker.
func (c *Client) CostTotals() (*CostTotals, error) {
	if capi.CostGetTotals == nil {
		return nil, missing("Client.CostTotals", "e2b_cost_get_totals")
	}
	var t capi.CostTotals
	t.Version = 1
	_, err := do(context.Background(), &c.life, "Client.CostTotals", nil, func() int32 { return capi.CostGetTotals(c.h, &t) }, nil)
	if err != nil {
		return nil, err
	}
	return &CostTotals{Sandboxes: int(t.Sandboxes), RunningSeconds: t.RunningSeconds, PausedSeconds: t.PausedSeconds,
		VCPUSeconds: t.VCPUSeconds, GiBSeconds: t.GiBSeconds, CostUSD: t.CostUSD}, nil
}

// SetPrices sets prices from JSON {"vcpu_second": ..., "gib_second": ...}.
func (c *Client) SetPrices(json string) error {
	if capi.CostSetPrices == nil {
		return missing("Client.SetPrices", "e2b_cost_set_prices")
	}
	_, err := do(context.Background(), &c.life, "Client.SetPrices", nil, func() int32 { return capi.CostSetPrices(c.h, json) }, nil)
	return err
}

// CostJSON exports prices, totals and every tracked sandbox as JSON.
func (c *Client) CostJSON() (string, error) {
	return c.bufCall("Client.CostJSON", capi.CostExportJSON)
}

// MetricsText renders the client's metrics in the Prometheus text format.
func (c *Client) MetricsText() (string, error) {
	return c.bufCall("Client.MetricsText", capi.MetricsRender)
}

func (c *Client) bufCall(op string, f func(*capi.Buf, uintptr) int32) (string, error) {
	if f == nil {
		return "", missing(op, "the production layer")
	}
	var b capi.Buf
	_, err := do(context.Background(), &c.life, op, nil, func() int32 { return f(&b, c.h) }, nil)
	if err != nil {
		return "", err
	}
	return string(capi.TakeBuf(&b)), nil
}

// ServeMetrics serves GET /metrics on 127.0.0.1:port (0 = a free port) and returns the port.
func (c *Client) ServeMetrics(port uint16) (uint16, error) {
	if capi.MetricsServe == nil {
		return 0, missing("Client.ServeMetrics", "e2b_metrics_serve")
	}
	var bound uint16
	_, err := do(context.Background(), &c.life, "Client.ServeMetrics", nil, func() int32 { return capi.MetricsServe(c.h, port, &bound) }, nil)
	return bound, err
}

// StopMetrics stops the endpoint (no-op if not serving).
func (c *Client) StopMetrics() error {
	if capi.MetricsServeStop == nil {
		return missing("Client.StopMetrics", "e2b_metrics_serve_stop")
	}
	_, err := do(context.Background(), &c.life, "Client.StopMetrics", nil, func() int32 { return capi.MetricsServeStop(c.h) }, nil)
	return err
}

// LogEvent emits a user event into the client's structured log (sandboxID, message may be "").
func (c *Client) LogEvent(level LogLevel, event, sandboxID, message string) error {
	if capi.LogEmit == nil {
		return missing("Client.LogEvent", "e2b_log_emit")
	}
	var a capi.Arena
	sid, msg := a.OptStr(sandboxID), a.OptStr(message)
	_, err := do(context.Background(), &c.life, "Client.LogEvent", &a, func() int32 { return capi.LogEmit(c.h, int32(level), event, sid, msg) }, nil)
	return err
}

type measureFn struct {
	f   func() error
	err error
}

func (m *measureFn) Run() int32 {
	m.err = m.f()
	if m.err == nil {
		return 0
	}
	var e *Error
	if asError(m.err, &e) {
		return int32(e.Code)
	}
	return capi.EError
}

// Measure runs f on this goroutine, logs event with its duration and outcome and records it
// in the e2b_user_operation_seconds{op=event} histogram. Returns f's error.
func (c *Client) Measure(event, sandboxID string, f func() error) error {
	if capi.Measure == nil {
		return missing("Client.Measure", "e2b_measure")
	}
	m := &measureFn{f: f}
	payload := capi.Register(m)
	defer capi.Unregister(payload)
	var a capi.Arena
	sid := a.OptStr(sandboxID)
	_, err := do(context.Background(), &c.life, "Client.Measure", &a, func() int32 {
		return capi.Measure(c.h, event, sid, capi.CbMeasure, payload)
	}, nil)
	if m.err != nil {
		return m.err
	}
	return err
}

// StallOptions configure a stall watch.
type StallOptions struct {
	Idle time.Duration // no output for this long is a stall (> 0)
	Kill bool          // kill the command (or sandbox) before OnStall runs
	// OnStall runs on a goroutine of the binding, once per silence (re-armed by new output).
	OnStall func(StallEvent)
}

// StallEvent reports a stall.
type StallEvent struct {
	SandboxID string
	PID       uint32 // 0 for a sandbox watch
	Idle      time.Duration
	Killed    bool
}

// StallWatch is a running stall watch; Close stops it.
type StallWatch struct {
	h       uintptr
	life    life
	payload uintptr
	q       serial
	fn      func(StallEvent)
	detach  func()
}

// Stall runs on libe2b's monitor thread: it queues.
func (w *StallWatch) Stall(sandboxID string, pid uint32, idleMs int64, killed bool) {
	ev := StallEvent{SandboxID: sandboxID, PID: pid, Idle: time.Duration(idleMs) * time.Millisecond, Killed: killed}
	w.q.push(func() { w.fn(ev) })
}

// Close stops the watch. Idempotent.
func (w *StallWatch) Close() error {
	w.closeLocal()
	return nil
}

func (w *StallWatch) closeLocal() {
	if !w.life.shut() {
		return
	}
	capi.StallWatchFree(w.h) // none runs after it returns
	capi.Unregister(w.payload)
	if w.detach != nil {
		w.detach()
	}
}

func newStall(op string, opts *StallOptions, start func(out *uintptr, o *capi.StallOpts) int32, l *life) (*StallWatch, error) {
	if capi.StallWatchExec == nil {
		return nil, missing(op, "e2b_stall_watch_exec")
	}
	if opts == nil || opts.OnStall == nil {
		return nil, &Error{Op: op, Code: CodeInvalidArgument, Message: "OnStall is required"}
	}
	w := &StallWatch{fn: opts.OnStall}
	w.payload = capi.Register(w)
	o := &capi.StallOpts{Version: capi.StallOptsVersion, IdleMs: durMs(opts.Idle), OnStall: capi.CbStall, Payload: w.payload}
	if opts.Kill {
		o.Flags |= capi.StallFKill
	}
	var a capi.Arena
	a.Pin(o)
	_, err := do(context.Background(), l, op, &a, func() int32 { return start(&w.h, o) }, nil)
	if err != nil {
		capi.Unregister(w.payload)
		return nil, err
	}
	return w, nil
}

// WatchStall reports (and optionally kills) this command when it prints nothing for
// opts.Idle. The watch is closed with the handle.
func (h *CommandHandle) WatchStall(opts *StallOptions) (*StallWatch, error) {
	w, err := newStall("CommandHandle.WatchStall", opts, func(out *uintptr, o *capi.StallOpts) int32 {
		return capi.StallWatchExec(out, h.h, o)
	}, &h.life)
	if err != nil {
		return nil, err
	}
	h.life.mu.Lock()
	h.stalls = append(h.stalls, w)
	h.life.mu.Unlock()
	return w, nil
}

// WatchStall reports (and optionally kills) the sandbox when none of its commands started
// through this client printed anything for opts.Idle. Closed with the sandbox.
func (s *Sandbox) WatchStall(opts *StallOptions) (*StallWatch, error) {
	w, err := newStall("Sandbox.WatchStall", opts, func(out *uintptr, o *capi.StallOpts) int32 {
		return capi.StallWatchSandbox(out, s.h, o)
	}, &s.life)
	if err != nil {
		return nil, err
	}
	s.adopt(w, true)
	w.detach = func() { s.adopt(w, false) }
	return w, nil
}
