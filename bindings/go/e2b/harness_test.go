package e2b

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ebitengine/purego"
)

// The tests run against a private e2b-local: E2B_LOCAL_BIN (default <repo>/build/e2b-local) on a
// free port with a temp state dir and a fixed key; libe2b from LIBE2B_PATH (default
// <repo>/build/libe2b.so.0).

const testKey = "e2b_0123456789abcdef0123456789abcdef01234567"

var serverURL string

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", "..", ".."))
}

func TestMain(m *testing.M) {
	if os.Getenv("LIBE2B_PATH") == "" {
		os.Setenv("LIBE2B_PATH", filepath.Join(repoRoot(), "build", "libe2b.so.0"))
	}
	if err := Load(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if os.Geteuid() != 0 {
		fmt.Println("e2b-local needs root: integration tests skipped")
		os.Exit(m.Run())
	}
	stop, err := startServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2b-local did not start:", err)
		stop()
		os.Exit(1)
	}
	code := m.Run()
	stop()
	if code == 0 && lsanLeaks() {
		code = 1
	}
	os.Exit(code)
}

// lsanLeaks runs LeakSanitizer when libasan is preloaded (an ASan build of libe2b, see the
// README): Go leaves through exit_group, so LSan's atexit check would never run. Every C
// object is freed by then (all clients closed), so anything left is a leak of libe2b or of
// the binding.
func lsanLeaks() bool {
	sym, err := purego.Dlsym(purego.RTLD_DEFAULT, "__lsan_do_recoverable_leak_check")
	if err != nil {
		return false
	}
	var check func() int32
	purego.RegisterFunc(&check, sym)
	if check() != 0 {
		fmt.Fprintln(os.Stderr, "LeakSanitizer found leaks")
		return true
	}
	fmt.Println("LeakSanitizer: no leaks")
	return false
}

func startServer() (stop func(), err error) {
	bin := os.Getenv("E2B_LOCAL_BIN")
	if bin == "" {
		bin = filepath.Join(repoRoot(), "build", "e2b-local")
	}
	dir, err := os.MkdirTemp("/var/tmp", "e2b-go-test-")
	if err != nil {
		return func() {}, err
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--state-dir", dir, "--api-key", testKey)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	cleanup := func() { cleanState(dir) }
	if err := cmd.Start(); err != nil {
		return cleanup, err
	}
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cleanup()
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		verbose := os.Getenv("E2B_TEST_VERBOSE") != ""
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "e2b-local: ready on "); i >= 0 {
				ready <- strings.TrimSpace(line[i+len("e2b-local: ready on "):])
			} else if verbose {
				fmt.Fprintln(os.Stderr, line)
			}
		}
		close(ready)
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			return stop, fmt.Errorf("%s exited before the ready line", bin)
		}
		serverURL = u
		return stop, nil
	case <-time.After(60 * time.Second):
		return stop, fmt.Errorf("no ready line from %s within 60s", bin)
	}
}

// cleanState removes the state dir without crossing mounts a dying server may leave behind,
// and the sandboxes' empty cgroups (as the C harness does).
func cleanState(dir string) {
	sh := fmt.Sprintf(`awk '$2 ~ "^%[1]s/" {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
for id in $(ls '%[1]s/sandboxes' 2>/dev/null); do for c in freezer memory pids cpu cpuacct; do rmdir /sys/fs/cgroup/$c/e2b-local/$id 2>/dev/null; done; done
rm -rf --one-file-system '%[1]s' 2>/dev/null; true`, dir)
	exec.Command("sh", "-c", sh).Run()
}

func needServer(t *testing.T) {
	t.Helper()
	if serverURL == "" {
		t.Skip("no e2b-local (needs root)")
	}
}

func testConfig() Config {
	return Config{APIKey: testKey, APIURL: serverURL, SandboxURL: serverURL, Domain: "example.test", NoEnv: true}
}

func newTestClient(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	needServer(t)
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newTestSandbox(t *testing.T, c *Client) *Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := c.Create(ctx, &SandboxOptions{Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill(context.Background())
		s.Close()
	})
	return s
}

func tctx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
