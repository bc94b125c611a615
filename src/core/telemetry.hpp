// Per-client observability: structured JSON log events, Prometheus metrics, cost tracking and
// the monitor (stall watches + the opt-in metrics endpoint). One Telemetry per Client.
//
// Where events come from: every HTTP call of the client ends in the transport's completion hook
// (Telemetry::on_request), which names the operation from its method and path, so every API
// and envd operation logs exactly one event without per-call code. Sandbox lifecycle changes
// (create, kill, pause, connect, set_timeout) additionally feed the cost tracker from the core.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "transport/transport.hpp"

namespace e2b::core {

class Client;

// Same values as E2B_LOG_* in e2b.h.
enum LogLevel { kLogDebug = 1, kLogInfo = 2, kLogWarn = 3, kLogError = 4, kLogNone = 5 };

struct Prices {
    double vcpu_second = 0.000014;  // E2B's published price per vCPU-second (USD)
    double gib_second = 0.0000045;  // per GiB-second of memory
};
// {"vcpu_second": x, "gib_second": y} (either key may be omitted: keeps the current value).
// Throws Error(E2B_EINVAL) for malformed JSON, unknown keys, non-numbers, negatives.
Prices parse_prices(std::string_view json, Prices base);

struct CostTotals {
    uint32_t sandboxes = 0;
    double running_seconds = 0, paused_seconds = 0, vcpu_seconds = 0, gib_seconds = 0, cost_usd = 0;
};

// Fixed-bucket histogram (seconds), Prometheus style (cumulative when rendered).
struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bucket, non-cumulative; last = +Inf
    double sum = 0;
    uint64_t count = 0;
    explicit Histogram(std::vector<double> b = default_bounds());
    void observe(double v);
    static std::vector<double> default_bounds();
};

struct PoolStats {
    uint32_t idle = 0, active = 0, creating = 0;
    uint64_t created = 0, reused = 0, replaced = 0, evicted = 0, exhausted = 0, create_errors = 0;
    double wait_p50_ms = 0, wait_p95_ms = 0;  // acquire wait over the last 1024 acquisitions
    uint64_t acquisitions = 0;
};
// Pools register one each: their name and current stats, rendered with the metrics.
using PoolSource = std::function<void(std::string* name, PoolStats* st)>;

// Watch for a stalled command or sandbox: fires when `last_output()` is older than idle_ns.
struct StallWatch {
    std::function<int64_t()> last_output;  // CLOCK_MONOTONIC ns
    int64_t idle_ns = 0;
    std::function<void(int64_t idle_ms)> on_stall;  // runs on the monitor thread
    bool fired = false;       // re-armed when output resumes
    int64_t fired_at = 0;     // last_output value when it fired
};

class Telemetry {
public:
    Telemetry(const std::function<void(int, const char*, size_t)>& sink, const std::string& file,
              int level);
    ~Telemetry();  // stops the monitor thread
    // Stops the monitor thread (and the metrics endpoint) for good; idempotent.
    void stop_monitor();
    void attach(Client* c, const std::string& api_url) { client_ = c; api_url_ = api_url; }

    // ---- logs ----
    bool enabled(int level) const { return level >= level_ && (sink_ || fd_ >= 0); }
    // One JSON line: ts, level, event, sandbox_id ("" = null), duration_ms (<0 = null), error
    // (kind, "" = null), message, extra (pre-rendered `"key":value` pairs, comma-separated).
    void log(int level, std::string_view event, std::string_view sandbox_id, double duration_ms,
             std::string_view error, std::string_view message, std::string_view extra = {});
    // The transport's completion hook.
    void on_request(const transport::Completed& c);
    // e2b_measure: a user operation's duration and outcome (log event + histogram).
    void measure(const std::string& event, const std::string& sandbox_id, int64_t duration_ns, int rc);

    // ---- lifecycle → cost and metrics ----
    void sandbox_created(const std::string& id, const std::string& tmpl, int cpu, int mem_mb,
                         int64_t timeout_ms, int64_t duration_ns);
    void sandbox_create_failed(int code, const std::string& msg, int64_t duration_ns);
    void sandbox_connected(const std::string& id, int64_t timeout_ms);
    void sandbox_resources(const std::string& id, int cpu, int mem_mb);
    void sandbox_killed(const std::string& id);
    void sandbox_paused(const std::string& id);
    void sandbox_timeout(const std::string& id, int64_t timeout_ms);
    bool needs_resources(const std::string& id);
    void command_output(size_t bytes);

    // ---- cost ----
    void set_prices(const Prices& p);
    Prices prices();
    CostTotals cost_totals();
    std::string cost_json();

    // ---- metrics ----
    std::string render_metrics();
    int add_pool(PoolSource src);  // returns a key for remove_pool
    void remove_pool(int key);

    // ---- monitor thread: stall watches and the metrics endpoint (started on first use) ----
    int add_watch(StallWatch w);
    // Waits for a running on_stall of this watch unless called from it.
    void remove_watch(int key);
    // Listens on 127.0.0.1:port (0 = any free port); returns the bound port.
    uint16_t serve_metrics(uint16_t port);
    void stop_metrics();

private:
    struct CostRec {
        std::string id, tmpl;
        int cpu = 0, mem_mb = 0;
        int64_t start_ns = 0, end_ns = 0, deadline_ns = 0;  // unix ns; end 0 = not ended
        int64_t paused_ns = 0, pause_start_ns = 0;          // pause_start 0 = running
    };
    void write_line(int level, const std::string& line);
    void count_error(int code, int status);
    void ensure_monitor();  // under mon_mu_
    void monitor_loop();
    void serve_one(int fd);
    static void account(const CostRec& r, int64_t now, double* run_s, double* paused_s);

    Client* client_ = nullptr;
    std::string api_url_;
    std::function<void(int, const char*, size_t)> sink_;
    int fd_ = -1;
    int level_;
    std::mutex log_mu_;  // serialises file writes

    std::mutex mu_;  // metrics + cost
    Prices prices_;
    std::map<std::string, CostRec> cost_;
    std::vector<std::string> cost_order_;
    uint64_t created_ = 0, create_errors_ = 0, bytes_in_ = 0, bytes_out_ = 0, output_bytes_ = 0;
    std::map<std::string, uint64_t> requests_, errors_;
    Histogram create_h_, command_h_;
    std::map<std::string, Histogram> request_h_, user_h_;
    std::map<int, PoolSource> pools_;
    int next_pool_ = 1;

    std::mutex mon_mu_;
    std::condition_variable mon_cv_;
    std::thread mon_;
    int wake_[2] = {-1, -1};
    int listen_fd_ = -1;
    int polling_fd_ = -1;  // the listen fd the monitor is using without the lock
    bool mon_stop_ = false;
    std::map<int, StallWatch> watches_;
    int next_watch_ = 1;
    int running_watch_ = 0;
    std::thread::id mon_id_;
};

// "sandbox.create", "process.start", "files.read", ... for a request of this client.
std::string operation_name(const transport::Request& r, const std::string& api_url,
                           std::string* sandbox_id);
// "timeout", "sandbox_not_found", ... (snake case of e2b_status_str); "" for E2B_OK.
std::string error_kind(int code);

}  // namespace e2b::core
