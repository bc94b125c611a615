// Base template ("mask" layer) and host checks.
#include "sandbox/jail.hpp"
#include "sandbox/sb_util.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fnmatch.h>
#include <ftw.h>
#include <set>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace e2blocal {

namespace {

const std::set<std::string> kAllow = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt"};

struct Builder {
    std::string mask;  // the layer root
    std::string err;

    bool fail(const std::string& e) {
        if (err.empty()) err = e;
        return false;
    }

    bool whiteout(const std::string& rel) {
        std::string p = mask + "/" + rel;
        if (mknod(p.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST)
            return fail(sb::errno_msg("mknod whiteout " + p));
        return true;
    }

    // A directory of the mask; `opaque` hides the host directory's content below it.
    bool dir(const std::string& rel, unsigned mode, bool opaque, uid_t uid = 0, gid_t gid = 0) {
        std::string p = mask + "/" + rel;
        if (mkdir(p.c_str(), mode) != 0 && errno != EEXIST) return fail(sb::errno_msg("mkdir " + p));
        if (chmod(p.c_str(), mode) != 0) return fail(sb::errno_msg("chmod " + p));
        if (chown(p.c_str(), uid, gid) != 0) return fail(sb::errno_msg("chown " + p));
        if (opaque && setxattr(p.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
            return fail(sb::errno_msg("setxattr trusted.overlay.opaque on " + p));
        return true;
    }

    // Mirror of a host directory (same owner and mode, since the mask's copy of a directory
    // decides the merged directory's attributes), created with its parents.
    bool mirror_dir(const std::string& rel) {
        std::string p = mask + "/" + rel;
        struct stat st;
        if (lstat(p.c_str(), &st) == 0) return true;
        size_t slash = rel.rfind('/');
        if (slash != std::string::npos && !mirror_dir(rel.substr(0, slash))) return false;
        struct stat hs;
        if (stat(("/" + rel).c_str(), &hs) != 0) return fail(sb::errno_msg("stat /" + rel));
        return dir(rel, hs.st_mode & 07777, false, hs.st_uid, hs.st_gid);
    }

    bool hide(const std::string& rel) {  // rel below etc/..., only if it exists on the host
        struct stat st;
        if (lstat(("/" + rel).c_str(), &st) != 0) return true;
        size_t slash = rel.rfind('/');
        if (slash != std::string::npos && !mirror_dir(rel.substr(0, slash))) return false;
        return whiteout(rel);
    }
};

Builder* g_builder;  // nftw has no user pointer; prepare_base_template is not reentrant anyway

int etc_walk(const char* path, const struct stat* st, int type, struct FTW* ftw) {
    std::string rel = path + 1;  // strip leading '/'
    if (ftw->level == 0) return FTW_CONTINUE;
    if (type == FTW_SL || type == FTW_SLN) return FTW_CONTINUE;
    bool hidden;
    if (type == FTW_D || type == FTW_DNR)
        hidden = (st->st_mode & S_IROTH) == 0 || (st->st_mode & S_IXOTH) == 0;
    else
        hidden = (st->st_mode & S_IROTH) == 0;
    // The sandbox's root is uid 0 and thus owner of root-owned files even without capabilities:
    // anything the host does not let "others" read is treated as a secret and hidden.
    if (hidden) {
        if (!g_builder->hide(rel)) return FTW_STOP;
        return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
    }
    return FTW_CONTINUE;
}

// Host passwd/group with uid/gid 1000 (and any existing `user`) replaced by our `user`.
std::string filter_db(const std::string& path, const std::string& add_line, bool is_passwd) {
    std::string in, out;
    sb::read_file(path, &in);
    std::istringstream ss(in);
    std::string line;
    while (std::getline(ss, line)) {
        if (line.empty()) continue;
        std::vector<std::string> f;
        size_t p = 0;
        for (;;) {
            size_t c = line.find(':', p);
            f.push_back(line.substr(p, c == std::string::npos ? std::string::npos : c - p));
            if (c == std::string::npos) break;
            p = c + 1;
        }
        if (f.size() < 3) continue;
        if (f[0] == "user" || f[2] == "1000") continue;
        if (is_passwd && f.size() >= 4 && f[3] == "1000") continue;
        if (is_passwd && (f[0] == "root" || f[2] == "0")) {
            if (f[0] == "root") out += "root:x:0:0:root:/root:/bin/bash\n";
            continue;
        }
        out += line + "\n";
    }
    if (is_passwd && out.find("root:x:0:0:") == std::string::npos)
        out = "root:x:0:0:root:/root:/bin/bash\n" + out;
    out += add_line;
    return out;
}

bool copy_skel(Builder& b, const std::string& rel_home) {
    DIR* d = opendir("/etc/skel");
    if (!d) return true;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        std::string src = "/etc/skel/" + n;
        if (lstat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) continue;
        std::string data;
        if (!sb::read_file(src, &data)) continue;
        std::string dst = b.mask + "/" + rel_home + "/" + n;
        if (!sb::write_new_file(dst, data, 0644, &b.err)) { closedir(d); return false; }
        if (chown(dst.c_str(), 1000, 1000) != 0) { closedir(d); return b.fail(sb::errno_msg("chown " + dst)); }
    }
    closedir(d);
    return true;
}

}  // namespace

std::string prepare_base_template(const std::string& dir_in, std::string* err) {
    auto bad = [&](const std::string& e) {
        if (err) *err = "prepare_base_template: " + e;
        return std::string();
    };
    if (dir_in.empty() || dir_in[0] != '/') return bad("template dir must be an absolute path: '" + dir_in + "'");
    auto first_component = [](const std::string& p) {
        size_t s = p.find_first_not_of('/');
        if (s == std::string::npos) return std::string();
        size_t e = p.find('/', s);
        return p.substr(s, e == std::string::npos ? std::string::npos : e - s);
    };
    // Lexical check before creating anything, the realpath check below catches symlinks.
    if (kAllow.count(first_component(dir_in)))
        return bad(dir_in + " lies under host /" + first_component(dir_in) +
                   ", which is visible inside sandboxes; use a path under e.g. /var/lib");
    std::string e;
    if (!sb::mkdirs(dir_in, 0700, &e)) return bad(e);
    char rp[PATH_MAX];
    if (!realpath(dir_in.c_str(), rp)) return bad(sb::errno_msg("realpath " + dir_in));
    std::string dir = rp;
    if (dir == "/") return bad("template dir cannot be /");
    {
        std::string first = first_component(dir);
        if (kAllow.count(first))
            return bad(dir + " lies under host /" + first + ", which is visible inside sandboxes; "
                       "use a path under e.g. /var/lib");
    }
    // overlayfs does not descend into mounts of a lower layer: a separately mounted /usr would
    // appear empty in every sandbox. Refuse rather than silently break.
    struct stat root_st;
    if (stat("/", &root_st) != 0) return bad(sb::errno_msg("stat /"));
    for (const auto& a : kAllow) {
        struct stat st;
        std::string p = "/" + a;
        if (lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (st.st_dev != root_st.st_dev || sb::is_mount_point(p))
            return bad("host " + p + " is a separate mount point; overlayfs over / would show it empty. "
                       "Not supported (bind-mount or copy it into the root filesystem)");
    }

    // The mask is a tmpfs: a lowerdir inside another lowerdir (host /) of the same filesystem is
    // refused by overlayfs. A fresh tmpfs per build; jails still running on an older one keep it
    // alive after the lazy unmount.
    std::string layer = dir + "/layer";
    if (mkdir(layer.c_str(), 0755) != 0 && errno != EEXIST) return bad(sb::errno_msg("mkdir " + layer));
    while (sb::is_mount_point(layer)) {
        if (umount2(layer.c_str(), MNT_DETACH) != 0) return bad(sb::errno_msg("umount old template " + layer));
    }
    if (mount("e2b-template", layer.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755") != 0)
        return bad(sb::errno_msg("mount tmpfs on " + layer));

    Builder b;
    b.mask = layer;
    g_builder = &b;
    auto built = [&]() -> bool {
        // Hide every top-level host entry that is not allowlisted or provided by us.
        static const std::set<std::string> kOwn = {"home", "root", "tmp", "var", "run", "dev", "proc", "sys", "mnt"};
        DIR* d = opendir("/");
        if (!d) return b.fail(sb::errno_msg("opendir /"));
        while (dirent* de = readdir(d)) {
            std::string n = de->d_name;
            if (n == "." || n == ".." || kAllow.count(n) || kOwn.count(n)) continue;
            if (!b.whiteout(n)) { closedir(d); return false; }
        }
        closedir(d);
        if (!b.dir("home", 0755, true) || !b.dir("home/user", 0755, false, 1000, 1000) || !copy_skel(b, "home/user"))
            return false;
        if (!b.dir("root", 0700, true) || !b.dir("tmp", 01777, true)) return false;
        if (!b.dir("var", 0755, true) || !b.dir("var/tmp", 01777, false) || !b.dir("var/log", 0755, false) ||
            !b.dir("var/cache", 0755, false) || !b.dir("var/lib", 0755, false))
            return false;
        if (symlink("../run", (layer + "/var/run").c_str()) != 0) return b.fail(sb::errno_msg("symlink var/run"));
        if (symlink("../run/lock", (layer + "/var/lock").c_str()) != 0) return b.fail(sb::errno_msg("symlink var/lock"));
        if (!b.dir("run", 0755, true) || !b.dir("run/lock", 01777, false) || !b.dir("run/e2b", 0700, false))
            return false;
        for (const char* x : {"dev", "proc", "sys", "mnt"})
            if (!b.dir(x, 0755, true)) return false;

        // /etc: host content minus secrets.
        if (!b.mirror_dir("etc")) return false;
        for (const char* s : {"etc/shadow", "etc/shadow-", "etc/gshadow", "etc/gshadow-", "etc/passwd-",
                              "etc/group-", "etc/ssl/private", "etc/security/opasswd"})
            if (!b.hide(s)) return false;
        if (DIR* sd = opendir("/etc/ssh")) {
            while (dirent* de = readdir(sd))
                if (fnmatch("ssh_host_*key*", de->d_name, 0) == 0 && !b.hide(std::string("etc/ssh/") + de->d_name)) {
                    closedir(sd);
                    return false;
                }
            closedir(sd);
        }
        if (nftw("/etc", etc_walk, 32, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL) != 0 && !b.err.empty()) return false;
        if (!sb::write_new_file(layer + "/etc/passwd",
                                filter_db("/etc/passwd", "user:x:1000:1000::/home/user:/bin/bash\n", true), 0644, &b.err))
            return false;
        if (!sb::write_new_file(layer + "/etc/group", filter_db("/etc/group", "user:x:1000:\n", false), 0644, &b.err))
            return false;
        // With slirp4netns the resolver is 10.0.2.3 (it forwards to the host's resolver, which may
        // sit on host loopback and be unreachable directly).
        if (!sb::write_new_file(layer + "/etc/resolv.conf", "nameserver 10.0.2.3\n", 0644, &b.err)) return false;
        return true;
    }();
    g_builder = nullptr;
    if (!built) {
        umount2(layer.c_str(), MNT_DETACH);
        return bad(b.err);
    }
    // Read-only from now on: jails share it.
    if (mount(nullptr, layer.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=16m,mode=0755") != 0) {
        std::string m = sb::errno_msg("remount template read-only");
        umount2(layer.c_str(), MNT_DETACH);
        return bad(m);
    }
    return layer;
}

std::string host_check() {
    if (geteuid() != 0) return "e2b-local must run as root (euid is " + std::to_string(geteuid()) + ")";
    for (const char* c : sb::kControllers) {
        std::string p = std::string("/sys/fs/cgroup/") + c;
        if (access((p + "/cgroup.procs").c_str(), F_OK) != 0)
            return "cgroup v1 controller '" + std::string(c) + "' is not mounted at " + p;
    }
    if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) != 0)
        return "cgroup v1 memory controller has no memory.limit_in_bytes";
    bool found = false;
    if (const char* path = getenv("PATH")) {
        std::string ps = path;
        size_t p = 0;
        while (p <= ps.size() && !found) {
            size_t c = ps.find(':', p);
            if (c == std::string::npos) c = ps.size();
            std::string cand = ps.substr(p, c - p) + "/bwrap";
            if (access(cand.c_str(), X_OK) == 0) found = true;
            p = c + 1;
        }
    }
    if (!found && access("/usr/bin/bwrap", X_OK) != 0) return "bwrap (bubblewrap) not found in PATH";
    std::string fs;
    if (!sb::read_file("/proc/filesystems", &fs) || fs.find("\toverlay\n") == std::string::npos)
        return "overlayfs not available (no 'overlay' in /proc/filesystems; try modprobe overlay)";
    return "";
}

}  // namespace e2blocal

namespace e2blocal {

void release_base_template(const std::string& layer) {
    // Lazy: jails that still use it keep it alive until they are gone.
    while (!layer.empty() && sb::is_mount_point(layer))
        if (umount2(layer.c_str(), MNT_DETACH) != 0) break;
}

}  // namespace e2blocal
