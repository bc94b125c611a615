// Filesystem helpers shared by the Filesystem service, the watchers and /files:
// EntryInfo building (envd's exact JSON shape), errno → Connect code, mkdir -p with chown,
// user.e2b.* xattr metadata.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <string>

#include "agent/agent.hpp"

namespace agent::fsutil {

std::string base_name(const std::string& abs_path);  // "/" for "/"
std::string dir_name(const std::string& abs_path);   // "/" for "/x"
std::string join(const std::string& dir, const std::string& name);

// Go's os.FileMode.String() of a stat mode, e.g. "-rw-r--r--", "drwxr-xr-x", "Lrwxrwxrwx".
std::string go_mode_string(mode_t m);

// EntryInfo for `path` (absolute; lstat-based, symlinks report the target's type and mode and
// carry symlinkTarget). nullptr with *err_no set when lstat fails.
Json entry_info(const std::string& path, int* err_no);

// "<op> <path>: <strerror>" like Go's *PathError.
std::string path_error(const char* op, const std::string& path, int err_no);
Code code_for_errno(int err_no);
// Throws RpcError built from errno with the given message prefix.
[[noreturn]] void throw_errno(const std::string& prefix, const char* op, const std::string& path, int err_no);

// mkdir -p; directories it creates are chowned to uid:gid. Returns 0 or an errno.
int mkdir_all(const std::string& path, uid_t uid, gid_t gid, mode_t mode = 0755);
// rm -rf; a missing path is success. Returns 0 or an errno (failing path in *where).
int remove_all(const std::string& path, std::string* where);

// user.e2b.* extended attributes, prefix stripped.
std::map<std::string, std::string> read_metadata(const std::string& path);
constexpr const char* kMetadataPrefix = "user.e2b.";

}  // namespace agent::fsutil

namespace agent {

// An inotify watch on a directory (optionally its whole subtree, following new subdirectories)
// that turns kernel events into FilesystemEvent JSON. Lives on the io_context; stop() ends it.
class DirWatcher : public std::enable_shared_from_this<DirWatcher> {
public:
    struct Options {
        std::string path;  // absolute, cleaned
        bool recursive = false;
        bool include_entry = false;
        bool allow_network_mounts = false;
    };
    using EventFn = std::function<void(Json event)>;
    using ErrorFn = std::function<void(const std::string& message)>;

    // Validates the path (not_found / invalid_argument as RpcError) and starts watching.
    static std::shared_ptr<DirWatcher> start(net::io_context& io, Options opt, EventFn on_event, ErrorFn on_error);
    ~DirWatcher();
    void stop();

private:
    DirWatcher(net::io_context& io, Options opt);
    void add_tree(const std::string& rel, int depth_guard);
    void wait();
    void drain();
    void fail(const std::string& msg);
    void emit(const std::string& rel, const char* type);

    Options opt_;
    net::posix::stream_descriptor sd_;
    std::map<int, std::string> wd_rel_;  // watch descriptor → path relative to opt_.path ("" = root)
    EventFn on_event_;
    ErrorFn on_error_;
    bool stopped_ = false;
};

}  // namespace agent
