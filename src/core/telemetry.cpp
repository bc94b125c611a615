#include "core/telemetry.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/core.hpp"
#include "e2b.h"
#include "util/json.hpp"
#include "util/time.hpp"

namespace e2b::core {

namespace {

const char* level_name(int level) {
    switch (level) {
        case kLogDebug: return "debug";
        case kLogInfo: return "info";
        case kLogWarn: return "warn";
        default: return "error";
    }
}

std::string num(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char b[64];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

// Prometheus label value escaping (backslash, quote, newline).
std::string label(std::string_view v) {
    std::string o;
    for (char ch : v) {
        if (ch == '\\' || ch == '"') o += '\\';
        if (ch == '\n') {
            o += "\\n";
            continue;
        }
        o += ch;
    }
    return o;
}

std::string snake(std::string_view camel) {
    std::string o;
    for (size_t i = 0; i < camel.size(); ++i) {
        unsigned char ch = (unsigned char)camel[i];
        if (std::isupper(ch)) {
            if (i) o += '_';
            o += (char)std::tolower(ch);
        } else {
            o += (char)ch;
        }
    }
    return o;
}

std::string http_status_kind(int status) {
    switch (status) {
        case 400: return "invalid_argument";
        case 401: case 403: return "authentication_failed";
        case 404: return "not_found";
        case 409: return "conflict";
        case 429: return "rate_limit_exceeded";
        case 507: return "not_enough_space";
        default: return status >= 500 ? "server_error" : "http_" + std::to_string(status);
    }
}

void header(std::string* o, const char* name, const char* type, const char* help) {
    *o += "# HELP ";
    *o += name;
    *o += ' ';
    *o += help;
    *o += "\n# TYPE ";
    *o += name;
    *o += ' ';
    *o += type;
    *o += '\n';
}

void sample(std::string* o, const char* name, const std::string& labels, double v) {
    *o += name;
    if (!labels.empty()) *o += "{" + labels + "}";
    *o += ' ';
    *o += num(v);
    *o += '\n';
}

void histogram(std::string* o, const char* name, const std::string& labels, const Histogram& h) {
    std::string pre = labels.empty() ? "" : labels + ",";
    uint64_t cum = 0;
    std::string bucket = std::string(name) + "_bucket";
    for (size_t i = 0; i < h.counts.size(); ++i) {
        cum += h.counts[i];
        std::string le = i < h.bounds.size() ? num(h.bounds[i]) : "+Inf";
        sample(o, bucket.c_str(), pre + "le=\"" + le + "\"", (double)cum);
    }
    sample(o, (std::string(name) + "_sum").c_str(), labels, h.sum);
    sample(o, (std::string(name) + "_count").c_str(), labels, (double)h.count);
}

}  // namespace

// ---- helpers -----------------------------------------------------------------------------------

std::string error_kind(int code) {
    if (code == E2B_OK) return "";
    std::string s = e2b_status_str(code);
    for (char& ch : s)
        if (ch == ' ') ch = '_';
    return s;
}

std::string operation_name(const transport::Request& r, const std::string& api_url,
                           std::string* sandbox_id) {
    std::string m = r.method;
    for (char& ch : m) ch = (char)std::tolower((unsigned char)ch);
    // Sandbox traffic carries E2b-Sandbox-Id (the sandbox URL may equal the API URL: e2b-local).
    const std::string* sid = transport::find_header(r.headers, "E2b-Sandbox-Id");
    bool api = !sid && !api_url.empty() && r.url.compare(0, api_url.size(), api_url) == 0;
    std::string_view path(r.url);
    if (api) {
        path.remove_prefix(api_url.size());
    } else {
        auto p = path.find("://");
        p = p == std::string_view::npos ? 0 : path.find('/', p + 3);
        path = p == std::string_view::npos ? std::string_view("/") : path.substr(p);
        if (sid) *sandbox_id = *sid;
    }
    path = path.substr(0, path.find('?'));
    if (sid) {  // traffic to a user port (ports, code interpreter): one label, not one per path
        const std::string* port = transport::find_header(r.headers, "E2b-Sandbox-Port");
        if (port && *port != "49983") return "port." + m;
    }
    std::vector<std::string_view> seg;
    for (size_t i = 0; i < path.size();) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) seg.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    if (api) {
        if (!seg.empty() && seg[0] == "v2") seg.erase(seg.begin());
        if (seg.empty() || seg[0] != "sandboxes") return "api." + m;
        if (seg.size() == 1) return m == "post" ? "sandbox.create" : "sandbox.list";
        *sandbox_id = std::string(seg[1]);
        if (seg.size() == 2) return m == "delete" ? "sandbox.kill" : "sandbox.get_info";
        if (seg[2] == "timeout") return "sandbox.set_timeout";
        return "sandbox." + std::string(seg[2]);
    }
    if (seg.size() == 1 && seg[0] == "health") return "envd.health";
    if (seg.size() == 1 && seg[0] == "files") return m == "get" ? "files.read" : "files.write";
    if (seg.size() == 2) {  // Connect RPC: /<package>.<Service>/<Method>
        auto dot = seg[0].rfind('.');
        if (dot != std::string_view::npos)
            return snake(seg[0].substr(dot + 1)) + "." + snake(seg[1]);
    }
    return "http." + m;
}

Prices parse_prices(std::string_view text, Prices p) {
    Json j = json_parse(text);
    if (!j || !cJSON_IsObject(j.get()))
        throw Error(E2B_EINVAL, "price table must be a JSON object like {\"vcpu_second\":0.000014,"
                                "\"gib_second\":0.0000045}");
    for (const cJSON* it = j->child; it; it = it->next) {
        std::string k = it->string ? it->string : "";
        double* dst = k == "vcpu_second" ? &p.vcpu_second : k == "gib_second" ? &p.gib_second : nullptr;
        if (!dst) throw Error(E2B_EINVAL, "unknown price \"" + k + "\" (known: vcpu_second, gib_second)");
        if (!cJSON_IsNumber(it) || !std::isfinite(it->valuedouble) || it->valuedouble < 0)
            throw Error(E2B_EINVAL, "price \"" + k + "\" must be a non-negative number");
        *dst = it->valuedouble;
    }
    return p;
}

Histogram::Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1, 0) {}

