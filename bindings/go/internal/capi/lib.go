package capi

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The function table. Handles are uintptr: C memory the Go side never dereferences.
var (
	AbiVersion func() int32
	Version    func() string
	ErrorLast  func() *Error
	StatusStr  func(code int32) string
	BufDispose func(b *Buf)

	ClientOptsInit func(o *ClientOpts, v uint32) int32
	ClientNew      func(out *uintptr, o *ClientOpts) int32
	ClientFree     func(c uintptr)
	ClientDispatch func(c uintptr, max int32) int32
	ClientWakeFd   func(c uintptr) int32

	SandboxOptsInit      func(o *SandboxOpts, v uint32) int32
	SandboxCreate        func(out *uintptr, c uintptr, o *SandboxOpts) int32
	SandboxConnect       func(out *uintptr, c uintptr, id string, timeoutMs int64) int32
	SandboxFree          func(s uintptr)
	SandboxID            func(s uintptr) string
	SandboxEnvdVersion   func(s uintptr) string
	SandboxKill          func(s uintptr) int32
	SandboxSetTimeout    func(s uintptr, ms int64) int32
	SandboxPause         func(s uintptr) int32
	SandboxIsRunning     func(s uintptr) int32
	SandboxGetInfo       func(out **SandboxInfo, c uintptr, id string) int32
	SandboxInfoFree      func(i *SandboxInfo)
	ListOptsInit         func(o *ListOpts, v uint32) int32
	SandboxListPage      func(out *uintptr, c uintptr, o *ListOpts) int32
	SandboxListCount     func(l uintptr) uintptr
	SandboxListAt        func(l uintptr, i uintptr) *SandboxInfo
	SandboxListNextToken func(l uintptr) *byte
	SandboxListFree      func(l uintptr)
	SandboxGetHost       func(out *Buf, s uintptr, port uint16) int32

	ExecOptsInit      func(o *ExecOpts, v uint32) int32
	ExecStart         func(out *uintptr, s uintptr, cmd string, o *ExecOpts, cb *ExecCallbacks) int32
	ExecConnect       func(out *uintptr, s uintptr, pid uint32, cb *ExecCallbacks) int32
	ExecPid           func(e uintptr) uint32
	ExecWait          func(e uintptr, code *int32) int32
	ExecKill          func(e uintptr) int32
	ExecSendStdin     func(e uintptr, data unsafe.Pointer, n uintptr) int32
	ExecCloseStdin    func(e uintptr) int32
	ExecDisconnect    func(e uintptr) int32
	ExecFree          func(e uintptr)
	ExecRun           func(out *ExecOutput, s uintptr, cmd string, o *ExecOpts) int32
	ExecOutputDispose func(o *ExecOutput)
	ExecList          func(out *uintptr, s uintptr) int32
	ProcessListCount  func(l uintptr) uintptr
	ProcessListAt     func(l uintptr, i uintptr) *ProcessInfo
	ProcessListFree   func(l uintptr)
	PtyCreate         func(out *uintptr, s uintptr, cols, rows uint16, o *ExecOpts, cb *ExecCallbacks) int32
	PtySendInput      func(e uintptr, data unsafe.Pointer, n uintptr) int32
	PtyResize         func(e uintptr, cols, rows uint16) int32

	FilesOptsInit    func(o *FilesOpts, v uint32) int32
	FilesRead        func(out *Buf, s uintptr, path string, o *FilesOpts) int32
	FilesReadStream  func(s uintptr, path string, cb uintptr, payload uintptr, o *FilesOpts) int32
	FilesWrite       func(s uintptr, path string, data unsafe.Pointer, n uintptr, o *FilesOpts) int32
	FilesWriteStream func(s uintptr, path string, cb uintptr, payload uintptr, size int64, o *FilesOpts) int32
	FilesWriteMany   func(s uintptr, entries *FileEntry, n uintptr, o *FilesOpts) int32
	FilesList        func(out *uintptr, s uintptr, dir string, depth uint32, o *FilesOpts) int32
	EntryListCount   func(l uintptr) uintptr
	EntryListAt      func(l uintptr, i uintptr) *EntryInfo
	EntryListFree    func(l uintptr)
	FilesStat        func(out **EntryInfo, s uintptr, path string, o *FilesOpts) int32
	EntryInfoFree    func(i *EntryInfo)
	FilesExists      func(s uintptr, path string, o *FilesOpts) int32
	FilesMakeDir     func(s uintptr, path string, o *FilesOpts) int32
	FilesRename      func(s uintptr, from, to string, o *FilesOpts) int32
	FilesRemove      func(s uintptr, path string, o *FilesOpts) int32
	FilesWatch       func(out *uintptr, s uintptr, dir string, flags uint32, onEvent, onEnd, payload uintptr, o *FilesOpts) int32
	WatchStop        func(w uintptr)
	WatchFree        func(w uintptr)
	FilesUploadURL   func(out *Buf, s uintptr, path string, user *byte, expS int64) int32
	FilesDownloadURL func(out *Buf, s uintptr, path string, user *byte, expS int64) int32
)

