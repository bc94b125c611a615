package e2b

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// Files accesses the sandbox's filesystem (sandbox.files). Relative paths and "~" resolve
// against the user's home.
type Files struct{ s *Sandbox }

// FilesOptions apply to one call. nil = defaults.
type FilesOptions struct {
	User           string        // "" = the sandbox's default user
	RequestTimeout time.Duration // 0 = the client's request timeout; < 0 = none
}

func (o *FilesOptions) toC(a *capi.Arena) *capi.FilesOpts {
	c := &capi.FilesOpts{Version: capi.FilesOptsVersion}
	a.Pin(c)
	if o != nil {
		c.User = a.OptStr(o.User)
		c.TimeoutMs = durMs(o.RequestTimeout)
	}
	return c
}

// Read reads a whole file. ErrFileNotFound when missing, ErrInvalidArgument for a directory.
func (f *Files) Read(ctx context.Context, path string, opts *FilesOptions) ([]byte, error) {
	var a capi.Arena
	o := opts.toC(&a)
	b := new(capi.Buf)
	_, err := do(ctx, &f.s.life, "Files.Read", &a, func() int32 { return capi.FilesRead(b, f.s.h, path, o) },
		func() { capi.BufDispose(b) })
	if err != nil {
		return nil, err
	}
	return capi.TakeBuf(b), nil
}

// ReadStream opens a file for streaming in constant memory. It returns once the download has
// started (or failed: ErrFileNotFound, ...). libe2b delivers the bytes on its service thread;
// up to 4 MiB are buffered ahead of the reader, then that thread waits for the reader (which
// also stalls the client's other streams): read promptly, and Close it (or cancel ctx) to stop
// early. ctx bounds the whole download.
func (f *Files) ReadStream(ctx context.Context, path string, opts *FilesOptions) (io.ReadCloser, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := f.s.life.acquire(); err != nil {
		return nil, err
	}
	var a capi.Arena
	o := opts.toC(&a)
	pipe := newChunkPipe(readAhead)
	sink := &readSink{w: pipe, started: make(chan struct{}), ended: make(chan struct{})}
	payload := capi.Register(sink)
	go func() {
		_, ce := capi.Call(func() int32 { return capi.FilesReadStream(f.s.h, path, capi.CbReadData, payload, o) })
		capi.Unregister(payload) // synchronous call: no callback after it returned
		a.Free()
		f.s.life.release()
		err := newError("Files.ReadStream", ce)
		if errors.Is(err, ErrUser) {
			if ctx.Err() != nil {
				err = fmt.Errorf("e2b: Files.ReadStream: %w", ctx.Err())
			} else {
				err = io.ErrClosedPipe // the reader was closed early
			}
		}
		sink.endErr = err
		close(sink.ended)
		pipe.closeWrite(err) // nil: io.EOF for the reader
		sink.start()
	}()
	go func() { // cancellation: the blocked pipe write fails, so on_data returns nonzero
		select {
		case <-ctx.Done(): // the reader sees ctx's error; a blocked on_data returns "stop"
			pipe.abort(fmt.Errorf("e2b: Files.ReadStream: %w", ctx.Err()))
		case <-sink.ended:
		}
	}()
	select {
	case <-sink.started:
	case <-ctx.Done():
		pipe.Close()
		return nil, fmt.Errorf("e2b: Files.ReadStream: %w", ctx.Err())
	}
	if !sink.gotData.Load() {
		select {
		case <-sink.ended: // failed (or empty) before any byte
			if sink.endErr != nil {
				return nil, sink.endErr
			}
		default:
		}
	}
	return pipe, nil
}

type readSink struct {
	w       *chunkPipe
	started chan struct{}
	once    sync.Once
	gotData atomic.Bool
	ended   chan struct{} // closed after endErr is set
	endErr  error
}

func (s *readSink) start() { s.once.Do(func() { close(s.started) }) }