std::vector<double> Histogram::default_bounds() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

void Histogram::observe(double v) {
    size_t i = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
    ++counts[i];
    sum += v;
    ++count;
}

// ---- Telemetry ---------------------------------------------------------------------------------

Telemetry::Telemetry(const std::function<void(int, const char*, size_t)>& sink,
                     const std::string& file, int level)
    : sink_(sink), level_(level) {
    if (level < kLogDebug || level > kLogNone)
        throw Error(E2B_EINVAL, "log level must be E2B_LOG_DEBUG..E2B_LOG_NONE");
    if (!file.empty()) {
        fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd_ < 0)
            throw Error(E2B_EINVAL, "cannot open log file " + file + ": " + std::strerror(errno));
    }
}

Telemetry::~Telemetry() {
    stop_monitor();
    for (int fd : {wake_[0], wake_[1], listen_fd_, fd_})
        if (fd >= 0) ::close(fd);
}

void Telemetry::stop_monitor() {
    {
        std::lock_guard<std::mutex> lk(mon_mu_);
        mon_stop_ = true;
        if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
    }
    if (mon_.joinable()) mon_.join();
}

void Telemetry::write_line(int level, const std::string& line) {
    if (sink_) sink_(level, line.data(), line.size());
    if (fd_ >= 0) {
        std::string l = line + "\n";
        std::lock_guard<std::mutex> lk(log_mu_);  // one write per line; O_APPEND keeps lines whole
        (void)!::write(fd_, l.data(), l.size());
    }
}

