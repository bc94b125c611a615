// C edge of sandbox.files (see the "Files" section of e2b.h).
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/files.hpp"

using namespace e2b::capi;
using e2b::core::FilesOptions;

namespace {

const size_t kFilesOptsSize[] = {0, sizeof(e2b_files_opts)};

FilesOptions files_opts(const e2b_files_opts* opts) {
    e2b_files_opts o = opts_copy(opts, kFilesOptsSize, "e2b_files_opts");
    FilesOptions f;
    if (o.user) f.user = std::string(o.user);
    f.timeout_ms = o.timeout_ms;
    return f;
}

// Owns the strings the public view points into (the view is the base, see InfoHolder).
struct EntryHolder : e2b_entry_info {
    std::string name_, path_, perms_, owner_, group_, target_;
};

std::unique_ptr<EntryHolder> make_entry(const e2b::proto::EntryInfo& e) {
    auto h = std::make_unique<EntryHolder>();
    e2b_entry_info& v = *h;
    std::memset(&v, 0, sizeof v);
    h->name_ = e.name;
    h->path_ = e.path;
    h->perms_ = e.permissions;
    h->owner_ = e.owner;
    h->group_ = e.group;
    v.version = 1;
    v.type = (uint32_t)e.type;  // the proto enum values are the E2B_FILE_TYPE_* values
    v.name = h->name_.c_str();
    v.path = h->path_.c_str();
    v.size = e.size;
    v.mode = e.mode;
    v.permissions = h->perms_.c_str();
    v.owner = h->owner_.c_str();
    v.group = h->group_.c_str();
    v.modified_time_ns = e.modified_time_ns;
    if (e.symlink_target) {
        h->target_ = *e.symlink_target;
        v.symlink_target = h->target_.c_str();
    }
    return h;
}

int presigned(e2b_buf* out, const e2b_sandbox* sandbox, const char* path, const char* user,
              int64_t expiration_s, bool write) {
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(path, "path");
        if (expiration_s < 0) invalid("expiration_s must not be negative");
        std::optional<std::string> u;
        if (user) u = user;
        std::string url = e2b::core::files_url(*sandbox->s, path, write, u, expiration_s);
        fill_buf(out, url.data(), url.size());
        return E2B_OK;
    });
}

}  // namespace

struct e2b_entry_list {
    std::vector<std::unique_ptr<EntryHolder>> items;
};

struct e2b_watch {
    std::unique_ptr<e2b::core::Watch> w;
};

extern "C" {

int e2b_files_opts_init(e2b_files_opts* opts, uint32_t version) {
    return opts_init(opts, version, kFilesOptsSize, "e2b_files_opts");
}

int e2b_files_read(e2b_buf* out, e2b_sandbox* sandbox, const char* path, const e2b_files_opts* opts) {
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(path, "path");
        std::string data = e2b::core::files_read(*sandbox->s, path, files_opts(opts));
        fill_buf(out, data.data(), data.size());
        return E2B_OK;
    });
}

