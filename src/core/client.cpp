#include <cctype>
#include <cstdlib>

#include "core/core.hpp"
#include "core/telemetry.hpp"
#include "e2b.h"
#include "protocol/errors.hpp"
#include "util/encoding.hpp"
#include "util/time.hpp"

namespace e2b::core {

namespace {

std::optional<std::string> env(const char* name, bool no_env) {
    if (no_env) return std::nullopt;
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower((unsigned char)a[i]) != std::tolower((unsigned char)b[i])) return false;
    return true;
}

// Accepts http(s)://host[...]; drops trailing slashes since paths are appended.
std::string check_url(std::string u, const char* what) {
    auto scheme_end = u.find("://");
    bool ok = scheme_end != std::string::npos &&
              (u.compare(0, scheme_end, "http") == 0 || u.compare(0, scheme_end, "https") == 0) &&
              u.size() > scheme_end + 3 && u[scheme_end + 3] != '/';
    for (char ch : u)
        if ((unsigned char)ch <= ' ') ok = false;
    if (!ok) throw Error(E2B_EINVAL, std::string("malformed ") + what + ": \"" + u + "\"");
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
}

// application/x-www-form-urlencoded as URLSearchParams writes it.
std::string form_encode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) || ch == '*' || ch == '-' || ch == '.' || ch == '_') {
            out += (char)ch;
        } else if (ch == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[ch >> 4];
            out += hex[ch & 15];
        }
    }
    return out;
}

[[noreturn]] void throw_mapped(const proto::MappedError& m) { throw Error(m.code, m.message, m.http_status); }

[[noreturn]] void throw_transport(const transport::Error& e) {
    throw Error(e.code ? e.code : E2B_ERROR, e.message, e.http_status);
}

}  // namespace

namespace {
const Profile kProfiles[] = {
    {"light", 1, 512, 300000},
    {"medium", 2, 2048, 1800000},
    {"heavy", 4, 8192, 3600000},
    {"ml", 8, 16384, 3600000},
};
}  // namespace

const Profile* find_profile(const std::string& name) {
    for (const Profile& p : kProfiles)
        if (name == p.name) return &p;
    return nullptr;
}

std::string profile_names() {
    std::string s;
    for (const Profile& p : kProfiles) s += std::string(s.empty() ? "" : ", ") + p.name;
    return s;
}

int32_t timeout_seconds(int64_t ms) {
    if (ms <= 0) throw Error(E2B_EINVAL, "timeout must be positive");
    int64_t s = (ms + 999) / 1000;
    if (s > INT32_MAX) throw Error(E2B_EINVAL, "timeout too large");
    return (int32_t)s;
}

std::string encode_metadata_filter(const proto::StringMap& m) {
    std::string out;
    for (const auto& [k, v] : m) {
        if (!out.empty()) out += '&';
        out += form_encode(url_encode(k)) + "=" + form_encode(url_encode(v));
    }
    return out;
}

ClientConfig resolve_config(const ClientOptions& o) {
    ClientConfig c;
    bool ne = o.no_env;
    if (auto d = env("E2B_DEBUG", ne)) c.debug = iequals(*d, "true");
    auto key = o.api_key && !o.api_key->empty() ? o.api_key : env("E2B_API_KEY", ne);
    if (!key)
        throw Error(E2B_EAUTH,
                    "API key is required: pass api_key or set the E2B_API_KEY environment variable");
    c.api_key = *key;
    c.domain = o.domain && !o.domain->empty() ? *o.domain
                                              : env("E2B_DOMAIN", ne).value_or("e2b.app");
    if (o.api_url && !o.api_url->empty())
        c.api_url = *o.api_url;
    else if (auto u = env("E2B_API_URL", ne))
        c.api_url = *u;
    else
        c.api_url = c.debug ? "http://localhost:3000" : "https://api." + c.domain;
    c.api_url = check_url(c.api_url, "API URL");
    if (o.sandbox_url && !o.sandbox_url->empty())
        c.sandbox_url = check_url(*o.sandbox_url, "sandbox URL");
    else if (auto u = env("E2B_SANDBOX_URL", ne))
        c.sandbox_url = check_url(*u, "sandbox URL");
    c.request_timeout_ms = o.request_timeout_ms == 0 ? 60000
                           : o.request_timeout_ms < 0 ? 0
                                                      : o.request_timeout_ms;
    return c;
}

