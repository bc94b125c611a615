// The extern "C" edge: argument checks, options copied by version prefix, handles wrapping the
// core objects, and every failure (exception or code) turned into a code + thread-local error.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/core.hpp"
#include "e2b.h"

using e2b::core::Error;
using e2b::capi::parse_pairs;

namespace {

// Owns the strings the public view points into; the view is the base so a view pointer handed
// out can be converted back with a static_cast.
struct InfoHolder : e2b_sandbox_info {
    std::string id, tmpl, alias, state, envd;
    e2b::capi::CPairs meta;
};

struct LastError {
    std::string message;
    e2b_error view{E2B_OK, 0, ""};
};
thread_local LastError t_err;

void set_error(int code, int status, std::string msg) {
    t_err.message = std::move(msg);
    t_err.view.code = code;
    t_err.view.http_status = status;
    t_err.view.message = t_err.message.c_str();
}
void set_ok() { set_error(E2B_OK, 0, ""); }

// Runs f with every exception turned into a code; f returns >= 0 on success.
template <class F>
int guard(F&& f) noexcept {
    try {
        int rc = f();
        if (rc >= 0) set_ok();
        return rc;
    } catch (const Error& e) {
        try {
            set_error(e.code, e.http_status, e.what());
        } catch (...) {
            t_err.view = {e.code, e.http_status, "out of memory"};
        }
        return e.code;
    } catch (const std::bad_alloc&) {
        t_err.view = {E2B_ENOMEM, 0, "out of memory"};
        return E2B_ENOMEM;
    } catch (const std::exception& e) {
        try {
            set_error(E2B_ERROR, 0, std::string("internal error: ") + e.what());
        } catch (...) {
            t_err.view = {E2B_ERROR, 0, "internal error"};
        }
        return E2B_ERROR;
    } catch (...) {
        t_err.view = {E2B_ERROR, 0, "internal error"};
        return E2B_ERROR;
    }
}

[[noreturn]] void invalid(const std::string& msg) { throw Error(E2B_EINVAL, msg); }

template <class T>
void need(const T* p, const char* what) {
    if (!p) invalid(std::string(what) + " must not be NULL");
}

// Prefix sizes per options version (index = version). Append one entry per new version.
// v1 ended before `delivery`.
// v2 ended before `log_cb`; sandbox opts v1 before `profile`.
const size_t kClientOptsSize[] = {0, offsetof(e2b_client_opts, delivery),
                                  offsetof(e2b_client_opts, log_cb), sizeof(e2b_client_opts)};
const size_t kSandboxOptsSize[] = {0, offsetof(e2b_sandbox_opts, profile), sizeof(e2b_sandbox_opts)};
const size_t kListOptsSize[] = {0, sizeof(e2b_list_opts)};

template <class T, size_t N>
size_t prefix_size(uint32_t version, const size_t (&sizes)[N], const char* name) {
    if (version == 0 || version >= N)
        throw Error(E2B_EVERSION, std::string("unsupported ") + name + " version " +
                                      std::to_string(version) + " (this libe2b knows 1.." +
                                      std::to_string(N - 1) + ")");
    return sizes[version];
}

// Copies the caller's version prefix into a zeroed latest-version struct.
template <class T, size_t N>
T copy_opts(const T* src, const size_t (&sizes)[N], const char* name) {
    T dst;
    std::memset(&dst, 0, sizeof dst);
    if (!src) {
        dst.version = N - 1;
        return dst;
    }
    std::memcpy(&dst, src, prefix_size<T>(src->version, sizes, name));
    return dst;
}

template <class T, size_t N>
int init_opts(T* opts, uint32_t version, const size_t (&sizes)[N], const char* name) {
    return guard([&] {
        need(opts, "opts");
        size_t n = prefix_size<T>(version, sizes, name);
        std::memset(opts, 0, n);  // only the caller's version's bytes are ours to write
        opts->version = version;
        return E2B_OK;
    });
}

std::optional<std::string> opt_str(const char* s) {
    if (!s) return std::nullopt;
    return std::string(s);
}

void fill_metadata(InfoHolder* h, const e2b::proto::StringMap& m) {
    h->meta.assign(m);
    h->metadata_count = h->meta.keys.size();
    h->metadata_keys = h->meta.kp.data();
    h->metadata_values = h->meta.vp.data();
}

template <class D>
std::unique_ptr<InfoHolder> make_info(const D& d) {
    auto h = std::make_unique<InfoHolder>();
    e2b_sandbox_info& v = *h;
    std::memset(&v, 0, sizeof v);
    h->id = d.sandbox_id;
    h->tmpl = d.template_id;
    h->alias = d.alias;
    h->state = d.state;
    h->envd = d.envd_version;
    v.version = 1;
    v.sandbox_id = h->id.c_str();
    v.template_id = h->tmpl.c_str();
    v.alias = h->alias.c_str();
    v.state = h->state.c_str();
    v.envd_version = h->envd.c_str();
    v.started_at_ms = d.started_at_ns / 1000000;
    v.end_at_ms = d.end_at_ns / 1000000;
    v.cpu_count = (int32_t)d.cpu_count;
    v.memory_mb = (int32_t)d.memory_mb;
    v.disk_size_mb = (int32_t)d.disk_size_mb;
    fill_metadata(h.get(), d.metadata);
    return h;
}

void set_getter_error(const char* what) {
    try {
        set_error(E2B_EINVAL, 0, std::string(what) + " must not be NULL");
    } catch (...) {
    }
}

}  // namespace

