// Jail: cgroups v1 + overlayfs + bubblewrap (+ slirp4netns) around one sandbox.
#include "sandbox/jail.hpp"
#include "sandbox/sb_util.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <mutex>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace e2blocal {

using sb::errno_msg;

namespace {

constexpr uid_t kCtlOwner = 65534;  // nobody: see kControlDirInside
const char* const kAgentCaps[] = {"CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
                                  "CAP_FOWNER", "CAP_KILL",   "CAP_SETPCAP", "CAP_DAC_READ_SEARCH"};
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr const char* kSafePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string find_in_path(const char* name) {
    const char* path = getenv("PATH");
    std::string ps = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
    size_t p = 0;
    while (p <= ps.size()) {
        size_t c = ps.find(':', p);
        if (c == std::string::npos) c = ps.size();
        std::string cand = ps.substr(p, c - p) + "/" + name;
        if (!cand.empty() && cand[0] == '/' && access(cand.c_str(), X_OK) == 0) return cand;
        p = c + 1;
    }
    for (const char* d : {"/usr/bin/", "/usr/sbin/", "/bin/"}) {
        std::string cand = std::string(d) + name;
        if (access(cand.c_str(), X_OK) == 0) return cand;
    }
    return "";
}

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

// Async-signal-safe helpers for the forked child.
void child_write(int fd, const char* s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= size_t(w);
    }
}

[[noreturn]] void child_die(const char* what) {
    int e = errno;
    child_write(2, "e2b-local jail: ");
    child_write(2, what);
    child_write(2, ": ");
    child_write(2, strerror(e));  // not strictly async-signal-safe; only reached on failure
    child_write(2, "\n");
    _exit(127);
}

void child_reset_signals() {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    // SIG_IGN survives exec: without this a server that ignores SIGPIPE would hand that to every
    // command in the sandbox.
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL);
    }
}

bool set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

uint64_t parse_u64(const std::string& s) { return strtoull(s.c_str(), nullptr, 10); }

uint64_t stat_field(const std::string& stat, const char* key) {
    std::string k = std::string("\n") + key + " ";
    std::string s = "\n" + stat;
    size_t p = s.find(k);
    if (p == std::string::npos) return 0;
    return parse_u64(s.substr(p + k.size()));
}

struct DiskWalk {
    uint64_t bytes = 0;
    size_t entries = 0;
};
DiskWalk* g_walk;
std::mutex* g_walk_mu() { static std::mutex m; return &m; }
constexpr size_t kDiskWalkCap = 200000;

int disk_cb(const char*, const struct stat* st, int type, struct FTW*) {
    if (++g_walk->entries > kDiskWalkCap) return 1;  // cap: a huge tree must not stall metrics
    if (type == FTW_F) g_walk->bytes += uint64_t(st->st_blocks) * 512;
    return 0;
}

}  // namespace

struct Jail::Impl {
    JailSpec spec;
    std::string root, ctl, upper, work, sock, log;
    std::vector<std::string> cgroups;  // created cgroup dirs, freezer first
    std::string freezer, memory, cpuacct;
    pid_t bwrap_pid = -1;  // our direct child: bwrap's monitor process
    pid_t child_pid = -1;  // sandbox pid 1 (the agent), host pid
    pid_t slirp = -1;
    int slirp_exit_w = -1;  // closing it tells slirp4netns to exit (also if we crash)
    int netns_fd = -1;
    bool mounted = false;
    bool is_frozen = false;
    bool killed = false;
    uint64_t last_cpu_ns = 0, last_cpu_at = 0;

    void reap_bwrap(bool block) {
        if (bwrap_pid <= 0) return;
        int st;
        pid_t r = waitpid(bwrap_pid, &st, block ? 0 : WNOHANG);
        if (r == bwrap_pid || (r < 0 && errno == ECHILD)) bwrap_pid = -1;
    }

