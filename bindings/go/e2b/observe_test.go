package e2b

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMetricsAndLogs(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 30*time.Second)
	ms, err := sbx.GetMetrics(ctx, time.Time{}, time.Time{})
	if err != nil || len(ms) < 1 {
		t.Fatalf("metrics: %v %v", ms, err)
	}
	if m := ms[0]; m.CPUCount < 1 || m.MemTotalBytes <= 0 || m.Timestamp.IsZero() || m.CPUUsedPct < 0 {
		t.Fatalf("metric %+v", m)
	}
	if _, err := sbx.GetMetrics(ctx, time.Unix(100, 0), time.Unix(50, 0)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("inverted range: %v", err)
	}
	logs, err := sbx.GetLogs(ctx, nil)
	if err != nil || len(logs) < 1 || !strings.Contains(logs[0].Message, "created") {
		t.Fatalf("logs: %+v %v", logs, err)
	}
	back, err := sbx.GetLogs(ctx, &LogsOptions{Backward: true, Limit: 1})
	if err != nil || len(back) != 1 {
		t.Fatalf("backward page: %+v %v", back, err)
	}
	if _, err := sbx.GetLogs(ctx, &LogsOptions{MinLevel: "loud"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad level: %v", err)
	}
	if _, err := c.GetLogs(ctx, "nosuchsandbox", nil); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("logs of unknown sandbox: %v", err)
	}
	if _, err := c.GetMetrics(ctx, "nosuchsandbox", time.Time{}, time.Time{}); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("metrics of unknown sandbox: %v", err)
	}
}
