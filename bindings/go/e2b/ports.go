package e2b

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// PortRequestOptions configure Sandbox.PortRequest.
type PortRequestOptions struct {
	Header  http.Header   // request headers
	Body    []byte        //
	Timeout time.Duration // whole request; 0 = the client's request timeout; < 0 = none
}

// PortResponse is the answer of the server on a sandbox port.
type PortResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	return out
}

// PortRequest sends one HTTP request to port of the sandbox (routed as the SDKs route envd
// traffic). Any status the server answers is a response; ErrNetwork means nothing answered
// (nothing listens: HTTPStatus 502).
func (s *Sandbox) PortRequest(ctx context.Context, port uint16, method, path string, opts *PortRequestOptions) (*PortResponse, error) {
	if capi.PortRequest == nil {
		return nil, missing("Sandbox.PortRequest", "e2b_port_request")
	}
	if opts == nil {
		opts = &PortRequestOptions{}
	}
	if method == "" {
		method = http.MethodGet
	}
	var a capi.Arena
	o := &capi.PortRequestOpts{Version: capi.PortRequestOptsVersion, Headers: a.StrList(headerLines(opts.Header)),
		Body: a.Data(opts.Body), BodyLen: uintptr(len(opts.Body)), TimeoutMs: durMs(opts.Timeout)}
	a.Pin(o)
	r := new(capi.PortResponse)
	_, err := do(ctx, &s.life, "Sandbox.PortRequest", &a, func() int32 {
		return capi.PortRequest(r, s.h, port, method, path, o)
	}, func() { capi.PortResponseDispose(r) })
	if err != nil {
		return nil, err
	}
	defer capi.PortResponseDispose(r)
	resp := &PortResponse{StatusCode: int(r.Status), Body: capi.Bytes(r.Body.Ptr, r.Body.Size), Header: http.Header{}}
	// "Name: value\r\n" lines as received; a blank line ends a MIME header block.
	raw := append(capi.Bytes(r.Headers.Ptr, r.Headers.Size), "\r\n"...)
	if h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader(); err == nil || len(h) > 0 {
		resp.Header = http.Header(h)
	}
	return resp, nil
}

// HTTPClient is an *http.Client whose requests go to port of the sandbox through PortRequest
// (the URL's host is ignored; its path and query are used), e.g. for a server started in the
// sandbox. Responses are read whole.
func (s *Sandbox) HTTPClient(port uint16) *http.Client {
	return &http.Client{Transport: &portTransport{s: s, port: port}}
}

type portTransport struct {
	s    *Sandbox
	port uint16
}

func (t *portTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if len(body) > 0 && h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	r, err := t.s.PortRequest(req.Context(), t.port, req.Method, req.URL.RequestURI(), &PortRequestOptions{Header: h, Body: body})
	if err != nil {
		return nil, err
	}
	return &http.Response{Status: fmt.Sprintf("%d %s", r.StatusCode, http.StatusText(r.StatusCode)), StatusCode: r.StatusCode,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: int64(len(r.Body)), Request: req}, nil
}

// MessageType is a WebSocket message's type.
type MessageType uint32

// WebSocket message types.
const (
	TextMessage   MessageType = capi.WsText
	BinaryMessage MessageType = capi.WsBinary
)

// WebSocketOptions configure DialWebSocket.
type WebSocketOptions struct {
	Header         http.Header   // extra handshake headers
	Subprotocol    string        //
	MaxMessageSize uint64        // incoming; 0 = 16 MiB
	ConnectTimeout time.Duration // handshake; 0 = the client's request timeout; < 0 = none
}

// WebSocket is a connection to a port of the sandbox, driven by libe2b's service thread.
// Messages are queued in memory until read with ReadMessage.
type WebSocket struct {
	s       *Sandbox
	h       uintptr
	life    life
	payload uintptr

	mu       sync.Mutex
	msgs     []wsMessage
	wake     chan struct{} // closed and replaced when a message or the close arrives
	closed   bool
	code     int
	closeErr error
	done     chan struct{}
}

type wsMessage struct {
	typ  MessageType
	data []byte
}

// CloseError is how a WebSocket ended: the close code (the peer's, 1005 if it gave none, 1006
// when the connection was lost) and libe2b's error, if any (ErrNetwork, ErrProtocol).
type CloseError struct {
	Code int
	Err  error
}

func (e *CloseError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("e2b: websocket closed (%d): %v", e.Code, e.Err)
	}
	return fmt.Sprintf("e2b: websocket closed (%d)", e.Code)
}

func (e *CloseError) Unwrap() error { return e.Err }

