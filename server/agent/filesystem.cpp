// filesystem.Filesystem service: Stat, ListDir, MakeDir, Move, Remove, WatchDir and the polling
// watcher trio. Operations are permission-checked as the request's user (AsUser; envd runs them as root, but then `user` could read root-only files); what they create is chowned to
// the request's user.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "agent/fsutil.hpp"
#include "util/encoding.hpp"

namespace agent {

namespace {

using namespace fsutil;

std::string str_field(const cJSON* req, const char* camel, const char* snake = nullptr) {
    const cJSON* v = snake ? e2b::json_get2(req, camel, snake) : e2b::json_get(req, camel);
    if (!v || cJSON_IsNull(v)) return {};
    if (!cJSON_IsString(v)) throw RpcError{Code::kInvalidArgument, std::string("field ") + camel + " must be a string"};
    return v->valuestring;
}

bool bool_field(const cJSON* req, const char* camel, const char* snake) {
    const cJSON* v = e2b::json_get2(req, camel, snake);
    if (!v || cJSON_IsNull(v)) return false;
    if (!cJSON_IsBool(v)) throw RpcError{Code::kInvalidArgument, std::string("field ") + camel + " must be a boolean"};
    return cJSON_IsTrue(v);
}

int64_t int_field(const cJSON* req, const char* name) {
    const cJSON* v = e2b::json_get(req, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsNumber(v)) return static_cast<int64_t>(v->valuedouble);
    if (cJSON_IsString(v)) {
        try {
            return std::stoll(v->valuestring);
        } catch (...) {
        }
    }
    throw RpcError{Code::kInvalidArgument, std::string("field ") + name + " must be an integer"};
}

Json with_entry(const std::string& path, const char* what) {
    int e = 0;
    Json entry = entry_info(path, &e);
    if (!entry) throw_errno(std::string("error statting ") + what + ": ", "lstat", path, e);
    Json res = e2b::json_object();
    e2b::json_set(res.get(), "entry", std::move(entry));
    return res;
}

// Appends the entries under `dir` (shown as `shown`) to `out`, lexically, parents first;
// symlinked directories are listed but not descended into.
void walk(const std::string& dir, const std::string& shown, int level, int depth, cJSON* out) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        int e = errno;
        if (level == 1) throw_errno("error reading directory: ", "open", shown, e);
        return;  // vanished or unreadable below the root: skipped
    }
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        names.emplace_back(de->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& n : names) {
        std::string p = join(shown, n);
        int e = 0;
        Json entry = entry_info(p, &e);
        if (!entry) continue;  // vanished during the walk
        const cJSON* t = e2b::json_get(entry.get(), "type");
        bool real_dir = t && cJSON_IsString(t) && !strcmp(t->valuestring, "FILE_TYPE_DIRECTORY") &&
                        !e2b::json_get(entry.get(), "symlinkTarget");
        cJSON_AddItemToArray(out, entry.release());
        if (real_dir && level < depth) walk(join(dir, n), p, level + 1, depth, out);
    }
}

// Polling watchers (CreateWatcher / GetWatcherEvents / RemoveWatcher).
struct PollWatcher {
    std::shared_ptr<DirWatcher> watcher;
    std::deque<Json> events;
    std::optional<std::string> error;
};
constexpr size_t kMaxBufferedEvents = 100000;
std::map<std::string, std::shared_ptr<PollWatcher>> g_watchers;

DirWatcher::Options watch_options(RpcContext& ctx, const cJSON* req) {
    DirWatcher::Options o;
    o.path = resolve_path(str_field(req, "path"), ctx.user);
    o.recursive = bool_field(req, "recursive", "recursive");
    o.include_entry = bool_field(req, "includeEntry", "include_entry");
    o.allow_network_mounts = bool_field(req, "allowNetworkMounts", "allow_network_mounts");
    return o;
}

}  // namespace