    void stop_slirp() {
        if (slirp_exit_w >= 0) { close(slirp_exit_w); slirp_exit_w = -1; }
        if (slirp > 0) {
            // Dead once SIGKILLed, but its exit takes ~16 ms (namespace teardown waits for RCU):
            // reaped on another thread; shutdown_background() waits for those.
            ::kill(slirp, SIGKILL);
            sb::reap_async(slirp);
            slirp = -1;
        }
    }

    void destroy() {
        if (killed) return;
        killed = true;
        // SIGKILL to the pid-ns init takes the whole namespace down, and bwrap's monitor (our
        // child) then reaps it, so no zombie is left for the host's init. Then sweep the cgroup
        // for anything else (the monitor itself, or a sandbox that never got its pid 1).
        if (child_pid > 0 && bwrap_pid > 0) {
            ::kill(child_pid, SIGKILL);
            if (!freezer.empty()) sb::write_knob(freezer + "/freezer.state", "THAWED", nullptr);
            uint64_t end = sb::now_ns() + 1000000000ull;
            for (int i = 0; bwrap_pid > 0 && sb::now_ns() < end; i++) {
                reap_bwrap(false);
                if (bwrap_pid > 0) sb::sleep_us(i < 50 ? 100 : 1000);
            }
        }
        if (!freezer.empty()) sb::cgroup_kill_all(freezer, 2000, nullptr);
        stop_slirp();
        if (bwrap_pid > 0) {
            // It was in the cgroup and is dead by now unless it never joined; make sure.
            ::kill(bwrap_pid, SIGKILL);
            reap_bwrap(true);
        }
        if (netns_fd >= 0) { close(netns_fd); netns_fd = -1; }
        for (auto it = cgroups.rbegin(); it != cgroups.rend(); ++it) sb::cgroup_remove(*it, 1000);
        cgroups.clear();
        if (mounted) {
            if (umount2(root.c_str(), 0) != 0 && errno != EINVAL) umount2(root.c_str(), MNT_DETACH);
            mounted = false;
        }
        is_frozen = false;
        child_pid = -1;
    }
};