void Telemetry::log(int level, std::string_view event, std::string_view sandbox_id,
                    double duration_ms, std::string_view error, std::string_view message,
                    std::string_view extra) {
    if (!enabled(level)) return;
    std::string l = "{\"ts\":\"" + rfc3339(now_unix_ns(), 6) + "\",\"level\":\"" +
                    level_name(level) + "\",\"event\":" + json_quote(event) + ",\"sandbox_id\":";
    l += sandbox_id.empty() ? "null" : json_quote(sandbox_id);
    l += ",\"duration_ms\":";
    l += duration_ms >= 0 ? num(duration_ms) : "null";
    l += ",\"error\":";
    l += error.empty() ? "null" : json_quote(error);
    if (!message.empty()) l += ",\"message\":" + json_quote(message);
    if (!extra.empty()) {
        l += ',';
        l += extra;
    }
    l += '}';
    write_line(level, l);
}

void Telemetry::count_error(int code, int status) {
    std::string k = code ? error_kind(code) : http_status_kind(status);
    ++errors_[k];
}

void Telemetry::on_request(const transport::Completed& c) {
    std::string sid;
    std::string op = operation_name(*c.req, api_url_, &sid);
    double secs = c.duration_ns / 1e9;
    int code = c.err->code;
    bool failed = code != E2B_OK || c.status >= 400;
    // A stopped stream (disconnect, callback stop) is the caller's choice, not a failure.
    bool benign = code == E2B_ECANCELED || code == E2B_EUSER;
    {
        std::lock_guard<std::mutex> lk(mu_);
        ++requests_[op];
        bytes_in_ += c.bytes_in;
        bytes_out_ += c.bytes_out;
        request_h_[op].observe(secs);
        if (op == "process.start" && !failed) command_h_.observe(secs);
        if (failed && !benign) count_error(code, c.status);
    }
    if (op == "sandbox.create") return;  // logged by the core with the new sandbox's id
    int level = !failed || benign ? kLogInfo
                : code == E2B_ENETWORK || c.status >= 500 ? kLogError
                                                          : kLogWarn;
    if (!enabled(level)) return;
    std::string extra = "\"status\":" + std::to_string(c.status) +
                        ",\"bytes_in\":" + std::to_string(c.bytes_in) +
                        ",\"bytes_out\":" + std::to_string(c.bytes_out);
    if (c.err->attempts > 1) extra += ",\"attempts\":" + std::to_string(c.err->attempts);
    std::string kind = code ? error_kind(code) : c.status >= 400 ? http_status_kind(c.status) : "";
    log(level, op, sid, c.duration_ns / 1e6, kind, code ? c.err->message : "", extra);
}

void Telemetry::measure(const std::string& event, const std::string& sandbox_id,
                        int64_t duration_ns, int rc) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        user_h_[event].observe(duration_ns / 1e9);
        if (rc < 0) ++errors_[error_kind(rc)];
    }
    log(rc < 0 ? kLogWarn : kLogInfo, event, sandbox_id, duration_ns / 1e6, rc < 0 ? error_kind(rc) : "", "",
        "\"rc\":" + std::to_string(rc));
}

// ---- lifecycle ----

void Telemetry::sandbox_created(const std::string& id, const std::string& tmpl, int cpu, int mem_mb,
                                int64_t timeout_ms, int64_t duration_ns) {
    int64_t now = now_unix_ns();
    {
        std::lock_guard<std::mutex> lk(mu_);
        ++created_;
        create_h_.observe(duration_ns / 1e9);
        CostRec& r = cost_[id];
        if (r.id.empty()) cost_order_.push_back(id);
        r = CostRec{};
        r.id = id;
        r.tmpl = tmpl;
        r.cpu = cpu;
        r.mem_mb = mem_mb;
        r.start_ns = now;
        r.deadline_ns = now + timeout_ms * 1000000;
    }
    log(kLogInfo, "sandbox.create", id, duration_ns / 1e6, "", "",
        "\"template_id\":" + json_quote(tmpl) + ",\"vcpu\":" + std::to_string(cpu) +
            ",\"memory_mb\":" + std::to_string(mem_mb));
}

