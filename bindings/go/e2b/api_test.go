package e2b

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

func TestLibrary(t *testing.T) {
	v, err := LibraryVersion()
	if err != nil || v == "" {
		t.Fatalf("%q %v", v, err)
	}
	if CodeSandboxNotFound.String() == "" || !strings.Contains(ErrFileNotFound.Error(), "e2b") {
		t.Fatal("code names")
	}
}

func TestSandboxLifecycleAndList(t *testing.T) {
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)
	tag := "list-" + time.Now().Format("150405.000")
	var ids []string
	for i := 0; i < 3; i++ {
		s, err := c.Create(ctx, &SandboxOptions{Metadata: map[string]string{"group": tag}, Envs: map[string]string{"FOO": "bar"}})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { s.Kill(context.Background()); s.Close() }()
		ids = append(ids, s.ID())
	}
	s0 := c.sandboxFor(t, ids[0])
	res, err := s0.Commands.Run(ctx, "echo $FOO", nil)
	if err != nil || res.Stdout != "bar\n" {
		t.Fatalf("sandbox env: %+v %v", res, err)
	}
	var seen []string
	pages := 0
	opts := &ListOptions{Metadata: map[string]string{"group": tag}, Limit: 1}
	for {
		page, err := c.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range page.Sandboxes {
			seen = append(seen, s.SandboxID)
		}
		if page.NextToken == "" {
			break
		}
		opts.NextToken = page.NextToken
	}
	if len(seen) != 3 || pages < 3 {
		t.Fatalf("paged list: %v in %d pages", seen, pages)
	}
	n := 0
	if err := c.Paginate(ctx, &ListOptions{Metadata: map[string]string{"group": tag}, Limit: 2, Running: true},
		func(*SandboxInfo) bool { n++; return true }); err != nil || n != 3 {
		t.Fatalf("paginate: %d %v", n, err)
	}

	before, _ := c.GetInfo(ctx, ids[1])
	s1 := c.sandboxFor(t, ids[1])
	if err := s1.SetTimeout(ctx, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	after, err := s1.Info(ctx)
	if err != nil || !after.EndAt.After(before.EndAt) {
		t.Fatalf("set timeout: %v -> %v (%v)", before.EndAt, after.EndAt, err)
	}
	host, err := s1.GetHost(8080)
	if err != nil || host != "8080-"+ids[1]+".example.test" {
		t.Fatalf("host %q %v", host, err)
	}
	if running, err := s1.IsRunning(ctx); err != nil || !running {
		t.Fatalf("running %v %v", running, err)
	}
	if _, err := s1.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if again, err := s1.Pause(ctx); err != nil || again {
		t.Fatalf("second pause: %v %v", again, err)
	}
	paused := 0
	c.Paginate(ctx, &ListOptions{Metadata: map[string]string{"group": tag}, Paused: true},
		func(s *SandboxInfo) bool { paused++; return s.State == "paused" })
	if paused != 1 {
		t.Fatalf("paused filter: %d", paused)
	}
}

