package e2b

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer safe to read while the binding writes to it.
type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The shared scenario of every binding: create, streamed command, stdin, files round trip
// (8 MiB binary), a watch event, pause then connect with a live process, kill, three errors.
func TestSharedScenario(t *testing.T) {
	c := newTestClient(t, nil)
	ctx := tctx(t, 90*time.Second)
	sbx, err := c.Create(ctx, &SandboxOptions{Timeout: 2 * time.Minute, Metadata: map[string]string{"scenario": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sbx.Close()
	if sbx.ID() == "" || sbx.EnvdVersion() == "" {
		t.Fatalf("id %q envd %q", sbx.ID(), sbx.EnvdVersion())
	}
	info, err := sbx.Info(ctx)
	if err != nil || info.State != "running" || info.Metadata["scenario"] != "1" {
		t.Fatalf("info %+v %v", info, err)
	}

	// Streamed command: output arrives while the command runs, in order.
	var out lockedBuffer
	var errOut lockedBuffer
	h, err := sbx.Commands.Start(ctx, `for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; exit 3`,
		&CommandOptions{Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first line before the end", 5*time.Second, func() bool { return strings.Contains(out.String(), "out1") })
	select {
	case <-h.Done():
		t.Fatal("the command ended before its first line was seen: not streamed")
	default:
	}
	res, err := h.Wait(ctx)
	var cee *CommandExitError
	if !errors.As(err, &cee) || !errors.Is(err, ErrCommandExit) || cee.ExitCode() != 3 || res.ExitCode != 3 {
		t.Fatalf("want exit 3 as CommandExitError, got %v (%T) %+v", err, err, res)
	}
	if out.String() != "out1\nout2\nout3\n" || errOut.String() != "err1\nerr2\nerr3\n" || out.writes < 3 {
		t.Fatalf("stdout %q (%d writes) stderr %q", out.String(), out.writes, errOut.String())
	}
	h.Close()

	// stdin.
	h, err = sbx.Commands.Start(ctx, "cat", &CommandOptions{Stdin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(h, "hel"); err != nil { // io.Writer onto stdin
		t.Fatal(err)
	}
	if err := h.SendStdin(ctx, []byte("lo\n")); err != nil {
		t.Fatal(err)
	}
	if err := h.CloseStdin(ctx); err != nil {
		t.Fatal(err)
	}
	res, err = h.Wait(ctx)
	if err != nil || res.Stdout != "hello\n" || res.ExitCode != 0 {
		t.Fatalf("cat: %+v %v", res, err)
	}
	h.Close()

	// Files round trip, 8 MiB of random bytes, whole and streamed both ways.
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(i*31 + 7)
	}
	want := sha256.Sum256(data)
	if err := sbx.Files.Write(ctx, "/tmp/big.bin", data, nil); err != nil {
		t.Fatal(err)
	}
	got, err := sbx.Files.Read(ctx, "/tmp/big.bin", nil)
	if err != nil || sha256.Sum256(got) != want {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
	if err := sbx.Files.WriteStream(ctx, "/tmp/big2.bin", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	rc, err := sbx.Files.ReadStream(ctx, "/tmp/big2.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	hsh := sha256.New()
	n, err := io.Copy(hsh, rc)
	rc.Close()
	if err != nil || n != int64(len(data)) || !bytes.Equal(hsh.Sum(nil), want[:]) {
		t.Fatalf("streamed read %d bytes, err %v", n, err)
	}
	st, err := sbx.Files.GetInfo(ctx, "/tmp/big2.bin", nil)
	if err != nil || st.Size != int64(len(data)) || st.Type != FileTypeFile {
		t.Fatalf("stat %+v %v", st, err)
	}

	ents, err := sbx.Files.List(ctx, "/tmp", 1, nil)
	listed := false
	for _, e := range ents {
		listed = listed || (e.Name == "big.bin" && e.Size == int64(len(data)))
	}
	if err != nil || !listed {
		t.Fatalf("list /tmp: %v %+v", err, ents)
	}

	// A watch event.
	if _, err := sbx.Files.MakeDir(ctx, "/tmp/watched", nil); err != nil {
		t.Fatal(err)
	}
	events := make(chan FilesystemEvent, 16)
	w, err := sbx.Files.WatchDir(ctx, "/tmp/watched", func(ev FilesystemEvent) { events <- ev }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sbx.Files.Write(ctx, "/tmp/watched/new.txt", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	// envd writes through a temporary file and renames it: wait for the final name.
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-events:
			seen = ev.Name == "new.txt" && ev.Type != 0
		case <-deadline:
			t.Fatal("no watch event for new.txt")
		}
	}
	w.Stop()
	select {
	case <-w.Done():
		if w.Err() != nil {
			t.Fatalf("watch ended with %v", w.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end after Stop")
	}
	w.Close()

	// Pause with a live process, then connect: the process still runs and is reconnectable.
	bg, err := sbx.Commands.Start(ctx, `sleep 600 & while kill -0 $! 2>/dev/null; do echo tick; sleep 0.2; done`,
		&CommandOptions{Timeout: -1, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	pid := bg.PID()
	bg.Close()
	if paused, err := sbx.Pause(ctx); err != nil || !paused {
		t.Fatalf("pause: %v %v", paused, err)
	}
	if running, err := sbx.IsRunning(ctx); err != nil || running {
		t.Fatalf("is_running after pause: %v %v", running, err)
	}
	sbx2, err := c.Connect(ctx, sbx.ID(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer sbx2.Close()
	procs, err := sbx2.Commands.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range procs {
		found = found || p.PID == pid
	}
	if !found {
		t.Fatalf("pid %d not listed after resume: %+v", pid, procs)
	}
	var ticks lockedBuffer
	re, err := sbx2.Commands.Connect(ctx, pid, &ticks, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "output of the reconnected process", 10*time.Second, func() bool { return strings.Contains(ticks.String(), "tick") })
	if ok, err := sbx2.Commands.Kill(ctx, pid); err != nil || !ok {
		t.Fatalf("kill pid: %v %v", ok, err)
	}
	if _, err := re.Wait(ctx); err == nil {
		t.Fatal("a killed process reported success")
	}
	re.Close()

	// Kill; killing again reports ErrSandboxNotFound (the SDKs' false).
	if err := sbx2.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if running, err := sbx2.IsRunning(ctx); err != nil || running {
		t.Fatalf("is_running after kill: %v %v", running, err)
	}
	if err := sbx2.Kill(ctx); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("second kill: %v", err)
	}
}

// The scenario's three error cases, each a typed error with the kind preserved.
func TestErrorKinds(t *testing.T) {
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)

	_, err := c.Connect(ctx, "nosuchsandbox", 0)
	var e *Error
	if !errors.Is(err, ErrSandboxNotFound) || !errors.As(err, &e) || e.Code != CodeSandboxNotFound || e.HTTPStatus != 404 {
		t.Fatalf("unknown sandbox: %v (%#v)", err, e)
	}
	if _, err := c.GetInfo(ctx, "nosuchsandbox"); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("info of unknown sandbox: %v", err)
	}

	bad := newTestClient(t, func(cfg *Config) { cfg.APIKey = "e2b_" + strings.Repeat("f", 40) })
	_, err = bad.Create(ctx, nil)
	if !errors.Is(err, ErrAuth) || !errors.As(err, &e) || e.HTTPStatus != 401 || e.Message == "" {
		t.Fatalf("wrong key: %v (%#v)", err, e)
	}

	sbx := newTestSandbox(t, c)
	_, err = sbx.Files.Read(ctx, "/no/such/file", nil)
	if !errors.Is(err, ErrFileNotFound) || !errors.As(err, &e) || e.Code != CodeFileNotFound {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := sbx.Files.ReadStream(ctx, "/no/such/file", nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("missing file, streamed: %v", err)
	}
	if _, err := sbx.Files.GetInfo(ctx, "/no/such/file", nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("missing file, stat: %v", err)
	}
	if _, err := sbx.Commands.Connect(ctx, 999999, nil, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown pid: %v", err)
	}
	if _, err := sbx.Commands.Run(ctx, "true", &CommandOptions{Cwd: "/no/such/dir"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad cwd: %v", err)
	}
	if ok, err := sbx.Commands.Kill(ctx, 999999); ok || err != nil {
		t.Fatalf("kill unknown pid: %v %v", ok, err)
	}
	var ctxErr = context.Canceled
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Create(cctx, nil); !errors.Is(err, ctxErr) {
		t.Fatalf("cancelled create: %v", err)
	}
}
