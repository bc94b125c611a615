package e2b

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

func TestSessions(t *testing.T) {
	if capi.Load() == nil && capi.SessionStart == nil {
		t.Skip("libe2b without sessions")
	}
	c := newTestClient(t, nil)
	ctx := tctx(t, 60*time.Second)
	s, err := c.StartSession(ctx, &SessionOptions{Sandbox: &SandboxOptions{Metadata: map[string]string{"kind": "session"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	if id == "" || s.Sandbox().ID() != id {
		t.Fatalf("ids %q %q", id, s.Sandbox().ID())
	}
	if err := s.Sandbox().Files.Write(ctx, "/tmp/state.txt", []byte("kept"), nil); err != nil {
		t.Fatal(err)
	}
	if st, err := c.SessionStateOf(ctx, id); err != nil || st != SessionActive {
		t.Fatalf("state %v %v", st, err)
	}
	if err := s.Touch(ctx); err != nil {
		t.Fatal(err)
	}
	if paused, err := s.Pause(ctx); err != nil || !paused {
		t.Fatalf("pause %v %v", paused, err)
	}
	if st, _ := c.SessionStateOf(ctx, id); st != SessionPaused {
		t.Fatalf("state after pause %v", st)
	}
	s.Close()
	if _, err := s.Sandbox().Files.Read(ctx, "/tmp/state.txt", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("sandbox of a closed session: %v", err)
	}
	if _, err := c.ResumeSession(ctx, id, &SessionOptions{IdlePause: time.Minute}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("idle period on a session without one: %v", err)
	}
	s2, err := c.ResumeSession(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s2.Sandbox().Files.Read(ctx, "/tmp/state.txt", nil); err != nil || string(b) != "kept" {
		t.Fatalf("after resume %q %v", b, err)
	}
	if err := s2.End(ctx); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if st, err := c.SessionStateOf(ctx, id); err != nil || st != SessionEnded {
		t.Fatalf("state after end %v %v", st, err)
	}
	if _, err := c.ResumeSession(ctx, id, nil); !errors.Is(err, ErrSandboxNotFound) {
		t.Fatalf("resume an ended session: %v", err)
	}
	// With an idle period: Touch restarts it; the session is left open for Client.Close.
	s3, err := c.StartSession(ctx, &SessionOptions{IdlePause: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Touch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.Sandbox().Commands.Run(ctx, "true", nil); err != nil {
		t.Fatal(err)
	}
	s3.End(ctx)
}

func TestArtifactsAndWorkspace(t *testing.T) {
	if capi.Load() == nil && capi.ArtifactsDownload == nil {
		t.Skip("libe2b without artifacts")
	}
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	if err := sbx.Files.WriteMany(ctx, []WriteEntry{{"/tmp/art/a.png", []byte("png-a")}, {"/tmp/art/sub/b.png", []byte("png-bb")},
		{"/tmp/art/c.txt", []byte("text")}}, nil); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	var progress atomic.Int64
	arts, err := sbx.DownloadArtifacts(ctx, "/tmp/art", []string{"**/*.png"}, filepath.Join(local, "out"), &ArtifactOptions{
		TransferOptions: TransferOptions{OnProgress: func(TransferProgress) bool { progress.Add(1); return true }}})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(arts, func(i, j int) bool { return arts[i].RelPath < arts[j].RelPath })
	if len(arts) != 2 || arts[0].RelPath != "a.png" || arts[1].RelPath != "sub/b.png" || arts[1].Size != 6 || arts[0].MimeType != "image/png" {
		t.Fatalf("artifacts %+v", arts)
	}
	if b, err := os.ReadFile(filepath.Join(local, "out", "sub", "b.png")); err != nil || string(b) != "png-bb" {
		t.Fatalf("local file %q %v", b, err)
	}
	if progress.Load() == 0 {
		t.Fatal("no progress reported")
	}
	if _, err := sbx.DownloadArtifacts(ctx, "/tmp/art", []string{"*.gif"}, local, nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("no match: %v", err)
	}
	if arts, err := sbx.DownloadArtifacts(ctx, "/tmp/art", []string{"*.gif"}, local, &ArtifactOptions{AllowEmpty: true}); err != nil || len(arts) != 0 {
		t.Fatalf("allow empty: %v %v", arts, err)
	}
	if _, err := sbx.DownloadArtifacts(ctx, "/tmp/art", []string{"*.png"}, local, &ArtifactOptions{
		TransferOptions: TransferOptions{OnProgress: func(TransferProgress) bool { return false }}}); !errors.Is(err, ErrUser) {
		t.Fatalf("stopped by progress: %v", err)
	}
	up := filepath.Join(local, "up.txt")
	os.WriteFile(up, []byte("uploaded"), 0o644)
	if arts, err := sbx.UploadArtifacts(ctx, []string{up}, "/tmp/in", nil); err != nil || len(arts) != 1 || arts[0].RemotePath != "/tmp/in/up.txt" {
		t.Fatalf("upload %+v %v", arts, err)
	}
	if _, err := sbx.UploadArtifacts(ctx, []string{filepath.Join(local, "missing")}, "/tmp/in", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("upload missing file: %v", err)
	}

	// Workspace round trip: a tree with a subdirectory and a relative symlink.
	tree := filepath.Join(local, "tree")
	os.MkdirAll(filepath.Join(tree, "src"), 0o755)
	os.WriteFile(filepath.Join(tree, "src", "main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "README"), []byte("readme"), 0o600)
	os.Symlink("src/main.go", filepath.Join(tree, "link"))
	n, err := sbx.PushWorkspace(ctx, tree, "/tmp/ws", nil)
	if err != nil || n < 4 {
		t.Fatalf("push: %d %v", n, err)
	}
	if b, err := sbx.Files.Read(ctx, "/tmp/ws/link", nil); err != nil || string(b) != "package main\n" {
		t.Fatalf("pushed symlink %q %v", b, err)
	}
	back := filepath.Join(local, "back")
	if n, err := sbx.PullWorkspace(ctx, "/tmp/ws", back, nil); err != nil || n < 4 {
		t.Fatalf("pull: %d %v", n, err)
	}
	if target, err := os.Readlink(filepath.Join(back, "link")); err != nil || target != "src/main.go" {
		t.Fatalf("pulled symlink %q %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(back, "README")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("pulled mode %v %v", st, err)
	}
	if _, err := sbx.PullWorkspace(ctx, "/tmp/ws", back, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("pull onto an existing dir: %v", err)
	}
	if _, err := sbx.PullWorkspace(ctx, "/tmp/ws", back, &WorkspaceOptions{Replace: true}); err != nil {
		t.Fatalf("pull with replace: %v", err)
	}
	if _, err := sbx.PullWorkspace(ctx, "/tmp/nope", filepath.Join(local, "x"), nil); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("pull missing: %v", err)
	}
	if capi.LiveHandles() != 0 {
		t.Fatalf("%d callback states left", capi.LiveHandles())
	}
}
