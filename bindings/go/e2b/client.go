// Package e2b is the Go binding of libe2b, the E2B sandbox client library. It loads
// libe2b.so.0 at run time with purego (no cgo: builds with CGO_ENABLED=0) from $LIBE2B_PATH or
// the system loader path.
//
// Ownership follows the C library: a Client owns its Sandboxes, a Sandbox owns its command
// handles and watches; Close releases local handles (it never kills a remote sandbox) and
// closes the children first. Every method is safe for concurrent use.
package e2b

import (
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Load opens libe2b (from $LIBE2B_PATH, else "libe2b.so.0") and checks its ABI version. Every
// constructor calls it; call it first to fail early with a clear message.
func Load() error { return capi.Load() }

// LibraryVersion is libe2b's version string, e.g. "0.1.0".
func LibraryVersion() (string, error) {
	if err := capi.Load(); err != nil {
		return "", err
	}
	return capi.Version(), nil
}

// Config configures a Client. Zero fields take defaults; unless NoEnv, the defaults come from
// the environment as the official SDKs read it (E2B_API_KEY, E2B_DOMAIN, E2B_API_URL,
// E2B_SANDBOX_URL, E2B_DEBUG).
type Config struct {
	APIKey         string
	Domain         string
	APIURL         string
	SandboxURL     string
	RequestTimeout time.Duration // per HTTP request; 0 = 60s; < 0 = none
	Proxy          string        // "" = libcurl's environment handling
	NoProxy        bool          // no proxy at all (overrides Proxy)
	UserAgent      string        // "" = "libe2b/<version>"
	MaxAttempts    int           // retries of safe requests; 0 = 3
	NoEnv          bool          // do not read E2B_* environment variables
	// QueuedDelivery makes libe2b queue stream callbacks (command output, exits, watch
	// events) instead of running them on its service thread; a goroutine of this client then
	// polls libe2b's wake fd and dispatches them. Both modes work with CGO_ENABLED=0 (see the
	// README); the default (service thread) has less latency.
	QueuedDelivery bool
	// Structured logs (libe2b with the production layer): one JSON object per operation.
	// LogFunc runs on whichever thread completed the operation, possibly concurrently: keep it
	// quick and thread-safe. LogFile appends the lines to a file.
	LogFunc  func(level LogLevel, line string)
	LogLevel LogLevel // minimum level; 0 = LogInfo
	LogFile  string
}

// LogLevel is a structured log level (E2B_LOG_*).
type LogLevel int32

// Log levels.
const (
	LogDebug LogLevel = 1
	LogInfo  LogLevel = 2
	LogWarn  LogLevel = 3
	LogError LogLevel = 4
	LogNone  LogLevel = 5
)

type logSink func(level LogLevel, line string)

func (f logSink) Log(level int32, line []byte) { f(LogLevel(level), string(line)) }

// Client is a configured connection to an E2B control plane (one libe2b service thread).
type Client struct {
	h    uintptr
	life life

	mu        sync.Mutex
	sandboxes map[*Sandbox]struct{}
	sessions  map[*Session]struct{}
	pools     map[*Pool]struct{}

	logPayload uintptr

	stopR, stopW int // QueuedDelivery: the pipe that stops the dispatch goroutine
	dispatched   chan struct{}
}

// NewClient creates a client.
func NewClient(cfg Config) (*Client, error) {
	if err := capi.Load(); err != nil {
		return nil, err
	}
	var a capi.Arena
	o := capi.ClientOpts{Version: capi.ClientOptsVersion}
	o.APIKey = a.OptStr(cfg.APIKey)
	o.Domain = a.OptStr(cfg.Domain)
	o.APIURL = a.OptStr(cfg.APIURL)
	o.SandboxURL = a.OptStr(cfg.SandboxURL)
	o.RequestTimeoutMs = durMs(cfg.RequestTimeout)
	if cfg.NoProxy {
		o.Proxy = a.Str("")
	} else {
		o.Proxy = a.OptStr(cfg.Proxy)
	}
	o.UserAgent = a.OptStr(cfg.UserAgent)
	if cfg.MaxAttempts > 0 {
		o.MaxAttempts = uint32(cfg.MaxAttempts)
	}
	if cfg.NoEnv {
		o.Flags |= capi.ClientFNoEnv
	}
	if cfg.QueuedDelivery {
		o.Delivery = capi.DeliveryQueued
	}
	var logPayload uintptr
	if capi.HasProductionB() {
		o.Version = capi.ClientOptsVersion3
		o.LogLevel = int32(cfg.LogLevel)
		o.LogFile = a.OptStr(cfg.LogFile)
		if cfg.LogFunc != nil {
			logPayload = capi.Register(logSink(cfg.LogFunc))
			o.LogCb, o.LogPayload = capi.CbLog, logPayload
		}
	} else if cfg.LogFunc != nil || cfg.LogFile != "" {
		a.Free()
		return nil, missing("NewClient", "structured logs (e2b_client_opts v3)")
	}
	var h uintptr
	_, ce := capi.Call(func() int32 { return capi.ClientNew(&h, &o) })
	a.Free()
	if ce != nil {
		capi.Unregister(logPayload)
		return nil, newError("NewClient", ce)
	}
	c := &Client{h: h, sandboxes: map[*Sandbox]struct{}{}, sessions: map[*Session]struct{}{}, pools: map[*Pool]struct{}{},
		stopR: -1, stopW: -1, logPayload: logPayload}
	if cfg.QueuedDelivery {
		if err := c.startDispatch(); err != nil {
			capi.ClientFree(h)
			return nil, err
		}
	}
	return c, nil
}

// Close closes the client's sandboxes and sessions (local handles only), waits for calls in flight
// (including ones abandoned by a cancelled context) and frees the client. Idempotent.
func (c *Client) Close() error {
	c.closeSandboxes()
	if !c.life.shut() {
		return nil
	}
	c.closeSandboxes() // ones a call in flight (e.g. Create) added meanwhile
	if c.stopW >= 0 {
		syscall.Write(c.stopW, []byte{1})
		<-c.dispatched
		syscall.Close(c.stopW)
		syscall.Close(c.stopR)
	}
	capi.ClientFree(c.h)
	capi.Unregister(c.logPayload) // no log line after the free
	return nil
}

func (c *Client) closeSandboxes() {
	c.mu.Lock()
	var all []interface{ Close() error }
	for p := range c.pools { // before the client; they free their sandboxes
		all = append(all, p)
	}
	for s := range c.sandboxes {
		all = append(all, s)
	}
	for s := range c.sessions {
		all = append(all, s)
	}
	c.mu.Unlock()
	for _, s := range all {
		s.Close()
	}
}

func (c *Client) track(s *Sandbox, add bool) {
	c.mu.Lock()
	if add {
		c.sandboxes[s] = struct{}{}
	} else {
		delete(c.sandboxes, s)
	}
	c.mu.Unlock()
}

// startDispatch runs the QUEUED delivery loop: poll(wake fd, stop pipe), then
// e2b_client_dispatch on this goroutine's thread, which runs the queued callbacks.
func (c *Client) startDispatch() error {
	wake := int(capi.ClientWakeFd(c.h))
	if wake < 0 {
		return &Error{Op: "NewClient", Code: CodeError, Message: "queued delivery without a wake fd"}
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	c.stopR, c.stopW = p[0], p[1]
	c.dispatched = make(chan struct{})
	go func() {
		defer close(c.dispatched)
		type pollfd struct {
			fd      int32
			events  int16
			revents int16
		}
		const pollin = 0x1
		for {
			fds := [2]pollfd{{fd: int32(wake), events: pollin}, {fd: int32(c.stopR), events: pollin}}
			_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 2, 0, 0, 0, 0)
			if errno != 0 && errno != syscall.EINTR {
				return
			}
			if fds[1].revents != 0 {
				capi.ClientDispatch(c.h, 0) // what is already queued still runs
				return
			}
			if fds[0].revents != 0 {
				capi.ClientDispatch(c.h, 0)
			}
		}
	}()
	return nil
}

func durMs(d time.Duration) int64 {
	switch {
	case d == 0:
		return 0
	case d < 0:
		return -1
	case d < time.Millisecond:
		return 1
	}
	return d.Milliseconds()
}
