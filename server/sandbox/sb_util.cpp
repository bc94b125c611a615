#include "sandbox/sb_util.hpp"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ftw.h>
#include <mutex>
#include <seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace e2blocal {
namespace sb {

std::string errno_msg(const std::string& what, int err) { return what + ": " + strerror(err); }
std::string errno_msg(const std::string& what) { return errno_msg(what, errno); }

bool read_file(const std::string& path, std::string* out) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    out->clear();
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out->append(buf, size_t(n));
    }
    close(fd);
    return true;
}

bool write_knob(const std::string& path, const std::string& data, std::string* err) {
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err) *err = errno_msg("open " + path);
        return false;
    }
    ssize_t n = write(fd, data.data(), data.size());
    int e = errno;
    close(fd);
    if (n != ssize_t(data.size())) {
        if (err) *err = errno_msg("write '" + data + "' to " + path, n < 0 ? e : EIO);
        return false;
    }
    return true;
}

bool write_new_file(const std::string& path, const std::string& data, unsigned mode, std::string* err) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        if (err) *err = errno_msg("create " + path);
        return false;
    }
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (err) *err = errno_msg("write " + path);
            close(fd);
            return false;
        }
        off += size_t(n);
    }
    fchmod(fd, mode);  // umask-independent
    close(fd);
    return true;
}

bool mkdirs(const std::string& path, unsigned mode, std::string* err) {
    if (path.empty()) return true;
    std::string cur;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        cur = path.substr(0, j);
        if (!cur.empty() && mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) {
            if (err) *err = errno_msg("mkdir " + cur);
            return false;
        }
        i = j + 1;
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (err) *err = "not a directory: " + path;
        return false;
    }
    return true;
}

static int rm_cb(const char* p, const struct stat*, int type, struct FTW*) {
    if (type == FTW_DP) rmdir(p);
    else unlink(p);
    return 0;
}

bool remove_tree(const std::string& path) {
    nftw(path.c_str(), rm_cb, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    return access(path.c_str(), F_OK) != 0;
}

std::string tail_of_file(const std::string& path, size_t max_bytes) {
    std::string s;
    if (!read_file(path, &s)) return "";
    if (s.size() > max_bytes) s = s.substr(s.size() - max_bytes);
    return s;
}

static std::string unescape_mountinfo(const std::string& s) {
    std::string o;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool ok = true;
            for (int k = 1; k <= 3; k++) {
                char c = s[i + k];
                if (c < '0' || c > '7') { ok = false; break; }
                v = v * 8 + (c - '0');
            }
            if (ok) { o += char(v); i += 3; continue; }
        }
        o += s[i];
    }
    return o;
}

bool is_mount_point(const std::string& path) {
    std::string mi;
    if (!read_file("/proc/self/mountinfo", &mi)) return false;
    size_t pos = 0;
    while (pos < mi.size()) {
        size_t eol = mi.find('\n', pos);
        if (eol == std::string::npos) eol = mi.size();
        std::string line = mi.substr(pos, eol - pos);
        pos = eol + 1;
        // id parent maj:min root mountpoint ...
        size_t f = 0;
        for (int k = 0; k < 4 && f != std::string::npos; k++) f = line.find(' ', f) + 1;
        if (f == 0 || f >= line.size()) continue;
        size_t e = line.find(' ', f);
        if (unescape_mountinfo(line.substr(f, e - f)) == path) return true;
    }
    return false;
}

uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

void sleep_us(long us) {
    timespec ts{us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

// ---- seccomp ----

static std::once_flag g_bpf_once;
static std::string g_bpf;
static std::string g_bpf_err;

static void build_bpf() {
    // Deny-list; default allow. Kernel-wide or namespace-escaping operations a sandbox never needs.
    static const char* const kDeny[] = {
        "mount", "umount2", "pivot_root", "ptrace", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
        "userfaultfd", "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot",
        "syslog", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "unshare",
        "setns", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "quotactl", "quotactl_fd", "lookup_dcookie", "iopl", "ioperm",
        "process_vm_readv", "process_vm_writev",
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) { g_bpf_err = "seccomp_init failed"; return; }
    // Non-native ABIs (i386 via int 0x80, x32) are killed by libseccomp's default bad-arch action,
    // so they cannot be used to bypass the list.
    int rc = 0;
    for (const char* name : kDeny) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) continue;  // not on this arch
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc < 0) { g_bpf_err = errno_msg(std::string("seccomp_rule_add ") + name, -rc); break; }
    }
    // unshare is denied; clone() with namespace flags is the same operation by another door.
    static const uint64_t kNsFlags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
    for (uint64_t fl : kNsFlags) {
        if (rc < 0) break;
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, fl, fl));
        if (rc < 0) g_bpf_err = errno_msg("seccomp_rule_add clone", -rc);
    }
    // clone3 passes flags in memory seccomp cannot inspect; ENOSYS makes libc fall back to clone.
    if (rc >= 0) {
        int nr = seccomp_syscall_resolve_name("clone3");
        if (nr != __NR_SCMP_ERROR) {
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
            if (rc < 0) g_bpf_err = errno_msg("seccomp_rule_add clone3", -rc);
        }
    }
    if (rc >= 0) {
        int fd = memfd_create("e2b-seccomp-build", MFD_CLOEXEC);
        if (fd < 0) {
            g_bpf_err = errno_msg("memfd_create");
        } else {
            rc = seccomp_export_bpf(ctx, fd);
            if (rc < 0) {
                g_bpf_err = errno_msg("seccomp_export_bpf", -rc);
            } else {
                lseek(fd, 0, SEEK_SET);
                char buf[4096];
                ssize_t n;
                while ((n = read(fd, buf, sizeof buf)) > 0) g_bpf.append(buf, size_t(n));
                if (g_bpf.empty()) g_bpf_err = "seccomp_export_bpf produced nothing";
            }
            close(fd);
        }
    }
    seccomp_release(ctx);
}