// Data runs on libe2b's service thread: it copies p into the pipe, waiting only while the
// pipe holds readAhead bytes the reader has not taken (back-pressure).
func (s *readSink) Data(p []byte) bool {
	s.gotData.Store(true)
	s.start()
	return s.w.write(p) == nil
}

// readAhead bounds the bytes a ReadStream buffers ahead of its reader. A handoff per libcurl
// chunk (io.Pipe) cost a goroutine wake-up per 16 KiB and a third of the throughput.
const readAhead = 4 << 20

// chunkPipe is a bounded in-memory pipe: copies of the producer's chunks, read in order.
type chunkPipe struct {
	mu     sync.Mutex
	cond   sync.Cond
	chunks [][]byte
	size   int
	max    int
	werr   error // the producer's end: nil + wdone = EOF
	wdone  bool
	rerr   error // the consumer's end (Close, or abort): the producer stops
}

func newChunkPipe(max int) *chunkPipe {
	p := &chunkPipe{max: max}
	p.cond.L = &p.mu
	return p
}

func (p *chunkPipe) write(b []byte) error {
	c := append([]byte(nil), b...)
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.size > 0 && p.size+len(c) > p.max && p.rerr == nil {
		p.cond.Wait()
	}
	if p.rerr != nil {
		return p.rerr
	}
	p.chunks = append(p.chunks, c)
	p.size += len(c)
	p.cond.Broadcast()
	return nil
}

// closeWrite ends the stream for the reader (err nil: io.EOF after the buffered bytes).
func (p *chunkPipe) closeWrite(err error) {
	p.mu.Lock()
	if !p.wdone {
		p.wdone, p.werr = true, err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// abort fails both ends with err (context cancelled).
func (p *chunkPipe) abort(err error) {
	p.mu.Lock()
	if p.rerr == nil {
		p.rerr = err
	}
	if !p.wdone {
		p.wdone, p.werr = true, err
	}
	p.chunks, p.size = nil, 0
	p.cond.Broadcast()
	p.mu.Unlock()
}

// Read implements io.Reader.
func (p *chunkPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.chunks) == 0 && !p.wdone && p.rerr == nil {
		p.cond.Wait()
	}
	if len(p.chunks) == 0 {
		switch {
		case p.rerr != nil:
			return 0, p.rerr
		case p.werr != nil:
			return 0, p.werr
		}
		return 0, io.EOF
	}
	n := copy(b, p.chunks[0])
	if n == len(p.chunks[0]) {
		p.chunks[0] = nil
		p.chunks = p.chunks[1:]
	} else {
		p.chunks[0] = p.chunks[0][n:]
	}
	p.size -= n
	p.cond.Broadcast()
	return n, nil
}

// Close stops the download early; later reads fail with io.ErrClosedPipe.
func (p *chunkPipe) Close() error {
	p.mu.Lock()
	if p.rerr == nil {
		p.rerr = io.ErrClosedPipe
	}
	p.chunks, p.size = nil, 0
	p.cond.Broadcast()
	p.mu.Unlock()
	return nil
}

// Write creates or overwrites a file (parents created). ErrNoSpace when the disk is full.
func (f *Files) Write(ctx context.Context, path string, data []byte, opts *FilesOptions) error {
	var a capi.Arena
	o := opts.toC(&a)
	p := a.Data(data)
	_, err := do(ctx, &f.s.life, "Files.Write", &a, func() int32 {
		return capi.FilesWrite(f.s.h, path, p, uintptr(len(data)), o)
	}, nil)
	return err
}

// WriteStream uploads r to path in constant memory (needs envd >= 0.5.7). size is the exact
// total, or -1 when unknown (chunked). r is read on a goroutine of the binding, a few chunks
// ahead of libe2b's service thread. ctx cancels the upload while data is flowing.
func (f *Files) WriteStream(ctx context.Context, path string, r io.Reader, size int64, opts *FilesOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("e2b: Files.WriteStream: %w", err)
	}
	var a capi.Arena
	o := opts.toC(&a)
	src := &writeSource{ctx: ctx, chunks: make(chan []byte, 4), stop: make(chan struct{})}
	go src.produce(r)
	payload := capi.Register(src)
	if size < 0 {
		size = -1
	}
	_, err := do(context.Background(), &f.s.life, "Files.WriteStream", &a, func() int32 {
		return capi.FilesWriteStream(f.s.h, path, capi.CbWriteFill, payload, size, o)
	}, nil)
	capi.Unregister(payload)
	close(src.stop)
	if errors.Is(err, ErrUser) {
		if ctx.Err() != nil {
			return fmt.Errorf("e2b: Files.WriteStream: %w", ctx.Err())
		}
		if src.readErr != nil {
			return fmt.Errorf("e2b: Files.WriteStream: reading the source: %w", src.readErr)
		}
	}
	return err
}

