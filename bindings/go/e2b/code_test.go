package e2b

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

func TestCodeInterpreter(t *testing.T) {
	if capi.Load() == nil && capi.CodeStart == nil {
		t.Skip("libe2b without the code interpreter")
	}
	c := newTestClient(t, nil)
	ctx := tctx(t, 90*time.Second)
	sbx, err := c.Create(ctx, &SandboxOptions{Template: "code-interpreter-v1", Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sbx.Kill(context.Background()); sbx.Close() }()

	var mu sync.Mutex
	var streamed []OutputMessage
	var results []Result
	ex, err := sbx.RunCode(ctx, "x = 41\nprint('hello')\nimport sys\nprint('oops', file=sys.stderr)\nx + 1", &RunCodeOptions{
		OnStdout: func(m OutputMessage) { mu.Lock(); streamed = append(streamed, m); mu.Unlock() },
		OnStderr: func(m OutputMessage) { mu.Lock(); streamed = append(streamed, m); mu.Unlock() },
		OnResult: func(r Result) { mu.Lock(); results = append(results, r); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Text() != "42" || len(ex.Stdout) != 1 || ex.Stdout[0] != "hello\n" || len(ex.Stderr) != 1 || ex.Error != nil || ex.ExecutionCount < 1 {
		t.Fatalf("execution %+v", ex)
	}
	mu.Lock()
	if len(streamed) != 2 || streamed[0].Line != "hello\n" || !streamed[1].Error || streamed[0].Timestamp.IsZero() ||
		len(results) != 1 || !results[0].IsMainResult {
		t.Fatalf("streamed %+v results %+v", streamed, results)
	}
	mu.Unlock()
	// State is kept; a raised exception is part of the execution, not a Go error.
	ex, err = sbx.RunCode(ctx, "def f():\n    return 1 / x * 0 / 0\nf()", nil)
	if err != nil || ex.Error == nil || ex.Error.Name != "ZeroDivisionError" || ex.Error.Traceback == "" {
		t.Fatalf("raised: %+v %v", ex, err)
	}
	ex, err = sbx.RunCode(ctx, "import os; os.environ.get('CELL_VAR')", &RunCodeOptions{Envs: map[string]string{"CELL_VAR": "v1"}})
	if err != nil || !strings.Contains(ex.Text(), "v1") {
		t.Fatalf("envs: %+v %v", ex, err)
	}

	// Contexts.
	cc, err := sbx.CreateCodeContext(ctx, "python", "/tmp")
	if err != nil || cc.ID == "" || cc.Language != "python" || cc.Cwd != "/tmp" {
		t.Fatalf("context %+v %v", cc, err)
	}
	ex, err = sbx.RunCode(ctx, "import os; os.getcwd()", &RunCodeOptions{ContextID: cc.ID})
	if err != nil || !strings.Contains(ex.Text(), "/tmp") {
		t.Fatalf("in context: %+v %v", ex, err)
	}
	list, err := sbx.ListCodeContexts(ctx)
	found := false
	for _, l := range list {
		found = found || l.ID == cc.ID
	}
	if err != nil || !found {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := sbx.RestartCodeContext(ctx, cc.ID); err != nil {
		t.Fatal(err)
	}
	if err := sbx.RemoveCodeContext(ctx, cc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sbx.RunCode(ctx, "1", &RunCodeOptions{ContextID: cc.ID}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed context: %v", err)
	}
	if _, err := sbx.RunCode(ctx, "1", &RunCodeOptions{ContextID: cc.ID, Language: "python"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("language with context: %v", err)
	}

	// Cancelled by the context: the partial execution comes back and the kernel survives.
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	start := time.Now()
	ex, err = sbx.RunCode(short, "print('spinning', flush=True)\nwhile True:\n    pass", nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("cancelled cell: %v after %v", err, time.Since(start))
	}
	if ex == nil || len(ex.Stdout) != 1 {
		t.Fatalf("partial execution: %+v", ex)
	}
	ex, err = sbx.RunCode(ctx, "x", nil)
	if err != nil || ex.Text() != "41" {
		t.Fatalf("after interrupt: %+v %v", ex, err)
	}
	// The interpreter's own timeout.
	if _, err := sbx.RunCode(ctx, "import time; time.sleep(5)", &RunCodeOptions{Timeout: 500 * time.Millisecond}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("cell timeout: %v", err)
	}
}