struct e2b_sandbox_list {
    std::vector<std::unique_ptr<InfoHolder>> items;
    std::string next;
};

namespace e2b::capi {

e2b::core::SandboxCreateOptions sandbox_create_options(const e2b_sandbox_opts* opts) {
    e2b_sandbox_opts o = copy_opts(opts, kSandboxOptsSize, "e2b_sandbox_opts");
    e2b::core::SandboxCreateOptions co;
    if (o.template_id) {
        if (!*o.template_id) invalid("template_id must not be empty");
        co.template_id = o.template_id;
    }
    if (o.timeout_ms < 0) invalid("timeout_ms must not be negative");
    if (o.profile) {
        const core::Profile* p = core::find_profile(o.profile);
        if (!p)
            invalid(std::string("unknown profile \"") + o.profile + "\" (known: " +
                    core::profile_names() + ")");
        co.cpu_count = p->cpu_count;
        co.memory_mb = p->memory_mb;
        co.timeout_ms = p->timeout_ms;
    }
    if (o.cpu_count < 0 || o.cpu_count > 64) invalid("cpu_count must be 1..64 (0 = default)");
    if (o.memory_mb < 0 || (o.memory_mb > 0 && o.memory_mb < 32))
        invalid("memory_mb must be at least 32 (0 = default)");
    if (o.cpu_count) co.cpu_count = o.cpu_count;
    if (o.memory_mb) co.memory_mb = o.memory_mb;
    if (o.timeout_ms > 0) co.timeout_ms = o.timeout_ms;
    if (o.metadata) co.metadata = parse_pairs(o.metadata, "metadata");
    if (o.envs) co.envs = parse_pairs(o.envs, "envs");
    co.secure = !(o.flags & E2B_SANDBOX_F_INSECURE);
    co.allow_internet = !(o.flags & E2B_SANDBOX_F_NO_INTERNET);
    co.auto_pause = (o.flags & E2B_SANDBOX_F_AUTO_PAUSE) != 0;
    return co;
}

}  // namespace e2b::capi

extern "C" {

const char* e2b_version(void) { return "0.1.0"; }
int e2b_abi_version(void) { return E2B_ABI_VERSION; }

const e2b_error* e2b_error_last(void) { return &t_err.view; }

const char* e2b_status_str(int code) {
    switch (code) {
        case E2B_OK: return "ok";
        case E2B_ERROR: return "error";
        case E2B_EINVAL: return "invalid argument";
        case E2B_EVERSION: return "unsupported struct version";
        case E2B_ENOTFOUND: return "not found";
        case E2B_ETIMEOUT: return "timeout";
        case E2B_EAUTH: return "authentication failed";
        case E2B_ERATELIMIT: return "rate limit exceeded";
        case E2B_ENOSPACE: return "not enough space";
        case E2B_ECANCELED: return "canceled";
        case E2B_EUSER: return "stopped by a callback";
        case E2B_EMISUSE: return "misuse";
        case E2B_ESANDBOX_NOT_FOUND: return "sandbox not found";
        case E2B_EFILE_NOT_FOUND: return "file not found";
        case E2B_ECOMMAND_EXIT: return "command exited with a non-zero code";
        case E2B_ETEMPLATE: return "template error";
        case E2B_ENETWORK: return "network error";
        case E2B_EPROTOCOL: return "protocol error";
        case E2B_ENOMEM: return "out of memory";
        case E2B_EPOOL_EXHAUSTED: return "pool exhausted";
        default: return "unknown error";
    }
}

void e2b_buf_dispose(e2b_buf* buf) {
    if (!buf) return;
    std::free(buf->ptr);
    buf->ptr = nullptr;
    buf->size = buf->reserved = 0;
}

// ---- client ----

int e2b_client_opts_init(e2b_client_opts* opts, uint32_t version) {
    return init_opts(opts, version, kClientOptsSize, "e2b_client_opts");
}

int e2b_client_new(e2b_client** out, const e2b_client_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        e2b_client_opts o = copy_opts(opts, kClientOptsSize, "e2b_client_opts");
        e2b::core::ClientOptions co;
        co.api_key = opt_str(o.api_key);
        co.domain = opt_str(o.domain);
        co.api_url = opt_str(o.api_url);
        co.sandbox_url = opt_str(o.sandbox_url);
        co.request_timeout_ms = o.request_timeout_ms;
        co.proxy = opt_str(o.proxy);
        co.user_agent = opt_str(o.user_agent);
        co.max_attempts = o.max_attempts;
        co.no_env = (o.flags & E2B_CLIENT_F_NO_ENV) != 0;
        if (o.delivery > E2B_DELIVERY_QUEUED) invalid("unknown delivery mode");
        co.queued_delivery = o.delivery == E2B_DELIVERY_QUEUED;
        if (o.log_level < 0 || o.log_level > E2B_LOG_NONE) invalid("log_level must be 0 or E2B_LOG_DEBUG..E2B_LOG_NONE");
        co.log_level = o.log_level ? o.log_level : E2B_LOG_INFO;
        if (o.log_cb) {
            auto cb = o.log_cb;
            void* pl = o.log_payload;
            co.log_sink = [cb, pl](int level, const char* line, size_t len) { cb(level, line, len, pl); };
        }
        if (o.log_file) {
            if (!*o.log_file) invalid("log_file must not be empty");
            co.log_file = o.log_file;
        }
        auto cfg = e2b::core::resolve_config(co);
        auto c = std::make_unique<e2b_client>();
        c->c = std::make_unique<e2b::core::Client>(std::move(cfg), co);
        *out = c.release();
        return E2B_OK;
    });
}

