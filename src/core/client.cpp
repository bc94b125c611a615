#include <cctype>
#include <cstdlib>

#include "core/core.hpp"
#include "e2b.h"
#include "protocol/errors.hpp"
#include "util/encoding.hpp"

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
    transport::Options t;
    t.user_agent = o.user_agent ? *o.user_agent : std::string("libe2b/") + e2b_version();
    t.proxy = o.proxy;
    t.retry.max_attempts = o.max_attempts ? (int)o.max_attempts : 3;
    t.delivery = o.queued_delivery ? transport::Delivery::kQueued : transport::Delivery::kServiceThread;
    tr_ = std::make_unique<transport::Transport>(std::move(t));
}

std::shared_ptr<transport::WebSockets> Client::websockets() {
    std::lock_guard<std::mutex> lk(ws_mu_);
    if (!ws_) ws_ = transport::WebSockets::create(*tr_);
    return ws_;
}

transport::Response Client::api(const std::string& method, const std::string& path,
                                const std::string& body, bool idempotent) {
    transport::Request r;
    r.method = method;
    r.url = cfg_.api_url + path;
    r.headers = {{"X-API-KEY", cfg_.api_key}};
    if (!body.empty()) r.headers.emplace_back("Content-Type", "application/json");
    r.body = body;
    r.timeout_ms = cfg_.request_timeout_ms;
    r.idempotent = idempotent;
    transport::Response resp = tr_->perform(std::move(r));
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

std::unique_ptr<Sandbox> Client::create(const SandboxCreateOptions& o) {
    proto::NewSandbox n;
    n.template_id = o.template_id;
    n.timeout_s = timeout_seconds(o.timeout_ms);
    n.metadata = o.metadata;
    n.env_vars = o.envs;
    n.secure = o.secure;
    n.allow_internet_access = o.allow_internet;
    if (o.auto_pause) n.auto_pause = true;
    // Not retried: a lost response would create a second sandbox.
    return from_response(api("POST", "/sandboxes", proto::encode_new_sandbox(n), false),
                         proto::ApiOp::kCreate, "");
}

std::unique_ptr<Sandbox> Client::connect(const std::string& id, int64_t timeout_ms) {
    std::string body = proto::encode_timeout_body(timeout_seconds(timeout_ms ? timeout_ms : 300000));
    return from_response(api("POST", "/sandboxes/" + url_encode(id) + "/connect", body, false),
                         proto::ApiOp::kConnect, id);
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
    if (r.status >= 200 && r.status < 300) return true;
    auto m = proto::map_api_error(proto::ApiOp::kKill, r.status, r.body, id);
    if (m.as_false) return false;
    throw_mapped(m);
}

void Client::set_timeout(const std::string& id, int64_t timeout_ms) {
    auto body = proto::encode_timeout_body(timeout_seconds(timeout_ms));
    auto r = api("POST", "/sandboxes/" + url_encode(id) + "/timeout", body, false);
    if (r.status < 200 || r.status >= 300)
        throw_mapped(proto::map_api_error(proto::ApiOp::kSetTimeout, r.status, r.body, id));
}

bool Client::pause(const std::string& id) {
    auto r = api("POST", "/sandboxes/" + url_encode(id) + "/pause", proto::encode_pause_body(true), false);
    if (r.status >= 200 && r.status < 300) return true;
    auto m = proto::map_api_error(proto::ApiOp::kPause, r.status, r.body, id);
    if (m.as_false) return false;
    throw_mapped(m);
}

bool Sandbox::kill() { return c_.kill(id()); }
void Sandbox::set_timeout(int64_t timeout_ms) { c_.set_timeout(id(), timeout_ms); }
bool Sandbox::pause() { return c_.pause(id()); }

bool Sandbox::is_running() {
    transport::Request r;
    r.url = envd_url_ + "/health";
    r.headers = {{"E2b-Sandbox-Id", id()}, {"E2b-Sandbox-Port", "49983"}};
    r.timeout_ms = c_.config().request_timeout_ms;
    r.idempotent = true;
    // 502 is the answer that matters here; retrying it would only delay the `false`.
    transport::RetryPolicy once = c_.transport().options().retry;
    once.max_attempts = 1;
    r.retry = once;
    auto resp = c_.transport().perform(std::move(r));
    if (!resp.error.ok()) throw_transport(resp.error);
    if (resp.status >= 200 && resp.status < 300) return true;
    if (resp.status == 502) return false;
    throw_mapped(proto::map_envd_http_error(resp.status, resp.body, false));
}

std::string Sandbox::host(uint16_t port) const {
    if (c_.config().debug) return "localhost:" + std::to_string(port);
    return std::to_string(port) + "-" + id() + "." + domain_;
}

}  // namespace e2b::core
