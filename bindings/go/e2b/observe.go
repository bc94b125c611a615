package e2b

import (
	"context"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// SandboxMetric is one resource-usage sample (the SDKs' getMetrics items).
type SandboxMetric struct {
	Timestamp      time.Time
	CPUCount       int
	CPUUsedPct     float64 // 0..100 over all vCPUs
	MemUsedBytes   int64
	MemTotalBytes  int64
	DiskUsedBytes  int64
	DiskTotalBytes int64
}

func missing(op, fn string) error {
	return &Error{Op: op, Code: CodeError, Message: "the loaded libe2b has no " + fn + " (too old)"}
}

func unixS(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.Unix()
}

// GetMetrics returns a sandbox's samples between start and end, oldest first (a zero time is
// unbounded on that side).
func (c *Client) GetMetrics(ctx context.Context, sandboxID string, start, end time.Time) ([]SandboxMetric, error) {
	if capi.SandboxGetMetrics == nil {
		return nil, missing("Client.GetMetrics", "e2b_sandbox_get_metrics")
	}
	l := new(uintptr)
	_, err := do(ctx, &c.life, "Client.GetMetrics", nil, func() int32 {
		return capi.SandboxGetMetrics(l, c.h, sandboxID, unixS(start), unixS(end))
	}, func() { capi.SandboxMetricListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.SandboxMetricListFree(*l)
	n := capi.SandboxMetricListCount(*l)
	out := make([]SandboxMetric, 0, n)
	for i := uintptr(0); i < n; i++ {
		m := capi.SandboxMetricListAt(*l, i)
		out = append(out, SandboxMetric{Timestamp: time.UnixMilli(m.TimestampMs), CPUCount: int(m.CPUCount),
			CPUUsedPct: m.CPUUsedPct, MemUsedBytes: m.MemUsedBytes, MemTotalBytes: m.MemTotalBytes,
			DiskUsedBytes: m.DiskUsedBytes, DiskTotalBytes: m.DiskTotalBytes})
	}
	return out, nil
}

// GetMetrics returns this sandbox's samples (see Client.GetMetrics).
func (s *Sandbox) GetMetrics(ctx context.Context, start, end time.Time) ([]SandboxMetric, error) {
	return s.client.GetMetrics(ctx, s.id, start, end)
}

// LogsOptions select a page of platform logs.
type LogsOptions struct {
	Cursor   time.Time // where to start; zero = the beginning (the end when Backward)
	Limit    int       // 1..1000; 0 = 1000
	Backward bool      // newest first
	MinLevel string    // "" = all; "debug" | "info" | "warn" | "error"
	Search   string    // case-sensitive substring of the message
}

// SandboxLogEntry is one platform log line about a sandbox (lifecycle events, not command
// output).
type SandboxLogEntry struct {
	Timestamp time.Time
	Level     string
	Message   string
	Fields    map[string]string
}

// GetLogs returns one page of a sandbox's platform logs. To page forward, pass the last
// entry's Timestamp + 1ms as the next Cursor.
func (c *Client) GetLogs(ctx context.Context, sandboxID string, opts *LogsOptions) ([]SandboxLogEntry, error) {
	if capi.SandboxGetLogs == nil {
		return nil, missing("Client.GetLogs", "e2b_sandbox_get_logs")
	}
	if opts == nil {
		opts = &LogsOptions{}
	}
	var a capi.Arena
	o := &capi.LogsOpts{Version: capi.LogsOptsVersion, Limit: uint32(max(opts.Limit, 0))}
	a.Pin(o)
	if !opts.Cursor.IsZero() {
		o.CursorMs = opts.Cursor.UnixMilli()
	}
	if opts.Backward {
		o.Flags |= capi.LogsFBackward
	}
	o.MinLevel = a.OptStr(opts.MinLevel)
	o.Search = a.OptStr(opts.Search)
	l := new(uintptr)
	_, err := do(ctx, &c.life, "Client.GetLogs", &a, func() int32 { return capi.SandboxGetLogs(l, c.h, sandboxID, o) },
		func() { capi.SandboxLogListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.SandboxLogListFree(*l)
	n := capi.SandboxLogListCount(*l)
	out := make([]SandboxLogEntry, 0, n)
	for i := uintptr(0); i < n; i++ {
		e := capi.SandboxLogListAt(*l, i)
		ent := SandboxLogEntry{Timestamp: time.UnixMilli(e.TimestampMs), Level: capi.GoString(e.Level),
			Message: capi.GoString(e.Message), Fields: map[string]string{}}
		keys := capi.GoStrings(e.FieldKeys, e.FieldCount)
		vals := capi.GoStrings(e.FieldValues, e.FieldCount)
		for j := range keys {
			ent.Fields[keys[j]] = vals[j]
		}
		out = append(out, ent)
	}
	return out, nil
}

// GetLogs returns a page of this sandbox's platform logs (see Client.GetLogs).
func (s *Sandbox) GetLogs(ctx context.Context, opts *LogsOptions) ([]SandboxLogEntry, error) {
	return s.client.GetLogs(ctx, s.id, opts)
}