void e2b_client_free(e2b_client* client) {
    guard([&] {
        delete client;
        return E2B_OK;
    });
}

// ---- sandbox ----

int e2b_sandbox_opts_init(e2b_sandbox_opts* opts, uint32_t version) {
    return init_opts(opts, version, kSandboxOptsSize, "e2b_sandbox_opts");
}

int e2b_sandbox_create(e2b_sandbox** out, e2b_client* client, const e2b_sandbox_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        e2b::core::SandboxCreateOptions co = e2b::capi::sandbox_create_options(opts);
        auto s = std::make_unique<e2b_sandbox>();
        s->s = client->c->create(co);
        *out = s.release();
        return E2B_OK;
    });
}

int e2b_sandbox_connect(e2b_sandbox** out, e2b_client* client, const char* sandbox_id,
                        int64_t timeout_ms) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        need(sandbox_id, "sandbox_id");
        if (!*sandbox_id) invalid("sandbox_id must not be empty");
        if (timeout_ms < 0) invalid("timeout_ms must not be negative");
        auto s = std::make_unique<e2b_sandbox>();
        s->s = client->c->connect(sandbox_id, timeout_ms);
        *out = s.release();
        return E2B_OK;
    });
}

void e2b_sandbox_free(e2b_sandbox* sandbox) {
    guard([&] {
        delete sandbox;
        return E2B_OK;
    });
}

const char* e2b_sandbox_id(const e2b_sandbox* sandbox) {
    if (!sandbox) {
        set_getter_error("sandbox");
        return nullptr;
    }
    set_ok();
    return sandbox->s->id().c_str();
}

const char* e2b_sandbox_envd_version(const e2b_sandbox* sandbox) {
    if (!sandbox) {
        set_getter_error("sandbox");
        return nullptr;
    }
    set_ok();
    return sandbox->s->envd_version().c_str();
}

// The handle and by-id forms share these.
namespace {
int kill_impl(e2b::core::Client& c, const std::string& id) {
    if (!c.kill(id)) throw Error(E2B_ESANDBOX_NOT_FOUND, "Sandbox " + id + " not found", 404);
    return E2B_OK;
}
int set_timeout_impl(e2b::core::Client& c, const std::string& id, int64_t timeout_ms) {
    if (timeout_ms <= 0) invalid("timeout_ms must be positive");
    c.set_timeout(id, timeout_ms);
    return E2B_OK;
}
}  // namespace

int e2b_sandbox_kill(e2b_sandbox* sandbox) {
    return guard([&] {
        need(sandbox, "sandbox");
        return kill_impl(sandbox->s->client(), sandbox->s->id());
    });
}

int e2b_sandbox_set_timeout(e2b_sandbox* sandbox, int64_t timeout_ms) {
    return guard([&] {
        need(sandbox, "sandbox");
        return set_timeout_impl(sandbox->s->client(), sandbox->s->id(), timeout_ms);
    });
}

int e2b_sandbox_pause(e2b_sandbox* sandbox) {
    return guard([&] {
        need(sandbox, "sandbox");
        return sandbox->s->pause() ? 1 : 0;
    });
}