int seccomp_bpf_fd(std::string* err) {
    std::call_once(g_bpf_once, build_bpf);
    if (!g_bpf_err.empty()) {
        if (err) *err = g_bpf_err;
        return -1;
    }
    int fd = memfd_create("e2b-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        if (err) *err = errno_msg("memfd_create for seccomp");
        return -1;
    }
    if (write(fd, g_bpf.data(), g_bpf.size()) != ssize_t(g_bpf.size())) {
        if (err) *err = errno_msg("write seccomp memfd");
        close(fd);
        return -1;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

// ---- cgroups ----

const char* const kControllers[5] = {"freezer", "memory", "pids", "cpu", "cpuacct"};

std::string cgroup_dir(const char* controller, const std::string& id) {
    return std::string("/sys/fs/cgroup/") + controller + "/e2b-local/" + id;
}

std::vector<int> cgroup_pids(const std::string& cg_dir) {
    std::vector<int> v;
    std::string s;
    if (!read_file(cg_dir + "/cgroup.procs", &s)) return v;
    size_t p = 0;
    while (p < s.size()) {
        size_t e = s.find('\n', p);
        if (e == std::string::npos) e = s.size();
        if (e > p) v.push_back(atoi(s.c_str() + p));
        p = e + 1;
    }
    return v;
}

static bool wait_freezer_state(const std::string& state_path, const char* want, int timeout_us) {
    uint64_t end = now_ns() + uint64_t(timeout_us) * 1000;
    std::string s;
    for (int i = 0;; i++) {
        if (read_file(state_path, &s) && s.compare(0, strlen(want), want) == 0) return true;
        if (now_ns() > end) return false;
        if (i > 20) sleep_us(100);
    }
}

bool cgroup_kill_all(const std::string& freezer_dir, int timeout_ms, bool* had_procs) {
    if (had_procs) *had_procs = false;
    const std::string state = freezer_dir + "/freezer.state";
    uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
    for (;;) {
        std::vector<int> pids = cgroup_pids(freezer_dir);
        if (pids.empty()) {
            write_knob(state, "THAWED", nullptr);
            return access(freezer_dir.c_str(), F_OK) != 0 || cgroup_pids(freezer_dir).empty();
        }
        if (had_procs) *had_procs = true;
        // Freeze first so nothing can fork between listing and killing (fork bombs); SIGKILL is
        // delivered once thawed.
        write_knob(state, "FROZEN", nullptr);
        wait_freezer_state(state, "FROZEN", 200000);
        for (int p : cgroup_pids(freezer_dir)) kill(p, SIGKILL);
        write_knob(state, "THAWED", nullptr);
        for (int i = 0; i < 50 && !cgroup_pids(freezer_dir).empty(); i++) sleep_us(200);
        if (now_ns() > end) return cgroup_pids(freezer_dir).empty();
    }
}

bool cgroup_remove(const std::string& dir, int timeout_ms) {
    uint64_t end = now_ns() + uint64_t(timeout_ms) * 1000000;
    for (;;) {
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
        if (errno != EBUSY || now_ns() > end) return false;
        sleep_us(500);
    }
}

// ---- asynchronous reaping ----

static std::mutex g_reap_mu;
static std::condition_variable g_reap_cv;
static int g_reaping = 0;

void reap_async(int pid) {
    if (pid <= 0) return;
    {
        std::lock_guard<std::mutex> lk(g_reap_mu);
        g_reaping++;
    }
    auto work = [pid] {
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
        std::lock_guard<std::mutex> lk(g_reap_mu);
        if (--g_reaping == 0) g_reap_cv.notify_all();
    };
    try {
        std::thread(work).detach();
    } catch (...) {
        work();  // no thread: block as before rather than leave a zombie
    }
}

bool wait_reaps(int timeout_ms) {
    std::unique_lock<std::mutex> lk(g_reap_mu);
    return g_reap_cv.wait_for(lk, std::chrono::milliseconds(timeout_ms), [] { return g_reaping == 0; });
}

}  // namespace sb
}  // namespace e2blocal