void Telemetry::sandbox_create_failed(int code, const std::string& msg, int64_t duration_ns) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        ++create_errors_;
    }
    log(kLogError, "sandbox.create", "", duration_ns / 1e6, error_kind(code), msg);
}

void Telemetry::sandbox_connected(const std::string& id, int64_t timeout_ms) {
    int64_t now = now_unix_ns();
    std::lock_guard<std::mutex> lk(mu_);
    CostRec& r = cost_[id];
    if (r.id.empty()) {  // not created by this client: tracked from now on
        cost_order_.push_back(id);
        r.id = id;
        r.start_ns = now;
    }
    if (r.pause_start_ns) {
        r.paused_ns += now - r.pause_start_ns;
        r.pause_start_ns = 0;
    }
    r.end_ns = 0;
    r.deadline_ns = std::max(r.deadline_ns, now + timeout_ms * 1000000);
}

bool Telemetry::needs_resources(const std::string& id) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = cost_.find(id);
    return it != cost_.end() && it->second.cpu == 0;
}

void Telemetry::sandbox_resources(const std::string& id, int cpu, int mem_mb) {
    int want_cpu, want_mem;
    {
        std::lock_guard<std::mutex> lk(mu_);
        auto it = cost_.find(id);
        if (it == cost_.end()) return;
        want_cpu = it->second.cpu;
        want_mem = it->second.mem_mb;
        it->second.cpu = cpu;
        it->second.mem_mb = mem_mb;
    }
    // A server without the resource extension (E2B: sized by template) ignored the request.
    if ((want_cpu && want_cpu != cpu) || (want_mem && want_mem != mem_mb))
        log(kLogWarn, "sandbox.resources_not_applied", id, -1, "",
            "the server did not apply the requested resources; cost uses the real size",
            "\"requested_vcpu\":" + std::to_string(want_cpu) + ",\"requested_memory_mb\":" +
                std::to_string(want_mem) + ",\"vcpu\":" + std::to_string(cpu) +
                ",\"memory_mb\":" + std::to_string(mem_mb));
}

void Telemetry::sandbox_killed(const std::string& id) {
    int64_t now = now_unix_ns();
    std::lock_guard<std::mutex> lk(mu_);
    auto it = cost_.find(id);
    if (it == cost_.end() || it->second.end_ns) return;
    CostRec& r = it->second;
    // Already expired: it stopped costing at its deadline (paused ones do not expire).
    r.end_ns = !r.pause_start_ns && r.deadline_ns && r.deadline_ns < now ? r.deadline_ns : now;
}

void Telemetry::sandbox_paused(const std::string& id) {
    int64_t now = now_unix_ns();
    std::lock_guard<std::mutex> lk(mu_);
    auto it = cost_.find(id);
    if (it != cost_.end() && !it->second.pause_start_ns && !it->second.end_ns)
        it->second.pause_start_ns = now;
}

void Telemetry::sandbox_timeout(const std::string& id, int64_t timeout_ms) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = cost_.find(id);
    if (it != cost_.end()) it->second.deadline_ns = now_unix_ns() + timeout_ms * 1000000;
}

void Telemetry::command_output(size_t bytes) {
    std::lock_guard<std::mutex> lk(mu_);
    output_bytes_ += bytes;
}

// ---- cost ----

void Telemetry::account(const CostRec& r, int64_t now, double* run_s, double* paused_s) {
    int64_t end = r.end_ns ? r.end_ns : now;
    int64_t run_end, paused = r.paused_ns;
    if (r.pause_start_ns) {
        run_end = r.pause_start_ns;
        paused += std::max<int64_t>(0, end - r.pause_start_ns);
    } else {
        run_end = r.end_ns ? r.end_ns : (r.deadline_ns ? std::min(now, r.deadline_ns) : now);
    }
    *run_s = std::max<int64_t>(0, run_end - r.start_ns - r.paused_ns) / 1e9;
    *paused_s = paused / 1e9;
}