Client::Client(ClientConfig cfg, const ClientOptions& o) : cfg_(std::move(cfg)) {
    tel_ = std::make_unique<Telemetry>(o.log_sink, o.log_file, o.log_level);
    tel_->attach(this, cfg_.api_url);
    transport::Options t;
    t.on_complete = [tel = tel_.get()](const transport::Completed& c) { tel->on_request(c); };
    t.user_agent = o.user_agent ? *o.user_agent : std::string("libe2b/") + e2b_version();
    t.proxy = o.proxy;
    t.retry.max_attempts = o.max_attempts ? (int)o.max_attempts : 3;
    t.delivery = o.queued_delivery ? transport::Delivery::kQueued : transport::Delivery::kServiceThread;
    tr_ = std::make_unique<transport::Transport>(std::move(t));
}

// Members then go in reverse order: ws_, tr_ (its in-flight calls end through the completion
// hook), and tel_ last.
Client::~Client() {
    tel_->stop_monitor();  // its watches and scrapes use the transport: stop them first
}

std::shared_ptr<transport::WebSockets> Client::websockets() {
    std::lock_guard<std::mutex> lk(ws_mu_);
    if (!ws_) ws_ = transport::WebSockets::create(*tr_);
    return ws_;
}

transport::Request Client::api_request(const std::string& method, const std::string& path,
                                       const std::string& body, bool idempotent) const {
    transport::Request r;
    r.method = method;
    r.url = cfg_.api_url + path;
    r.headers = {{"X-API-KEY", cfg_.api_key}};
    if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    r.body = body;
    r.timeout_ms = cfg_.request_timeout_ms;
    r.idempotent = idempotent;
    return r;
}

transport::Response Client::api(const std::string& method, const std::string& path,
                                const std::string& body, bool idempotent) {
    transport::Response resp = tr_->perform(api_request(method, path, body, idempotent));
    if (!resp.error.ok()) throw_transport(resp.error);
    return resp;
}

std::unique_ptr<Sandbox> Client::from_response(const transport::Response& r, proto::ApiOp op,
                                               const std::string& id) {
    if (r.status < 200 || r.status >= 300) throw_mapped(proto::map_api_error(op, r.status, r.body, id));
    proto::Sandbox s;
    std::string err;
    if (!proto::parse_sandbox(r.body, &s, &err))
        throw Error(E2B_EPROTOCOL, "malformed sandbox response: " + err, r.status);
    return std::make_unique<Sandbox>(*this, std::move(s));
}

namespace {
proto::NewSandbox new_sandbox(const SandboxCreateOptions& o) {
    proto::NewSandbox n;
    n.template_id = o.template_id;
    n.timeout_s = timeout_seconds(o.timeout_ms);
    n.metadata = o.metadata;
    n.env_vars = o.envs;
    n.secure = o.secure;
    n.allow_internet_access = o.allow_internet;
    if (o.auto_pause) n.auto_pause = true;
    n.cpu_count = o.cpu_count;
    n.memory_mb = o.memory_mb;
    return n;
}
}  // namespace

std::unique_ptr<Sandbox> Client::create(const SandboxCreateOptions& o) {
    int64_t t0 = now_mono_ns();
    std::unique_ptr<Sandbox> sb;
    try {
        // Not retried: a lost response would create a second sandbox.
        sb = from_response(api("POST", "/sandboxes", proto::encode_new_sandbox(new_sandbox(o)), false),
                           proto::ApiOp::kCreate, "");
    } catch (const Error& e) {
        tel_->sandbox_create_failed(e.code, e.what(), now_mono_ns() - t0);
        throw;
    }
    tel_->sandbox_created(sb->id(), o.template_id, o.cpu_count, o.memory_mb, o.timeout_ms,
                          now_mono_ns() - t0);
    lookup_resources_async(sb->id());
    return sb;
}