var (
	loadOnce sync.Once
	loadErr  error
	libPath  string
)

// LibraryPath is where Load looks: $LIBE2B_PATH, else the loader's "libe2b.so.0".
func LibraryPath() string {
	if p := os.Getenv("LIBE2B_PATH"); p != "" {
		return p
	}
	return "libe2b.so.0"
}

// Load opens libe2b once, checks its ABI version and fills the function table.
func Load() error {
	loadOnce.Do(func() { loadErr = load(LibraryPath()) })
	return loadErr
}

// Loaded reports the path Load used.
func Loaded() string { return libPath }

func load(path string) (err error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return fmt.Errorf("e2b: cannot load libe2b from %q (set LIBE2B_PATH to the library file): %w", path, err)
	}
	// RegisterLibFunc panics on a missing symbol; an old library then gets a clear error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("e2b: %s is not a compatible libe2b: %v", path, r)
		}
	}()
	var abi func() int32
	purego.RegisterLibFunc(&abi, h, "e2b_abi_version")
	if got := abi(); got != ABIVersion {
		return fmt.Errorf("e2b: %s has ABI version %d, this binding needs %d (install a matching libe2b or binding)", path, got, ABIVersion)
	}
	reg := func(fptr any, name string) { purego.RegisterLibFunc(fptr, h, name) }
	AbiVersion = abi
	reg(&Version, "e2b_version")
	reg(&ErrorLast, "e2b_error_last")
	reg(&StatusStr, "e2b_status_str")
	reg(&BufDispose, "e2b_buf_dispose")
	reg(&ClientOptsInit, "e2b_client_opts_init")
	reg(&ClientNew, "e2b_client_new")
	reg(&ClientFree, "e2b_client_free")
	reg(&ClientDispatch, "e2b_client_dispatch")
	reg(&ClientWakeFd, "e2b_client_wake_fd")
	reg(&SandboxOptsInit, "e2b_sandbox_opts_init")
	reg(&SandboxCreate, "e2b_sandbox_create")
	reg(&SandboxConnect, "e2b_sandbox_connect")
	reg(&SandboxFree, "e2b_sandbox_free")
	reg(&SandboxID, "e2b_sandbox_id")
	reg(&SandboxEnvdVersion, "e2b_sandbox_envd_version")
	reg(&SandboxKill, "e2b_sandbox_kill")
	reg(&SandboxSetTimeout, "e2b_sandbox_set_timeout")
	reg(&SandboxPause, "e2b_sandbox_pause")
	reg(&SandboxIsRunning, "e2b_sandbox_is_running")
	reg(&SandboxGetInfo, "e2b_sandbox_get_info")
	reg(&SandboxInfoFree, "e2b_sandbox_info_free")
	reg(&ListOptsInit, "e2b_list_opts_init")
	reg(&SandboxListPage, "e2b_sandbox_list_page")
	reg(&SandboxListCount, "e2b_sandbox_list_count")
	reg(&SandboxListAt, "e2b_sandbox_list_at")
	reg(&SandboxListNextToken, "e2b_sandbox_list_next_token")
	reg(&SandboxListFree, "e2b_sandbox_list_free")
	reg(&SandboxGetHost, "e2b_sandbox_get_host")
	reg(&ExecOptsInit, "e2b_exec_opts_init")
	reg(&ExecStart, "e2b_exec_start")
	reg(&ExecConnect, "e2b_exec_connect")
	reg(&ExecPid, "e2b_exec_pid")
	reg(&ExecWait, "e2b_exec_wait")
	reg(&ExecKill, "e2b_exec_kill")
	reg(&ExecSendStdin, "e2b_exec_send_stdin")
	reg(&ExecCloseStdin, "e2b_exec_close_stdin")
	reg(&ExecDisconnect, "e2b_exec_disconnect")
	reg(&ExecFree, "e2b_exec_free")
	reg(&ExecRun, "e2b_exec_run")
	reg(&ExecOutputDispose, "e2b_exec_output_dispose")
	reg(&ExecList, "e2b_exec_list")
	reg(&ProcessListCount, "e2b_process_list_count")
	reg(&ProcessListAt, "e2b_process_list_at")
	reg(&ProcessListFree, "e2b_process_list_free")
	reg(&PtyCreate, "e2b_pty_create")
	reg(&PtySendInput, "e2b_pty_send_input")
	reg(&PtyResize, "e2b_pty_resize")
	reg(&FilesOptsInit, "e2b_files_opts_init")
	reg(&FilesRead, "e2b_files_read")
	reg(&FilesReadStream, "e2b_files_read_stream")
	reg(&FilesWrite, "e2b_files_write")
	reg(&FilesWriteStream, "e2b_files_write_stream")
	reg(&FilesWriteMany, "e2b_files_write_many")
	reg(&FilesList, "e2b_files_list")
	reg(&EntryListCount, "e2b_entry_list_count")
	reg(&EntryListAt, "e2b_entry_list_at")
	reg(&EntryListFree, "e2b_entry_list_free")
	reg(&FilesStat, "e2b_files_stat")
	reg(&EntryInfoFree, "e2b_entry_info_free")
	reg(&FilesExists, "e2b_files_exists")
	reg(&FilesMakeDir, "e2b_files_make_dir")
	reg(&FilesRename, "e2b_files_rename")
	reg(&FilesRemove, "e2b_files_remove")
	reg(&FilesWatch, "e2b_files_watch")
	reg(&WatchStop, "e2b_watch_stop")
	reg(&WatchFree, "e2b_watch_free")
	reg(&FilesUploadURL, "e2b_files_upload_url")
	reg(&FilesDownloadURL, "e2b_files_download_url")
	opt := func(fptr any, name string) {
		if sym, err := purego.Dlsym(h, name); err == nil {
			purego.RegisterFunc(fptr, sym)
		}
	}
	opt(&CancelNew, "e2b_cancel_new")
	opt(&CancelFree, "e2b_cancel_free")
	opt(&CancelBind, "e2b_cancel_bind")
	opt(&CancelTrigger, "e2b_cancel_trigger")
	opt(&SandboxGetMetrics, "e2b_sandbox_get_metrics")
	opt(&SandboxMetricListCount, "e2b_sandbox_metric_list_count")
	opt(&SandboxMetricListAt, "e2b_sandbox_metric_list_at")
	opt(&SandboxMetricListFree, "e2b_sandbox_metric_list_free")
	opt(&LogsOptsInit, "e2b_logs_opts_init")
	opt(&SandboxGetLogs, "e2b_sandbox_get_logs")
	opt(&SandboxLogListCount, "e2b_sandbox_log_list_count")
	opt(&SandboxLogListAt, "e2b_sandbox_log_list_at")
	opt(&SandboxLogListFree, "e2b_sandbox_log_list_free")
	opt(&PortRequest, "e2b_port_request")
	opt(&PortResponseDispose, "e2b_port_response_dispose")
	opt(&WsConnect, "e2b_ws_connect")
	opt(&WsSend, "e2b_ws_send")
	opt(&WsClose, "e2b_ws_close")
	opt(&WsBufferedAmount, "e2b_ws_buffered_amount")
	opt(&WsFree, "e2b_ws_free")
	opt(&SandboxKillID, "e2b_sandbox_kill_id")
	opt(&SandboxSetTimeoutID, "e2b_sandbox_set_timeout_id")
	opt(&SandboxPauseID, "e2b_sandbox_pause_id")
	opt(&CodeStart, "e2b_code_start")
	opt(&CodeCancel, "e2b_code_cancel")
	opt(&CodeFree, "e2b_code_free")
	opt(&ExecutionResultCount, "e2b_execution_result_count")
	opt(&ExecutionResultAt, "e2b_execution_result_at")
	opt(&ExecutionLogCount, "e2b_execution_log_count")
	opt(&ExecutionLogAt, "e2b_execution_log_at")
	opt(&ExecutionError, "e2b_execution_error")
	opt(&ExecutionExecutionCount, "e2b_execution_execution_count")
	opt(&CodeContextCreate, "e2b_code_context_create")
	opt(&CodeContextFree, "e2b_code_context_free")
	opt(&CodeListContexts, "e2b_code_list_contexts")
	opt(&CodeContextListCount, "e2b_code_context_list_count")
	opt(&CodeContextListAt, "e2b_code_context_list_at")
	opt(&CodeContextListFree, "e2b_code_context_list_free")
	opt(&CodeContextRestart, "e2b_code_context_restart")
	opt(&CodeContextRemove, "e2b_code_context_remove")
	opt(&SessionStart, "e2b_session_start")
	opt(&SessionResume, "e2b_session_resume")
	opt(&SessionID, "e2b_session_id")
	opt(&SessionSandbox, "e2b_session_sandbox")
	opt(&SessionTouch, "e2b_session_touch")
	opt(&SessionPause, "e2b_session_pause")
	opt(&SessionEnd, "e2b_session_end")
	opt(&SessionState, "e2b_session_state")
	opt(&SessionFree, "e2b_session_free")
	opt(&ArtifactsDownload, "e2b_artifacts_download")
	opt(&ArtifactsUpload, "e2b_artifacts_upload")
	opt(&ArtifactListCount, "e2b_artifact_list_count")
	opt(&ArtifactListAt, "e2b_artifact_list_at")
	opt(&ArtifactListFree, "e2b_artifact_list_free")
	opt(&WorkspacePush, "e2b_workspace_push")
	opt(&WorkspacePull, "e2b_workspace_pull")
	opt(&ProcessKill, "e2b_process_kill")
	opt(&ProcessSendStdin, "e2b_process_send_stdin")
	opt(&ProcessCloseStdin, "e2b_process_close_stdin")
	opt(&ProcessSendPtyInput, "e2b_process_send_pty_input")
	opt(&ProcessResizePty, "e2b_process_resize_pty")
	opt(&ProfileGet, "e2b_profile_get")
	opt(&PoolNew, "e2b_pool_new")
	opt(&PoolAcquire, "e2b_pool_acquire")
	opt(&PoolRelease, "e2b_pool_release")
	opt(&PoolMaintain, "e2b_pool_maintain")
	opt(&PoolGetStats, "e2b_pool_get_stats")
	opt(&PoolFree, "e2b_pool_free")
	opt(&CostGetTotals, "e2b_cost_get_totals")
	opt(&CostSetPrices, "e2b_cost_set_prices")
	opt(&CostExportJSON, "e2b_cost_export_json")
	opt(&LogEmit, "e2b_log_emit")
	opt(&Measure, "e2b_measure")
	opt(&StallWatchExec, "e2b_stall_watch_exec")
	opt(&StallWatchSandbox, "e2b_stall_watch_sandbox")
	opt(&StallWatchFree, "e2b_stall_watch_free")
	opt(&MetricsRender, "e2b_metrics_render")
	opt(&MetricsServe, "e2b_metrics_serve")
	opt(&MetricsServeStop, "e2b_metrics_serve_stop")
	initTrampolines()
	libPath = path
	return nil
}

