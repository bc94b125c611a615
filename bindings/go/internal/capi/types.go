// Package capi is the raw layer over libe2b's C ABI (include/e2b.h): C struct layouts, the
// function table loaded with purego (no cgo), and the fixed set of callback trampolines.
// The idiomatic API lives in package e2b; nothing here is meant for users.
package capi

import "unsafe"

// ABIVersion is the value of E2B_ABI_VERSION this binding was written against.
const ABIVersion = 1

// Error codes (E2B_E*); values are ABI.
const (
	OK               = 0
	EError           = -1
	EInval           = -2
	EVersion         = -3
	ENotFound        = -4
	ETimeout         = -5
	EAuth            = -6
	ERateLimit       = -7
	ENoSpace         = -8
	ECanceled        = -9
	EUser            = -10
	EMisuse          = -11
	ESandboxNotFound = -12
	EFileNotFound    = -13
	ECommandExit     = -14
	ETemplate        = -15
	ENetwork         = -16
	EProtocol        = -17
	ENoMem           = -18
	EPoolExhausted   = -19
)

// Flags and enumerations from the header.
const (
	ClientFNoEnv          = 0x1
	DeliveryServiceThread = 0
	DeliveryQueued        = 1
	SandboxFInsecure      = 0x1
	SandboxFNoInternet    = 0x2
	SandboxFAutoPause     = 0x4
	ListRunning           = 0x1
	ListPaused            = 0x2
	ExecFStdin            = 0x1
	WatchFRecursive       = 0x1
	ClientOptsVersion     = 2
	SandboxOptsVersion    = 1
	ListOptsVersion       = 1
	ExecOptsVersion       = 1
	ExecCallbacksVersion  = 1
	FilesOptsVersion      = 1
)

// The structs below mirror include/e2b.h field by field; Go lays them out with the same
// natural alignment as C on LP64 targets. layout_test.go checks them against the C compiler.

// Error is e2b_error.
type Error struct {
	Code       int32
	HTTPStatus int32
	Message    *byte
}

// Buf is e2b_buf.
type Buf struct {
	Ptr      *byte
	Size     uintptr
	Reserved uintptr
}

// ClientOpts is e2b_client_opts (version 2).
type ClientOpts struct {
	Version          uint32
	APIKey           *byte
	Domain           *byte
	APIURL           *byte
	SandboxURL       *byte
	RequestTimeoutMs int64
	Proxy            *byte
	UserAgent        *byte
	MaxAttempts      uint32
	Flags            uint32
	Delivery         uint32
	// version 3
	LogCb      uintptr
	LogPayload uintptr
	LogLevel   int32
	LogFile    *byte
}

// SandboxOpts is e2b_sandbox_opts.
type SandboxOpts struct {
	Version    uint32
	TemplateID *byte
	TimeoutMs  int64
	Metadata   **byte
	Envs       **byte
	Flags      uint32
	// version 2
	Profile  *byte
	CPUCount int32
	MemoryMB int32
}

// SandboxInfo is e2b_sandbox_info.
type SandboxInfo struct {
	Version        uint32
	SandboxID      *byte
	TemplateID     *byte
	Alias          *byte
	State          *byte
	EnvdVersion    *byte
	StartedAtMs    int64
	EndAtMs        int64
	CPUCount       int32
	MemoryMB       int32
	DiskSizeMB     int32
	MetadataCount  uintptr
	MetadataKeys   **byte
	MetadataValues **byte
}

// ListOpts is e2b_list_opts.
type ListOpts struct {
	Version   uint32
	States    uint32
	Metadata  **byte
	Limit     uint32
	NextToken *byte
}

// ExecOpts is e2b_exec_opts.
type ExecOpts struct {
	Version   uint32
	Cwd       *byte
	Envs      **byte
	User      *byte
	TimeoutMs int64
	Tag       *byte
	Flags     uint32
}

// ExecCallbacks is e2b_exec_callbacks; the function pointers are purego trampolines.
type ExecCallbacks struct {
	Version  uint32
	OnStdout uintptr
	OnStderr uintptr
	OnExit   uintptr
	Payload  uintptr
}