// DialWebSocket opens a WebSocket to port at path ("/..." with the query) and returns once the
// handshake completed. Close it before its sandbox (Sandbox.Close does).
func (s *Sandbox) DialWebSocket(ctx context.Context, port uint16, path string, opts *WebSocketOptions) (*WebSocket, error) {
	if capi.WsConnect == nil {
		return nil, missing("Sandbox.DialWebSocket", "e2b_ws_connect")
	}
	if opts == nil {
		opts = &WebSocketOptions{}
	}
	var a capi.Arena
	o := &capi.WsOpts{Version: capi.WsOptsVersion, Headers: a.StrList(headerLines(opts.Header)),
		Subprotocol: a.OptStr(opts.Subprotocol), MaxMessageSize: opts.MaxMessageSize, ConnectTimeoutMs: durMs(opts.ConnectTimeout)}
	a.Pin(o)
	ws := &WebSocket{s: s, wake: make(chan struct{}), done: make(chan struct{})}
	payload := capi.Register(ws)
	cb := &capi.WsCallbacks{Version: capi.WsCallbacksVersion, OnMessage: capi.CbWsMessage, OnClose: capi.CbWsClose, Payload: payload}
	a.Pin(cb)
	h := new(uintptr)
	_, err := do(ctx, &s.life, "Sandbox.DialWebSocket", &a, func() int32 {
		return capi.WsConnect(h, s.h, port, path, o, cb)
	}, func() {
		capi.WsFree(*h)
		capi.Unregister(payload)
	})
	if err != nil {
		if ctx == nil || ctx.Err() == nil { // failed: no callback ever runs
			capi.Unregister(payload)
		}
		return nil, err
	}
	ws.h, ws.payload = *h, payload
	s.adopt(ws, true)
	return ws, nil
}

// Message and Closed run on libe2b's thread: they only queue.
func (w *WebSocket) Message(p []byte, flags uint32) {
	m := wsMessage{typ: MessageType(flags & (capi.WsText | capi.WsBinary)), data: append([]byte(nil), p...)}
	w.mu.Lock()
	w.msgs = append(w.msgs, m)
	close(w.wake)
	w.wake = make(chan struct{})
	w.mu.Unlock()
}

// Closed is the terminal callback.
func (w *WebSocket) Closed(code int32, ce *capi.CallError) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed, w.code = true, int(code)
	w.closeErr = newError("WebSocket", ce)
	close(w.wake)
	w.wake = make(chan struct{})
	w.mu.Unlock()
	close(w.done)
}

// ReadMessage returns the next message, waiting for it. After the connection ended and every
// message was read it returns a *CloseError.
func (w *WebSocket) ReadMessage(ctx context.Context) (MessageType, []byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		w.mu.Lock()
		if len(w.msgs) > 0 {
			m := w.msgs[0]
			w.msgs[0] = wsMessage{}
			w.msgs = w.msgs[1:]
			w.mu.Unlock()
			return m.typ, m.data, nil
		}
		if w.closed {
			err := &CloseError{Code: w.code, Err: w.closeErr}
			w.mu.Unlock()
			return 0, nil, err
		}
		wake := w.wake
		w.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
}

// WriteMessage queues one message (copied) and returns; messages go out in order.
func (w *WebSocket) WriteMessage(typ MessageType, data []byte) error {
	if err := w.life.acquire(); err != nil {
		return err
	}
	defer w.life.release()
	var a capi.Arena
	p := a.Data(data)
	_, ce := capi.Call(func() int32 { return capi.WsSend(w.h, p, uintptr(len(data)), uint32(typ)) })
	a.Free()
	return newError("WebSocket.WriteMessage", ce)
}

// CloseHandshake starts the closing handshake (code 1000..4999) after the queued messages;
// Done closes once the peer answered.
func (w *WebSocket) CloseHandshake(code uint16, reason string) error {
	if err := w.life.acquire(); err != nil {
		return err
	}
	defer w.life.release()
	var a capi.Arena
	r := a.OptStr(reason)
	_, ce := capi.Call(func() int32 { return capi.WsClose(w.h, code, r) })
	a.Free()
	return newError("WebSocket.CloseHandshake", ce)
}

// BufferedAmount is the number of bytes queued by WriteMessage not yet handed to the socket.
func (w *WebSocket) BufferedAmount() uint64 {
	if w.life.acquire() != nil {
		return 0
	}
	defer w.life.release()
	return capi.WsBufferedAmount(w.h)
}

// Done is closed when the connection ended (see ReadMessage for how).
func (w *WebSocket) Done() <-chan struct{} { return w.done }

// Close closes the connection (close code 1001, waiting up to 2s for the peer's answer; use
// CloseHandshake for another code) and releases the handle. Idempotent.
func (w *WebSocket) Close() error {
	w.closeLocal()
	return nil
}

func (w *WebSocket) closeLocal() {
	if !w.life.shut() {
		return
	}
	w.mu.Lock()
	open := !w.closed
	w.mu.Unlock()
	if open && capi.WsClose(w.h, 1001, nil) == 0 { // going away; the peer's answer ends it
		select {
		case <-w.done:
		case <-time.After(2 * time.Second):
		}
	}
	capi.WsFree(w.h) // no callback after it returns
	w.mu.Lock()
	ended := w.closed
	w.mu.Unlock()
	capi.Unregister(w.payload)
	if !ended {
		w.Closed(1006, &capi.CallError{Code: capi.ECanceled, Message: "closed locally"})
	}
	w.s.adopt(w, false)
}