const writeChunk = 256 << 10

type writeSource struct {
	ctx     context.Context
	chunks  chan []byte
	stop    chan struct{}
	cur     []byte
	readErr error // set by produce before chunks is closed
}

func (w *writeSource) produce(r io.Reader) {
	defer close(w.chunks)
	for {
		buf := make([]byte, writeChunk)
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			select {
			case w.chunks <- buf[:n]:
			case <-w.stop:
				return
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			w.readErr = err
			return
		}
	}
}

// Fill runs on libe2b's service thread.
func (w *writeSource) Fill(buf []byte) int64 {
	if len(w.cur) == 0 {
		select {
		case c, ok := <-w.chunks:
			if !ok {
				if w.readErr != nil {
					return -1
				}
				return 0
			}
			w.cur = c
		case <-w.ctx.Done():
			return -1
		}
	}
	n := copy(buf, w.cur)
	w.cur = w.cur[n:]
	return int64(n)
}

// WriteEntry is one file of WriteMany.
type WriteEntry struct {
	Path string
	Data []byte
}

// WriteMany writes several files in one multipart request.
func (f *Files) WriteMany(ctx context.Context, entries []WriteEntry, opts *FilesOptions) error {
	if len(entries) == 0 {
		return &Error{Op: "Files.WriteMany", Code: CodeInvalidArgument, Message: "no entries"}
	}
	var a capi.Arena
	o := opts.toC(&a)
	ce := make([]capi.FileEntry, len(entries))
	for i, e := range entries {
		ce[i] = capi.FileEntry{Path: a.Str(e.Path), Data: a.Data(e.Data), Len: uintptr(len(e.Data))}
	}
	a.Pin(&ce[0])
	_, err := do(ctx, &f.s.life, "Files.WriteMany", &a, func() int32 {
		return capi.FilesWriteMany(f.s.h, &ce[0], uintptr(len(ce)), o)
	}, nil)
	return err
}

// FileType is the type of an entry.
type FileType uint32

// Entry types.
const (
	FileTypeFile    FileType = 1
	FileTypeDir     FileType = 2
	FileTypeSymlink FileType = 3
)

// EntryInfo describes a file or directory (the SDKs' EntryInfo).
type EntryInfo struct {
	Name          string
	Path          string
	Type          FileType
	Size          int64
	Mode          os.FileMode // permission bits
	Permissions   string      // "-rw-r--r--"
	Owner, Group  string
	ModifiedTime  time.Time
	SymlinkTarget string // "" unless a symlink
}

func entryFromC(e *capi.EntryInfo) EntryInfo {
	return EntryInfo{Name: capi.GoString(e.Name), Path: capi.GoString(e.Path), Type: FileType(e.Type),
		Size: e.Size, Mode: os.FileMode(e.Mode), Permissions: capi.GoString(e.Permissions),
		Owner: capi.GoString(e.Owner), Group: capi.GoString(e.Group),
		ModifiedTime: time.Unix(0, e.ModifiedTimeNs), SymlinkTarget: capi.GoString(e.SymlinkTarget)}
}

