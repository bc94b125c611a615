package e2b

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libe2b/libe2b/bindings/go/internal/capi"
)

// TransferProgress reports an artifacts or workspace transfer.
type TransferProgress struct {
	FilesDone  int   // files (artifacts) or tar entries (workspace) done
	FilesTotal int   // 0 when unknown
	BytesDone  int64 //
	BytesTotal int64 // -1 when unknown
	Path       string
}

// TransferOptions configure artifacts and workspace transfers.
type TransferOptions struct {
	User           string        // "" = the sandbox's default user
	RequestTimeout time.Duration // per request; 0 = the client's
	// OnProgress runs on libe2b's thread while the transfer runs (keep it quick); false stops
	// the transfer (ErrUser).
	OnProgress func(TransferProgress) bool
}

// The progress callback also carries cancellation: once ctx ended it answers "stop", so the
// transfer ends at its next progress report with the context's error.
type progressSink struct {
	ctx context.Context
	fn  func(TransferProgress) bool
}

func (p *progressSink) Progress(tp *capi.TransferProgress) bool {
	if p.ctx.Err() != nil {
		return false
	}
	if p.fn == nil {
		return true
	}
	return p.fn(TransferProgress{FilesDone: int(tp.FilesDone), FilesTotal: int(tp.FilesTotal),
		BytesDone: tp.BytesDone, BytesTotal: tp.BytesTotal, Path: capi.GoString(tp.Path)})
}

// transfer runs one artifacts/workspace call with the progress sink registered.
func (s *Sandbox) transfer(ctx context.Context, op string, a *capi.Arena, flags uint32, version uint32, opts *TransferOptions,
	call func(o *capi.TransferOpts) int32) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts == nil {
		opts = &TransferOptions{}
	}
	o := &capi.TransferOpts{Version: version, Flags: flags, User: a.OptStr(opts.User), TimeoutMs: durMs(opts.RequestTimeout)}
	a.Pin(o)
	var payload uintptr
	if opts.OnProgress != nil || ctx.Done() != nil {
		payload = capi.Register(&progressSink{ctx: ctx, fn: opts.OnProgress})
		o.OnProgress, o.Payload = capi.CbProgress, payload
		defer capi.Unregister(payload) // synchronous: no progress call after return
	}
	if err := ctx.Err(); err != nil {
		a.Free()
		return fmt.Errorf("e2b: %s: %w", op, err)
	}
	_, err := do(context.Background(), &s.life, op, a, func() int32 { return call(o) }, nil)
	if errors.Is(err, ErrUser) && ctx.Err() != nil {
		return fmt.Errorf("e2b: %s: %w", op, ctx.Err())
	}
	return err
}

// Artifact is one transferred file.
type Artifact struct {
	RelPath    string // relative to the remote dir (download) / the file name (upload)
	RemotePath string
	LocalPath  string
	Size       int64
	MimeType   string
}

func artifactsFromC(l uintptr) []Artifact {
	if l == 0 {
		return nil
	}
	defer capi.ArtifactListFree(l)
	n := capi.ArtifactListCount(l)
	out := make([]Artifact, 0, n)
	for i := uintptr(0); i < n; i++ {
		a := capi.ArtifactListAt(l, i)
		out = append(out, Artifact{RelPath: capi.GoString(a.RelPath), RemotePath: capi.GoString(a.RemotePath),
			LocalPath: capi.GoString(a.LocalPath), Size: a.Size, MimeType: capi.GoString(a.MimeType)})
	}
	return out
}

// ArtifactOptions configure DownloadArtifacts / UploadArtifacts.
type ArtifactOptions struct {
	TransferOptions
	Delete     bool // remove each remote file once downloaded
	AllowEmpty bool // a pattern that matches nothing is not an error
}

func (o *ArtifactOptions) split() (*TransferOptions, uint32) {
	if o == nil {
		return nil, 0
	}
	var f uint32
	if o.Delete {
		f |= capi.ArtifactsFDelete
	}
	if o.AllowEmpty {
		f |= capi.ArtifactsFAllowEmpty
	}
	return &o.TransferOptions, f
}