void Client::create_async(const SandboxCreateOptions& o, CreateDone done) {
    struct St {
        transport::Response r;
        int64_t t0 = now_mono_ns();
    };
    auto st = std::make_shared<St>();
    transport::Callbacks cb;
    cb.on_response = [st](int status, const transport::Headers& h) {
        st->r.status = status;
        st->r.headers = h;
        return transport::Action::kContinue;
    };
    cb.on_data = [st](const char* d, size_t n) {
        st->r.body.append(d, n);
        return transport::Action::kContinue;
    };
    cb.on_done = [this, st, o, done = std::move(done)](const transport::Error& e) {
        std::unique_ptr<Sandbox> sb;
        try {
            if (!e.ok()) throw_transport(e);
            sb = from_response(st->r, proto::ApiOp::kCreate, "");
        } catch (const Error& err) {
            tel_->sandbox_create_failed(err.code, err.what(), now_mono_ns() - st->t0);
            done(nullptr, &err);
            return;
        }
        tel_->sandbox_created(sb->id(), o.template_id, o.cpu_count, o.memory_mb, o.timeout_ms,
                              now_mono_ns() - st->t0);
        lookup_resources_async(sb->id());
        done(std::move(sb), nullptr);
    };
    tr_->start_on_service_thread(
        api_request("POST", "/sandboxes", proto::encode_new_sandbox(new_sandbox(o)), false),
        std::move(cb));
}

// The create response carries no resources, and a requested size is only honoured by e2b-local:
// read the real size once, in the background, for the cost tracker.
void Client::lookup_resources_async(const std::string& id) {
    auto body = std::make_shared<std::string>();
    auto status = std::make_shared<int>(0);
    transport::Callbacks cb;
    cb.on_response = [status](int s, const transport::Headers&) {
        *status = s;
        return transport::Action::kContinue;
    };
    cb.on_data = [body](const char* d, size_t n) {
        body->append(d, n);
        return transport::Action::kContinue;
    };
    cb.on_done = [this, body, status, id](const transport::Error& e) {
        proto::SandboxDetail d;
        std::string err;
        if (e.ok() && *status == 200 && proto::parse_sandbox_detail(*body, &d, &err))
            tel_->sandbox_resources(id, (int)d.cpu_count, (int)d.memory_mb);
    };
    tr_->start_on_service_thread(api_request("GET", "/sandboxes/" + url_encode(id), "", true),
                                 std::move(cb));
}

void Client::kill_async(const std::string& id) {
    transport::Callbacks cb;
    auto status = std::make_shared<int>(0);
    cb.on_response = [status](int s, const transport::Headers&) {
        *status = s;
        return transport::Action::kContinue;
    };
    cb.on_done = [this, status, id](const transport::Error& e) {
        if (e.ok() && ((*status >= 200 && *status < 300) || *status == 404)) tel_->sandbox_killed(id);
    };
    tr_->start_on_service_thread(api_request("DELETE", "/sandboxes/" + url_encode(id), "", true),
                                 std::move(cb));
}

void Client::set_timeout_async(const std::string& id, int64_t timeout_ms) {
    transport::Callbacks cb;
    auto status = std::make_shared<int>(0);
    cb.on_response = [status](int s, const transport::Headers&) {
        *status = s;
        return transport::Action::kContinue;
    };
    cb.on_done = [this, status, id, timeout_ms](const transport::Error& e) {
        if (e.ok() && *status >= 200 && *status < 300) tel_->sandbox_timeout(id, timeout_ms);
    };
    tr_->start_on_service_thread(api_request("POST", "/sandboxes/" + url_encode(id) + "/timeout",
                                             proto::encode_timeout_body(timeout_seconds(timeout_ms)),
                                             false),
                                 std::move(cb));
}

std::unique_ptr<Sandbox> Client::connect(const std::string& id, int64_t timeout_ms) {
    int64_t t = timeout_ms ? timeout_ms : 300000;
    std::string body = proto::encode_timeout_body(timeout_seconds(t));
    auto sb = from_response(api("POST", "/sandboxes/" + url_encode(id) + "/connect", body, false),
                            proto::ApiOp::kConnect, id);
    tel_->sandbox_connected(id, t);
    if (tel_->needs_resources(id)) lookup_resources_async(id);
    return sb;
}

