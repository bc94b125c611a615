// inotify-backed directory watcher used by WatchDir and the polling watcher trio.
#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/fsutil.hpp"

namespace agent {

namespace {

bool is_network_fs(long type) {
    switch (static_cast<unsigned long>(type)) {
        case 0x6969UL:      // NFS
        case 0xFF534D42UL:  // CIFS
        case 0x517BUL:      // SMB
        case 0xFE534D42UL:  // SMB2
        case 0x65735546UL:  // FUSE
            return true;
        default:
            return false;
    }
}

constexpr uint32_t kMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_MODIFY | IN_DELETE | IN_ATTRIB |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

}  // namespace

DirWatcher::DirWatcher(net::io_context& io, Options opt) : opt_(std::move(opt)), sd_(io) {}

DirWatcher::~DirWatcher() {
    beast::error_code ec;
    sd_.close(ec);
}

std::shared_ptr<DirWatcher> DirWatcher::start(net::io_context& io, Options opt, EventFn on_event, ErrorFn on_error) {
    struct stat st{};
    if (::stat(opt.path.c_str(), &st) != 0) {
        int e = errno;
        if (e == ENOENT) throw RpcError{Code::kNotFound, "path not found: " + fsutil::path_error("stat", opt.path, e)};
        fsutil::throw_errno("error statting path: ", "stat", opt.path, e);
    }
    if (!S_ISDIR(st.st_mode)) throw RpcError{Code::kInvalidArgument, "path " + opt.path + " not a directory"};
    struct statfs sfs{};
    if (!opt.allow_network_mounts && ::statfs(opt.path.c_str(), &sfs) == 0 && is_network_fs(sfs.f_type))
        throw RpcError{Code::kInvalidArgument,
                       "path " + opt.path + " is on a network mount; set allowNetworkMounts to watch it"};

    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) fsutil::throw_errno("error creating watcher: ", "inotify_init1", opt.path, errno);
    std::shared_ptr<DirWatcher> w(new DirWatcher(io, std::move(opt)));
    w->sd_.assign(fd);
    w->on_event_ = std::move(on_event);
    w->on_error_ = std::move(on_error);
    // The root must be watchable; subdirectories vanishing meanwhile are tolerated.
    int wd = ::inotify_add_watch(fd, w->opt_.path.c_str(), kMask & ~IN_DONT_FOLLOW);
    if (wd < 0) {
        int e = errno;
        if (e == ENOSPC)
            throw RpcError{Code::kResourceExhausted, "error watching " + w->opt_.path + ": inotify watch limit reached"};
        fsutil::throw_errno("error watching path: ", "inotify_add_watch", w->opt_.path, e);
    }
    w->wd_rel_[wd] = "";
    if (w->opt_.recursive) w->add_tree("", 0);
    w->wait();
    return w;
}

void DirWatcher::add_tree(const std::string& rel, int depth_guard) {
    if (depth_guard > 256) return;
    std::string abs = fsutil::join(opt_.path, rel);
    DIR* d = ::opendir(abs.c_str());
    if (!d) return;
    std::vector<std::string> subdirs;
    while (dirent* de = ::readdir(d)) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        bool dir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat st{};
            dir = ::lstat(fsutil::join(abs, de->d_name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (dir) subdirs.push_back(rel.empty() ? de->d_name : rel + "/" + de->d_name);
    }
    ::closedir(d);
    for (auto& s : subdirs) {
        int wd = ::inotify_add_watch(sd_.native_handle(), fsutil::join(opt_.path, s).c_str(), kMask);
        if (wd < 0) continue;  // vanished, or not a directory any more
        wd_rel_[wd] = s;
        add_tree(s, depth_guard + 1);
    }
}

void DirWatcher::wait() {
    if (stopped_) return;
    auto self = shared_from_this();
    sd_.async_wait(net::posix::stream_descriptor::wait_read, [self](beast::error_code ec) {
        if (self->stopped_ || ec == net::error::operation_aborted) return;
        if (ec) return self->fail("watcher error: " + ec.message());
        self->drain();
        self->wait();
    });
}

void DirWatcher::emit(const std::string& rel, const char* type) {
    Json ev = e2b::json_object();
    e2b::json_set_str(ev.get(), "name", rel);
    e2b::json_set_str(ev.get(), "type", type);
    if (opt_.include_entry && (!strcmp(type, "EVENT_TYPE_CREATE") || !strcmp(type, "EVENT_TYPE_WRITE") ||
                               !strcmp(type, "EVENT_TYPE_CHMOD"))) {
        int e = 0;
        if (Json entry = fsutil::entry_info(fsutil::join(opt_.path, rel), &e)) e2b::json_set(ev.get(), "entry", std::move(entry));
    }
    auto cb = on_event_;  // the callback may stop() us, which drops on_event_
    if (cb) cb(std::move(ev));
}

void DirWatcher::drain() {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
        if (stopped_) return;
        ssize_t n = ::read(sd_.native_handle(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            return fail(std::string("watcher read error: ") + strerror(errno));
        }
        if (n == 0) return;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + ev->len;
            if (stopped_) return;
            if (ev->mask & IN_Q_OVERFLOW) return fail("too many filesystem events: the inotify queue overflowed");
            auto it = wd_rel_.find(ev->wd);
            if (it == wd_rel_.end()) continue;
            if (ev->mask & IN_IGNORED) {
                wd_rel_.erase(it);
                continue;
            }
            // Self events duplicate the parent's entry events (or concern the root itself).
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) continue;
            std::string name = ev->len ? std::string(ev->name) : std::string();
            std::string rel = it->second.empty() ? name : (name.empty() ? it->second : it->second + "/" + name);
            bool isdir = ev->mask & IN_ISDIR;

            // Order of ops within one event, like envd: CREATE, RENAME, CHMOD, WRITE, REMOVE.
            if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                if (opt_.recursive && isdir) {
                    int wd = ::inotify_add_watch(sd_.native_handle(), fsutil::join(opt_.path, rel).c_str(), kMask);
                    if (wd >= 0) {
                        wd_rel_[wd] = rel;
                        add_tree(rel, 0);
                    }
                }
                emit(rel, "EVENT_TYPE_CREATE");
            }
            if (ev->mask & IN_MOVED_FROM) {
                if (opt_.recursive && isdir) {
                    // The subtree's watches now describe paths elsewhere; forget them.
                    for (auto w = wd_rel_.begin(); w != wd_rel_.end();) {
                        if (w->second == rel || w->second.compare(0, rel.size() + 1, rel + "/") == 0) {
                            ::inotify_rm_watch(sd_.native_handle(), w->first);
                            w = wd_rel_.erase(w);
                        } else {
                            ++w;
                        }
                    }
                }
                emit(rel, "EVENT_TYPE_RENAME");
            }
            if (ev->mask & IN_ATTRIB) emit(rel, "EVENT_TYPE_CHMOD");
            if (ev->mask & IN_MODIFY) emit(rel, "EVENT_TYPE_WRITE");
            if (ev->mask & IN_DELETE) emit(rel, "EVENT_TYPE_REMOVE");
        }
    }
}

void DirWatcher::fail(const std::string& msg) {
    if (stopped_) return;
    stop();
    if (on_error_) {
        auto cb = std::move(on_error_);
        cb(msg);
    }
}

void DirWatcher::stop() {
    if (stopped_) return;
    stopped_ = true;
    beast::error_code ec;
    sd_.cancel(ec);
    sd_.close(ec);  // closes the inotify fd, dropping every watch
    wd_rel_.clear();
    on_event_ = nullptr;
}

}  // namespace agent