// CallError is the error state of one failed call, copied out of libe2b.
type CallError struct {
	Code       int32
	HTTPStatus int32
	Message    string
}

// Call runs fn (one libe2b call) and, when it returns a negative code, reads e2b_error_last()
// on the same OS thread. Goroutines hop threads between any two statements, and the error is
// per thread, so the call and the read happen with the goroutine locked to its thread.
func Call(fn func() int32) (int32, *CallError) {
	runtime.LockOSThread()
	rc := fn()
	var ce *CallError
	if rc < 0 {
		e := ErrorLast()
		ce = &CallError{Code: e.Code, HTTPStatus: e.HTTPStatus, Message: GoString(e.Message)}
		if ce.Code == OK { // defensive: a negative return always carries its code
			ce.Code = rc
		}
	}
	runtime.UnlockOSThread()
	return rc, ce
}

// CallCancellable is Call with the cancel token tok (0 = none) bound to the OS thread for the
// duration of fn, so e2b_cancel_trigger(tok) from another goroutine ends fn with E2B_ECANCELED.
func CallCancellable(tok uintptr, fn func() int32) (int32, *CallError) {
	if tok == 0 || CancelBind == nil {
		return Call(fn)
	}
	return Call(func() int32 {
		CancelBind(tok)
		defer CancelBind(0)
		return fn()
	})
}