void Telemetry::set_prices(const Prices& p) {
    std::lock_guard<std::mutex> lk(mu_);
    prices_ = p;
}

Prices Telemetry::prices() {
    std::lock_guard<std::mutex> lk(mu_);
    return prices_;
}

CostTotals Telemetry::cost_totals() {
    int64_t now = now_unix_ns();
    std::lock_guard<std::mutex> lk(mu_);
    CostTotals t;
    for (const auto& [id, r] : cost_) {
        double run, paused;
        account(r, now, &run, &paused);
        ++t.sandboxes;
        t.running_seconds += run;
        t.paused_seconds += paused;
        t.vcpu_seconds += run * r.cpu;
        t.gib_seconds += run * r.mem_mb / 1024.0;
    }
    t.cost_usd = t.vcpu_seconds * prices_.vcpu_second + t.gib_seconds * prices_.gib_second;
    return t;
}

std::string Telemetry::cost_json() {
    int64_t now = now_unix_ns();
    Json o = json_object();
    Json arr = json_array();
    CostTotals t;
    Prices p;
    {
        std::lock_guard<std::mutex> lk(mu_);
        p = prices_;
        for (const auto& id : cost_order_) {
            const CostRec& r = cost_.at(id);
            double run, paused;
            account(r, now, &run, &paused);
            cJSON* s = cJSON_CreateObject();
            json_set_str(s, "sandbox_id", r.id);
            json_set_str(s, "template_id", r.tmpl);
            json_set_int(s, "vcpu", r.cpu);
            json_set_int(s, "memory_mb", r.mem_mb);
            json_set_str(s, "started_at", rfc3339(r.start_ns, 3));
            if (r.end_ns) json_set_str(s, "ended_at", rfc3339(r.end_ns, 3));
            else json_set_null(s, "ended_at");
            json_set_str(s, "state", r.end_ns ? "ended" : r.pause_start_ns ? "paused" : "running");
            double vs = run * r.cpu, gs = run * r.mem_mb / 1024.0;
            cJSON_AddNumberToObject(s, "duration_seconds", run + paused);
            cJSON_AddNumberToObject(s, "running_seconds", run);
            cJSON_AddNumberToObject(s, "paused_seconds", paused);
            cJSON_AddNumberToObject(s, "vcpu_seconds", vs);
            cJSON_AddNumberToObject(s, "gib_seconds", gs);
            cJSON_AddNumberToObject(s, "cost_usd", vs * p.vcpu_second + gs * p.gib_second);
            cJSON_AddItemToArray(arr.get(), s);
            ++t.sandboxes;
            t.running_seconds += run;
            t.paused_seconds += paused;
            t.vcpu_seconds += vs;
            t.gib_seconds += gs;
        }
    }
    t.cost_usd = t.vcpu_seconds * p.vcpu_second + t.gib_seconds * p.gib_second;
    cJSON* pr = json_set_obj(o.get(), "prices");
    cJSON_AddNumberToObject(pr, "vcpu_second", p.vcpu_second);
    cJSON_AddNumberToObject(pr, "gib_second", p.gib_second);
    cJSON* tt = json_set_obj(o.get(), "totals");
    json_set_int(tt, "sandboxes", t.sandboxes);
    cJSON_AddNumberToObject(tt, "running_seconds", t.running_seconds);
    cJSON_AddNumberToObject(tt, "paused_seconds", t.paused_seconds);
    cJSON_AddNumberToObject(tt, "vcpu_seconds", t.vcpu_seconds);
    cJSON_AddNumberToObject(tt, "gib_seconds", t.gib_seconds);
    cJSON_AddNumberToObject(tt, "cost_usd", t.cost_usd);
    json_set(o.get(), "sandboxes", std::move(arr));
    return json_print(o.get());
}