// DownloadArtifacts downloads every file under remoteDir matching one of patterns ("*.png",
// "**/report-*.json", "{a,b}", ...) to localDir/<relative path>, streamed; a file under its final
// name is always whole. ErrFileNotFound when remoteDir is missing or a pattern matches nothing
// (unless AllowEmpty).
func (s *Sandbox) DownloadArtifacts(ctx context.Context, remoteDir string, patterns []string, localDir string, opts *ArtifactOptions) ([]Artifact, error) {
	if capi.ArtifactsDownload == nil {
		return nil, missing("Sandbox.DownloadArtifacts", "e2b_artifacts_download")
	}
	var a capi.Arena
	pats := a.StrList(patterns)
	to, flags := opts.split()
	var l uintptr
	err := s.transfer(ctx, "Sandbox.DownloadArtifacts", &a, flags, capi.ArtifactsOptsVersion, to, func(o *capi.TransferOpts) int32 {
		return capi.ArtifactsDownload(&l, s.h, remoteDir, pats, localDir, o)
	})
	return artifactsFromC(l), err
}

// UploadArtifacts uploads local files to remoteDir/<file name>, each streamed.
func (s *Sandbox) UploadArtifacts(ctx context.Context, localFiles []string, remoteDir string, opts *ArtifactOptions) ([]Artifact, error) {
	if capi.ArtifactsUpload == nil {
		return nil, missing("Sandbox.UploadArtifacts", "e2b_artifacts_upload")
	}
	var a capi.Arena
	files := a.StrList(localFiles)
	to, flags := opts.split()
	var l uintptr
	err := s.transfer(ctx, "Sandbox.UploadArtifacts", &a, flags, capi.ArtifactsOptsVersion, to, func(o *capi.TransferOpts) int32 {
		return capi.ArtifactsUpload(&l, s.h, files, remoteDir, o)
	})
	return artifactsFromC(l), err
}

// WorkspaceOptions configure PushWorkspace / PullWorkspace.
type WorkspaceOptions struct {
	TransferOptions
	Tar     bool // push: localPath is a tar file; pull: remotePath is a tar file in the sandbox
	Replace bool // pull: an existing localDir is replaced atomically
}

func (o *WorkspaceOptions) split() (*TransferOptions, uint32) {
	if o == nil {
		return nil, 0
	}
	var f uint32
	if o.Tar {
		f |= capi.WorkspaceFTar
	}
	if o.Replace {
		f |= capi.WorkspaceFReplace
	}
	return &o.TransferOptions, f
}

// PushWorkspace streams the tree under localPath as one tar into remoteDir (created if needed;
// existing files overwritten). Nothing is extracted unless every entry arrived and passed the
// safety checks (ErrInvalidArgument: "unsafe tar entry"). Returns the entries sent.
func (s *Sandbox) PushWorkspace(ctx context.Context, localPath, remoteDir string, opts *WorkspaceOptions) (int, error) {
	if capi.WorkspacePush == nil {
		return 0, missing("Sandbox.PushWorkspace", "e2b_workspace_push")
	}
	var a capi.Arena
	to, flags := opts.split()
	var n uint32
	err := s.transfer(ctx, "Sandbox.PushWorkspace", &a, flags, capi.WorkspaceOptsVersion, to, func(o *capi.TransferOpts) int32 {
		return capi.WorkspacePush(s.h, localPath, remoteDir, o, &n)
	})
	return int(n), err
}

// PullWorkspace streams remotePath (a directory, or a tar file with Tar) into localDir, which
// appears only once complete (it must not exist unless Replace). Returns the entries received.
func (s *Sandbox) PullWorkspace(ctx context.Context, remotePath, localDir string, opts *WorkspaceOptions) (int, error) {
	if capi.WorkspacePull == nil {
		return 0, missing("Sandbox.PullWorkspace", "e2b_workspace_pull")
	}
	var a capi.Arena
	to, flags := opts.split()
	var n uint32
	err := s.transfer(ctx, "Sandbox.PullWorkspace", &a, flags, capi.WorkspaceOptsVersion, to, func(o *capi.TransferOpts) int32 {
		return capi.WorkspacePull(s.h, remotePath, localDir, o, &n)
	})
	return int(n), err
}