// FromC copies an e2b_error passed to a callback.
func FromC(e *Error) *CallError {
	if e == nil || e.Code == OK {
		return nil
	}
	return &CallError{Code: e.Code, HTTPStatus: e.HTTPStatus, Message: GoString(e.Message)}
}

// Functions added after the first ABI 1 release: nil when the loaded library predates them
// (the Go method then returns an error naming the function).
var (
	CancelNew              func(out *uintptr) int32
	CancelFree             func(t uintptr)
	CancelBind             func(t uintptr)
	CancelTrigger          func(t uintptr)
	SandboxGetMetrics      func(out *uintptr, c uintptr, id string, start, end int64) int32
	SandboxMetricListCount func(l uintptr) uintptr
	SandboxMetricListAt    func(l uintptr, i uintptr) *SandboxMetric
	SandboxMetricListFree  func(l uintptr)
	LogsOptsInit           func(o *LogsOpts, v uint32) int32
	SandboxGetLogs         func(out *uintptr, c uintptr, id string, o *LogsOpts) int32
	SandboxLogListCount    func(l uintptr) uintptr
	SandboxLogListAt       func(l uintptr, i uintptr) *LogEntry
	SandboxLogListFree     func(l uintptr)
)

// Ports and WebSockets (optional symbols, as above).
var (
	PortRequest         func(out *PortResponse, s uintptr, port uint16, method, path string, o *PortRequestOpts) int32
	PortResponseDispose func(r *PortResponse)
	WsConnect           func(out *uintptr, s uintptr, port uint16, path string, o *WsOpts, cb *WsCallbacks) int32
	WsSend              func(ws uintptr, data unsafe.Pointer, n uintptr, flags uint32) int32
	WsClose             func(ws uintptr, code uint16, reason *byte) int32
	WsBufferedAmount    func(ws uintptr) uint64
	WsFree              func(ws uintptr)
)