// ---- metrics ----

int Telemetry::add_pool(PoolSource src) {
    std::lock_guard<std::mutex> lk(mu_);
    pools_[next_pool_] = std::move(src);
    return next_pool_++;
}

void Telemetry::remove_pool(int key) {
    std::lock_guard<std::mutex> lk(mu_);
    pools_.erase(key);
}

std::string Telemetry::render_metrics() {
    CostTotals ct = cost_totals();
    std::string o;
    o.reserve(8192);
    std::lock_guard<std::mutex> lk(mu_);
    header(&o, "e2b_sandboxes_created_total", "counter", "Sandboxes created by this client.");
    sample(&o, "e2b_sandboxes_created_total", "", (double)created_);
    header(&o, "e2b_sandbox_create_errors_total", "counter", "Failed sandbox creations.");
    sample(&o, "e2b_sandbox_create_errors_total", "", (double)create_errors_);
    header(&o, "e2b_sandbox_create_seconds", "histogram", "Sandbox creation latency.");
    histogram(&o, "e2b_sandbox_create_seconds", "", create_h_);
    header(&o, "e2b_command_seconds", "histogram", "Command latency (start to exit).");
    histogram(&o, "e2b_command_seconds", "", command_h_);
    header(&o, "e2b_requests_total", "counter", "Requests by operation.");
    for (const auto& [op, n] : requests_) sample(&o, "e2b_requests_total", "op=\"" + label(op) + "\"", (double)n);
    header(&o, "e2b_request_seconds", "histogram", "Request latency by operation (streams: whole stream).");
    for (const auto& [op, h] : request_h_) histogram(&o, "e2b_request_seconds", "op=\"" + label(op) + "\"", h);
    header(&o, "e2b_errors_total", "counter", "Failures by error kind.");
    for (const auto& [k, n] : errors_) sample(&o, "e2b_errors_total", "kind=\"" + label(k) + "\"", (double)n);
    header(&o, "e2b_bytes_received_total", "counter", "Response body bytes received.");
    sample(&o, "e2b_bytes_received_total", "", (double)bytes_in_);
    header(&o, "e2b_bytes_sent_total", "counter", "Request body bytes sent.");
    sample(&o, "e2b_bytes_sent_total", "", (double)bytes_out_);
    header(&o, "e2b_command_output_bytes_total", "counter", "stdout/stderr bytes streamed from commands.");
    sample(&o, "e2b_command_output_bytes_total", "", (double)output_bytes_);
    if (!user_h_.empty()) {
        header(&o, "e2b_user_operation_seconds", "histogram", "Operations timed with e2b_measure.");
        for (const auto& [op, h] : user_h_)
            histogram(&o, "e2b_user_operation_seconds", "op=\"" + label(op) + "\"", h);
    }
    header(&o, "e2b_cost_sandboxes", "gauge", "Sandboxes tracked for cost.");
    sample(&o, "e2b_cost_sandboxes", "", ct.sandboxes);
    header(&o, "e2b_cost_vcpu_seconds", "gauge", "vCPU-seconds used (paused time excluded).");
    sample(&o, "e2b_cost_vcpu_seconds", "", ct.vcpu_seconds);
    header(&o, "e2b_cost_gib_seconds", "gauge", "GiB-seconds of memory used (paused time excluded).");
    sample(&o, "e2b_cost_gib_seconds", "", ct.gib_seconds);
    header(&o, "e2b_cost_paused_seconds", "gauge", "Seconds sandboxes spent paused.");
    sample(&o, "e2b_cost_paused_seconds", "", ct.paused_seconds);
    header(&o, "e2b_cost_estimated_usd", "gauge", "Estimated cost from the price table.");
    sample(&o, "e2b_cost_estimated_usd", "", ct.cost_usd);
    if (pools_.empty()) return o;
    std::vector<std::pair<std::string, PoolStats>> ps;
    for (const auto& [k, src] : pools_) {
        ps.emplace_back();
        src(&ps.back().first, &ps.back().second);
    }
    struct Col {
        const char* name;
        const char* type;
        const char* help;
        double (*get)(const PoolStats&);
    };
    static const Col cols[] = {
        {"e2b_pool_idle", "gauge", "Warm sandboxes waiting.", [](const PoolStats& s) { return (double)s.idle; }},
        {"e2b_pool_active", "gauge", "Sandboxes handed out.", [](const PoolStats& s) { return (double)s.active; }},
        {"e2b_pool_creating", "gauge", "Sandboxes being created.", [](const PoolStats& s) { return (double)s.creating; }},
        {"e2b_pool_created_total", "counter", "Sandboxes the pool created.", [](const PoolStats& s) { return (double)s.created; }},
        {"e2b_pool_reused_total", "counter", "Acquisitions served by a reused sandbox.", [](const PoolStats& s) { return (double)s.reused; }},
        {"e2b_pool_replaced_total", "counter", "Unhealthy sandboxes replaced.", [](const PoolStats& s) { return (double)s.replaced; }},
        {"e2b_pool_evicted_total", "counter", "Sandboxes retired (idle timeout, reuse limit, discard).", [](const PoolStats& s) { return (double)s.evicted; }},
        {"e2b_pool_exhausted_total", "counter", "Acquisitions that failed: pool exhausted.", [](const PoolStats& s) { return (double)s.exhausted; }},
        {"e2b_pool_acquisitions_total", "counter", "Successful acquisitions.", [](const PoolStats& s) { return (double)s.acquisitions; }},
    };
    for (const Col& c : cols) {
        header(&o, c.name, c.type, c.help);
        for (const auto& [n, st] : ps) sample(&o, c.name, "pool=\"" + label(n) + "\"", c.get(st));
    }
    header(&o, "e2b_pool_acquire_wait_p50_seconds", "gauge", "Median acquire wait (last 1024).");
    for (const auto& [n, st] : ps)
        sample(&o, "e2b_pool_acquire_wait_p50_seconds", "pool=\"" + label(n) + "\"", st.wait_p50_ms / 1e3);
    header(&o, "e2b_pool_acquire_wait_p95_seconds", "gauge", "95th percentile acquire wait (last 1024).");
    for (const auto& [n, st] : ps)
        sample(&o, "e2b_pool_acquire_wait_p95_seconds", "pool=\"" + label(n) + "\"", st.wait_p95_ms / 1e3);
    return o;
}

