package e2b

import (
	"context"
	"sync"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// SandboxOptions are the options of Client.Create (the SDKs' Sandbox.create options).
type SandboxOptions struct {
	Template   string            // "" = "base"
	Timeout    time.Duration     // lifetime; 0 = 5 minutes
	Metadata   map[string]string //
	Envs       map[string]string // sandbox-wide environment
	Insecure   bool              // no envd access token (secure=false)
	NoInternet bool              // allow_internet_access=false
	AutoPause  bool              // pause instead of kill at the end of the timeout
	// Resources (libe2b with resource profiles): a profile name ("light", "medium", "heavy",
	// "ml"; see GetProfile) and/or explicit sizes overriding it. e2b-local applies them as
	// cgroup limits; E2B's cloud ignores them (use one template per size there).
	Profile  string
	CPUCount int
	MemoryMB int
}

// Sandbox is the local view of one remote sandbox. Close releases the local handle only; Kill
// ends the sandbox.
type Sandbox struct {
	client *Client
	h      uintptr
	life   life
	id     string
	envd   string

	Commands *Commands
	Pty      *Pty
	Files    *Files

	mu       sync.Mutex
	children map[closer]struct{}
	borrowed bool  // a session's sandbox: the session frees the C handle
	pool     *Pool // a pooled sandbox: Close gives it back
}

type closer interface{ closeLocal() }

func (c *Client) wrapSandbox(h uintptr) *Sandbox {
	s := newSandbox(c, h)
	c.track(s, true)
	return s
}

func newSandbox(c *Client, h uintptr) *Sandbox {
	s := &Sandbox{client: c, h: h, id: capi.SandboxID(h), envd: capi.SandboxEnvdVersion(h),
		children: map[closer]struct{}{}}
	s.Commands = &Commands{s: s}
	s.Pty = &Pty{s: s}
	s.Files = &Files{s: s}
	return s
}

// undoSandbox releases a sandbox created by an abandoned call: the caller never saw it, so it
// is killed rather than left running until its timeout.
func undoSandbox(h *uintptr, kill bool) func() {
	return func() {
		if kill {
			capi.Call(func() int32 { return capi.SandboxKill(*h) })
		}
		capi.SandboxFree(*h)
	}
}

func (opts *SandboxOptions) toC(a *capi.Arena) *capi.SandboxOpts {
	o := &capi.SandboxOpts{Version: capi.SandboxOptsVersion}
	a.Pin(o)
	o.TemplateID = a.OptStr(opts.Template)
	o.TimeoutMs = durMs(opts.Timeout)
	o.Metadata = a.KVList(opts.Metadata)
	o.Envs = a.KVList(opts.Envs)
	if opts.Insecure {
		o.Flags |= capi.SandboxFInsecure
	}
	if opts.NoInternet {
		o.Flags |= capi.SandboxFNoInternet
	}
	if opts.AutoPause {
		o.Flags |= capi.SandboxFAutoPause
	}
	if capi.HasProductionB() { // version 2 only where the library knows it
		o.Version = capi.SandboxOptsVersion2
		o.Profile = a.OptStr(opts.Profile)
		o.CPUCount, o.MemoryMB = int32(opts.CPUCount), int32(opts.MemoryMB)
	}
	return o
}

// Create creates a sandbox (POST /sandboxes). If ctx ends first, the sandbox the server still
// creates is killed once it exists.
func (c *Client) Create(ctx context.Context, opts *SandboxOptions) (*Sandbox, error) {
	if opts == nil {
		opts = &SandboxOptions{}
	}
	var a capi.Arena
	o := opts.toC(&a)
	h := new(uintptr)
	_, err := do(ctx, &c.life, "Client.Create", &a, func() int32 { return capi.SandboxCreate(h, c.h, o) },
		undoSandbox(h, true))
	if err != nil {
		return nil, err
	}
	return c.wrapSandbox(*h), nil
}

// Connect connects to an existing sandbox by id, resuming it if paused; its lifetime is
// extended to at least timeout (0 = 5 minutes). ErrSandboxNotFound if unknown.
func (c *Client) Connect(ctx context.Context, sandboxID string, timeout time.Duration) (*Sandbox, error) {
	h := new(uintptr)
	_, err := do(ctx, &c.life, "Client.Connect", nil, func() int32 {
		return capi.SandboxConnect(h, c.h, sandboxID, durMs(timeout))
	}, undoSandbox(h, false))
	if err != nil {
		return nil, err
	}
	return c.wrapSandbox(*h), nil
}

// ID is the sandbox id.
func (s *Sandbox) ID() string { return s.id }

// EnvdVersion is the version of the sandbox's envd.
func (s *Sandbox) EnvdVersion() string { return s.envd }

// Client is the client the sandbox belongs to.
func (s *Sandbox) Client() *Client { return s.client }

func (s *Sandbox) adopt(c closer, add bool) {
	s.mu.Lock()
	if add {
		s.children[c] = struct{}{}
	} else {
		delete(s.children, c)
	}
	s.mu.Unlock()
}

// Close releases the local handle (never kills): command handles and watches of this sandbox
// are closed first (their processes keep running). Idempotent.
func (s *Sandbox) Close() error {
	s.closeChildren()
	if s.life.shut() {
		s.closeChildren() // ones a call in flight (e.g. Start) added meanwhile
		switch {
		case s.pool != nil:
			s.pool.giveBack(s, 0)
		case !s.borrowed:
			capi.SandboxFree(s.h)
			s.client.track(s, false)
		}
	}
	return nil
}

func (s *Sandbox) closeChildren() {
	s.mu.Lock()
	kids := make([]closer, 0, len(s.children))
	for k := range s.children {
		kids = append(kids, k)
	}
	s.mu.Unlock()
	for _, k := range kids {
		k.closeLocal()
	}
}

// Kill kills the sandbox. It returns nil when killed, or an error matching ErrSandboxNotFound
// when it no longer existed (the SDKs' false). The handle stays open until Close.
func (s *Sandbox) Kill(ctx context.Context) error {
	_, err := do(ctx, &s.life, "Sandbox.Kill", nil, func() int32 { return capi.SandboxKill(s.h) }, nil)
	return err
}

// SetTimeout sets the remaining lifetime to d from now (may shorten it).
func (s *Sandbox) SetTimeout(ctx context.Context, d time.Duration) error {
	_, err := do(ctx, &s.life, "Sandbox.SetTimeout", nil, func() int32 { return capi.SandboxSetTimeout(s.h, durMs(d)) }, nil)
	return err
}

// Pause pauses the sandbox keeping its memory; true if it paused now, false if it already was.
func (s *Sandbox) Pause(ctx context.Context) (bool, error) {
	rc, err := do(ctx, &s.life, "Sandbox.Pause", nil, func() int32 { return capi.SandboxPause(s.h) }, nil)
	return rc == 1, err
}

// IsRunning reports whether the sandbox's envd answers (false when paused, killed or expired).
func (s *Sandbox) IsRunning(ctx context.Context) (bool, error) {
	rc, err := do(ctx, &s.life, "Sandbox.IsRunning", nil, func() int32 { return capi.SandboxIsRunning(s.h) }, nil)
	return rc == 1, err
}

// GetHost is "<port>-<id>.<domain>", as the SDKs' getHost.
func (s *Sandbox) GetHost(port uint16) (string, error) {
	var b capi.Buf
	_, err := do(context.Background(), &s.life, "Sandbox.GetHost", nil, func() int32 { return capi.SandboxGetHost(&b, s.h, port) }, nil)
	if err != nil {
		return "", err
	}
	return string(capi.TakeBuf(&b)), nil
}

// Info returns the sandbox's details.
func (s *Sandbox) Info(ctx context.Context) (*SandboxInfo, error) {
	return s.client.GetInfo(ctx, s.id)
}

// SandboxInfo describes a sandbox (GET /sandboxes/{id} and the list items).
type SandboxInfo struct {
	SandboxID   string
	TemplateID  string
	Alias       string
	State       string // "running" | "paused"
	EnvdVersion string
	StartedAt   time.Time
	EndAt       time.Time
	CPUCount    int
	MemoryMB    int
	DiskSizeMB  int
	Metadata    map[string]string
}

func infoFromC(i *capi.SandboxInfo) *SandboxInfo {
	out := &SandboxInfo{
		SandboxID: capi.GoString(i.SandboxID), TemplateID: capi.GoString(i.TemplateID),
		Alias: capi.GoString(i.Alias), State: capi.GoString(i.State),
		EnvdVersion: capi.GoString(i.EnvdVersion),
		StartedAt:   time.UnixMilli(i.StartedAtMs), EndAt: time.UnixMilli(i.EndAtMs),
		CPUCount: int(i.CPUCount), MemoryMB: int(i.MemoryMB), DiskSizeMB: int(i.DiskSizeMB),
		Metadata: map[string]string{},
	}
	keys := capi.GoStrings(i.MetadataKeys, i.MetadataCount)
	vals := capi.GoStrings(i.MetadataValues, i.MetadataCount)
	for j := range keys {
		out.Metadata[keys[j]] = vals[j]
	}
	return out
}

// GetInfo returns a sandbox's details by id (ErrSandboxNotFound if unknown).
func (c *Client) GetInfo(ctx context.Context, sandboxID string) (*SandboxInfo, error) {
	p := new(*capi.SandboxInfo)
	_, err := do(ctx, &c.life, "Client.GetInfo", nil, func() int32 { return capi.SandboxGetInfo(p, c.h, sandboxID) },
		func() { capi.SandboxInfoFree(*p) })
	if err != nil {
		return nil, err
	}
	defer capi.SandboxInfoFree(*p)
	return infoFromC(*p), nil
}

// ListOptions filter Client.List.
type ListOptions struct {
	Running, Paused bool              // states to include; neither = both
	Metadata        map[string]string // all must match
	Limit           int               // page size 1..100; 0 = 100
	NextToken       string            // "" = first page
}

// SandboxPage is one page of Client.List; NextToken is "" on the last page.
type SandboxPage struct {
	Sandboxes []*SandboxInfo
	NextToken string
}

// List returns one page of sandboxes (GET /v2/sandboxes). Pass the returned NextToken in the
// next call's options for the next page, or use Paginate.
func (c *Client) List(ctx context.Context, opts *ListOptions) (*SandboxPage, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	var a capi.Arena
	o := &capi.ListOpts{Version: capi.ListOptsVersion}
	a.Pin(o)
	if opts.Running {
		o.States |= capi.ListRunning
	}
	if opts.Paused {
		o.States |= capi.ListPaused
	}
	o.Metadata = a.KVList(opts.Metadata)
	if opts.Limit > 0 {
		o.Limit = uint32(opts.Limit)
	}
	o.NextToken = a.OptStr(opts.NextToken)
	l := new(uintptr)
	_, err := do(ctx, &c.life, "Client.List", &a, func() int32 { return capi.SandboxListPage(l, c.h, o) },
		func() { capi.SandboxListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.SandboxListFree(*l)
	n := capi.SandboxListCount(*l)
	page := &SandboxPage{NextToken: capi.GoString(capi.SandboxListNextToken(*l))}
	for i := uintptr(0); i < n; i++ {
		page.Sandboxes = append(page.Sandboxes, infoFromC(capi.SandboxListAt(*l, i)))
	}
	return page, nil
}

// Paginate calls fn with every sandbox matching opts, page by page, until fn returns false or
// the last page.
func (c *Client) Paginate(ctx context.Context, opts *ListOptions, fn func(*SandboxInfo) bool) error {
	o := ListOptions{}
	if opts != nil {
		o = *opts
	}
	for {
		page, err := c.List(ctx, &o)
		if err != nil {
			return err
		}
		for _, s := range page.Sandboxes {
			if !fn(s) {
				return nil
			}
		}
		if page.NextToken == "" {
			return nil
		}
		o.NextToken = page.NextToken
	}
}

// Kill kills a sandbox by id without a handle and without resuming it (the SDKs' static
// Sandbox.kill). ErrSandboxNotFound when it does not exist.
func (c *Client) Kill(ctx context.Context, sandboxID string) error {
	if capi.SandboxKillID == nil {
		return missing("Client.Kill", "e2b_sandbox_kill_id")
	}
	_, err := do(ctx, &c.life, "Client.Kill", nil, func() int32 { return capi.SandboxKillID(c.h, sandboxID) }, nil)
	return err
}

// SetTimeout sets a sandbox's remaining lifetime by id (the SDKs' static Sandbox.setTimeout).
func (c *Client) SetTimeout(ctx context.Context, sandboxID string, d time.Duration) error {
	if capi.SandboxSetTimeoutID == nil {
		return missing("Client.SetTimeout", "e2b_sandbox_set_timeout_id")
	}
	_, err := do(ctx, &c.life, "Client.SetTimeout", nil, func() int32 { return capi.SandboxSetTimeoutID(c.h, sandboxID, durMs(d)) }, nil)
	return err
}

// Pause pauses a sandbox by id (the SDKs' Sandbox.betaPause): true if it paused now, false if
// it already was.
func (c *Client) Pause(ctx context.Context, sandboxID string) (bool, error) {
	if capi.SandboxPauseID == nil {
		return false, missing("Client.Pause", "e2b_sandbox_pause_id")
	}
	rc, err := do(ctx, &c.life, "Client.Pause", nil, func() int32 { return capi.SandboxPauseID(c.h, sandboxID) }, nil)
	return rc == 1, err
}
