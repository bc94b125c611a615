// Minimal stand-in for e2b-agent, used by jail_test only. Runs as pid 1 of a jail.
// Protocol: the client sends "<uid> <shell command>" and shuts down its write side;
// the agent runs /bin/sh -c <command> as uid 1000 (`user`) or uid 0 without any capability
// (`root`), streams stdout+stderr back, then a trailer line "\n__EXIT__ <code>\n"
// (code = exit status, or 128+signal).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* kSock = "/run/e2b/agent.sock";

static void drop_to(int uid) {
    if (uid != 0) {
        // setuid from 0 to non-0 clears permitted/effective/ambient caps (no KEEPCAPS).
        if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) { perror("drop to user"); _exit(126); }
        setenv("HOME", "/home/user", 1);
        setenv("USER", "user", 1);
        if (chdir("/home/user") != 0) {}
    } else {
        if (setgroups(0, nullptr) != 0) { perror("setgroups"); _exit(126); }
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int c = 0; c <= 63; c++) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);  // EINVAL past the last cap
        __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct d[2] = {};
        if (syscall(SYS_capset, &h, d) != 0) { perror("capset"); _exit(126); }
        setenv("HOME", "/root", 1);
        setenv("USER", "root", 1);
        if (chdir("/root") != 0) {}
    }
}

static void handle(int c) {
    std::string req;
    char buf[4096];
    for (;;) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, size_t(n));
    }
    size_t sp = req.find(' ');
    if (sp == std::string::npos) _exit(1);
    int uid = atoi(req.substr(0, sp).c_str());
    std::string cmd = req.substr(sp + 1);  // up to EOF: commands may span lines
    pid_t p = fork();
    if (p == 0) {
        signal(SIGPIPE, SIG_DFL);
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(c, 1);
        dup2(c, 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
        drop_to(uid);
        execl("/bin/sh", "sh", "-c", cmd.c_str(), (char*)nullptr);
        fprintf(stderr, "fake_agent: exec /bin/sh as uid %d: %s\n", uid, strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::string t = "\n__EXIT__ " + std::to_string(code) + "\n";
    if (write(c, t.data(), t.size()) < 0) {}
    _exit(0);
}

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    unlink(kSock);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, kSock);
    if (s < 0 || bind(s, (sockaddr*)&a, sizeof a) != 0 || listen(s, 64) != 0) {
        perror("fake_agent: listen");
        return 1;
    }
    chmod(kSock, 0600);
    fprintf(stderr, "fake_agent: pid %d listening on %s\n", getpid(), kSock);
    for (;;) {
        while (waitpid(-1, nullptr, WNOHANG) > 0) {}  // we are pid 1: reap orphans
        pollfd pf{s, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) continue;
        int c = accept4(s, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        pid_t h = fork();
        if (h == 0) {
            close(s);
            handle(c);
        }
        close(c);
    }
}