// ---- monitor ----

void Telemetry::ensure_monitor() {
    if (mon_stop_) throw Error(E2B_EINVAL, "the client is being freed");
    if (mon_.joinable()) return;
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
        throw Error(E2B_ERROR, std::string("pipe: ") + std::strerror(errno));
    mon_ = std::thread([this] { monitor_loop(); });
}

int Telemetry::add_watch(StallWatch w) {
    std::lock_guard<std::mutex> lk(mon_mu_);
    ensure_monitor();
    int k = next_watch_++;
    watches_[k] = std::move(w);
    (void)!::write(wake_[1], "x", 1);  // recompute the poll timeout
    return k;
}

void Telemetry::remove_watch(int key) {
    std::unique_lock<std::mutex> lk(mon_mu_);
    if (std::this_thread::get_id() != mon_id_)
        mon_cv_.wait(lk, [&] { return running_watch_ != key; });
    watches_.erase(key);
}

uint16_t Telemetry::serve_metrics(uint16_t port) {
    std::lock_guard<std::mutex> lk(mon_mu_);
    if (listen_fd_ >= 0) throw Error(E2B_EINVAL, "the metrics endpoint is already being served");
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw Error(E2B_ERROR, std::string("socket: ") + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only: metrics are not for the network
    socklen_t al = sizeof a;
    if (::bind(fd, (sockaddr*)&a, sizeof a) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, (sockaddr*)&a, &al) != 0) {
        int e = errno;
        ::close(fd);
        throw Error(e == EADDRINUSE ? E2B_EINVAL : E2B_ERROR,
                    "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(e));
    }
    ensure_monitor();
    listen_fd_ = fd;
    (void)!::write(wake_[1], "x", 1);
    return ntohs(a.sin_port);
}

void Telemetry::stop_metrics() {
    std::unique_lock<std::mutex> lk(mon_mu_);
    int fd = listen_fd_;
    if (fd < 0) return;
    listen_fd_ = -1;
    (void)!::write(wake_[1], "x", 1);
    // The monitor may be polling or serving this fd without the lock: close it only once the
    // monitor let go of it, so the number cannot be reused under it.
    if (std::this_thread::get_id() != mon_id_)
        mon_cv_.wait(lk, [&] { return polling_fd_ != fd; });
    ::close(fd);
}

void Telemetry::serve_one(int lfd) {
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    timeval tv{1, 0};  // a slow scraper may hold the monitor for at most this long
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string req;
    char buf[2048];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 8192) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, (size_t)n);
    }
    std::string status = "404 Not Found", type = "text/plain", body = "not found\n";
    if (req.compare(0, 13, "GET /metrics ") == 0 || req.compare(0, 14, "GET /metrics? ") == 0 ||
        req.compare(0, 13, "GET /metrics?") == 0) {
        status = "200 OK";
        type = "text/plain; version=0.0.4; charset=utf-8";
        body = render_metrics();
    }
    std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body;
    for (size_t off = 0; off < resp.size();) {
        ssize_t n = ::send(c, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += (size_t)n;
    }
    ::close(c);
}

