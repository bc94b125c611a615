#include "core/files.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "e2b.h"
#include "protocol/connect.hpp"
#include "protocol/errors.hpp"
#include "util/encoding.hpp"

namespace e2b::core {

namespace {

[[noreturn]] void throw_mapped(const proto::MappedError& m) { throw Error(m.code, m.message, m.http_status); }

[[noreturn]] void throw_transport(const transport::Error& e) {
    throw Error(e.code ? e.code : E2B_ERROR, e.message, e.http_status);
}

// envd version >= a.b.c; unparseable versions count as new (local servers, debug "99.99.99").
bool envd_at_least(const Sandbox& s, int a, int b, int c) {
    int x = 0, y = 0, z = 0;
    if (std::sscanf(s.envd_version().c_str(), "%d.%d.%d", &x, &y, &z) < 1) return true;
    if (x != a) return x > a;
    if (y != b) return y > b;
    return z >= c;
}

// The SDK rule: no user given and envd < 0.4.0 → "user" (older envd had no default user).
std::optional<std::string> effective_user(const Sandbox& s, const FilesOptions& o) {
    if (o.user) return o.user;
    if (!envd_at_least(s, 0, 4, 0)) return std::string("user");
    return std::nullopt;
}

int64_t request_timeout(const Sandbox& s, const FilesOptions& o) {
    if (o.timeout_ms < 0) return 0;
    return o.timeout_ms ? o.timeout_ms : s.client().config().request_timeout_ms;
}

transport::Headers envd_headers(const Sandbox& s) {
    transport::Headers h = {{"E2b-Sandbox-Id", s.id()}, {"E2b-Sandbox-Port", "49983"}};
    if (!s.access_token().empty()) h.emplace_back("X-Access-Token", s.access_token());
    return h;
}

transport::Headers rpc_headers(const Sandbox& s, const FilesOptions& o, const char* content_type) {
    auto h = envd_headers(s);
    h.emplace_back("Content-Type", content_type);
    h.emplace_back("Connect-Protocol-Version", "1");
    if (auto u = effective_user(s, o)) h.emplace_back("Authorization", "Basic " + base64_encode(*u + ":"));
    return h;
}

// One unary filesystem RPC. Returns the 200 body; nullopt when the error maps to `false`.
std::optional<std::string> rpc(Sandbox& s, const char* method, std::string body, proto::RpcOp op,
                               bool idempotent, const FilesOptions& o) {
    transport::Request r;
    r.method = "POST";
    r.url = s.envd_url() + "/filesystem.Filesystem/" + method;
    r.headers = rpc_headers(s, o, "application/json");
    r.body = std::move(body);
    r.timeout_ms = request_timeout(s, o);
    r.idempotent = idempotent;
    auto resp = s.client().transport().perform(std::move(r));
    if (!resp.error.ok()) throw_transport(resp.error);
    if (resp.status == 200) return std::move(resp.body);
    auto m = proto::map_connect_error(op, proto::connect_error_from_unary(resp.status, resp.body));
    if (m.as_false) return std::nullopt;
    throw_mapped(m);
}

std::string files_query(const Sandbox& s, const std::string& path, const FilesOptions& o) {
    std::string q = "/files?path=" + url_encode(path);
    if (auto u = effective_user(s, o)) q += "&username=" + url_encode(*u);
    return q;
}

void check_upload(const transport::Response& resp) {
    if (!resp.error.ok()) throw_transport(resp.error);
    if (resp.status < 200 || resp.status >= 300)
        throw_mapped(proto::map_envd_http_error(resp.status, resp.body));
    // The SDKs treat an empty result array as a failed write.
    if (resp.body.find('{') == std::string::npos)
        throw Error(E2B_EPROTOCOL, "upload answered no written file", resp.status);
}

// filename="" as browsers/undici write it: quotes and line breaks percent-encoded.
std::string quote_filename(const std::string& p) {
    std::string out;
    for (char ch : p) {
        if (ch == '"') out += "%22";
        else if (ch == '\r') out += "%0D";
        else if (ch == '\n') out += "%0A";
        else out += ch;
    }
    return out;
}

void check_blocking(Sandbox& s) {
    if (s.client().transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "blocking call from inside a callback");
}

std::string entry_info_parse_error(const std::string& err) { return "malformed filesystem response: " + err; }

}  // namespace

// ---- /files ----

void files_read_stream(Sandbox& s, const std::string& path,
                       const std::function<bool(const char*, size_t)>& on_data, const FilesOptions& o) {
    check_blocking(s);
    transport::Request r;
    r.url = s.envd_url() + files_query(s, path, o);
    r.headers = envd_headers(s);
    r.timeout_ms = request_timeout(s, o);
    r.idempotent = true;
    int status = 0;
    std::string err_body;  // only for non-200 answers, capped
    std::promise<transport::Error> done;
    transport::Callbacks cb;
    cb.on_response = [&](int st, const transport::Headers&) {
        status = st;
        return transport::Action::kContinue;
    };
    cb.on_data = [&](const char* d, size_t n) {
        if (status != 200) {
            if (err_body.size() < 65536) err_body.append(d, std::min(n, 65536 - err_body.size()));
            return transport::Action::kContinue;
        }
        return on_data(d, n) ? transport::Action::kContinue : transport::Action::kAbort;
    };
    cb.on_done = [&](const transport::Error& e) { done.set_value(e); };
    auto call = s.client().transport().start_on_service_thread(std::move(r), std::move(cb));
    transport::Error e = done.get_future().get();
    if (!e.ok()) throw_transport(e);
    if (status != 200) throw_mapped(proto::map_envd_http_error(status, err_body));
}

std::string files_read(Sandbox& s, const std::string& path, const FilesOptions& o) {
    std::string out;
    files_read_stream(s, path, [&](const char* d, size_t n) { out.append(d, n); return true; }, o);
    return out;
}

void files_write_many(Sandbox& s, const std::vector<FileEntry>& entries, const FilesOptions& o) {
    if (entries.empty()) throw Error(E2B_EINVAL, "no files to write");
    std::string boundary = "----libe2b-" + random_hex(16);
    std::string body;
    for (const auto& e : entries) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                quote_filename(e.path) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
        body.append(e.data.data(), e.data.size());
        body += "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    transport::Request r;
    r.method = "POST";
    // One file: `path` names it (as the SDKs send); several: each part's full filename does.
    r.url = s.envd_url() + (entries.size() == 1 ? files_query(s, entries[0].path, o) : [&] {
        std::string q = "/files";
        if (auto u = effective_user(s, o)) q += "?username=" + url_encode(*u);
        return q;
    }());
    r.headers = envd_headers(s);
    r.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
    r.body = std::move(body);
    r.timeout_ms = request_timeout(s, o);
    r.idempotent = true;  // overwriting with the same bytes again is harmless
    check_upload(s.client().transport().perform(std::move(r)));
}

void files_write(Sandbox& s, const std::string& path, std::string_view data, const FilesOptions& o) {
    files_write_many(s, {FileEntry{path, data}}, o);
}

void files_write_stream(Sandbox& s, const std::string& path, std::function<int64_t(char*, size_t)> reader,
                        int64_t size, const FilesOptions& o) {
    if (!envd_at_least(s, 0, 5, 7))
        throw Error(E2B_ERROR, "streamed upload needs envd >= 0.5.7 (sandbox has " + s.envd_version() + ")");
    transport::Request r;
    r.method = "POST";
    r.url = s.envd_url() + files_query(s, path, o);
    r.headers = envd_headers(s);
    r.headers.emplace_back("Content-Type", "application/octet-stream");
    r.body_reader = std::move(reader);
    r.body_size = size;
    r.timeout_ms = request_timeout(s, o);
    check_upload(s.client().transport().perform(std::move(r)));
}

std::string files_url(Sandbox& s, const std::string& path, bool write,
                      const std::optional<std::string>& user_opt, int64_t expiration_s) {
    const ClientConfig& cfg = s.client().config();
    std::string base = cfg.sandbox_url ? *cfg.sandbox_url
                       : cfg.debug     ? std::string("http://localhost:49983")
                                       : "https://49983-" + s.id() + "." + s.domain();
    FilesOptions o;
    o.user = user_opt;
    auto user = effective_user(s, o);
    std::string url = base + "/files?path=" + url_encode(path);
    if (user) url += "&username=" + url_encode(*user);
    if (s.access_token().empty()) {
        if (expiration_s > 0) throw Error(E2B_EINVAL, "signature expiration needs a secure sandbox");
        return url;
    }
    std::string raw = path + ":" + (write ? "write" : "read") + ":" + user.value_or("") + ":" +
                      s.access_token();
    std::string exp;
    if (expiration_s > 0) {
        int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
        exp = std::to_string(now + expiration_s);
        raw += ":" + exp;
    }
    url += "&signature=" + url_encode("v1_" + base64_encode(sha256(raw), false));
    if (!exp.empty()) url += "&signature_expiration=" + exp;
    return url;
}

// ---- filesystem RPCs ----

std::vector<proto::EntryInfo> files_list(Sandbox& s, const std::string& dir, uint32_t depth,
                                         const FilesOptions& o) {
    if (depth < 1) throw Error(E2B_EINVAL, "depth should be at least one");
    auto body = rpc(s, "ListDir", proto::encode_list_dir_request(dir, depth), proto::RpcOp::kFilesystem, true, o);
    std::vector<proto::EntryInfo> all, out;
    std::string err;
    if (!proto::parse_list_dir_response(*body, &all, &err)) throw Error(E2B_EPROTOCOL, entry_info_parse_error(err), 200);
    // As the SDKs: entries of unknown type (dangling symlinks) are skipped.
    for (auto& e : all)
        if (e.type != proto::FileType::kUnspecified) out.push_back(std::move(e));
    return out;
}

proto::EntryInfo files_stat(Sandbox& s, const std::string& path, const FilesOptions& o) {
    auto body = rpc(s, "Stat", proto::encode_stat_request(path), proto::RpcOp::kFilesystem, true, o);
    proto::EntryInfo e;
    std::string err;
    if (!proto::parse_entry_response(*body, &e, &err)) throw Error(E2B_EPROTOCOL, entry_info_parse_error(err), 200);
    return e;
}

bool files_exists(Sandbox& s, const std::string& path, const FilesOptions& o) {
    return rpc(s, "Stat", proto::encode_stat_request(path), proto::RpcOp::kFilesExists, true, o).has_value();
}

bool files_make_dir(Sandbox& s, const std::string& path, const FilesOptions& o) {
    // Not retried: a lost answer would turn "created" into "existed".
    return rpc(s, "MakeDir", proto::encode_make_dir_request(path), proto::RpcOp::kFilesMakeDir, false, o)
        .has_value();
}

proto::EntryInfo files_rename(Sandbox& s, const std::string& from, const std::string& to,
                              const FilesOptions& o) {
    auto body = rpc(s, "Move", proto::encode_move_request(from, to), proto::RpcOp::kFilesystem, false, o);
    proto::EntryInfo e;
    std::string err;
    if (!proto::parse_entry_response(*body, &e, &err)) throw Error(E2B_EPROTOCOL, entry_info_parse_error(err), 200);
    return e;
}

void files_remove(Sandbox& s, const std::string& path, const FilesOptions& o) {
    rpc(s, "Remove", proto::encode_remove_request(path), proto::RpcOp::kFilesystem, true, o);
}

// ---- WatchDir ----

struct Watch::State {
    std::mutex m;
    std::condition_variable cv;
    bool started = false, ended = false, end_cb_done = false, stopping = false, end_seen = false;
    // A failure found in the stream itself (status, end-of-stream error, bad message).
    std::optional<proto::MappedError> failure;
    proto::MappedError result;  // for start() when the stream ended before its start message
    connect::EnvelopeReader reader;
    OnEvent on_event;
    OnEnd on_end;
    std::shared_ptr<transport::Call> call;
    transport::Transport* tr = nullptr;
    bool queued = false;
};

std::unique_ptr<Watch> Watch::start(Sandbox& s, const std::string& dir, bool recursive, OnEvent on_event,
                                    OnEnd on_end, const FilesOptions& o) {
    check_blocking(s);
    auto st = std::make_shared<State>();
    st->tr = &s.client().transport();
    st->queued = st->tr->options().delivery == transport::Delivery::kQueued;
    st->on_event = std::move(on_event);
    st->on_end = std::move(on_end);
    proto::WatchOptions w;
    w.path = dir;
    w.recursive = recursive;
    transport::Request r;
    r.method = "POST";
    r.url = s.envd_url() + "/filesystem.Filesystem/WatchDir";
    r.headers = rpc_headers(s, o, "application/connect+json");
    r.headers.emplace_back("Keepalive-Ping-Interval", "50");
    // timeout_ms > 0 is the watch's lifetime (Connect deadline); otherwise it runs until stopped.
    if (o.timeout_ms > 0) {
        r.headers.emplace_back("Connect-Timeout-Ms", std::to_string(o.timeout_ms));
        r.timeout_ms = o.timeout_ms;
    }
    r.idle_timeout_ms = 150000;  // three missed keepalives: the connection is dead
    r.body = connect::envelope(proto::encode_watch_dir_request(w));
    r.idempotent = true;

    auto fail = [st](proto::MappedError m) {
        std::lock_guard<std::mutex> lk(st->m);
        if (!st->failure) st->failure = std::move(m);
    };
    transport::Callbacks cb;
    cb.on_response = [st, fail](int status, const transport::Headers&) {
        if (status == 200) return transport::Action::kContinue;
        auto m = proto::map_connect_error(proto::RpcOp::kFilesWatch,
                                          proto::connect_error_from_stream_status(status), true);
        m.http_status = status;
        fail(std::move(m));
        return transport::Action::kAbort;
    };
    cb.on_data = [st, fail](const char* d, size_t n) {
        st->reader.feed(std::string_view(d, n));
        connect::Envelope env;
        for (;;) {
            auto rs = st->reader.next(&env);
            if (rs == connect::EnvelopeReader::Status::kNeedMore) return transport::Action::kContinue;
            if (rs == connect::EnvelopeReader::Status::kTooLarge) {
                fail({E2B_EPROTOCOL, 200, "WatchDir message too large", false});
                return transport::Action::kAbort;
            }
            bool started;
            {
                std::lock_guard<std::mutex> lk(st->m);
                started = st->started;
            }
            if (env.flags & connect::kFlagEndStream) {
                st->end_seen = true;
                if (auto ce = proto::connect_error_from_end_stream(env.payload))
                    fail(proto::map_connect_error(proto::RpcOp::kFilesWatch, *ce, !started));
                continue;
            }
            proto::WatchEvent ev;
            std::string err;
            if (!proto::parse_watch_dir_response(env.payload, &ev, &err)) {
                fail({E2B_EPROTOCOL, 200, "malformed WatchDir message: " + err, false});
                return transport::Action::kAbort;
            }
            if (ev.kind == proto::WatchEvent::Kind::kStart) {
                std::lock_guard<std::mutex> lk(st->m);
                st->started = true;
                st->cv.notify_all();
            } else if (ev.kind == proto::WatchEvent::Kind::kFilesystem && started) {
                bool stopping;
                {
                    std::lock_guard<std::mutex> lk(st->m);
                    stopping = st->stopping;
                }
                // Queued delivery: the stop flag is checked again when the event runs.
                if (!stopping)
                    st->tr->post([st, e = std::move(ev.event)] {
                        {
                            std::lock_guard<std::mutex> lk(st->m);
                            if (st->stopping) return;
                        }
                        st->on_event(e);
                    }, false);
            }
        }
    };
    cb.on_done = [st](const transport::Error& e) {
        proto::MappedError m;
        std::unique_lock<std::mutex> lk(st->m);
        if (st->failure)
            m = *st->failure;
        else if (st->stopping)
            m = {};
        else if (!e.ok())
            m = {e.code, e.http_status, e.message, false};
        else if (!st->end_seen)
            m = proto::map_connect_error(proto::RpcOp::kFilesWatch, proto::connect_error_missing_end_stream(),
                                         !st->started);
        if (!st->started) {
            if (m.code == E2B_OK) m = {E2B_EPROTOCOL, 200, "WatchDir ended before its start message", false};
            st->result = std::move(m);
            st->ended = true;
            st->cv.notify_all();
            return;
        }
        st->ended = true;
        lk.unlock();
        st->tr->post([st, m = std::move(m)] {
            st->on_end(m.code, m.http_status, m.message);
            std::lock_guard<std::mutex> lk(st->m);
            st->end_cb_done = true;
            st->cv.notify_all();
        }, true);
    };

    int64_t handshake_ms = request_timeout(s, o);
    st->call = st->tr->start_on_service_thread(std::move(r), std::move(cb));
    std::unique_lock<std::mutex> lk(st->m);
    auto ready = [&] { return st->started || st->ended; };
    if (handshake_ms > 0) {
        if (!st->cv.wait_for(lk, std::chrono::milliseconds(handshake_ms), ready)) {
            lk.unlock();
            st->call->cancel();
            throw Error(E2B_ETIMEOUT, "WatchDir did not start within " + std::to_string(handshake_ms) + " ms");
        }
    } else {
        st->cv.wait(lk, ready);
    }
    if (!st->started) throw Error(st->result.code, st->result.message, st->result.http_status);
    return std::unique_ptr<Watch>(new Watch(std::move(st)));
}

void Watch::stop() {
    std::unique_lock<std::mutex> lk(st_->m);
    st_->stopping = true;
    lk.unlock();
    st_->call->cancel();
    // From a callback on_end follows once it returns; in queued mode a later dispatch() runs it.
    if (st_->queued || st_->tr->blocking_forbidden()) return;
    lk.lock();
    st_->cv.wait(lk, [&] { return st_->end_cb_done; });
}

Watch::~Watch() { stop(); }

}  // namespace e2b::core