// By-id lifecycle (optional symbols).
var (
	SandboxKillID       func(c uintptr, id string) int32
	SandboxSetTimeoutID func(c uintptr, id string, ms int64) int32
	SandboxPauseID      func(c uintptr, id string) int32
)

// Code interpreter (optional symbols). Executions and runs are opaque handles.
var (
	CodeStart               func(out *uintptr, s uintptr, code string, o *CodeOpts, cb *CodeCallbacks) int32
	CodeCancel              func(run uintptr) int32
	CodeFree                func(run uintptr)
	ExecutionResultCount    func(e uintptr) uintptr
	ExecutionResultAt       func(e uintptr, i uintptr) *CodeResult
	ExecutionLogCount       func(e uintptr, stream uint32) uintptr
	ExecutionLogAt          func(e uintptr, stream uint32, i uintptr) *byte
	ExecutionError          func(e uintptr) *CodeError
	ExecutionExecutionCount func(e uintptr) int64
	CodeContextCreate       func(out **CodeContext, s uintptr, language, cwd *byte) int32
	CodeContextFree         func(c *CodeContext)
	CodeListContexts        func(out *uintptr, s uintptr) int32
	CodeContextListCount    func(l uintptr) uintptr
	CodeContextListAt       func(l uintptr, i uintptr) *CodeContext
	CodeContextListFree     func(l uintptr)
	CodeContextRestart      func(s uintptr, id string) int32
	CodeContextRemove       func(s uintptr, id string) int32
)

