// Users and paths inside the sandbox.
#include <sys/prctl.h>
#include <csignal>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <pwd.h>

#include <vector>

#include "agent/agent.hpp"

namespace agent {

std::optional<User> lookup_user(const std::string& name) {
    if (name.empty()) return std::nullopt;
    passwd pw{};
    passwd* res = nullptr;
    std::vector<char> buf(16384);
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || !res) return std::nullopt;
    User u;
    u.name = pw.pw_name;
    u.uid = pw.pw_uid;
    u.gid = pw.pw_gid;
    u.home = pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/";
    u.shell = pw.pw_shell ? pw.pw_shell : "/bin/sh";
    int n = 64;
    std::vector<gid_t> groups(static_cast<size_t>(n));
    if (getgrouplist(u.name.c_str(), u.gid, groups.data(), &n) == -1) {
        groups.resize(static_cast<size_t>(n));
        getgrouplist(u.name.c_str(), u.gid, groups.data(), &n);
    }
    groups.resize(static_cast<size_t>(n > 0 ? n : 0));
    u.groups = std::move(groups);
    return u;
}

// The kernel clears a thread's parent-death signal whenever its fsuid/fsgid change, and
// bwrap's --die-with-parent relies on it to take the sandbox down with a crashed e2b-local: set
// it again after every switch (without it, one file operation as `user` left the agent running
// after its server was SIGKILLed).
static void rearm_parent_death_signal() { prctl(PR_SET_PDEATHSIG, SIGKILL); }

AsUser::AsUser(const User& u) {
    if (u.uid == 0) return;
    // Raw syscall: glibc's setgroups() would apply to every thread; we want this thread only.
    syscall(SYS_setgroups, u.groups.size(), u.groups.data());
    setfsgid(u.gid);
    setfsuid(u.uid);
    rearm_parent_death_signal();
    switched_ = true;
}

AsUser::~AsUser() {
    if (!switched_) return;
    setfsuid(0);
    setfsgid(0);
    syscall(SYS_setgroups, 0, nullptr);
    rearm_parent_death_signal();
}

static std::string clean(const std::string& p) {
    // Lexical cleaning like Go's filepath.Clean for absolute paths.
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        std::string seg = p.substr(i, j - i);
        if (seg == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!seg.empty() && seg != ".") {
            parts.push_back(seg);
        }
        i = j + 1;
    }
    std::string out;
    for (auto& s : parts) out += "/" + s;
    return out.empty() ? "/" : out;
}

std::string resolve_path(const std::string& path, const User& user) {
    if (path == "~") return clean(user.home);
    if (path.rfind("~/", 0) == 0) return clean(user.home + path.substr(1));
    if (!path.empty() && path[0] == '/') return clean(path);
    return clean(user.home + "/" + path);
}

}  // namespace agent