int e2b_files_read_stream(e2b_sandbox* sandbox, const char* path,
                          int (*on_data)(const void* data, size_t len, void* payload), void* payload,
                          const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        if (!on_data) invalid("on_data must not be NULL");
        e2b::core::files_read_stream(
            *sandbox->s, path, [&](const char* d, size_t n) { return on_data(d, n, payload) == 0; },
            files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_write(e2b_sandbox* sandbox, const char* path, const void* data, size_t len,
                    const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        if (!data && len) invalid("data must not be NULL");
        e2b::core::files_write(*sandbox->s, path,
                               std::string_view(static_cast<const char*>(data), data ? len : 0),
                               files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_write_stream(e2b_sandbox* sandbox, const char* path,
                           int64_t (*read)(void* buf, size_t cap, void* payload), void* payload,
                           int64_t size_or_minus1, const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        if (!read) invalid("read must not be NULL");
        if (size_or_minus1 < -1) invalid("size_or_minus1 must be >= -1");
        e2b::core::files_write_stream(
            *sandbox->s, path, [read, payload](char* b, size_t cap) { return read(b, cap, payload); },
            size_or_minus1, files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_write_many(e2b_sandbox* sandbox, const e2b_file_entry* entries, size_t n,
                         const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need(entries, "entries");
        if (n == 0) invalid("n must be at least 1");
        std::vector<e2b::core::FileEntry> v;
        for (size_t i = 0; i < n; ++i) {
            need_str(entries[i].path, "entries[].path");
            if (!entries[i].data && entries[i].len) invalid("entries[].data must not be NULL");
            v.push_back({entries[i].path,
                         std::string_view(static_cast<const char*>(entries[i].data),
                                          entries[i].data ? entries[i].len : 0)});
        }
        e2b::core::files_write_many(*sandbox->s, v, files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_list(e2b_entry_list** out, e2b_sandbox* sandbox, const char* dir, uint32_t depth,
                   const e2b_files_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(dir, "dir");
        if (depth < 1) invalid("depth must be at least 1");
        auto entries = e2b::core::files_list(*sandbox->s, dir, depth, files_opts(opts));
        auto l = std::make_unique<e2b_entry_list>();
        for (const auto& e : entries) l->items.push_back(make_entry(e));
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_entry_list_count(const e2b_entry_list* list) { return list_count(list); }

const e2b_entry_info* e2b_entry_list_at(const e2b_entry_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_entry_list_free(e2b_entry_list* list) {
    guard([&] {
        delete list;
        return E2B_OK;
    });
}

int e2b_files_stat(e2b_entry_info** out, e2b_sandbox* sandbox, const char* path,
                   const e2b_files_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(path, "path");
        *out = make_entry(e2b::core::files_stat(*sandbox->s, path, files_opts(opts))).release();
        return E2B_OK;
    });
}

void e2b_entry_info_free(e2b_entry_info* info) {
    guard([&] {
        delete static_cast<EntryHolder*>(info);
        return E2B_OK;
    });
}

int e2b_files_exists(e2b_sandbox* sandbox, const char* path, const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        return e2b::core::files_exists(*sandbox->s, path, files_opts(opts)) ? 1 : 0;
    });
}

int e2b_files_make_dir(e2b_sandbox* sandbox, const char* path, const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        return e2b::core::files_make_dir(*sandbox->s, path, files_opts(opts)) ? 1 : 0;
    });
}

int e2b_files_rename(e2b_sandbox* sandbox, const char* from, const char* to, const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(from, "from");
        need_str(to, "to");
        e2b::core::files_rename(*sandbox->s, from, to, files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_remove(e2b_sandbox* sandbox, const char* path, const e2b_files_opts* opts) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(path, "path");
        e2b::core::files_remove(*sandbox->s, path, files_opts(opts));
        return E2B_OK;
    });
}

int e2b_files_watch(e2b_watch** out, e2b_sandbox* sandbox, const char* dir, uint32_t flags,
                    void (*on_event)(const e2b_fs_event* event, void* payload),
                    void (*on_end)(const e2b_error* err, void* payload), void* payload,
                    const e2b_files_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(dir, "dir");
        if (!on_event) invalid("on_event must not be NULL");
        if (flags & ~E2B_WATCH_F_RECURSIVE) invalid("unknown bits in flags");
        auto ev = [on_event, payload](const e2b::proto::FilesystemEvent& e) {
            e2b_fs_event v;
            v.version = 1;
            v.type = (uint32_t)e.type;  // proto enum values are the E2B_FS_EVENT_* values
            v.name = e.name.c_str();
            on_event(&v, payload);
        };
        auto end = [on_end, payload](int code, int status, const std::string& msg) {
            if (!on_end) return;
            e2b_error err{code, status, code == E2B_OK ? "" : msg.c_str()};
            on_end(&err, payload);
        };
        auto w = std::make_unique<e2b_watch>();
        w->w = e2b::core::Watch::start(*sandbox->s, dir, (flags & E2B_WATCH_F_RECURSIVE) != 0, ev, end,
                                       files_opts(opts));
        *out = w.release();
        return E2B_OK;
    });
}

void e2b_watch_stop(e2b_watch* watch) {
    guard([&] {
        if (watch) watch->w->stop();
        return E2B_OK;
    });
}

void e2b_watch_free(e2b_watch* watch) {
    guard([&] {
        delete watch;
        return E2B_OK;
    });
}

int e2b_files_upload_url(e2b_buf* out, const e2b_sandbox* sandbox, const char* path, const char* user,
                         int64_t expiration_s) {
    return presigned(out, sandbox, path, user, expiration_s, true);
}

int e2b_files_download_url(e2b_buf* out, const e2b_sandbox* sandbox, const char* path, const char* user,
                           int64_t expiration_s) {
    return presigned(out, sandbox, path, user, expiration_s, false);
}

}  // extern "C"