std::unique_ptr<Jail> Jail::start(const JailSpec& spec, std::string* err) {
    uint64_t t0 = sb::now_ns();
    std::unique_ptr<Jail> j(new Jail());
    j->impl_.reset(new Impl());
    Impl& m = *j->impl_;
    m.spec = spec;
    auto fail = [&](const std::string& e) -> std::unique_ptr<Jail> {
        if (err) *err = "jail " + spec.id + ": " + e;
        m.destroy();
        return nullptr;
    };
    if (!valid_id(spec.id)) return fail("invalid sandbox id '" + spec.id + "'");
    if (spec.dir.empty() || spec.dir[0] != '/') return fail("state dir must be absolute: '" + spec.dir + "'");
    if (spec.template_dir.empty() || access(spec.template_dir.c_str(), F_OK) != 0)
        return fail("template dir missing: '" + spec.template_dir + "' (call prepare_base_template)");
    if (access(spec.agent_binary.c_str(), X_OK) != 0) return fail(errno_msg("agent binary " + spec.agent_binary));
    for (const std::string* p : {&spec.dir, &spec.template_dir})
        if (p->find_first_of(",:\\") != std::string::npos)
            return fail("path unusable in overlay options (contains , : or \\): " + *p);
    std::string bwrap = find_in_path("bwrap");
    if (bwrap.empty()) return fail("bwrap not found in PATH");
    if (spec.allow_internet) {
        // Unguarded, slirp4netns would let the sandbox reach every service on the host's own
        // addresses: refuse rather than run it that way.
        std::string g = host_guard_ready(false);
        if (!g.empty()) return fail("internet access refused: " + g);
    }

    std::string e;
    if (!sb::mkdirs(spec.dir, 0700, &e)) return fail(e);
    // Files in upper/ are created by uid 0 of the sandbox (possibly setuid-root): no host user may
    // reach them.
    if (chmod(spec.dir.c_str(), 0700) != 0) return fail(errno_msg("chmod 0700 " + spec.dir));
    m.root = spec.dir + "/root";
    m.ctl = spec.dir + "/ctl";
    m.upper = spec.dir + "/upper";
    m.work = spec.dir + "/work";
    m.sock = m.ctl + "/agent.sock";
    m.log = m.ctl + "/agent.log";
    if (m.sock.size() >= sizeof(sockaddr_un::sun_path)) return fail("state dir path too long for a unix socket: " + m.sock);
    for (const std::string* d : {&m.root, &m.ctl, &m.upper, &m.work})
        if (mkdir(d->c_str(), 0700) != 0 && errno != EEXIST) return fail(errno_msg("mkdir " + *d));
    // The upper dir's root inode is the sandbox's "/" (its mode wins over the template's).
    if (chown(m.upper.c_str(), 0, 0) != 0 || chmod(m.upper.c_str(), 0755) != 0)
        return fail(errno_msg("chown/chmod " + m.upper));
    if (chown(m.ctl.c_str(), kCtlOwner, kCtlOwner) != 0 || chmod(m.ctl.c_str(), 0700) != 0)
        return fail(errno_msg("chown/chmod " + m.ctl));
    unlink(m.sock.c_str());  // a stale socket would make us think the agent is up
    {
        std::string ab = m.ctl + "/agent";  // bind-mount target for the agent binary
        struct stat st;
        if (lstat(ab.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            unlink(ab.c_str());
            if (!sb::write_new_file(ab, "", 0444, &e)) return fail(e);
        }
    }

    // Overlay root. Leftover mount from a crash: drop it first.
    if (sb::is_mount_point(m.root)) umount2(m.root.c_str(), MNT_DETACH);
    std::string opts = "lowerdir=" + spec.template_dir + ":/,upperdir=" + m.upper + ",workdir=" + m.work;
    if (mount("overlay", m.root.c_str(), "overlay", MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
        return fail(errno_msg("mount overlay (" + opts + ") on " + m.root));
    m.mounted = true;

    // bwrap mounts onto these paths inside the new root; a sandbox's root could have replaced
    // them with symlinks in the (persistent) upper dir. Make sure they are plain directories.
    for (const char* d : {"dev", "proc", "run", "run/e2b", "tmp"}) {
        std::string p = m.root + "/" + d;
        struct stat st;
        if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        if (unlink(p.c_str()) != 0 && errno != ENOENT) return fail(errno_msg("replace non-directory " + p));
        if (mkdir(p.c_str(), std::string(d) == "tmp" ? 01777 : 0755) != 0) return fail(errno_msg("mkdir " + p));
    }

    // cgroups.
    for (const char* c : sb::kControllers) {
        std::string parent = std::string("/sys/fs/cgroup/") + c + "/e2b-local";
        if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) return fail(errno_msg("mkdir " + parent));
        std::string d = sb::cgroup_dir(c, spec.id);
        if (mkdir(d.c_str(), 0755) != 0) {
            if (errno != EEXIST) return fail(errno_msg("mkdir " + d));
            if (!sb::cgroup_pids(d).empty()) return fail("cgroup " + d + " already has processes (sandbox running?)");
        }
        m.cgroups.push_back(d);
    }
    m.freezer = sb::cgroup_dir("freezer", spec.id);
    m.memory = sb::cgroup_dir("memory", spec.id);
    m.cpuacct = sb::cgroup_dir("cpuacct", spec.id);
    std::string cpu = sb::cgroup_dir("cpu", spec.id);
    std::string pids = sb::cgroup_dir("pids", spec.id);
    if (!sb::write_knob(m.freezer + "/freezer.state", "THAWED", &e)) return fail(e);
    {
        uint64_t mem = uint64_t(spec.memory_mb > 0 ? spec.memory_mb : 512) << 20;
        std::string ms = std::to_string(mem);
        std::string memsw = m.memory + "/memory.memsw.limit_in_bytes";
        bool has_memsw = access(memsw.c_str(), F_OK) == 0;
        // memsw must stay >= limit: raise memsw first when growing, lower it last when shrinking.
        std::string cur;
        sb::read_file(m.memory + "/memory.limit_in_bytes", &cur);
        bool growing = parse_u64(cur) < mem;
        if (has_memsw && growing && !sb::write_knob(memsw, ms, &e)) return fail(e);
        if (!sb::write_knob(m.memory + "/memory.limit_in_bytes", ms, &e)) return fail(e);
        if (has_memsw && !growing && !sb::write_knob(memsw, ms, &e)) return fail(e);
        if (!sb::write_knob(pids + "/pids.max", std::to_string(spec.pids_max > 0 ? spec.pids_max : 1024), &e))
            return fail(e);
        std::string per;
        if (!sb::read_file(cpu + "/cpu.cfs_period_us", &per)) return fail(errno_msg("read cpu.cfs_period_us"));
        long long quota = (long long)parse_u64(per) * (spec.cpu_count > 0 ? spec.cpu_count : 1);
        if (!sb::write_knob(cpu + "/cpu.cfs_quota_us", std::to_string(quota), &e)) return fail(e);
    }

    // Everything the child needs is prepared before fork (the server is multi-threaded).
    int seccomp_fd = sb::seccomp_bpf_fd(&e);
    if (seccomp_fd < 0) return fail(e);
    int info[2];
    if (pipe2(info, O_CLOEXEC) != 0) { close(seccomp_fd); return fail(errno_msg("pipe")); }
    int logfd = open(m.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (logfd < 0 || nullfd < 0) {
        std::string msg = errno_msg("open " + m.log + " or /dev/null");
        for (int fd : {seccomp_fd, info[0], info[1], logfd, nullfd}) if (fd >= 0) close(fd);
        return fail(msg);
    }
    // The child joins through `tasks` with "0" (itself), not cgroup.procs with its pid: it is
    // single-threaded after fork, so that moves the whole process, and migrating only `current`
    // lets the kernel skip the global threadgroup rwsem, whose write side waits for an RCU grace
    // period (7-15 ms here) while holding cgroup_mutex.
    std::vector<std::string> procs_files;
    for (const auto& d : m.cgroups) procs_files.push_back(d + "/tasks");
    std::vector<std::string> args = {bwrap,
        "--bind", m.root, "/", "--dev", "/dev", "--perms", "01777", "--tmpfs", "/dev/shm", "--proc", "/proc",
        // uid 0 without caps still passes DAC checks on root-owned 0644 sysctls (e.g. vm.drop_caches
        // is host-global): /proc/sys read-only. bwrap's own /proc cover list missed it here.
        "--ro-bind", "/proc/sys", "/proc/sys", "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger",
        "--bind", m.ctl, kControlDirInside, "--ro-bind", spec.agent_binary, kAgentBinaryInside,
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try",
        "--hostname", spec.id, "--new-session",
        // If e2b-local dies, its sandboxes die with it (their pid 1 gets SIGKILL): nobody could
        // reach them anyway, and the next start reaps the cgroups and mounts and reports the loss.
        "--die-with-parent",
        // The agent is pid 1 itself (no bwrap reaper): it must reap; and CRIU needs this layout.
        "--as-pid-1",
        "--cap-drop", "ALL"};
    for (const char* c : kAgentCaps) { args.push_back("--cap-add"); args.push_back(c); }
    args.insert(args.end(), {"--seccomp", "3", "--info-fd", "4", "--chdir", "/", "--"});
    // bwrap sets effective/permitted/inheritable/ambient to the requested caps but leaves the
    // bounding set full. setpriv (util-linux, from the host /usr, runs as pid 1 and execs the
    // agent in place) trims bounding to the same set and clears inheritable/ambient, so a
    // mistake in the agent's own dropping cannot regain anything. NoNewPrivs already prevents
    // gaining caps through exec, so a host without setpriv is still safe (bounding stays full).
    if (access(kSetpriv, X_OK) == 0) {
        std::string bset = "-all";
        for (const char* c : kAgentCaps) {
            std::string n = c + 4;  // strip CAP_
            for (auto& ch : n) ch = char(tolower(ch));
            bset += ",+" + n;
        }
        args.insert(args.end(), {kSetpriv, "--bounding-set", bset, "--inh-caps", "-all", "--ambient-caps", "-all", "--"});
    }
    args.push_back(kAgentBinaryInside);
    for (const auto& a : spec.agent_args) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const char* envp[] = {kSafePath, "HOME=/root", "LANG=C.UTF-8", nullptr};

    pid_t pid = fork();
    if (pid < 0) {
        std::string msg = errno_msg("fork");
        for (int fd : {seccomp_fd, info[0], info[1], logfd, nullfd}) close(fd);
        return fail(msg);
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls from here.
        child_reset_signals();
        if (dup2(logfd, 2) < 0) _exit(127);
        for (const auto& f : procs_files) {
            int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0) child_die("open cgroup tasks");
            if (write(fd, "0", 1) < 0) child_die("join cgroup");
            close(fd);
        }
        // Park the fds above the target range first so dup2 cannot clobber one another.
        int s = fcntl(seccomp_fd, F_DUPFD_CLOEXEC, 10), i = fcntl(info[1], F_DUPFD_CLOEXEC, 10);
        int l = fcntl(logfd, F_DUPFD_CLOEXEC, 10), n = fcntl(nullfd, F_DUPFD_CLOEXEC, 10);
        if (s < 0 || i < 0 || l < 0 || n < 0) child_die("dup");
        if (dup2(n, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 || dup2(s, 3) < 0 || dup2(i, 4) < 0) child_die("dup2");
        if (close_range(5, ~0U, 0) != 0) {
            for (int fd = 5; fd < 4096; fd++) close(fd);
        }
        execve(argv[0], argv.data(), const_cast<char* const*>(envp));
        child_die("exec bwrap");
    }
    m.bwrap_pid = pid;
    for (int fd : {seccomp_fd, info[1], logfd, nullfd}) close(fd);
    uint64_t deadline = t0 + uint64_t(spec.start_timeout_ms > 0 ? spec.start_timeout_ms : 5000) * 1000000;
    auto log_tail = [&]() {
        std::string t = sb::tail_of_file(m.log, 2000);
        return t.empty() ? std::string(" (agent.log empty)") : "; agent.log tail:\n" + t;
    };

    // bwrap's --info-fd JSON: {"child-pid": N, ...}. The fd may stay open in the sandbox's side
    // for a while, so parse as soon as the object is complete instead of waiting for EOF.
    {
        std::string js;
        set_nonblock(info[0]);
        while (m.child_pid <= 0) {
            size_t p = js.find("\"child-pid\"");
            if (p != std::string::npos && js.find('}', p) != std::string::npos) {
                size_t c = js.find(':', p);
                m.child_pid = atoi(js.c_str() + c + 1);
                break;
            }
            int64_t left_ms = (int64_t(deadline) - int64_t(sb::now_ns())) / 1000000;
            if (left_ms <= 0) { close(info[0]); return fail("timed out waiting for bwrap's child pid" + log_tail()); }
            pollfd pf{info[0], POLLIN, 0};
            poll(&pf, 1, int(left_ms));
            char buf[512];
            ssize_t r = read(info[0], buf, sizeof buf);
            if (r > 0) js.append(buf, size_t(r));
            else if (r == 0) { close(info[0]); return fail("bwrap exited before starting the sandbox" + log_tail()); }
        }
        close(info[0]);
        if (m.child_pid <= 0) return fail("bad bwrap info JSON");
    }
    {
        std::string ns = "/proc/" + std::to_string(m.child_pid) + "/ns/net";
        m.netns_fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
        if (m.netns_fd < 0) return fail(errno_msg("open " + ns) + log_tail());
    }

    int slirp_ready = -1;
    bool slirp_started = false;
    // slirp4netns configures the sandbox's netns; start it only after bwrap has finished its own
    // loopback setup, or both race on lo's 127.0.0.1 (slirp's "lo up" makes the kernel add it,
    // and bwrap's exclusive RTM_NEWADDR then fails). bwrap adds the address, then sets lo up;
    // the 127.255.255.255 broadcast route exists only once both are done. Seeing it lets slirp
    // start while bwrap still builds the mounts and the agent starts (~5 ms of create); the
    // agent listening proves it too (fallback if the route never shows).
    std::string fib_trie = "/proc/" + std::to_string(m.child_pid) + "/net/fib_trie";
    std::string ns_link = "/proc/" + std::to_string(m.child_pid) + "/ns/net";
    struct stat ns_st{};
    fstat(m.netns_fd, &ns_st);
    auto loopback_done = [&]() {
        std::string t;
        struct stat st;
        // The namespace check comes after the read: the pid must still be the sandbox's.
        return sb::read_file(fib_trie, &t) && t.find("127.255.255.255") != std::string::npos &&
               stat(ns_link.c_str(), &st) == 0 && st.st_ino == ns_st.st_ino && st.st_dev == ns_st.st_dev;
    };
    auto start_slirp = [&]() -> std::string {
        std::string slirp = find_in_path("slirp4netns");
        if (slirp.empty()) return ("allow_internet: slirp4netns not found in PATH");
        int ex[2], rd[2];
        if (pipe2(ex, O_CLOEXEC) != 0) return (errno_msg("pipe"));
        if (pipe2(rd, O_CLOEXEC) != 0) { close(ex[0]); close(ex[1]); return (errno_msg("pipe")); }
        std::string slog = spec.dir + "/slirp4netns.log";  // not in ctl: the sandbox has no business there
        int lfd = open(slog.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        std::string pidstr = std::to_string(m.child_pid);
        // --disable-host-loopback: 10.0.2.2 must not reach the host's 127.0.0.1.
        // --enable-sandbox: as root, slirp4netns pivots into an empty mount ns and drops caps.
        std::vector<std::string> sa = {slirp, "--configure", "--mtu=65520", "--disable-host-loopback",
                                       "--enable-sandbox", "--exit-fd=3", "--ready-fd=4", pidstr, "tap0"};
        std::vector<char*> sav;
        for (auto& a : sa) sav.push_back(const_cast<char*>(a.c_str()));
        sav.push_back(nullptr);
        pid_t sp = fork();
        if (sp == 0) {
            child_reset_signals();
            // The host guard's netfilter rule matches this group (socket owner = fsgid); uid 0 and
            // the caps slirp4netns needs are kept. Raw syscalls: this process has one thread.
            gid_t g = kHostGuardGid;
            if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, g, g, g) != 0) _exit(126);
            int a = fcntl(ex[0], F_DUPFD_CLOEXEC, 10), b2 = fcntl(rd[1], F_DUPFD_CLOEXEC, 10);
            int l = fcntl(lfd < 0 ? nfd : lfd, F_DUPFD_CLOEXEC, 10), n = fcntl(nfd, F_DUPFD_CLOEXEC, 10);
            if (dup2(n, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 || dup2(a, 3) < 0 || dup2(b2, 4) < 0) _exit(127);
            if (close_range(5, ~0U, 0) != 0) for (int fd = 5; fd < 4096; fd++) close(fd);
            execve(sav[0], sav.data(), const_cast<char* const*>(envp));
            _exit(127);
        }
        int fe = errno;
        for (int fd : {ex[0], rd[1], lfd, nfd}) if (fd >= 0) close(fd);
        if (sp < 0) { close(ex[1]); close(rd[0]); return (errno_msg("fork slirp4netns", fe)); }
        m.slirp = sp;
        m.slirp_exit_w = ex[1];
        slirp_ready = rd[0];
        set_nonblock(slirp_ready);
        return {};
    };

    // Wait until the agent accepts (and slirp4netns has configured tap0).
    bool agent_up = false;
    for (int i = 0;; i++) {
        if (!agent_up) {
            int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un a{};
            a.sun_family = AF_UNIX;
            memcpy(a.sun_path, m.sock.c_str(), m.sock.size() + 1);
            struct stat st;
            // Only a real socket counts (a symlink planted in ctl would otherwise be followed).
            if (s >= 0 && lstat(m.sock.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
                connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
                agent_up = true;
            if (s >= 0) close(s);
        }
        if (spec.allow_internet && !slirp_started && (agent_up || loopback_done())) {
            slirp_started = true;
            std::string se = start_slirp();
            if (!se.empty()) return fail(se);
        }
        if (slirp_ready >= 0) {
            char c;
            ssize_t r = read(slirp_ready, &c, 1);
            if (r == 1) { close(slirp_ready); slirp_ready = -1; }
            else if (r == 0) {
                close(slirp_ready);
                std::string t = sb::tail_of_file(spec.dir + "/slirp4netns.log", 1000);
                return fail("slirp4netns exited before the network was ready: " + t);
            }
        }
        if (agent_up && slirp_ready < 0 && (slirp_started || !spec.allow_internet)) {
            // Checked now that slirp4netns (with the guard's gid) is alive: a concurrent
            // remove_host_guard() of another e2b-local either saw it and kept the rules, or
            // already removed them and this puts them back.
            if (spec.allow_internet) {
                std::string g = host_guard_ready(true);
                if (!g.empty()) return fail("internet access refused: " + g);
            }
            break;
        }
        m.reap_bwrap(false);
        if (m.bwrap_pid < 0) {
            if (slirp_ready >= 0) close(slirp_ready);
            return fail("sandbox exited during start" + log_tail());
        }
        if (sb::now_ns() > deadline) {
            if (slirp_ready >= 0) close(slirp_ready);
            return fail(std::string("timed out after ") + std::to_string(spec.start_timeout_ms) + " ms waiting for " +
                        (agent_up ? "slirp4netns" : "the agent socket " + m.sock) + log_tail());
        }
        sb::sleep_us(i < 100 ? 200 : 1000);
    }
    return j;
}

Jail::~Jail() {
    if (impl_) impl_->destroy();
}

const std::string& Jail::id() const { return impl_->spec.id; }
const std::string& Jail::agent_socket() const { return impl_->sock; }
int Jail::pid() const { return impl_->child_pid; }
int Jail::slirp_pid() const { return impl_->slirp; }

// Runs on a short-lived helper thread: setns() only affects that thread, so a failure to switch
// back can never leave a server thread in the sandbox's network namespace.
int Jail::socket_in_netns(int family, std::string* err) const {
    if (impl_->netns_fd < 0) {
        if (err) *err = "sandbox " + impl_->spec.id + " is not running";
        return -1;
    }
    int fd = -1;
    std::string e;
    int nsfd = impl_->netns_fd;
    std::thread t([&] {
        if (setns(nsfd, CLONE_NEWNET) != 0) { e = errno_msg("setns into sandbox netns"); return; }
        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) e = errno_msg("socket in sandbox netns");
    });
    t.join();
    if (fd < 0 && err) *err = e;
    return fd;
}

bool Jail::freeze(std::string* err) {
    Impl& m = *impl_;
    if (m.killed) { if (err) *err = "sandbox is not running"; return false; }
    std::string st = m.freezer + "/freezer.state";
    if (!sb::write_knob(st, "FROZEN", err)) return false;
    uint64_t end = sb::now_ns() + 2000000000ull;
    std::string s;
    for (int i = 0;; i++) {
        if (sb::read_file(st, &s) && s.compare(0, 6, "FROZEN") == 0) break;
        if (sb::now_ns() > end) {
            sb::write_knob(st, "THAWED", nullptr);
            if (err) *err = "freeze of " + m.spec.id + " did not complete within 2 s (state " + s + "); thawed again";
            return false;
        }
        if (i > 50) sb::sleep_us(100);
    }
    m.is_frozen = true;
    return true;
}

bool Jail::thaw(std::string* err) {
    Impl& m = *impl_;
    if (m.killed) { if (err) *err = "sandbox is not running"; return false; }
    std::string st = m.freezer + "/freezer.state";
    if (!sb::write_knob(st, "THAWED", err)) return false;
    std::string s;
    uint64_t end = sb::now_ns() + 2000000000ull;
    for (int i = 0;; i++) {
        if (sb::read_file(st, &s) && s.compare(0, 6, "THAWED") == 0) break;
        if (sb::now_ns() > end) {
            if (err) *err = "thaw of " + m.spec.id + " did not complete within 2 s (state " + s + ")";
            return false;
        }
        if (i > 50) sb::sleep_us(100);
    }
    m.is_frozen = false;
    return true;
}

bool Jail::frozen() const { return impl_->is_frozen; }

bool Jail::alive() const {
    Impl& m = *impl_;
    if (m.killed || m.child_pid <= 0) return false;
    m.reap_bwrap(false);  // bwrap's monitor exits as soon as pid 1 is gone
    if (m.bwrap_pid < 0) return false;
    std::string st;
    if (!sb::read_file("/proc/" + std::to_string(m.child_pid) + "/stat", &st)) return false;
    size_t p = st.rfind(')');
    return p != std::string::npos && p + 2 < st.size() && st[p + 2] != 'Z' && st[p + 2] != 'X';
}

void Jail::kill() { impl_->destroy(); }

JailMetrics Jail::metrics() {
    Impl& m = *impl_;
    JailMetrics r;
    std::string s;
    if (!m.killed) {
        if (sb::read_file(m.cpuacct + "/cpuacct.usage", &s)) r.cpu_usage_ns = parse_u64(s);
        uint64_t now = sb::now_ns();
        if (m.last_cpu_at && now > m.last_cpu_at && r.cpu_usage_ns >= m.last_cpu_ns)
            r.cpu_used_pct = 100.0 * double(r.cpu_usage_ns - m.last_cpu_ns) / double(now - m.last_cpu_at);
        m.last_cpu_ns = r.cpu_usage_ns;
        m.last_cpu_at = now;
        uint64_t usage = 0;
        if (sb::read_file(m.memory + "/memory.usage_in_bytes", &s)) usage = parse_u64(s);
        if (sb::read_file(m.memory + "/memory.stat", &s)) {
            r.mem_cache = stat_field(s, "total_cache");
            if (!r.mem_cache) r.mem_cache = stat_field(s, "cache");
        }
        r.mem_used = usage > r.mem_cache ? usage - r.mem_cache : 0;
        if (sb::read_file(m.memory + "/memory.limit_in_bytes", &s)) r.mem_total = parse_u64(s);
    }
    {
        std::lock_guard<std::mutex> lk(*g_walk_mu());
        DiskWalk w;
        g_walk = &w;
        nftw(m.upper.c_str(), disk_cb, 32, FTW_PHYS | FTW_MOUNT);
        g_walk = nullptr;
        r.disk_used = w.bytes;
    }
    struct statvfs sv;
    if (statvfs(m.spec.dir.c_str(), &sv) == 0) r.disk_total = uint64_t(sv.f_blocks) * sv.f_frsize;
    return r;
}

std::vector<std::string> reap_stale(const std::string& sandboxes_dir) {
    std::vector<std::string> out;
    DIR* d = opendir(sandboxes_dir.c_str());
    if (!d) return out;
    std::vector<std::string> ids;
    while (dirent* de = readdir(d)) {
        std::string n = de->d_name;
        if (n != "." && n != ".." && valid_id(n)) ids.push_back(n);
    }
    closedir(d);
    for (const auto& id : ids) {
        bool had = false;
        std::string fz = sb::cgroup_dir("freezer", id);
        if (access(fz.c_str(), F_OK) == 0) sb::cgroup_kill_all(fz, 2000, &had);
        for (const char* c : sb::kControllers) {
            std::string cg = sb::cgroup_dir(c, id);
            if (access(cg.c_str(), F_OK) != 0) continue;
            for (int p : sb::cgroup_pids(cg)) { ::kill(p, SIGKILL); had = true; }
            sb::cgroup_remove(cg, 1000);
        }
        std::string root = sandboxes_dir + "/" + id + "/root";
        char rp[PATH_MAX];
        if (realpath(root.c_str(), rp)) {
            while (sb::is_mount_point(rp))
                if (umount2(rp, MNT_DETACH) != 0) break;
        }
        if (had) out.push_back(id);
    }
    return out;
}

bool shutdown_background(int timeout_ms) { return sb::wait_reaps(timeout_ms); }

}  // namespace e2blocal
