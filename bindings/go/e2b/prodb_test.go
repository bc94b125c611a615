package e2b

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

func TestProfilesCostLogsMetrics(t *testing.T) {
	if capi.Load() == nil && !capi.HasProductionB() {
		t.Skip("libe2b without the production layer")
	}
	p, err := GetProfile("medium")
	if err != nil || p.CPUCount != 2 || p.MemoryMB != 2048 || p.Timeout != 30*time.Minute {
		t.Fatalf("profile %+v %v", p, err)
	}
	if _, err := GetProfile("huge"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown profile: %v", err)
	}
	var mu sync.Mutex
	var lines []string
	c := newTestClient(t, func(cfg *Config) {
		cfg.LogLevel = LogDebug
		cfg.LogFunc = func(level LogLevel, line string) { mu.Lock(); lines = append(lines, line); mu.Unlock() }
	})
	ctx := tctx(t, 60*time.Second)
	sbx, err := c.Create(ctx, &SandboxOptions{Profile: "light", MemoryMB: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sbx.Kill(context.Background()); sbx.Close() }()
	if _, err := c.Create(ctx, &SandboxOptions{Profile: "nope"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad profile: %v", err)
	}
	if err := c.LogEvent(LogInfo, "app.step", sbx.ID(), "hello log"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := c.Measure("app.work", "", func() error { time.Sleep(5 * time.Millisecond); return boom }); err != boom {
		t.Fatalf("measure: %v", err)
	}
	// f may itself call libe2b (it runs on the caller's thread, not in a callback).
	if err := c.Measure("app.work", sbx.ID(), func() error {
		res, err := sbx.Commands.Run(ctx, "echo nested", nil)
		if err == nil && res.Stdout != "nested\n" {
			err = fmt.Errorf("nested run %q", res.Stdout)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := strings.Join(lines, "\n")
	mu.Unlock()
	if !strings.Contains(all, `"event":"sandbox.create"`) || !strings.Contains(all, `"event":"app.step"`) ||
		!strings.Contains(all, "hello log") || !strings.Contains(all, `"event":"app.work"`) {
		t.Fatalf("log lines:\n%s", all)
	}
	tot, err := c.CostTotals()
	if err != nil || tot.Sandboxes < 1 || tot.CostUSD < 0 {
		t.Fatalf("cost %+v %v", tot, err)
	}
	if err := c.SetPrices(`{"vcpu_second": 0.001}`); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPrices(`{"bogus": 1}`); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad prices: %v", err)
	}
	js, err := c.CostJSON()
	if err != nil || !strings.Contains(js, sbx.ID()) || !strings.Contains(js, `"vcpu_second":0.001`) {
		t.Fatalf("cost json %s %v", js, err)
	}
	m, err := c.MetricsText()
	if err != nil || !strings.Contains(m, "e2b_sandboxes_created_total") || !strings.Contains(m, `e2b_user_operation_seconds`) {
		t.Fatalf("metrics %v\n%s", err, m)
	}
	port, err := c.ServeMetrics(0)
	if err != nil || port == 0 {
		t.Fatalf("serve %d %v", port, err)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "e2b_requests_total") {
		t.Fatalf("scrape %d %s", resp.StatusCode, body)
	}
	if _, err := c.ServeMetrics(port); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("serving twice: %v", err)
	}
	if err := c.StopMetrics(); err != nil {
		t.Fatal(err)
	}
}

func TestPool(t *testing.T) {
	if capi.Load() == nil && !capi.HasProductionB() {
		t.Skip("libe2b without the production layer")
	}
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)
	p, err := c.NewPool(&PoolOptions{Name: "gotest", MinIdle: 1, MaxSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.Acquire(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := a.Commands.Run(ctx, "echo pooled", nil); err != nil || res.Stdout != "pooled\n" {
		t.Fatalf("pooled run %+v %v", res, err)
	}
	first := a.ID()
	if err := p.Release(a, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commands.Run(ctx, "true", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("released sandbox still usable: %v", err)
	}
	b, err := p.Acquire(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := p.Acquire(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID() != first && c2.ID() != first {
		t.Fatalf("the released sandbox was not reused (%s; %s %s)", first, b.ID(), c2.ID())
	}
	if _, err := p.Acquire(ctx, 0); !errors.Is(err, ErrPoolExhausted) {
		t.Fatalf("third acquire of 2: %v", err)
	}
	st, err := p.Stats()
	if err != nil || st.Active != 2 || st.Reused < 1 || st.Exhausted < 1 || st.Acquisitions != 3 {
		t.Fatalf("stats %+v %v", st, err)
	}
	b.Close() // back to the pool
	if err := p.Release(c2, true); err != nil {
		t.Fatal(err)
	}
	if err := p.Maintain(); err != nil {
		t.Fatal(err)
	}
	d, err := p.Acquire(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil { // kills d too, and closes its handle
		t.Fatal(err)
	}
	if _, err := d.Files.Exists(ctx, "/tmp", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("sandbox of a closed pool: %v", err)
	}
	if _, err := c.GetInfo(ctx, d.ID()); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("pool close did not kill: %v", err)
	}
}

func TestStallWatch(t *testing.T) {
	if capi.Load() == nil && !capi.HasProductionB() {
		t.Skip("libe2b without the production layer")
	}
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	h, err := sbx.Commands.Start(ctx, "echo start; sleep 30", &CommandOptions{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	stalls := make(chan StallEvent, 4)
	if _, err := h.WatchStall(&StallOptions{Idle: 400 * time.Millisecond, Kill: true, OnStall: func(e StallEvent) { stalls <- e }}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-stalls:
		if e.PID != h.PID() || !e.Killed || e.SandboxID != sbx.ID() || e.Idle < 400*time.Millisecond {
			t.Fatalf("stall %+v", e)
		}
	case <-ctx.Done():
		t.Fatal("no stall reported")
	}
	if _, err := h.Wait(ctx); err == nil {
		t.Fatal("a killed stalled command reported success")
	}
	if _, err := sbx.WatchStall(&StallOptions{Idle: time.Second}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("no OnStall: %v", err)
	}
	w, err := sbx.WatchStall(&StallOptions{Idle: time.Minute, OnStall: func(StallEvent) {}})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}