// ExecOutput is e2b_exec_output.
type ExecOutput struct {
	Out      Buf
	Err      Buf
	ExitCode int32
	Error    Buf
}

// ProcessInfo is e2b_process_info.
type ProcessInfo struct {
	Version  uint32
	Pid      uint32
	Cmd      *byte
	ArgCount uintptr
	Args     **byte
	Tag      *byte
}

// FilesOpts is e2b_files_opts.
type FilesOpts struct {
	Version   uint32
	User      *byte
	TimeoutMs int64
}

// FileEntry is e2b_file_entry.
type FileEntry struct {
	Path *byte
	Data unsafe.Pointer
	Len  uintptr
}

// EntryInfo is e2b_entry_info.
type EntryInfo struct {
	Version        uint32
	Type           uint32
	Name           *byte
	Path           *byte
	Size           int64
	Mode           uint32
	Permissions    *byte
	Owner          *byte
	Group          *byte
	ModifiedTimeNs int64
	SymlinkTarget  *byte
}

// FsEvent is e2b_fs_event.
type FsEvent struct {
	Version uint32
	Type    uint32
	Name    *byte
}

// GoString copies a NUL-terminated C string ("" for NULL).
func GoString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// GoStrings copies n C strings from a C array.
func GoStrings(arr **byte, n uintptr) []string {
	if arr == nil || n == 0 {
		return nil
	}
	ptrs := unsafe.Slice(arr, n)
	out := make([]string, n)
	for i, p := range ptrs {
		out[i] = GoString(p)
	}
	return out
}

// Bytes copies len bytes at p (nil for len 0).
func Bytes(p *byte, n uintptr) []byte {
	if p == nil || n == 0 {
		return []byte{}
	}
	return append([]byte(nil), unsafe.Slice(p, n)...)
}

// TakeBuf copies a filled e2b_buf into Go memory and disposes it.
func TakeBuf(b *Buf) []byte {
	out := Bytes(b.Ptr, b.Size)
	BufDispose(b)
	return out
}

// SandboxMetric is e2b_sandbox_metric.
type SandboxMetric struct {
	Version        uint32
	CPUCount       int32
	TimestampMs    int64
	CPUUsedPct     float64
	MemUsedBytes   int64
	MemTotalBytes  int64
	DiskUsedBytes  int64
	DiskTotalBytes int64
}

// LogsOpts is e2b_logs_opts.
type LogsOpts struct {
	Version  uint32
	CursorMs int64
	Limit    uint32
	Flags    uint32
	MinLevel *byte
	Search   *byte
}

// LogEntry is e2b_sandbox_log_entry.
type LogEntry struct {
	Version     uint32
	TimestampMs int64
	Level       *byte
	Message     *byte
	FieldCount  uintptr
	FieldKeys   **byte
	FieldValues **byte
}

const (
	LogsOptsVersion = 1
	LogsFBackward   = 0x1
)

// PortRequestOpts is e2b_port_request_opts.
type PortRequestOpts struct {
	Version   uint32
	Headers   **byte
	Body      unsafe.Pointer
	BodyLen   uintptr
	TimeoutMs int64
}

// PortResponse is e2b_port_response.
type PortResponse struct {
	Status  int32
	Headers Buf
	Body    Buf
}

// WsOpts is e2b_ws_opts.
type WsOpts struct {
	Version          uint32
	Headers          **byte
	Subprotocol      *byte
	MaxMessageSize   uint64
	ConnectTimeoutMs int64
}

// WsCallbacks is e2b_ws_callbacks.
type WsCallbacks struct {
	Version   uint32
	OnMessage uintptr
	OnClose   uintptr
	Payload   uintptr
}

const (
	PortRequestOptsVersion = 1
	WsOptsVersion          = 1
	WsCallbacksVersion     = 1
	WsText                 = 0x1
	WsBinary               = 0x2
)

// CodeResult is e2b_code_result.
type CodeResult struct {
	Version      uint32
	IsMainResult int32
	Text         *byte
	HTML         *byte
	Markdown     *byte
	SVG          *byte
	PNG          *byte
	JPEG         *byte
	PDF          *byte
	LaTeX        *byte
	JSON         *byte
	JavaScript   *byte
	Data         *byte
	Chart        *byte
	Extra        *byte
	FormatCount  uintptr
	Formats      **byte
}