// sandboxFor connects a second local handle to a sandbox (closed at the end of the test).
func (c *Client) sandboxFor(t *testing.T, id string) *Sandbox {
	s, err := c.Connect(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFilesAPI(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	f := sbx.Files
	if err := f.WriteMany(ctx, []WriteEntry{{"/tmp/d/a.txt", []byte("A")}, {"/tmp/d/sub/b.txt", []byte("BB")}, {"/tmp/d/empty", nil}}, nil); err != nil {
		t.Fatal(err)
	}
	ents, err := f.List(ctx, "/tmp/d", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]EntryInfo{}
	for _, e := range ents {
		names[e.Name] = e
	}
	if len(ents) != 4 || names["sub"].Type != FileTypeDir || names["b.txt"].Size != 2 || names["empty"].Size != 0 {
		t.Fatalf("list: %+v", ents)
	}
	if ok, err := f.Exists(ctx, "/tmp/d/a.txt", nil); !ok || err != nil {
		t.Fatalf("exists %v %v", ok, err)
	}
	if created, err := f.MakeDir(ctx, "/tmp/d/sub", nil); created || err != nil {
		t.Fatalf("mkdir existing: %v %v", created, err)
	}
	if err := f.Rename(ctx, "/tmp/d/a.txt", "/tmp/e/moved.txt", nil); err != nil {
		t.Fatal(err)
	}
	if b, err := f.Read(ctx, "/tmp/e/moved.txt", nil); err != nil || string(b) != "A" {
		t.Fatalf("after rename %q %v", b, err)
	}
	if err := f.Rename(ctx, "/tmp/nope", "/tmp/x", nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("rename missing: %v", err)
	}
	if err := f.Remove(ctx, "/tmp/d", nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.Exists(ctx, "/tmp/d", nil); ok || err != nil {
		t.Fatalf("removed dir exists: %v %v", ok, err)
	}
	if _, err := f.Read(ctx, "/tmp", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("read a dir: %v", err)
	}
	if err := f.Write(ctx, "/tmp/rootfile", []byte("r"), &FilesOptions{User: "root"}); err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetInfo(ctx, "/tmp/rootfile", nil); err != nil || st.Owner != "root" {
		t.Fatalf("owner %+v %v", st, err)
	}
	// Presigned URLs are plain URLs to the sandbox's /files.
	for _, get := range []func(string, string, time.Duration) (string, error){f.UploadURL, f.DownloadURL} {
		s, err := get("/tmp/x.txt", "", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(s)
		if err != nil || u.Query().Get("path") != "/tmp/x.txt" || u.Query().Get("signature") == "" {
			t.Fatalf("url %q %v", s, err)
		}
	}
	// Streamed upload of unknown size.
	if err := f.WriteStream(ctx, "/tmp/chunked.txt", strings.NewReader(strings.Repeat("c", 300000)), -1, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetInfo(ctx, "/tmp/chunked.txt", nil); err != nil || st.Size != 300000 {
		t.Fatalf("chunked upload %+v %v", st, err)
	}
	// Watch: recursive, ended by its context.
	wctx, wcancel := context.WithCancel(ctx)
	f.MakeDir(ctx, "/tmp/w/deep", nil)
	evs := make(chan FilesystemEvent, 32)
	w, err := f.WatchDir(wctx, "/tmp/w", func(ev FilesystemEvent) { evs <- ev }, &WatchOptions{Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Write(ctx, "/tmp/w/deep/x", []byte("x"), nil)
	for got := false; !got; {
		select {
		case ev := <-evs:
			got = ev.Name == "deep/x"
		case <-time.After(10 * time.Second):
			t.Fatal("no recursive event")
		}
	}
	wcancel()
	select {
	case <-w.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("watch not stopped by its context")
	}
	if _, err := f.WatchDir(ctx, "/no/dir", nil, nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("watch missing dir: %v", err)
	}
}

func TestCommandsAPI(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	// The inline path (no cancellable context, nothing streamed).
	res, err := sbx.Commands.Run(context.Background(), "echo out; echo err >&2; exit 2", nil)
	var cee *CommandExitError
	if !errors.As(err, &cee) || res.ExitCode != 2 || res.Stdout != "out\n" || res.Stderr != "err\n" || cee.Result.Error == "" {
		t.Fatalf("inline run: %+v %v", res, err)
	}
	res, err = sbx.Commands.Run(ctx, "pwd; whoami; echo $A", &CommandOptions{Cwd: "/tmp", User: "root", Envs: map[string]string{"A": "b"}})
	if err != nil || res.Stdout != "/tmp\nroot\nb\n" {
		t.Fatalf("options: %+v %v", res, err)
	}
	res, err = sbx.Commands.Run(ctx, "sleep 5", &CommandOptions{Timeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatalf("process timeout: %+v", res)
	}
	h, err := sbx.Commands.Start(ctx, "sleep 30", &CommandOptions{Tag: "t1", Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	procs, err := sbx.Commands.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var p *ProcessInfo
	for i := range procs {
		if procs[i].PID == h.PID() {
			p = &procs[i]
		}
	}
	if p == nil || p.Tag != "t1" || p.Cmd != "/bin/bash" {
		t.Fatalf("list: %+v", procs)
	}
	if err := h.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := h.Wait(ctx); err == nil || (res != nil && res.ExitCode == 0) {
		t.Fatalf("killed wait: %+v %v", res, err)
	}
	if err := h.Kill(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kill twice: %v", err)
	}
	h.Close()
}

func TestPty(t *testing.T) {
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	var term lockedBuffer
	p, err := sbx.Pty.Create(ctx, &PtyOptions{Cols: 100, Rows: 30, Timeout: -1, Output: &term})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Resize(ctx, 120, 40); err != nil {
		t.Fatal(err)
	}
	if err := p.SendInput(ctx, []byte("stty size; echo pty-$((6*7))\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "terminal output", 10*time.Second, func() bool {
		s := term.String()
		return strings.Contains(s, "pty-42") && strings.Contains(s, "40 120")
	})
	if err := p.SendInput(ctx, []byte("exit 0\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx); err != nil {
		t.Fatalf("pty exit: %v", err)
	}
}

// A Create abandoned by its context leaves no running sandbox behind.
func TestAbandonedCreateIsCleanedUp(t *testing.T) {
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)
	tag := "abandon-" + time.Now().Format("150405.000")
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	s, err := c.Create(short, &SandboxOptions{Metadata: map[string]string{"group": tag}})
	cancel()
	t.Logf("create with a 5ms context: %v", err)
	if err == nil { // the server won the race: not abandoned
		s.Kill(ctx)
		s.Close()
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	c.Close() // waits for the abandoned call and its cleanup
	c2 := newTestClient(t, nil)
	n := 0
	c2.Paginate(ctx, &ListOptions{Metadata: map[string]string{"group": tag}, Running: true},
		func(*SandboxInfo) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d sandboxes left running", n)
	}
}

// Client.Close closes its sandboxes, their command handles and watches; the callback states
// are released and every handle then reports ErrClosed.
func TestCloseCascades(t *testing.T) {
	needServer(t)
	c, err := NewClient(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := tctx(t, 30*time.Second)
	sbx, err := c.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := sbx.ID()
	h, err := sbx.Commands.Start(ctx, "sleep 30", &CommandOptions{Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	w, err := sbx.Files.WatchDir(ctx, "/tmp", func(FilesystemEvent) {}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := h.Wait(ctx); !errors.Is(err, ErrCanceled) {
		t.Fatalf("wait on a closed handle: %v", err)
	}
	if err := h.Kill(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("kill on a closed handle: %v", err)
	}
	if _, err := sbx.Files.Read(ctx, "/tmp/x", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("read on a closed sandbox: %v", err)
	}
	if _, err := c.Create(ctx, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("create on a closed client: %v", err)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("watch did not end with its client")
	}
	waitFor(t, "callback states to be released", 5*time.Second, func() bool { return capi.LiveHandles() == 0 })
	// The sandbox itself still runs: Close never kills.
	c2 := newTestClient(t, nil)
	s2, err := c2.Connect(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2.Kill(ctx)
	s2.Close()
}

func TestLifecycleByID(t *testing.T) {
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)
	s, err := c.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	s.Close()
	before, _ := c.GetInfo(ctx, id)
	if err := c.SetTimeout(ctx, id, 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	if after, err := c.GetInfo(ctx, id); err != nil || !after.EndAt.After(before.EndAt) {
		t.Fatalf("set timeout by id: %v", err)
	}
	if paused, err := c.Pause(ctx, id); err != nil || !paused {
		t.Fatalf("pause by id: %v %v", paused, err)
	}
	if info, err := c.GetInfo(ctx, id); err != nil || info.State != "paused" {
		t.Fatalf("state after pause by id: %+v %v", info, err)
	}
	if err := c.Kill(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(ctx, id); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("second kill by id: %v", err)
	}
	if err := c.Kill(ctx, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("empty id: %v", err)
	}
}

// Process control by pid, without the handle that started the process.
func TestProcessByPid(t *testing.T) {
	if capi.Load() == nil && capi.ProcessKill == nil {
		t.Skip("libe2b without process control by pid")
	}
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	h, err := sbx.Commands.Start(ctx, "cat", &CommandOptions{Stdin: true, Timeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	pid := h.PID()
	h.Close() // the process keeps running
	var out lockedBuffer
	re, err := sbx.Commands.Connect(ctx, pid, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	if err := sbx.Commands.SendStdin(ctx, pid, []byte("by-pid\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "stdin echoed", 10*time.Second, func() bool { return out.String() == "by-pid\n" })
	if err := sbx.Commands.CloseStdin(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if _, err := re.Wait(ctx); err != nil {
		t.Fatalf("cat after EOF: %v", err)
	}
	if err := sbx.Commands.SendStdin(ctx, pid, []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stdin to a gone process: %v", err)
	}

	var term lockedBuffer
	p, err := sbx.Pty.Create(ctx, &PtyOptions{Timeout: -1, Output: &term})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := sbx.Pty.Resize(ctx, p.PID(), 90, 20); err != nil {
		t.Fatal(err)
	}
	if err := sbx.Pty.SendInput(ctx, p.PID(), []byte("stty size; echo pid-$((40+2))\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pty output", 10*time.Second, func() bool {
		return strings.Contains(term.String(), "pid-42") && strings.Contains(term.String(), "20 90")
	})
	if ok, err := sbx.Commands.Kill(ctx, p.PID()); !ok || err != nil {
		t.Fatalf("kill pty by pid: %v %v", ok, err)
	}
	if _, err := p.Wait(ctx); err == nil {
		t.Fatal("killed pty reported success")
	}
}