// List lists dir to depth levels (1 = direct children; 0 is taken as 1).
func (f *Files) List(ctx context.Context, dir string, depth int, opts *FilesOptions) ([]EntryInfo, error) {
	if depth < 1 {
		depth = 1
	}
	var a capi.Arena
	o := opts.toC(&a)
	l := new(uintptr)
	_, err := do(ctx, &f.s.life, "Files.List", &a, func() int32 { return capi.FilesList(l, f.s.h, dir, uint32(depth), o) },
		func() { capi.EntryListFree(*l) })
	if err != nil {
		return nil, err
	}
	defer capi.EntryListFree(*l)
	n := capi.EntryListCount(*l)
	out := make([]EntryInfo, 0, n)
	for i := uintptr(0); i < n; i++ {
		out = append(out, entryFromC(capi.EntryListAt(*l, i)))
	}
	return out, nil
}

// GetInfo stats path (lstat). ErrFileNotFound when missing.
func (f *Files) GetInfo(ctx context.Context, path string, opts *FilesOptions) (*EntryInfo, error) {
	var a capi.Arena
	o := opts.toC(&a)
	p := new(*capi.EntryInfo)
	_, err := do(ctx, &f.s.life, "Files.GetInfo", &a, func() int32 { return capi.FilesStat(p, f.s.h, path, o) },
		func() { capi.EntryInfoFree(*p) })
	if err != nil {
		return nil, err
	}
	defer capi.EntryInfoFree(*p)
	e := entryFromC(*p)
	return &e, nil
}

// Exists reports whether path exists.
func (f *Files) Exists(ctx context.Context, path string, opts *FilesOptions) (bool, error) {
	var a capi.Arena
	o := opts.toC(&a)
	rc, err := do(ctx, &f.s.life, "Files.Exists", &a, func() int32 { return capi.FilesExists(f.s.h, path, o) }, nil)
	return rc == 1, err
}

// MakeDir creates path and its parents: true if created, false if it already existed.
func (f *Files) MakeDir(ctx context.Context, path string, opts *FilesOptions) (bool, error) {
	var a capi.Arena
	o := opts.toC(&a)
	rc, err := do(ctx, &f.s.life, "Files.MakeDir", &a, func() int32 { return capi.FilesMakeDir(f.s.h, path, o) }, nil)
	return rc == 1, err
}

// Rename renames from to to (destination parents created).
func (f *Files) Rename(ctx context.Context, from, to string, opts *FilesOptions) error {
	var a capi.Arena
	o := opts.toC(&a)
	_, err := do(ctx, &f.s.life, "Files.Rename", &a, func() int32 { return capi.FilesRename(f.s.h, from, to, o) }, nil)
	return err
}

// Remove removes path recursively; a missing path is not an error.
func (f *Files) Remove(ctx context.Context, path string, opts *FilesOptions) error {
	var a capi.Arena
	o := opts.toC(&a)
	_, err := do(ctx, &f.s.life, "Files.Remove", &a, func() int32 { return capi.FilesRemove(f.s.h, path, o) }, nil)
	return err
}

// UploadURL is a presigned URL to POST a file to path (the SDKs' uploadUrl); user "" = the
// default user, expiration 0 = none.
func (f *Files) UploadURL(path, user string, expiration time.Duration) (string, error) {
	return f.url("Files.UploadURL", capi.FilesUploadURL, path, user, expiration)
}

// DownloadURL is a presigned URL to GET path (the SDKs' downloadUrl).
func (f *Files) DownloadURL(path, user string, expiration time.Duration) (string, error) {
	return f.url("Files.DownloadURL", capi.FilesDownloadURL, path, user, expiration)
}

func (f *Files) url(op string, fn func(*capi.Buf, uintptr, string, *byte, int64) int32, path, user string, exp time.Duration) (string, error) {
	var a capi.Arena
	u := a.OptStr(user)
	var b capi.Buf
	_, err := do(context.Background(), &f.s.life, op, &a, func() int32 { return fn(&b, f.s.h, path, u, int64(exp/time.Second)) }, nil)
	if err != nil {
		return "", err
	}
	return string(capi.TakeBuf(&b)), nil
}

