package e2b

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// startTestServer uploads testdata/<script> and runs it on port, waiting until it answers.
func startTestServer(t *testing.T, sbx *Sandbox, script string, port string) {
	t.Helper()
	ctx := tctx(t, 30*time.Second)
	src, err := os.ReadFile("testdata/" + script)
	if err != nil {
		t.Fatal(err)
	}
	if err := sbx.Files.Write(ctx, "/tmp/"+script, src, nil); err != nil {
		t.Fatal(err)
	}
	var errOut lockedBuffer
	h, err := sbx.Commands.Start(ctx, "python3 /tmp/"+script+" "+port, &CommandOptions{Timeout: -1, Stdout: io.Discard, Stderr: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Kill(context.Background()); h.Close() })
	waitFor(t, script+" listening", 15*time.Second, func() bool {
		r, err := sbx.Commands.Run(ctx, "ss -ltn 2>/dev/null | grep -q ':"+port+" ' || (exec 3<>/dev/tcp/127.0.0.1/"+port+") 2>/dev/null", nil)
		select {
		case <-h.Done():
			t.Fatalf("%s exited: %s", script, errOut.String())
		default:
		}
		return err == nil && r.ExitCode == 0
	})
}

func TestPortsHTTPAndWebSocket(t *testing.T) {
	if capi.Load() == nil && capi.PortRequest == nil {
		t.Skip("libe2b without ports")
	}
	c := newTestClient(t, nil)
	sbx := newTestSandbox(t, c)
	ctx := tctx(t, 60*time.Second)
	startTestServer(t, sbx, "http_echo.py", "8000")
	startTestServer(t, sbx, "ws_echo.py", "8765")
	base := capi.LiveHandles() // the two servers' streams

	r, err := sbx.PortRequest(ctx, 8000, "POST", "/echo?a=1", &PortRequestOptions{
		Header: http.Header{"X-Test": {"t1"}}, Body: []byte("payload")})
	if err != nil || r.StatusCode != 200 || string(r.Body) != "POST /echo?a=1|t1|payload" || r.Header.Get("X-Echo") != "yes" {
		t.Fatalf("port request: %+v %v", r, err)
	}
	if r, err := sbx.PortRequest(ctx, 8000, "", "/x?status=404", nil); err != nil || r.StatusCode != 404 {
		t.Fatalf("404 is a response: %+v %v", r, err)
	}
	_, err = sbx.PortRequest(ctx, 8999, "GET", "/", nil)
	var e *Error
	if !errors.Is(err, ErrNetwork) || !errors.As(err, &e) || e.HTTPStatus != 502 {
		t.Fatalf("closed port: %v", err)
	}
	if _, err := sbx.PortRequest(ctx, 8000, "GET", "no-slash", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad path: %v", err)
	}
	// net/http on top.
	resp, err := sbx.HTTPClient(8000).Post("http://sandbox/form", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "POST /form||hi" {
		t.Fatalf("http client: %d %q", resp.StatusCode, body)
	}

	// WebSocket: echo both types, then the server closes with 4000.
	ws, err := sbx.DialWebSocket(ctx, 8765, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(TextMessage, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	bin := bytes.Repeat([]byte{0, 1, 2, 255}, 20000)
	if err := ws.WriteMessage(BinaryMessage, bin); err != nil {
		t.Fatal(err)
	}
	if typ, data, err := ws.ReadMessage(ctx); err != nil || typ != TextMessage || string(data) != "hello" {
		t.Fatalf("text echo: %v %q %v", typ, data, err)
	}
	if typ, data, err := ws.ReadMessage(ctx); err != nil || typ != BinaryMessage || !bytes.Equal(data, bin) {
		t.Fatalf("binary echo: %v %d bytes %v", typ, len(data), err)
	}
	ws.WriteMessage(TextMessage, []byte("bye"))
	_, _, err = ws.ReadMessage(ctx)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Err != nil {
		t.Fatalf("server close: %v", err)
	}
	if err := ws.WriteMessage(TextMessage, []byte("late")); !errors.Is(err, ErrMisuse) {
		t.Fatalf("send after close: %v", err)
	}
	ws.Close()

	// Our closing handshake.
	ws, err = sbx.DialWebSocket(ctx, 8765, "/", &WebSocketOptions{Header: http.Header{"X-Test": {"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.CloseHandshake(1000, "done"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ws.Done():
	case <-ctx.Done():
		t.Fatal("no close")
	}
	if _, _, err := ws.ReadMessage(ctx); !errors.As(err, &ce) || ce.Code != 1000 {
		t.Fatalf("our close: %v", err)
	}
	ws.Close()

	// Dropped locally, and a short wait on an idle socket.
	ws, err = sbx.DialWebSocket(ctx, 8765, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	if _, _, err := ws.ReadMessage(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("idle read: %v", err)
	}
	cancel()
	ws.Close()
	if _, _, err := ws.ReadMessage(ctx); !errors.As(err, &ce) {
		t.Fatalf("read after Close: %v", err)
	}
	if _, err := sbx.DialWebSocket(ctx, 8999, "/", nil); !errors.Is(err, ErrNetwork) {
		t.Fatalf("ws to a closed port: %v", err)
	}
	waitFor(t, "callback states to be released", 5*time.Second, func() bool { return capi.LiveHandles() == base })
}