int e2b_sandbox_kill_id(e2b_client* client, const char* sandbox_id) {
    return guard([&] {
        need(client, "client");
        e2b::capi::need_str(sandbox_id, "sandbox_id");
        return kill_impl(*client->c, sandbox_id);
    });
}

int e2b_sandbox_set_timeout_id(e2b_client* client, const char* sandbox_id, int64_t timeout_ms) {
    return guard([&] {
        need(client, "client");
        e2b::capi::need_str(sandbox_id, "sandbox_id");
        return set_timeout_impl(*client->c, sandbox_id, timeout_ms);
    });
}

int e2b_sandbox_pause_id(e2b_client* client, const char* sandbox_id) {
    return guard([&] {
        need(client, "client");
        e2b::capi::need_str(sandbox_id, "sandbox_id");
        return client->c->pause(sandbox_id) ? 1 : 0;
    });
}

int e2b_sandbox_is_running(e2b_sandbox* sandbox) {
    return guard([&] {
        need(sandbox, "sandbox");
        return sandbox->s->is_running() ? 1 : 0;
    });
}

int e2b_sandbox_get_info(e2b_sandbox_info** out, e2b_client* client, const char* sandbox_id) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        need(sandbox_id, "sandbox_id");
        if (!*sandbox_id) invalid("sandbox_id must not be empty");
        *out = make_info(client->c->get_info(sandbox_id)).release();
        return E2B_OK;
    });
}

void e2b_sandbox_info_free(e2b_sandbox_info* info) {
    guard([&] {
        delete static_cast<InfoHolder*>(info);
        return E2B_OK;
    });
}

int e2b_list_opts_init(e2b_list_opts* opts, uint32_t version) {
    return init_opts(opts, version, kListOptsSize, "e2b_list_opts");
}

int e2b_sandbox_list_page(e2b_sandbox_list** out, e2b_client* client, const e2b_list_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        e2b_list_opts o = copy_opts(opts, kListOptsSize, "e2b_list_opts");
        if (o.states & ~(E2B_LIST_RUNNING | E2B_LIST_PAUSED)) invalid("unknown bits in states");
        if (o.limit > 100) invalid("limit must be 1..100 (0 = 100)");
        e2b::core::ListOptions lo;
        if (o.states) {
            lo.running = o.states & E2B_LIST_RUNNING;
            lo.paused = o.states & E2B_LIST_PAUSED;
        }
        if (o.metadata) lo.metadata = parse_pairs(o.metadata, "metadata");
        lo.limit = o.limit ? o.limit : 100;
        if (o.next_token) lo.next_token = o.next_token;
        auto page = client->c->list(lo);
        auto l = std::make_unique<e2b_sandbox_list>();
        for (const auto& it : page.items) l->items.push_back(make_info(it));
        l->next = std::move(page.next_token);
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_sandbox_list_count(const e2b_sandbox_list* list) { return e2b::capi::list_count(list); }

const e2b_sandbox_info* e2b_sandbox_list_at(const e2b_sandbox_list* list, size_t i) {
    return e2b::capi::list_at(list, i);
}

const char* e2b_sandbox_list_next_token(const e2b_sandbox_list* list) {
    if (!list) {
        set_getter_error("list");
        return nullptr;
    }
    set_ok();
    return list->next.empty() ? nullptr : list->next.c_str();
}

void e2b_sandbox_list_free(e2b_sandbox_list* list) {
    guard([&] {
        delete list;
        return E2B_OK;
    });
}

int e2b_sandbox_get_host(e2b_buf* out, const e2b_sandbox* sandbox, uint16_t port) {
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        std::string h = sandbox->s->host(port);
        char* p = static_cast<char*>(std::malloc(h.size() + 1));
        if (!p) throw std::bad_alloc();
        std::memcpy(p, h.c_str(), h.size() + 1);
        out->ptr = p;
        out->size = h.size();
        out->reserved = h.size() + 1;
        return E2B_OK;
    });
}

}  // extern "C"

// The plumbing declared in capi_internal.hpp for the other capi_*.cpp files.
namespace e2b::capi {
int run_guarded(const std::function<int()>& f) noexcept { return ::guard(f); }
void set_ok() noexcept { ::set_ok(); }
e2b::proto::StringMap parse_pairs(const char* const* list, const char* what) {
    e2b::proto::StringMap m;
    for (size_t i = 0; list && list[i]; ++i) {
        const char* eq = std::strchr(list[i], '=');
        if (!eq || eq == list[i])
            invalid(std::string(what) + " entry \"" + list[i] + "\" is not \"key=value\"");
        m[std::string(list[i], eq)] = eq + 1;
    }
    return m;
}
void set_error(int code, const char* msg) noexcept {
    try {
        ::set_error(code, 0, msg);
    } catch (...) {
        t_err.view = {code, 0, "out of memory"};
    }
}
}  // namespace e2b::capi