// EventType is a filesystem event's kind.
type EventType uint32

// Event kinds; 0 is a kind this libe2b does not know.
const (
	EventCreate EventType = 1
	EventWrite  EventType = 2
	EventRemove EventType = 3
	EventRename EventType = 4
	EventChmod  EventType = 5
)

// FilesystemEvent is one change in a watched directory.
type FilesystemEvent struct {
	Type EventType
	Name string // relative to the watched directory
}

// WatchOptions configure WatchDir.
type WatchOptions struct {
	Recursive bool
	User      string
	Timeout   time.Duration // the watch's lifetime; 0 = until stopped
}

// WatchHandle is a running watch.
type WatchHandle struct {
	s       *Sandbox
	h       uintptr
	life    life
	q       serial
	onEvent func(FilesystemEvent)
	done    chan struct{}
	ended   chan struct{} // closed by the on_end callback itself
	err     error
}

// WatchDir watches dir and calls onEvent for each change, in order, on a goroutine of the
// binding. It returns once the server confirmed the watch. The watch ends when ctx ends, on
// Stop or Close, or at its timeout (Err then matches ErrTimeout).
func (f *Files) WatchDir(ctx context.Context, dir string, onEvent func(FilesystemEvent), opts *WatchOptions) (*WatchHandle, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var a capi.Arena
	fo := &FilesOptions{}
	var flags uint32
	if opts != nil {
		fo.User, fo.RequestTimeout = opts.User, opts.Timeout
		if opts.Recursive {
			flags |= capi.WatchFRecursive
		}
	}
	o := fo.toC(&a)
	w := &WatchHandle{s: f.s, onEvent: onEvent, done: make(chan struct{}), ended: make(chan struct{})}
	payload := capi.Register(w)
	h := new(uintptr)
	_, err := do(ctx, &f.s.life, "Files.WatchDir", &a, func() int32 {
		return capi.FilesWatch(h, f.s.h, dir, flags, capi.CbWatchEvent, capi.CbWatchEnd, payload, o)
	}, func() { capi.WatchFree(*h) }) // on_end then unregisters the payload
	if err != nil {
		if ctx.Err() == nil { // failed: no callback ever runs
			capi.Unregister(payload)
		}
		return nil, err
	}
	w.h = *h
	f.s.adopt(w, true)
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				w.Stop()
			case <-w.done:
			}
		}()
	}
	return w, nil
}

// Event and End run on libe2b's thread (or in QUEUED dispatch); they only queue work.
func (w *WatchHandle) Event(typ uint32, name string) {
	ev := FilesystemEvent{Type: EventType(typ), Name: name}
	w.q.push(func() {
		if w.onEvent != nil {
			w.onEvent(ev)
		}
	})
}

// End is the watch's terminal callback.
func (w *WatchHandle) End(ce *capi.CallError) {
	close(w.ended)
	w.q.push(func() {
		w.err = newError("WatchHandle", ce)
		close(w.done)
	})
}

// Stop stops the watch; no event is delivered to libe2b after it returns (ones already queued
// are still passed to onEvent before Done closes). Idempotent.
func (w *WatchHandle) Stop() {
	if w.life.acquire() != nil {
		return
	}
	capi.WatchStop(w.h)
	w.life.release()
}

// Done is closed once the watch ended and every event was passed to onEvent.
func (w *WatchHandle) Done() <-chan struct{} { return w.done }

// Err is why the watch ended (nil when stopped), valid after Done.
func (w *WatchHandle) Err() error { return w.err }

// Close stops and releases the watch. Idempotent.
func (w *WatchHandle) Close() error {
	w.closeLocal()
	return nil
}

func (w *WatchHandle) closeLocal() {
	if !w.life.shut() {
		return
	}
	capi.WatchStop(w.h) // with QUEUED delivery on_end follows in a later dispatch: await it
	awaitEnd(w.ended)
	capi.WatchFree(w.h)
	w.s.adopt(w, false)
}
