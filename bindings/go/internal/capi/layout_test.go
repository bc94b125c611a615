package capi

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The Go mirrors of the C structs must match the compiler's layout: testdata/layout.c prints
// sizeof and offsetof (declaration order) from include/e2b.h; needs a C compiler (cc), else
// the test is skipped.
func TestStructLayout(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	include := filepath.Join("..", "..", "..", "..", "include")
	bin := filepath.Join(t.TempDir(), "layout")
	if out, err := exec.Command(cc, "-I", include, "-o", bin, filepath.Join("testdata", "layout.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	mirrors := map[string]any{
		"e2b_error": Error{}, "e2b_buf": Buf{}, "e2b_client_opts": ClientOpts{}, "e2b_sandbox_opts": SandboxOpts{},
		"e2b_sandbox_info": SandboxInfo{}, "e2b_list_opts": ListOpts{}, "e2b_exec_opts": ExecOpts{},
		"e2b_exec_callbacks": ExecCallbacks{}, "e2b_exec_output": ExecOutput{}, "e2b_process_info": ProcessInfo{},
		"e2b_files_opts": FilesOpts{}, "e2b_file_entry": FileEntry{}, "e2b_entry_info": EntryInfo{}, "e2b_fs_event": FsEvent{},
		"e2b_sandbox_metric": SandboxMetric{}, "e2b_logs_opts": LogsOpts{}, "e2b_sandbox_log_entry": LogEntry{},
		"e2b_port_request_opts": PortRequestOpts{}, "e2b_port_response": PortResponse{}, "e2b_ws_opts": WsOpts{}, "e2b_ws_callbacks": WsCallbacks{},
		"e2b_code_result": CodeResult{}, "e2b_code_error": CodeError{}, "e2b_code_opts": CodeOpts{}, "e2b_code_callbacks": CodeCallbacks{}, "e2b_code_context": CodeContext{},
		"e2b_session_opts": SessionOpts{}, "e2b_transfer_progress": TransferProgress{}, "e2b_artifacts_opts": TransferOpts{}, "e2b_workspace_opts": TransferOpts{}, "e2b_artifact": Artifact{},
		"e2b_profile": Profile{}, "e2b_pool_opts": PoolOpts{}, "e2b_pool_stats": PoolStats{}, "e2b_cost_totals": CostTotals{}, "e2b_stall_opts": StallOpts{},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		v, ok := mirrors[f[0]]
		if !ok {
			t.Fatalf("no Go mirror for %s", f[0])
		}
		ty := reflect.TypeOf(v)
		got := []string{fmt.Sprint(ty.Size())}
		for i := 0; i < ty.NumField(); i++ {
			got = append(got, fmt.Sprint(ty.Field(i).Offset))
		}
		if strings.Join(got, " ") != strings.Join(f[1:], " ") {
			t.Errorf("%s: C size+offsets %v, Go %v", f[0], f[1:], got)
		}
		checked++
	}
	if checked != len(mirrors) {
		t.Fatalf("checked %d of %d structs", checked, len(mirrors))
	}
}

// A missing library or one that is not libe2b gives a clear error, not a crash.
func TestLoadErrors(t *testing.T) {
	err := load(filepath.Join(t.TempDir(), "libe2b.so.0"))
	if err == nil || !strings.Contains(err.Error(), "LIBE2B_PATH") {
		t.Fatalf("missing library: %v", err)
	}
	err = load("libc.so.6")
	if err == nil || !strings.Contains(err.Error(), "not a compatible libe2b") {
		t.Fatalf("foreign library: %v", err)
	}
	if cc, err := exec.LookPath("cc"); err == nil {
		so := filepath.Join(t.TempDir(), "libabi99.so")
		if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", so, filepath.Join("testdata", "abi99.c")).CombinedOutput(); err != nil {
			t.Fatalf("cc: %v\n%s", err, out)
		}
		if err := load(so); err == nil || !strings.Contains(err.Error(), "ABI version 99, this binding needs 1") {
			t.Fatalf("ABI mismatch: %v", err)
		}
	}
	if p := os.Getenv("LIBE2B_PATH"); p != "" {
		if err := Load(); err != nil {
			t.Fatal(err)
		}
	}
}