proto::SandboxDetail Client::get_info(const std::string& id) {
    auto r = api("GET", "/sandboxes/" + url_encode(id), "", true);
    if (r.status != 200) throw_mapped(proto::map_api_error(proto::ApiOp::kGetInfo, r.status, r.body, id));
    proto::SandboxDetail d;
    std::string err;
    if (!proto::parse_sandbox_detail(r.body, &d, &err))
        throw Error(E2B_EPROTOCOL, "malformed sandbox detail: " + err, r.status);
    return d;
}

ListPage Client::list(const ListOptions& o) {
    std::string q = "?state=";
    if (o.running) q += "running";
    if (o.running && o.paused) q += ",";
    if (o.paused) q += "paused";
    if (!o.metadata.empty()) q += "&metadata=" + url_encode(encode_metadata_filter(o.metadata));
    q += "&limit=" + std::to_string(o.limit);
    if (!o.next_token.empty()) q += "&nextToken=" + url_encode(o.next_token);
    auto r = api("GET", "/v2/sandboxes" + q, "", true);
    if (r.status != 200) throw_mapped(proto::map_api_error(proto::ApiOp::kList, r.status, r.body));
    ListPage p;
    std::string err;
    if (!proto::parse_listed_sandboxes(r.body, &p.items, &err))
        throw Error(E2B_EPROTOCOL, "malformed sandbox list: " + err, r.status);
    if (auto* t = transport::find_header(r.headers, "X-Next-Token")) p.next_token = *t;
    return p;
}

std::vector<proto::SandboxMetric> Client::metrics(const std::string& id, int64_t start_s,
                                                  int64_t end_s) {
    std::string q;
    if (start_s >= 0) q += "start=" + std::to_string(start_s);
    if (end_s >= 0) q += (q.empty() ? "" : "&") + std::string("end=") + std::to_string(end_s);
    auto r = api("GET", "/sandboxes/" + url_encode(id) + "/metrics" + (q.empty() ? "" : "?" + q), "",
                 true);
    if (r.status != 200) throw_mapped(proto::map_api_error(proto::ApiOp::kMetrics, r.status, r.body, id));
    std::vector<proto::SandboxMetric> out;
    std::string err;
    if (!proto::parse_sandbox_metrics(r.body, &out, &err))
        throw Error(E2B_EPROTOCOL, "malformed sandbox metrics: " + err, r.status);
    return out;
}

std::vector<proto::SandboxLogEntry> Client::logs(const std::string& id, const LogsQuery& lq) {
    std::string q = lq.backward ? "?direction=backward" : "?direction=forward";
    if (lq.cursor_ms >= 0) q += "&cursor=" + std::to_string(lq.cursor_ms);
    if (lq.limit > 0) q += "&limit=" + std::to_string(lq.limit);
    if (!lq.level.empty()) q += "&level=" + url_encode(lq.level);
    if (!lq.search.empty()) q += "&search=" + url_encode(lq.search);
    auto r = api("GET", "/v2/sandboxes/" + url_encode(id) + "/logs" + q, "", true);
    if (r.status != 200) throw_mapped(proto::map_api_error(proto::ApiOp::kLogs, r.status, r.body, id));
    std::vector<proto::SandboxLogEntry> out;
    std::string err;
    if (!proto::parse_sandbox_logs(r.body, &out, &err))
        throw Error(E2B_EPROTOCOL, "malformed sandbox logs: " + err, r.status);
    return out;
}

// ---- Sandbox ----

Sandbox::Sandbox(Client& c, proto::Sandbox s) : c_(c), s_(std::move(s)) {
    heartbeat_->store(now_mono_ns());
    const ClientConfig& cfg = c_.config();
    token_ = s_.envd_access_token.value_or("");
    domain_ = s_.domain && !s_.domain->empty() ? *s_.domain : cfg.domain;
    if (cfg.sandbox_url)
        envd_url_ = *cfg.sandbox_url;
    else if (cfg.debug)
        envd_url_ = "http://localhost:49983";
    else if (domain_ == "e2b.app" || domain_ == "e2b.dev" || domain_ == "e2b.pro" ||
             domain_ == "e2b-staging.dev")
        envd_url_ = "https://sandbox." + domain_;
    else
        envd_url_ = "https://49983-" + s_.sandbox_id + "." + domain_;
}

