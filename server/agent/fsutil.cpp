// Filesystem helpers: see fsutil.hpp.
#include "agent/fsutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "util/time.hpp"

namespace agent::fsutil {

std::string base_name(const std::string& p) {
    if (p == "/" || p.empty()) return "/";
    size_t end = p.size();
    while (end > 1 && p[end - 1] == '/') --end;
    size_t s = p.rfind('/', end - 1);
    return s == std::string::npos ? p.substr(0, end) : p.substr(s + 1, end - s - 1);
}

std::string dir_name(const std::string& p) {
    size_t s = p.rfind('/');
    if (s == std::string::npos) return ".";
    if (s == 0) return "/";
    return p.substr(0, s);
}

std::string join(const std::string& dir, const std::string& name) {
    if (name.empty()) return dir;
    if (dir.empty() || dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

std::string go_mode_string(mode_t m) {
    // Type/flag letters in Go's order "dalTLDpSugct?"; only those a Linux stat can produce.
    std::string s;
    switch (m & S_IFMT) {
        case S_IFDIR: s += 'd'; break;
        case S_IFLNK: s += 'L'; break;
        case S_IFBLK: s += 'D'; break;
        case S_IFCHR: s += 'D'; break;
        case S_IFIFO: s += 'p'; break;
        case S_IFSOCK: s += 'S'; break;
        default: break;
    }
    if (m & S_ISUID) s += 'u';
    if (m & S_ISGID) s += 'g';
    if ((m & S_IFMT) == S_IFCHR) s += 'c';
    if (m & S_ISVTX) s += 't';
    if (s.empty()) s = "-";
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) s += (m & (1 << (8 - i))) ? rwx[i] : '-';
    return s;
}

namespace {

// Owner/group names are looked up for every entry of a listing; cache them until the
// account databases change.
struct NameCache {
    std::map<unsigned, std::string> names;
    struct timespec mtime{};
};

std::string cached_name(NameCache& c, const char* db, unsigned id, bool is_user) {
    struct stat st{};
    if (::stat(db, &st) == 0 &&
        (st.st_mtim.tv_sec != c.mtime.tv_sec || st.st_mtim.tv_nsec != c.mtime.tv_nsec)) {
        c.names.clear();
        c.mtime = st.st_mtim;
    }
    auto it = c.names.find(id);
    if (it != c.names.end()) return it->second;
    std::vector<char> buf(16384);
    std::string name = std::to_string(id);
    if (is_user) {
        passwd pw{}, *res = nullptr;
        if (getpwuid_r(id, &pw, buf.data(), buf.size(), &res) == 0 && res) name = pw.pw_name;
    } else {
        group gr{}, *res = nullptr;
        if (getgrgid_r(id, &gr, buf.data(), buf.size(), &res) == 0 && res) name = gr.gr_name;
    }
    c.names[id] = name;
    return name;
}

std::string user_name(uid_t uid) {
    static NameCache c;
    return cached_name(c, "/etc/passwd", uid, true);
}
std::string group_name(gid_t gid) {
    static NameCache c;
    return cached_name(c, "/etc/group", gid, false);
}

std::string clean_abs(const std::string& p) { return resolve_path(p, User{"", 0, 0, "/", "", {}}); }

}  // namespace

std::map<std::string, std::string> read_metadata(const std::string& path) {
    std::map<std::string, std::string> out;
    std::vector<char> names(4096);
    ssize_t n;
    for (;;) {
        n = ::listxattr(path.c_str(), names.data(), names.size());
        if (n >= 0) break;
        if (errno != ERANGE) return out;
        ssize_t need = ::listxattr(path.c_str(), nullptr, 0);
        if (need < 0) return out;
        names.resize(static_cast<size_t>(need) + 256);
    }
    size_t plen = strlen(kMetadataPrefix);
    for (ssize_t i = 0; i < n;) {
        std::string name(&names[static_cast<size_t>(i)]);
        i += static_cast<ssize_t>(name.size()) + 1;
        if (name.compare(0, plen, kMetadataPrefix) != 0 || name.size() == plen) continue;
        std::vector<char> val(4096);
        ssize_t vn = ::getxattr(path.c_str(), name.c_str(), val.data(), val.size());
        if (vn < 0 && errno == ERANGE) {
            ssize_t need = ::getxattr(path.c_str(), name.c_str(), nullptr, 0);
            if (need < 0) continue;
            val.resize(static_cast<size_t>(need));
            vn = ::getxattr(path.c_str(), name.c_str(), val.data(), val.size());
        }
        if (vn < 0) continue;
        out[name.substr(plen)] = std::string(val.data(), static_cast<size_t>(vn));
    }
    return out;
}

Json entry_info(const std::string& path, int* err_no) {
    struct stat lst{};
    if (::lstat(path.c_str(), &lst) != 0) {
        if (err_no) *err_no = errno;
        return nullptr;
    }
    Json e = e2b::json_object();
    e2b::json_set_str(e.get(), "name", base_name(path));

    const char* type = nullptr;
    mode_t perm = lst.st_mode & 0777;
    std::optional<std::string> target;
    auto type_of = [](mode_t m) -> const char* {
        if (S_ISREG(m)) return "FILE_TYPE_FILE";
        if (S_ISDIR(m)) return "FILE_TYPE_DIRECTORY";
        return nullptr;  // devices, fifos, sockets: UNSPECIFIED (omitted)
    };
    if (S_ISLNK(lst.st_mode)) {
        struct stat tst{};
        if (::stat(path.c_str(), &tst) == 0) {
            type = type_of(tst.st_mode);
            perm = tst.st_mode & 0777;
        }
        char buf[PATH_MAX];
        if (::realpath(path.c_str(), buf)) {
            target = buf;
        } else {
            ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
            if (n >= 0) {
                std::string t(buf, static_cast<size_t>(n));
                target = clean_abs(t[0] == '/' ? t : join(dir_name(path), t));
            }
        }
    } else {
        type = type_of(lst.st_mode);
    }
    if (type) e2b::json_set_str(e.get(), "type", type);
    e2b::json_set_str(e.get(), "path", path);
    if (lst.st_size != 0) e2b::json_set_str(e.get(), "size", std::to_string(lst.st_size));
    if (perm != 0) e2b::json_set_int(e.get(), "mode", perm);
    e2b::json_set_str(e.get(), "permissions", go_mode_string(lst.st_mode));
    e2b::json_set_str(e.get(), "owner", user_name(lst.st_uid));
    e2b::json_set_str(e.get(), "group", group_name(lst.st_gid));
    int64_t ns = static_cast<int64_t>(lst.st_mtim.tv_sec) * 1000000000 + lst.st_mtim.tv_nsec;
    e2b::json_set_str(e.get(), "modifiedTime", e2b::rfc3339(ns, 9));
    if (target) e2b::json_set_str(e.get(), "symlinkTarget", *target);
    // Symlinks cannot carry user xattrs themselves; the target's metadata is reported.
    auto md = read_metadata(path);
    if (!md.empty()) e2b::json_set(e.get(), "metadata", e2b::json_from_map(md));
    return e;
}

std::string path_error(const char* op, const std::string& path, int err_no) {
    std::string m = strerror(err_no);
    if (!m.empty()) m[0] = static_cast<char>(tolower(static_cast<unsigned char>(m[0])));
    return std::string(op) + " " + path + ": " + m;
}

Code code_for_errno(int e) {
    switch (e) {
        case ENOENT: return Code::kNotFound;
        case EACCES:
        case EPERM:
        case EROFS: return Code::kPermissionDenied;
        case ENOTDIR:
        case EISDIR:
        case EINVAL:
        case ENAMETOOLONG: return Code::kInvalidArgument;
        case EEXIST:
        case ENOTEMPTY: return Code::kAlreadyExists;
        case ELOOP: return Code::kFailedPrecondition;
        case ENOSPC:
        case EDQUOT: return Code::kResourceExhausted;
        default: return Code::kInternal;
    }
}

void throw_errno(const std::string& prefix, const char* op, const std::string& path, int err_no) {
    throw RpcError{code_for_errno(err_no), prefix + path_error(op, path, err_no)};
}

int mkdir_all(const std::string& path, uid_t uid, gid_t gid, mode_t mode) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (errno != ENOENT) return errno;
    if (path != "/") {
        int r = mkdir_all(dir_name(path), uid, gid, mode);
        if (r) return r;
    }
    if (::mkdir(path.c_str(), mode) != 0) {
        if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return 0;
        return errno;
    }
    if (::lchown(path.c_str(), uid, gid) != 0) return errno;
    return 0;
}

int remove_all(const std::string& path, std::string* where) {
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR && errno != EPERM) {
        *where = path;
        return errno;
    }
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : (*where = path, errno);
    if (!S_ISDIR(st.st_mode)) {
        *where = path;
        return EPERM;
    }
    DIR* d = ::opendir(path.c_str());
    if (!d) return errno == ENOENT ? 0 : (*where = path, errno);
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        names.emplace_back(de->d_name);
    }
    ::closedir(d);
    for (auto& n : names) {
        int r = remove_all(join(path, n), where);
        if (r) return r;
    }
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
        *where = path;
        return errno;
    }
    return 0;
}

}  // namespace agent::fsutil
