// Child setup for the process service. Everything the child needs is prepared before the
// clone; the child only makes raw syscalls (no allocation, no libc state), then reports a failure
// through memory it shares with the parent.
#include "agent/process_spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agent {

namespace {

enum Stage : int { kSetup = 1, kTty, kCreds, kChdir, kExec };

// Everything the child reads (prepared by the parent) and the failure it reports back.
struct ChildArgs {
    bool pty;
    int slave, src0, src1, src2;
    const char* cwd;
    uid_t uid;
    gid_t gid;
    const std::vector<gid_t>* groups;
    const std::vector<std::string>* candidates;
    char* const* argv;
    char* const* envp;
    const int* bounding;  // the agent's bounding set: each drop costs a credential commit
    int n_bounding;
    sigset_t parent_mask;
    // written by the child before _exit(127); stage 0 = execve succeeded
    int stage;
    int err;
};

[[noreturn]] void child_fail(ChildArgs* a, int stage, int err) {
    a->stage = stage;
    a->err = err;
    _exit(127);
}

// Go-style errno text: strerror with a lower-case first letter.
std::string errno_text(int e) {
    std::string s = strerror(e);
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

bool set_flags(int fd) {
    return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0;
}

// Moves fd to 0/1/2 in the child: dup2 onto itself would keep FD_CLOEXEC, so clear it instead.
bool install(int fd, int target) {
    if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
    return dup2(fd, target) == target;
}

// Runs in the child, which shares the agent's memory (CLONE_VM) while the agent waits
// (CLONE_VFORK): a fork would copy the agent's page tables, which cost most of a Start.
// Async-signal-safe calls only; credentials via raw syscalls (glibc's setxid wrappers keep
// process-wide state). errno is the agent's, which is suspended meanwhile.
int child_main(void* arg) {
    auto* a = static_cast<ChildArgs*>(arg);
    // Signals were blocked by the parent; no agent handler may run in this shared address space.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);  // EINVAL for KILL/STOP: fine
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (setsid() < 0) child_fail(a, kSetup, errno);
    if (a->pty && ioctl(a->slave, TIOCSCTTY, 0) != 0) child_fail(a, kTty, errno);
    // Lift the sources above 2 first so that installing one cannot clobber another.
    int s0 = fcntl(a->src0, F_DUPFD, 3), s1 = fcntl(a->src1, F_DUPFD, 3), s2 = fcntl(a->src2, F_DUPFD, 3);
    if (s0 < 0 || s1 < 0 || s2 < 0) child_fail(a, kSetup, errno);
    if (!install(s0, 0) || !install(s1, 1) || !install(s2, 2)) child_fail(a, kSetup, errno);
    // Everything else closes at exec.
    if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
        rlimit rl{};
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? static_cast<long>(rl.rlim_cur) : 65536;
        for (long fd = 3; fd < max; ++fd) fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    }
    // Like envd: commands are preferred OOM victims over the agent. Raising needs no privilege.
    int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        (void)!::write(oom, "100", 3);
        ::close(oom);
    }
    // Credentials: no capabilities survive, not even for uid 0. The bounding set is dropped
    // while we still hold CAP_SETPCAP; setuid to non-zero then clears the rest.
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int i = 0; i < a->n_bounding; ++i) prctl(PR_CAPBSET_DROP, a->bounding[i], 0, 0, 0);
    if (syscall(SYS_setgroups, a->groups->size(), a->groups->data()) != 0) child_fail(a, kCreds, errno);
    if (syscall(SYS_setgid, a->gid) != 0) child_fail(a, kCreds, errno);
    if (syscall(SYS_setuid, a->uid) != 0) child_fail(a, kCreds, errno);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capset, &hdr, data) != 0) child_fail(a, kCreds, errno);
    if (chdir(a->cwd) != 0) child_fail(a, kChdir, errno);
    int exec_err = ENOENT;
    bool saw_eacces = false;
    for (auto& c : *a->candidates) {
        execve(c.c_str(), a->argv, a->envp);
        exec_err = errno;
        if (exec_err == EACCES) saw_eacces = true;
        else if (exec_err != ENOENT && exec_err != ENOTDIR) break;
    }
    if (saw_eacces && (exec_err == ENOENT || exec_err == ENOTDIR)) exec_err = EACCES;
    child_fail(a, kExec, exec_err);
}

// Capabilities in the agent's bounding set; read once, as the set can only shrink.
const std::vector<int>& bounding_caps() {
    static const std::vector<int> caps = [] {
        std::vector<int> v;
        for (int cap = 0; cap < 64; ++cap) {
            int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
            if (r < 0) break;  // EINVAL: past the last capability
            if (r == 1) v.push_back(cap);
        }
        return v;
    }();
    return caps;
}

// The child's stack: the agent is single-threaded and suspended while the child uses it.
alignas(64) char g_child_stack[64 * 1024];

}  // namespace