// CodeError is e2b_code_error.
type CodeError struct {
	Version   uint32
	Name      *byte
	Value     *byte
	Traceback *byte
}

// CodeOpts is e2b_code_opts.
type CodeOpts struct {
	Version          uint32
	Language         *byte
	ContextID        *byte
	Envs             **byte
	TimeoutMs        int64
	RequestTimeoutMs int64
}

// CodeCallbacks is e2b_code_callbacks.
type CodeCallbacks struct {
	Version  uint32
	OnStdout uintptr
	OnStderr uintptr
	OnResult uintptr
	OnError  uintptr
	OnEnd    uintptr
	Payload  uintptr
}

// CodeContext is e2b_code_context.
type CodeContext struct {
	Version  uint32
	ID       *byte
	Language *byte
	Cwd      *byte
}

const (
	CodeOptsVersion      = 1
	CodeCallbacksVersion = 1
	CodeStdout           = 1
	CodeStderr           = 2
)

// SessionOpts is e2b_session_opts.
type SessionOpts struct {
	Version     uint32
	Sandbox     *SandboxOpts
	IdlePauseMs int64
	TimeoutMs   int64
}

// TransferProgress is e2b_transfer_progress.
type TransferProgress struct {
	Version    uint32
	FilesDone  uint32
	FilesTotal uint32
	Reserved   uint32
	BytesDone  int64
	BytesTotal int64
	Path       *byte
}

// TransferOpts is e2b_artifacts_opts and e2b_workspace_opts (the same layout).
type TransferOpts struct {
	Version    uint32
	Flags      uint32
	User       *byte
	TimeoutMs  int64
	OnProgress uintptr
	Payload    uintptr
}

// Artifact is e2b_artifact.
type Artifact struct {
	Version    uint32
	Reserved   uint32
	RelPath    *byte
	RemotePath *byte
	LocalPath  *byte
	Size       int64
	MimeType   *byte
}

const (
	SessionOptsVersion   = 1
	ArtifactsOptsVersion = 1
	WorkspaceOptsVersion = 1
	ArtifactsFDelete     = 0x1
	ArtifactsFAllowEmpty = 0x2
	WorkspaceFTar        = 0x1
	WorkspaceFReplace    = 0x2
)

// Profile is e2b_profile.
type Profile struct {
	Version   uint32
	CPUCount  int32
	MemoryMB  int32
	TimeoutMs int64
}

// PoolOpts is e2b_pool_opts.
type PoolOpts struct {
	Version          uint32
	Name             *byte
	Sandbox          *SandboxOpts
	MinIdle          uint32
	MaxSize          uint32
	IdleTimeoutMs    int64
	MaxReuse         uint32
	AcquireTimeoutMs int64
	Flags            uint32
}

// PoolStats is e2b_pool_stats.
type PoolStats struct {
	Version      uint32
	Idle         uint32
	Active       uint32
	Creating     uint32
	Created      uint64
	Reused       uint64
	Replaced     uint64
	Evicted      uint64
	Exhausted    uint64
	CreateErrors uint64
	Acquisitions uint64
	WaitP50Ms    float64
	WaitP95Ms    float64
}

// CostTotals is e2b_cost_totals.
type CostTotals struct {
	Version        uint32
	Sandboxes      uint32
	RunningSeconds float64
	PausedSeconds  float64
	VCPUSeconds    float64
	GiBSeconds     float64
	CostUSD        float64
}

// StallOpts is e2b_stall_opts.
type StallOpts struct {
	Version uint32
	IdleMs  int64
	Flags   uint32
	OnStall uintptr
	Payload uintptr
}

const (
	ClientOptsVersion3  = 3
	SandboxOptsVersion2 = 2
	PoolOptsVersion     = 1
	StallOptsVersion    = 1
	PoolFNoHealthCheck  = 0x1
	PoolReleaseFDiscard = 0x1
	StallFKill          = 0x1
)
