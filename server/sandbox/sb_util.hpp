// Private helpers of the isolation layer (not part of the public API).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace e2blocal {
namespace sb {

// "what: strerror(errno)" using the current errno.
std::string errno_msg(const std::string& what);
std::string errno_msg(const std::string& what, int err);

bool read_file(const std::string& path, std::string* out);
// Writes `data` to an existing file (cgroup knobs, ...), no O_CREAT.
bool write_knob(const std::string& path, const std::string& data, std::string* err);
// Creates/truncates `path` with `mode` and writes `data`.
bool write_new_file(const std::string& path, const std::string& data, unsigned mode, std::string* err);

bool mkdirs(const std::string& path, unsigned mode, std::string* err);  // mkdir -p
bool remove_tree(const std::string& path);                              // rm -rf, no mount crossing
std::string tail_of_file(const std::string& path, size_t max_bytes);

// True when `path` (absolute, normalized) is a mount point in our mount namespace.
bool is_mount_point(const std::string& path);

uint64_t now_ns();
void sleep_us(long us);

// Builds the seccomp deny-list once and returns a fresh memfd (offset 0, CLOEXEC) holding its
// BPF program, or -1 with *err.
int seccomp_bpf_fd(std::string* err);

// cgroup v1 helpers.
extern const char* const kControllers[5];  // freezer memory pids cpu cpuacct
std::string cgroup_dir(const char* controller, const std::string& id);
std::vector<int> cgroup_pids(const std::string& cg_dir);
// Freezes (bounded), SIGKILLs every task, thaws, repeats until cgroup.procs is empty or the
// deadline passes. Returns true when the cgroup ended up empty. *had_procs is set if any task
// was found.
bool cgroup_kill_all(const std::string& freezer_dir, int timeout_ms, bool* had_procs);
// rmdir with retries on EBUSY (a just-killed task can linger for a moment).
bool cgroup_remove(const std::string& dir, int timeout_ms);

// Waits for a (SIGKILLed) child on a detached thread instead of blocking the caller; wait_reaps()
// returns true once every such child has been reaped (false on timeout).
void reap_async(int pid);
bool wait_reaps(int timeout_ms);

}  // namespace sb
}  // namespace e2blocal