bool spawn_process(const SpawnOptions& o, Spawned* out, std::string* err) {
    if (o.cmd.empty()) {
        *err = "exec: no command";
        return false;
    }
    // argv / envp / exec candidates, built before fork.
    std::vector<std::string> env_strs;
    for (auto& [k, v] : o.env) env_strs.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strs) envp.push_back(const_cast<char*>(s.c_str()));
    envp.push_back(nullptr);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(o.cmd.c_str()));
    for (auto& a : o.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> candidates;
    if (o.cmd.find('/') != std::string::npos) {
        candidates.push_back(o.cmd);
    } else {
        auto it = o.env.find("PATH");
        std::string path = it != o.env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
        size_t i = 0;
        while (i <= path.size()) {
            size_t j = path.find(':', i);
            if (j == std::string::npos) j = path.size();
            std::string dir = path.substr(i, j - i);
            candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + o.cmd);
            i = j + 1;
        }
    }
    std::vector<gid_t> groups = o.user.groups;
    if (groups.empty()) groups.push_back(o.user.gid);

    // fds: index 0 = child side, 1 = parent side.
    int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
    int master = -1, slave = -1, devnull = -1;
    auto cleanup = [&] {
        for (int* fd : {&in_p[0], &in_p[1], &out_p[0], &out_p[1], &err_p[0], &err_p[1], &master, &slave, &devnull})
            close_fd(*fd);
    };
    auto fail = [&](const char* what) {
        *err = std::string(what) + ": " + errno_text(errno);
        cleanup();
        return false;
    };
    if (o.pty) {
        winsize ws{};
        ws.ws_col = o.cols ? o.cols : 80;
        ws.ws_row = o.rows ? o.rows : 24;
        if (openpty(&master, &slave, nullptr, nullptr, &ws) != 0) return fail("openpty");
        if (!set_flags(master) || fcntl(slave, F_SETFD, FD_CLOEXEC) != 0) return fail("fcntl");
    } else {
        int pr[2], pw[2];
        if (pipe2(pr, O_CLOEXEC) != 0) return fail("pipe");
        out_p[1] = pr[0], out_p[0] = pr[1];
        if (pipe2(pw, O_CLOEXEC) != 0) return fail("pipe");
        err_p[1] = pw[0], err_p[0] = pw[1];
        if (o.stdin_pipe) {
            int pi[2];
            if (pipe2(pi, O_CLOEXEC) != 0) return fail("pipe");
            in_p[0] = pi[0], in_p[1] = pi[1];
            if (!set_flags(in_p[1])) return fail("fcntl");
        } else {
            devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (devnull < 0) return fail("open /dev/null");
        }
        if (!set_flags(out_p[1]) || !set_flags(err_p[1])) return fail("fcntl");
    }
    ChildArgs ca{};
    ca.pty = o.pty;
    ca.slave = slave;
    ca.src0 = o.pty ? slave : (o.stdin_pipe ? in_p[0] : devnull);
    ca.src1 = o.pty ? slave : out_p[0];
    ca.src2 = o.pty ? slave : err_p[0];
    ca.cwd = o.cwd.c_str();
    ca.uid = o.user.uid;
    ca.gid = o.user.gid;
    ca.groups = &groups;
    ca.candidates = &candidates;
    ca.argv = argv.data();
    ca.envp = envp.data();
    ca.bounding = bounding_caps().data();
    ca.n_bounding = static_cast<int>(bounding_caps().size());

    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &ca.parent_mask);
    // Returns once the child has exec'd or exited.
    pid_t pid = clone(child_main, g_child_stack + sizeof g_child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &ca);
    int clone_errno = errno;
    sigprocmask(SIG_SETMASK, &ca.parent_mask, nullptr);
    if (pid < 0) {
        errno = clone_errno;
        return fail("fork");
    }

    // ---- parent ----
    close_fd(in_p[0]);
    close_fd(out_p[0]);
    close_fd(err_p[0]);
    close_fd(slave);
    close_fd(devnull);
    if (ca.stage != 0) {
        std::string e = errno_text(ca.err);
        switch (ca.stage) {
            case kExec:
                if (o.cmd.find('/') == std::string::npos && (ca.err == ENOENT || ca.err == ENOTDIR))
                    *err = "exec: \"" + o.cmd + "\": executable file not found in $PATH";
                else *err = "fork/exec " + o.cmd + ": " + e;
                break;
            case kChdir: *err = "chdir " + o.cwd + ": " + e; break;
            case kCreds: *err = "setting credentials for user " + o.user.name + ": " + e; break;
            case kTty: *err = "setting controlling terminal: " + e; break;
            default: *err = "preparing child process: " + e; break;
        }
        cleanup();
        return false;  // the child has exited with 127; pid 1 reaps it silently
    }
    out->pid = pid;
    out->stdin_fd = in_p[1];
    out->stdout_fd = out_p[1];
    out->stderr_fd = err_p[1];
    out->pty_fd = master;
    return true;
}

}  // namespace agent
