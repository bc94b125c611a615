#include "protocol/envd.hpp"

#include <cstring>

#include "protocol/json_read.hpp"
#include "util/encoding.hpp"
#include "util/json.hpp"

namespace e2b::proto {

using namespace detail;

namespace {

void set_process_config(cJSON* parent, const ProcessConfig& c) {
    cJSON* o = json_set_obj(parent, "process");
    if (!c.cmd.empty()) json_set_str(o, "cmd", c.cmd);
    if (!c.args.empty()) {
        Json a = json_array();
        for (auto& s : c.args) cJSON_AddItemToArray(a.get(), cJSON_CreateString(s.c_str()));
        json_set(o, "args", std::move(a));
    }
    if (!c.envs.empty()) json_set(o, "envs", json_from_map(c.envs));
    if (c.cwd) json_set_str(o, "cwd", *c.cwd);  // optional: emitted even when ""
}

void set_pty(cJSON* parent, const PtySize& p) {
    cJSON* size = json_set_obj(json_set_obj(parent, "pty"), "size");
    if (p.cols) json_set_int(size, "cols", p.cols);
    if (p.rows) json_set_int(size, "rows", p.rows);
}

// oneof members are emitted even when they hold the default (pid 0, tag "").
void set_selector(cJSON* parent, const ProcessSelector& p) {
    cJSON* o = json_set_obj(parent, "process");
    if (p.tag)
        json_set_str(o, "tag", *p.tag);
    else
        json_set_int(o, "pid", p.pid);
}

std::string print(const Json& o) { return json_print(o.get()); }

bool parse_process_config(const cJSON* o, ProcessConfig* c, std::string* err) {
    return read_str(o, "cmd", &c->cmd, err) && read_str_list(o, "args", &c->args, err) &&
           read_str_map(o, "envs", &c->envs, err) && read_opt_str(o, "cwd", &c->cwd, err);
}

const char* const kFileTypeNames[] = {"FILE_TYPE_UNSPECIFIED", "FILE_TYPE_FILE",
                                      "FILE_TYPE_DIRECTORY", "FILE_TYPE_SYMLINK"};
const char* const kEventTypeNames[] = {"EVENT_TYPE_UNSPECIFIED", "EVENT_TYPE_CREATE",
                                       "EVENT_TYPE_WRITE",       "EVENT_TYPE_REMOVE",
                                       "EVENT_TYPE_RENAME",      "EVENT_TYPE_CHMOD"};

bool prefix(std::string* err, const std::string& p) {
    *err = p + *err;
    return false;
}

bool parse_entry(const cJSON* o, EntryInfo* e, std::string* err) {
    int type = 0;
    int64_t mode = 0;
    bool ok = read_str(o, "name", &e->name, err) &&
              read_enum(o, "type", &type, err, kFileTypeNames, nullptr, 4) &&
              read_str(o, "path", &e->path, err) && read_int(o, "size", &e->size, err) &&
              read_int(o, "mode", &mode, err, nullptr, 0, UINT32_MAX) &&
              read_str(o, "permissions", &e->permissions, err) &&
              read_str(o, "owner", &e->owner, err) && read_str(o, "group", &e->group, err) &&
              read_time(o, "modifiedTime", &e->modified_time_ns, err, "modified_time") &&
              read_opt_str(o, "symlinkTarget", &e->symlink_target, err, "symlink_target") &&
              read_str_map(o, "metadata", &e->metadata, err);
    if (!ok) return false;
    e->type = static_cast<FileType>(type);
    e->mode = static_cast<uint32_t>(mode);
    return true;
}

bool parse_fs_event(const cJSON* o, FilesystemEvent* ev, std::string* err) {
    int type = 0;
    const cJSON* entry = nullptr;
    if (!read_str(o, "name", &ev->name, err) ||
        !read_enum(o, "type", &type, err, kEventTypeNames, nullptr, 6) ||
        !read_obj(o, "entry", &entry, err))
        return false;
    ev->type = static_cast<EventType>(type);
    if (entry) {
        EntryInfo e;
        if (!parse_entry(entry, &e, err)) return prefix(err, "entry.");
        ev->entry = std::move(e);
    }
    return true;
}

std::string path_request(const char* key, std::string_view v) {
    Json o = json_object();
    if (!v.empty()) json_set_str(o.get(), key, v);
    return print(o);
}

std::string watch_request(const WatchOptions& w) {
    Json o = json_object();
    if (!w.path.empty()) json_set_str(o.get(), "path", w.path);
    if (w.recursive) json_set_bool(o.get(), "recursive", true);
    if (w.include_entry) json_set_bool(o.get(), "includeEntry", true);
    if (w.allow_network_mounts) json_set_bool(o.get(), "allowNetworkMounts", true);
    return print(o);
}

}  // namespace

std::string encode_start_request(const StartRequest& r) {
    Json o = json_object();
    set_process_config(o.get(), r.process);
    if (r.pty) set_pty(o.get(), *r.pty);
    if (r.tag) json_set_str(o.get(), "tag", *r.tag);
    if (r.stdin_open) json_set_bool(o.get(), "stdin", *r.stdin_open);
    return print(o);
}

std::string encode_connect_request(const ProcessSelector& p) {
    Json o = json_object();
    set_selector(o.get(), p);
    return print(o);
}

std::string encode_list_request() { return "{}"; }

std::string encode_send_input_request(const ProcessSelector& p, std::string_view data, bool to_pty) {
    Json o = json_object();
    set_selector(o.get(), p);
    cJSON* in = json_set_obj(o.get(), "input");
    json_set_str(in, to_pty ? "pty" : "stdin", base64_encode(data));
    return print(o);
}

std::string encode_close_stdin_request(const ProcessSelector& p) {
    return encode_connect_request(p);  // same shape: {"process": selector}
}

std::string encode_send_signal_request(const ProcessSelector& p, Signal s) {
    Json o = json_object();
    set_selector(o.get(), p);
    if (s == Signal::kSigkill) json_set_str(o.get(), "signal", "SIGNAL_SIGKILL");
    if (s == Signal::kSigterm) json_set_str(o.get(), "signal", "SIGNAL_SIGTERM");
    return print(o);
}

std::string encode_update_request(const ProcessSelector& p, const std::optional<PtySize>& pty) {
    Json o = json_object();
    set_selector(o.get(), p);
    if (pty) set_pty(o.get(), *pty);
    return print(o);
}

namespace {
// Just enough of a JSON scanner for the fast path: bails out on anything unexpected.
struct Scanner {
    const char* p;
    const char* end;
    static bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
    bool lit(char c) {
        while (p < end && space(*p)) ++p;
        if (p == end || *p != c) return false;
        ++p;
        return true;
    }
    bool back(char c) {  // lit() from the end
        while (end > p && space(end[-1])) --end;
        if (end == p || end[-1] != c) return false;
        --end;
        return true;
    }
    // A string up to the next quote; callers compare it to a fixed name, which rules out escapes.
    bool str(std::string_view* s) {
        if (!lit('"')) return false;
        auto* q = static_cast<const char*>(std::memchr(p, '"', size_t(end - p)));
        if (!q) return false;
        *s = std::string_view(p, size_t(q - p));
        p = q + 1;
        return true;
    }
    bool key(std::string_view k) {
        std::string_view s;
        return str(&s) && s == k && lit(':');
    }
};
}  // namespace

bool detail::parse_process_data_fast(std::string_view message, ProcessEvent* out) {
    Scanner s{message.data(), message.data() + message.size()};
    std::string_view name;
    if (!s.lit('{') || !s.key("event") || !s.lit('{') || !s.key("data") || !s.lit('{') ||
        !s.str(&name) || !s.lit(':') || !s.lit('"'))
        return false;
    // The value runs to the quote of the closing `"}}}`, found from the end without a scan of
    // the data. The decoder refuses quotes and backslashes, so a value with escapes or more
    // members after it is left to the full parser.
    if (!s.back('}') || !s.back('}') || !s.back('}') || !s.back('"')) return false;
    std::string_view b64(s.p, size_t(s.end - s.p));
    ProcessEvent::Stream stream;
    if (name == "stdout")
        stream = ProcessEvent::Stream::kStdout;
    else if (name == "stderr")
        stream = ProcessEvent::Stream::kStderr;
    else if (name == "pty")
        stream = ProcessEvent::Stream::kPty;
    else
        return false;
    if (!base64_decode_to(b64, &out->data)) return false;
    out->kind = ProcessEvent::Kind::kData;
    out->stream = stream;
    out->pid = 0;
    out->exit_code = 0;
    out->exited = false;
    out->status.clear();
    out->error.reset();
    return true;
}

bool parse_process_event(std::string_view message, ProcessEvent* out, std::string* err) {
    return detail::parse_process_data_fast(message, out) ||
           detail::parse_process_event_full(message, out, err);
}

bool detail::parse_process_event_full(std::string_view message, ProcessEvent* out,
                                      std::string* err) {
    Json j = parse_body(message, false, err);
    if (!j) return false;
    const cJSON* ev = nullptr;
    if (!read_obj(j.get(), "event", &ev, err)) return false;
    ProcessEvent e;
    if (!ev) {  // {"event": absent} is an empty ProcessEvent: nothing to deliver
        *out = std::move(e);
        return true;
    }
    const cJSON* m = nullptr;
    if (!read_obj(ev, "start", &m, err)) return false;
    if (m) {
        int64_t pid = 0;
        if (!read_int(m, "pid", &pid, err, nullptr, 0, UINT32_MAX)) return prefix(err, "start.");
        e.kind = ProcessEvent::Kind::kStart;
        e.pid = static_cast<uint32_t>(pid);
        *out = std::move(e);
        return true;
    }
    if (!read_obj(ev, "data", &m, err)) return false;
    if (m) {
        e.kind = ProcessEvent::Kind::kData;
        static const struct {
            const char* key;
            ProcessEvent::Stream stream;
        } kStreams[] = {{"stdout", ProcessEvent::Stream::kStdout},
                        {"stderr", ProcessEvent::Stream::kStderr},
                        {"pty", ProcessEvent::Stream::kPty}};
        for (auto& s : kStreams) {
            if (!json_get(m, s.key)) continue;
            if (!read_bytes(m, s.key, &e.data, err)) return prefix(err, "data.");
            e.stream = s.stream;
            *out = std::move(e);
            return true;
        }
        // A data event without output: an empty stdout chunk.
        *out = std::move(e);
        return true;
    }
    if (!read_obj(ev, "end", &m, err)) return false;
    if (m) {
        int64_t code = 0;
        if (!read_int(m, "exitCode", &code, err, "exit_code", INT32_MIN, INT32_MAX) ||
            !read_bool(m, "exited", &e.exited, err) || !read_str(m, "status", &e.status, err) ||
            !read_opt_str(m, "error", &e.error, err))
            return prefix(err, "end.");
        e.kind = ProcessEvent::Kind::kEnd;
        e.exit_code = static_cast<int32_t>(code);
        *out = std::move(e);
        return true;
    }
    if (!read_obj(ev, "keepalive", &m, err)) return false;
    if (m) e.kind = ProcessEvent::Kind::kKeepalive;
    *out = std::move(e);
    return true;
}

bool parse_list_response(std::string_view body, std::vector<ProcessInfo>* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* arr = nullptr;
    if (!read_arr(j.get(), "processes", &arr, err)) return false;
    std::vector<ProcessInfo> list;
    size_t i = 0;
    for (const cJSON* it = arr ? arr->child : nullptr; it; it = it->next, ++i) {
        ProcessInfo p;
        const cJSON* cfg = nullptr;
        int64_t pid = 0;
        std::string where = "processes[" + std::to_string(i) + "].";
        if (!cJSON_IsObject(it)) {
            *err = "processes[" + std::to_string(i) + "]: expected an object";
            return false;
        }
        if (!read_obj(it, "config", &cfg, err) ||
            !read_int(it, "pid", &pid, err, nullptr, 0, UINT32_MAX) ||
            !read_opt_str(it, "tag", &p.tag, err))
            return prefix(err, where);
        if (cfg && !parse_process_config(cfg, &p.config, err)) return prefix(err, where + "config.");
        p.pid = static_cast<uint32_t>(pid);
        list.push_back(std::move(p));
    }
    *out = std::move(list);
    return true;
}

bool parse_empty_response(std::string_view body, std::string* err) {
    return parse_body(body, false, err) != nullptr;
}

const char* file_type_name(FileType t) {
    int i = static_cast<int>(t);
    return i >= 0 && i < 4 ? kFileTypeNames[i] : kFileTypeNames[0];
}

const char* event_type_name(EventType t) {
    int i = static_cast<int>(t);
    return i >= 0 && i < 6 ? kEventTypeNames[i] : kEventTypeNames[0];
}

std::string encode_stat_request(std::string_view path) { return path_request("path", path); }
std::string encode_make_dir_request(std::string_view path) { return path_request("path", path); }
std::string encode_remove_request(std::string_view path) { return path_request("path", path); }

std::string encode_list_dir_request(std::string_view path, uint32_t depth) {
    Json o = json_object();
    if (!path.empty()) json_set_str(o.get(), "path", path);
    if (depth) json_set_int(o.get(), "depth", depth);
    return print(o);
}

std::string encode_move_request(std::string_view source, std::string_view destination) {
    Json o = json_object();
    if (!source.empty()) json_set_str(o.get(), "source", source);
    if (!destination.empty()) json_set_str(o.get(), "destination", destination);
    return print(o);
}

std::string encode_watch_dir_request(const WatchOptions& w) { return watch_request(w); }
std::string encode_create_watcher_request(const WatchOptions& w) { return watch_request(w); }
std::string encode_get_watcher_events_request(std::string_view id) {
    return path_request("watcherId", id);
}
std::string encode_remove_watcher_request(std::string_view id) {
    return path_request("watcherId", id);
}

bool parse_entry_response(std::string_view body, EntryInfo* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* e = nullptr;
    if (!read_obj(j.get(), "entry", &e, err)) return false;
    if (!e) {
        *err = "entry: missing";
        return false;
    }
    EntryInfo info;
    if (!parse_entry(e, &info, err)) return prefix(err, "entry.");
    *out = std::move(info);
    return true;
}

bool parse_list_dir_response(std::string_view body, std::vector<EntryInfo>* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* arr = nullptr;
    if (!read_arr(j.get(), "entries", &arr, err)) return false;
    std::vector<EntryInfo> list;
    size_t i = 0;
    for (const cJSON* it = arr ? arr->child : nullptr; it; it = it->next, ++i) {
        std::string where = "entries[" + std::to_string(i) + "]";
        if (!cJSON_IsObject(it)) {
            *err = where + ": expected an object";
            return false;
        }
        EntryInfo e;
        if (!parse_entry(it, &e, err)) return prefix(err, where + ".");
        list.push_back(std::move(e));
    }
    *out = std::move(list);
    return true;
}

bool parse_create_watcher_response(std::string_view body, std::string* watcher_id,
                                   std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    std::string id;
    if (!read_str(j.get(), "watcherId", &id, err, "watcher_id")) return false;
    if (id.empty()) {
        *err = "watcherId: missing";
        return false;
    }
    *watcher_id = std::move(id);
    return true;
}

bool parse_get_watcher_events_response(std::string_view body, std::vector<FilesystemEvent>* out,
                                       std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    const cJSON* arr = nullptr;
    if (!read_arr(j.get(), "events", &arr, err)) return false;
    std::vector<FilesystemEvent> list;
    size_t i = 0;
    for (const cJSON* it = arr ? arr->child : nullptr; it; it = it->next, ++i) {
        std::string where = "events[" + std::to_string(i) + "]";
        if (!cJSON_IsObject(it)) {
            *err = where + ": expected an object";
            return false;
        }
        FilesystemEvent ev;
        if (!parse_fs_event(it, &ev, err)) return prefix(err, where + ".");
        list.push_back(std::move(ev));
    }
    *out = std::move(list);
    return true;
}

bool parse_watch_dir_response(std::string_view message, WatchEvent* out, std::string* err) {
    Json j = parse_body(message, false, err);
    if (!j) return false;
    WatchEvent w;
    const cJSON* m = nullptr;
    if (!read_obj(j.get(), "start", &m, err)) return false;
    if (m) {
        w.kind = WatchEvent::Kind::kStart;
    } else {
        if (!read_obj(j.get(), "filesystem", &m, err)) return false;
        if (m) {
            w.kind = WatchEvent::Kind::kFilesystem;
            if (!parse_fs_event(m, &w.event, err)) return prefix(err, "filesystem.");
        } else {
            if (!read_obj(j.get(), "keepalive", &m, err)) return false;
            if (m) w.kind = WatchEvent::Kind::kKeepalive;
        }
    }
    *out = std::move(w);
    return true;
}

}  // namespace e2b::proto
