package e2b

import (
	"context"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// SessionState is where a session stands.
type SessionState int

// Session states (E2B_SESSION_*).
const (
	SessionActive SessionState = 1 // running
	SessionPaused SessionState = 2 // paused: ResumeSession continues it
	SessionEnded  SessionState = 3 // killed or expired: gone for good
)

// SessionOptions configure StartSession / ResumeSession.
type SessionOptions struct {
	Sandbox   *SandboxOptions // StartSession: the sandbox (its Timeout is replaced by IdlePause when set)
	IdlePause time.Duration   // > 0: auto-pause after this long without Touch
	Timeout   time.Duration   // ResumeSession without idle period: lifetime from now; 0 = 5 min
}

// Session is a sandbox kept between requests and addressed by its id: persist ID(), resume
// it later from any process. Close releases the local handle only (never pauses or kills).
type Session struct {
	c    *Client
	h    uintptr
	life life
	id   string
	sbx  *Sandbox
}

func (o *SessionOptions) toC(a *capi.Arena) *capi.SessionOpts {
	so := &capi.SessionOpts{Version: capi.SessionOptsVersion}
	a.Pin(so)
	if o == nil {
		return so
	}
	so.IdlePauseMs = durMs(o.IdlePause)
	so.TimeoutMs = durMs(o.Timeout)
	if o.Sandbox != nil {
		so.Sandbox = o.Sandbox.toC(a)
	}
	return so
}

func (c *Client) wrapSession(h uintptr) *Session {
	s := &Session{c: c, h: h, id: capi.SessionID(h)}
	s.sbx = newSandbox(c, capi.SessionSandbox(h))
	s.sbx.borrowed = true
	c.mu.Lock()
	c.sessions[s] = struct{}{}
	c.mu.Unlock()
	return s
}

func undoSession(h *uintptr, end bool) func() {
	return func() {
		if end {
			capi.Call(func() int32 { return capi.SessionEnd(*h) })
		}
		capi.SessionFree(*h)
	}
}

// StartSession starts a session on a new sandbox.
func (c *Client) StartSession(ctx context.Context, opts *SessionOptions) (*Session, error) {
	if capi.SessionStart == nil {
		return nil, missing("Client.StartSession", "e2b_session_start")
	}
	var a capi.Arena
	o := opts.toC(&a)
	h := new(uintptr)
	_, err := do(ctx, &c.life, "Client.StartSession", &a, func() int32 { return capi.SessionStart(h, c.h, o) }, undoSession(h, true))
	if err != nil {
		return nil, err
	}
	return c.wrapSession(*h), nil
}

// ResumeSession resumes a session by id (a paused sandbox is resumed, a running one
// attached). An ended session is ErrSandboxNotFound, never a new sandbox.
func (c *Client) ResumeSession(ctx context.Context, id string, opts *SessionOptions) (*Session, error) {
	if capi.SessionResume == nil {
		return nil, missing("Client.ResumeSession", "e2b_session_resume")
	}
	var a capi.Arena
	o := opts.toC(&a)
	h := new(uintptr)
	_, err := do(ctx, &c.life, "Client.ResumeSession", &a, func() int32 { return capi.SessionResume(h, c.h, id, o) }, undoSession(h, false))
	if err != nil {
		return nil, err
	}
	return c.wrapSession(*h), nil
}

// SessionStateOf reports the state of any session id (SessionEnded for unknown ones).
func (c *Client) SessionStateOf(ctx context.Context, id string) (SessionState, error) {
	if capi.SessionState == nil {
		return 0, missing("Client.SessionStateOf", "e2b_session_state")
	}
	rc, err := do(ctx, &c.life, "Client.SessionStateOf", nil, func() int32 { return capi.SessionState(c.h, id) }, nil)
	return SessionState(rc), err
}

// ID is the session's id (its sandbox's id).
func (s *Session) ID() string { return s.id }

// Sandbox is the session's sandbox for commands, files, artifacts and workspace calls. It is
// valid until the session is closed, and after Pause only through a new ResumeSession.
func (s *Session) Sandbox() *Sandbox { return s.sbx }

// Touch marks activity: the idle period starts again (no-op without one).
func (s *Session) Touch(ctx context.Context) error {
	_, err := do(ctx, &s.life, "Session.Touch", nil, func() int32 { return capi.SessionTouch(s.h) }, nil)
	return err
}

// Pause pauses the session (files and memory kept): true if it paused now.
func (s *Session) Pause(ctx context.Context) (bool, error) {
	rc, err := do(ctx, &s.life, "Session.Pause", nil, func() int32 { return capi.SessionPause(s.h) }, nil)
	return rc == 1, err
}

// End ends the session (kills its sandbox); ErrSandboxNotFound when it was already gone.
func (s *Session) End(ctx context.Context) error {
	_, err := do(ctx, &s.life, "Session.End", nil, func() int32 { return capi.SessionEnd(s.h) }, nil)
	return err
}

// Close releases the local handle (its sandbox's command handles and watches first).
// Idempotent.
func (s *Session) Close() error {
	s.sbx.Close()
	if s.life.shut() {
		capi.SessionFree(s.h)
		s.c.mu.Lock()
		delete(s.c.sessions, s)
		s.c.mu.Unlock()
	}
	return nil
}