// Production layer A: sessions, artifacts, workspace (optional symbols).
var (
	SessionStart      func(out *uintptr, c uintptr, o *SessionOpts) int32
	SessionResume     func(out *uintptr, c uintptr, id string, o *SessionOpts) int32
	SessionID         func(s uintptr) string
	SessionSandbox    func(s uintptr) uintptr
	SessionTouch      func(s uintptr) int32
	SessionPause      func(s uintptr) int32
	SessionEnd        func(s uintptr) int32
	SessionState      func(c uintptr, id string) int32
	SessionFree       func(s uintptr)
	ArtifactsDownload func(out *uintptr, s uintptr, remoteDir string, patterns **byte, localDir string, o *TransferOpts) int32
	ArtifactsUpload   func(out *uintptr, s uintptr, localFiles **byte, remoteDir string, o *TransferOpts) int32
	ArtifactListCount func(l uintptr) uintptr
	ArtifactListAt    func(l uintptr, i uintptr) *Artifact
	ArtifactListFree  func(l uintptr)
	WorkspacePush     func(s uintptr, localPath, remoteDir string, o *TransferOpts, entries *uint32) int32
	WorkspacePull     func(s uintptr, remotePath, localDir string, o *TransferOpts, entries *uint32) int32
)

// Process control by pid (optional symbols).
var (
	ProcessKill         func(s uintptr, pid uint32) int32
	ProcessSendStdin    func(s uintptr, pid uint32, data unsafe.Pointer, n uintptr) int32
	ProcessCloseStdin   func(s uintptr, pid uint32) int32
	ProcessSendPtyInput func(s uintptr, pid uint32, data unsafe.Pointer, n uintptr) int32
	ProcessResizePty    func(s uintptr, pid uint32, cols, rows uint16) int32
)

// Production layer B: profiles, pool, cost, logs, stall detection, metrics (optional symbols).
// Their presence also means the library takes e2b_client_opts v3 and e2b_sandbox_opts v2.
var (
	ProfileGet        func(out *Profile, name string) int32
	PoolNew           func(out *uintptr, c uintptr, o *PoolOpts) int32
	PoolAcquire       func(out *uintptr, p uintptr, timeoutMs int64) int32
	PoolRelease       func(p uintptr, s uintptr, flags uint32) int32
	PoolMaintain      func(p uintptr) int32
	PoolGetStats      func(p uintptr, out *PoolStats) int32
	PoolFree          func(p uintptr) int32
	CostGetTotals     func(c uintptr, out *CostTotals) int32
	CostSetPrices     func(c uintptr, json string) int32
	CostExportJSON    func(out *Buf, c uintptr) int32
	LogEmit           func(c uintptr, level int32, event string, sandboxID, message *byte) int32
	Measure           func(c uintptr, event string, sandboxID *byte, fn uintptr, payload uintptr) int32
	StallWatchExec    func(out *uintptr, e uintptr, o *StallOpts) int32
	StallWatchSandbox func(out *uintptr, s uintptr, o *StallOpts) int32
	StallWatchFree    func(w uintptr)
	MetricsRender     func(out *Buf, c uintptr) int32
	MetricsServe      func(c uintptr, port uint16, bound *uint16) int32
	MetricsServeStop  func(c uintptr) int32
)

// HasProductionB reports the production-B symbols (and so the newer options versions).
func HasProductionB() bool { return ProfileGet != nil }