bool Client::kill(const std::string& id) {
    auto r = api("DELETE", "/sandboxes/" + url_encode(id), "", true);
    if (r.status >= 200 && r.status < 300) {
        tel_->sandbox_killed(id);
        return true;
    }
    auto m = proto::map_api_error(proto::ApiOp::kKill, r.status, r.body, id);
    if (m.as_false) {
        tel_->sandbox_killed(id);  // gone (killed elsewhere or expired): stop counting its cost
        return false;
    }
    throw_mapped(m);
}

void Client::set_timeout(const std::string& id, int64_t timeout_ms) {
    auto body = proto::encode_timeout_body(timeout_seconds(timeout_ms));
    auto r = api("POST", "/sandboxes/" + url_encode(id) + "/timeout", body, false);
    if (r.status < 200 || r.status >= 300)
        throw_mapped(proto::map_api_error(proto::ApiOp::kSetTimeout, r.status, r.body, id));
    tel_->sandbox_timeout(id, timeout_ms);
}

bool Client::pause(const std::string& id) {
    auto r = api("POST", "/sandboxes/" + url_encode(id) + "/pause", proto::encode_pause_body(true), false);
    if (r.status >= 200 && r.status < 300) {
        tel_->sandbox_paused(id);
        return true;
    }
    auto m = proto::map_api_error(proto::ApiOp::kPause, r.status, r.body, id);
    if (m.as_false) return false;
    throw_mapped(m);
}

bool Sandbox::kill() { return c_.kill(id()); }
void Sandbox::set_timeout(int64_t timeout_ms) { c_.set_timeout(id(), timeout_ms); }
bool Sandbox::pause() { return c_.pause(id()); }

namespace {
// GET envd /health, tried once: 502 (the sandbox is gone) is the answer that matters, and
// retrying it would only delay it.
transport::Request health_request(Client& c, const std::string& envd_url, const std::string& id,
                                  int64_t timeout_ms) {
    transport::Request r;
    r.url = envd_url + "/health";
    r.headers = {{"E2b-Sandbox-Id", id}, {"E2b-Sandbox-Port", "49983"}};
    r.timeout_ms = timeout_ms;
    r.idempotent = true;
    transport::RetryPolicy once = c.transport().options().retry;
    once.max_attempts = 1;
    r.retry = once;
    return r;
}
}  // namespace

bool Sandbox::is_running() {
    auto resp = c_.transport().perform(health_request(c_, envd_url_, id(), c_.config().request_timeout_ms));
    if (!resp.error.ok()) throw_transport(resp.error);
    if (resp.status >= 200 && resp.status < 300) return true;
    if (resp.status == 502) return false;
    throw_mapped(proto::map_envd_http_error(resp.status, resp.body, false));
}

const char* const kSandboxGoneMidRequest =
    "The sandbox was killed or reached its end of life while the request was in flight.";

void probe_sandbox_gone(Client& c, const std::string& envd_url, const std::string& sandbox_id,
                        std::function<void(bool gone)> done) {
    transport::Request r = health_request(c, envd_url, sandbox_id, 10000);
    auto status = std::make_shared<int>(0);
    transport::Callbacks cbs;
    cbs.on_response = [status](int st, const transport::Headers&) {
        *status = st;
        return transport::Action::kContinue;
    };
    cbs.on_done = [status, done = std::move(done)](const transport::Error& e) {
        done(e.ok() && *status == 502);
    };
    c.transport().start_on_service_thread(std::move(r), std::move(cbs));
}

std::string Sandbox::host(uint16_t port) const {
    if (c_.config().debug) return "localhost:" + std::to_string(port);
    return std::to_string(port) + "-" + id() + "." + domain_;
}

}  // namespace e2b::core