void register_filesystem_service(Agent& a) {
    const std::string svc = "/filesystem.Filesystem/";

    a.unary(svc + "Stat", [](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        std::string path = resolve_path(str_field(req, "path"), ctx.user);
        int e = 0;
        Json entry = entry_info(path, &e);
        if (!entry) {
            if (e == ENOENT) throw RpcError{Code::kNotFound, "file not found: " + path_error("lstat", path, e)};
            throw_errno("error getting file info: ", "lstat", path, e);
        }
        Json res = e2b::json_object();
        e2b::json_set(res.get(), "entry", std::move(entry));
        return res;
    });

    a.unary(svc + "ListDir", [](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        std::string path = resolve_path(str_field(req, "path"), ctx.user);
        int64_t depth = int_field(req, "depth");
        if (depth <= 0) depth = 1;
        if (depth > 4096) depth = 4096;
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0) {
            int e = errno;
            if (e == ENOENT) throw RpcError{Code::kNotFound, "directory not found: " + path_error("stat", path, e)};
            if (e == ELOOP) throw RpcError{Code::kFailedPrecondition, "symlink loop: " + path_error("stat", path, e)};
            throw_errno("error resolving path: ", "stat", path, e);
        }
        if (!S_ISDIR(st.st_mode)) throw RpcError{Code::kInvalidArgument, "path is not a directory: " + path};
        Json entries = e2b::json_array();
        walk(path, path, 1, static_cast<int>(depth), entries.get());
        Json res = e2b::json_object();
        if (cJSON_GetArraySize(entries.get()) > 0) e2b::json_set(res.get(), "entries", std::move(entries));
        return res;
    });

    a.unary(svc + "MakeDir", [](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        std::string path = resolve_path(str_field(req, "path"), ctx.user);
        struct stat st{};
        if (::stat(path.c_str(), &st) == 0) {
            if (S_ISDIR(st.st_mode)) throw RpcError{Code::kAlreadyExists, "directory already exists: " + path};
            throw RpcError{Code::kInvalidArgument, "path already exists but it is not a directory: " + path};
        }
        int e = mkdir_all(path, ctx.user.uid, ctx.user.gid);
        if (e == ENOTDIR || e == EEXIST)
            throw RpcError{Code::kInvalidArgument, "a parent of " + path + " exists but is not a directory"};
        if (e) throw_errno("error creating directory: ", "mkdir", path, e);
        return with_entry(path, "directory");
    });

    a.unary(svc + "Move", [](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        std::string src = resolve_path(str_field(req, "source"), ctx.user);
        std::string dst = resolve_path(str_field(req, "destination"), ctx.user);
        struct stat st{};
        if (::lstat(src.c_str(), &st) != 0) {
            int e = errno;
            if (e == ENOENT) throw RpcError{Code::kNotFound, "source file not found: " + path_error("lstat", src, e)};
            throw_errno("error statting source: ", "lstat", src, e);
        }
        if (int e = mkdir_all(dir_name(dst), ctx.user.uid, ctx.user.gid))
            throw_errno("error creating destination directory: ", "mkdir", dir_name(dst), e);
        if (::rename(src.c_str(), dst.c_str()) != 0) {
            int e = errno;
            throw RpcError{code_for_errno(e), "error renaming: rename " + src + " " + dst + ": " + strerror(e)};
        }
        return with_entry(dst, "destination");
    });

    a.unary(svc + "Remove", [](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        std::string path = resolve_path(str_field(req, "path"), ctx.user);
        std::string where;
        if (int e = remove_all(path, &where)) throw_errno("error removing file or directory: ", "remove", where, e);
        return e2b::json_object();
    });

    a.stream(svc + "WatchDir", [&a](RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> st) {
        AsUser as(ctx.user);
        auto opts = watch_options(ctx, req);
        std::weak_ptr<ServerStream> weak = st;
        auto w = DirWatcher::start(
            a.io(), opts,
            [weak](Json ev) {
                auto s = weak.lock();
                if (!s) return;
                Json msg = e2b::json_object();
                e2b::json_set(msg.get(), "filesystem", std::move(ev));
                s->send(msg.get());
            },
            [weak](const std::string& m) {
                if (auto s = weak.lock()) {
                    RpcError e{Code::kInternal, m};
                    s->finish(&e);
                }
            });
        Json ka = e2b::json_object();
        e2b::json_set_obj(ka.get(), "keepalive");
        st->set_keepalive(std::move(ka));
        st->on_close([w](Code) { w->stop(); });
        Json start = e2b::json_object();
        e2b::json_set_obj(start.get(), "start");
        st->send(start.get());
    });

    a.unary(svc + "CreateWatcher", [&a](RpcContext& ctx, const cJSON* req) -> Json {
        AsUser as(ctx.user);
        auto opts = watch_options(ctx, req);
        auto pw = std::make_shared<PollWatcher>();
        std::weak_ptr<PollWatcher> weak = pw;
        pw->watcher = DirWatcher::start(
            a.io(), opts,
            [weak](Json ev) {
                auto p = weak.lock();
                if (!p) return;
                if (p->events.size() >= kMaxBufferedEvents) {
                    p->error = "watcher buffered more than " + std::to_string(kMaxBufferedEvents) +
                               " unread events and was stopped";
                    p->watcher->stop();
                    return;
                }
                p->events.push_back(std::move(ev));
            },
            [weak](const std::string& m) {
                if (auto p = weak.lock()) p->error = m;
            });
        std::string id;
        do id = "w" + e2b::random_alnum(16);
        while (g_watchers.count(id));
        g_watchers[id] = pw;
        Json res = e2b::json_object();
        e2b::json_set_str(res.get(), "watcherId", id);
        return res;
    });

    a.unary(svc + "GetWatcherEvents", [](RpcContext&, const cJSON* req) -> Json {
        std::string id = str_field(req, "watcherId", "watcher_id");
        auto it = g_watchers.find(id);
        if (it == g_watchers.end()) throw RpcError{Code::kNotFound, "watcher with id " + id + " not found"};
        auto& pw = *it->second;
        Json arr = e2b::json_array();
        while (!pw.events.empty()) {
            cJSON_AddItemToArray(arr.get(), pw.events.front().release());
            pw.events.pop_front();
        }
        // Events gathered before a failure are delivered first; the error comes on the next call.
        if (cJSON_GetArraySize(arr.get()) == 0 && pw.error) throw RpcError{Code::kInternal, *pw.error};
        Json res = e2b::json_object();
        if (cJSON_GetArraySize(arr.get()) > 0) e2b::json_set(res.get(), "events", std::move(arr));
        return res;
    });

    a.unary(svc + "RemoveWatcher", [](RpcContext&, const cJSON* req) -> Json {
        std::string id = str_field(req, "watcherId", "watcher_id");
        auto it = g_watchers.find(id);
        if (it == g_watchers.end()) throw RpcError{Code::kNotFound, "watcher with id " + id + " not found"};
        it->second->watcher->stop();
        g_watchers.erase(it);
        return e2b::json_object();
    });
}

}  // namespace agent
