// The sandbox registry of e2b-local: records, lifecycle (create, pause, resume, kill, expiry),
// persistence in the state dir, and the bookkeeping the router needs (which streams to cut when a
// sandbox is paused or killed).
//
// Threading: everything here runs on the server's io_context thread; jail start/kill (tens of ms)
// run on a small thread pool while the record sits in a transitional state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "sandbox/jail.hpp"

namespace e2blocal {

enum class SbState { kStarting, kRunning, kPausing, kPaused, kResuming, kKilling };
const char* state_name(SbState s);  // "running" | "paused" (transitional states map to these)

struct LogEntry {
    int64_t ts_ns;
    std::string level;  // debug|info|warn|error
    std::string message;
};

struct Sandbox {
    std::string id;
    std::string template_id = "base";
    std::map<std::string, std::string> metadata;
    std::map<std::string, std::string> env_vars;  // as given at create
    int64_t started_at_ns = 0;
    int64_t end_at_ns = 0;     // expiry while running; pause time while paused
    bool auto_pause = false;
    bool secure = false;
    bool allow_internet = true;
    std::string access_token;  // envdAccessToken, empty when not secure
    int cpu_count = 2;
    int memory_mb = 512;
    int disk_mb = 0;           // reported only: no disk quota is enforced
    bool memory_kept = true;   // false once processes were lost (restart / pause{memory:false})
    SbState state = SbState::kStarting;
    std::string dir;

    std::unique_ptr<Jail> jail;
    std::unique_ptr<net::steady_timer> expiry;
    std::vector<LogEntry> logs;
    // Open proxied connections; called (and cleared) when the sandbox stops serving traffic.
    std::map<uint64_t, std::function<void()>> cutters;
};

struct ManagerOptions {
    std::string state_dir;
    std::string agent_binary;
    std::string envd_version = "0.6.13";
    int default_cpu = 2;
    int default_memory_mb = 512;
    int default_disk_mb = 2048;
    int max_timeout_s = 24 * 3600;
};

struct CreateParams {
    std::string template_id = "base";
    int64_t timeout_s = 15;
    std::map<std::string, std::string> metadata, env_vars;
    bool auto_pause = false;
    bool secure = false;
    bool allow_internet = true;
    int cpu_count = 0;     // 0 = default
    int memory_mb = 0;
};

class Manager {
public:
    Manager(net::io_context& io, ManagerOptions opts);
    ~Manager();

    // Startup: template, stale cleanup, records from a previous run (reported, marked paused
    // with memory lost). Throws std::runtime_error with a clear message on fatal problems.
    void load();
    // SIGTERM: stop every jail (files and records kept; sandboxes come back as paused).
    void shutdown(Yield y);

    Sandbox& create(const CreateParams& p, Yield y);                  // throws ApiError
    Sandbox* find(const std::string& id);
    void kill(const std::string& id, Yield y);                        // throws ApiError (404)
    void set_timeout(const std::string& id, int64_t timeout_s);       // throws ApiError
    void pause(const std::string& id, bool keep_memory, Yield y);     // throws ApiError (404/409)
    // Resume when paused (returns true), else extend the timeout (returns false).
    bool connect(const std::string& id, int64_t timeout_s, Yield y);  // throws ApiError
    std::vector<Sandbox*> all();

    JailMetrics metrics(Sandbox& sb);
    // Host path of the sandbox's code-interpreter socket (served by its agent).
    static std::string code_interpreter_socket(const Sandbox& sb) { return sb.dir + "/ctl/ci.sock"; }
    // Registers a cutter for an open proxied connection; returns a token to remove it.
    uint64_t add_cutter(Sandbox& sb, std::function<void()> fn);
    void remove_cutter(const std::string& id, uint64_t token);

    const ManagerOptions& options() const { return opts_; }

private:
    void start_jail(Sandbox& sb, Yield y);  // throws ApiError(500) with the reason
    void stop_jail(Sandbox& sb, Yield y);   // kills its processes on the pool; files stay
    void write_config(const Sandbox& sb);
    void persist(const Sandbox& sb);
    void arm_expiry(Sandbox& sb);
    void on_expiry(const std::string& id);
    void cut_streams(Sandbox& sb);
    void log(Sandbox& sb, const std::string& level, const std::string& msg);
    void remove_files(const std::string& dir);

    net::io_context& io_;
    ManagerOptions opts_;
    // Jail start/kill mostly wait (bwrap setup, the agent's listen, cgroup teardown): more threads
    // than cores lets concurrent creates overlap instead of queueing.
    net::thread_pool pool_{8};
    std::string template_dir_;
    std::map<std::string, std::unique_ptr<Sandbox>> sandboxes_;
    uint64_t next_cutter_ = 1;
    bool stopping_ = false;
};

}  // namespace e2blocal