void Telemetry::monitor_loop() {
    std::unique_lock<std::mutex> lk(mon_mu_);
    mon_id_ = std::this_thread::get_id();
    while (!mon_stop_) {
        int64_t now = now_mono_ns();
        int64_t next = now + 1000000000LL;
        for (auto it = watches_.begin(); it != watches_.end() && !mon_stop_;) {
            int key = it->first;
            StallWatch& w = it->second;
            int64_t last = w.last_output();
            if (w.fired && last != w.fired_at) w.fired = false;  // output resumed: re-arm
            if (!w.fired && now - last >= w.idle_ns) {
                w.fired = true;
                w.fired_at = last;
                running_watch_ = key;
                auto cb = w.on_stall;
                int64_t idle_ms = (now - last) / 1000000;
                lk.unlock();
                cb(idle_ms);
                lk.lock();
                running_watch_ = 0;
                mon_cv_.notify_all();
                it = watches_.upper_bound(key);  // the map may have changed meanwhile
                continue;
            }
            if (!w.fired) next = std::min(next, last + w.idle_ns);
            ++it;
        }
        if (mon_stop_) break;
        pollfd p[2] = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
        int lfd = polling_fd_ = listen_fd_;
        int ms = (int)std::clamp<int64_t>((next - now_mono_ns() + 999999) / 1000000, 1, 1000);
        lk.unlock();
        int n = ::poll(p, lfd >= 0 ? 2 : 1, ms);
        if (n > 0 && (p[0].revents & POLLIN)) {
            char d[64];
            while (::read(wake_[0], d, sizeof d) > 0) {
            }
        }
        lk.lock();
        // Serve only if the socket polled is still the one being served (not stopped meanwhile).
        if (n > 0 && lfd >= 0 && lfd == listen_fd_ && (p[1].revents & POLLIN)) {
            lk.unlock();
            serve_one(lfd);
            lk.lock();
        }
        polling_fd_ = -1;
        mon_cv_.notify_all();
    }
}

}  // namespace e2b::core
