// The C++ API of libe2b: a Client (configuration + one Transport) and the sandbox lifecycle on
// the control plane. Failures are thrown as core::Error; src/capi turns them into codes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/errors.hpp"
#include "protocol/rest.hpp"
#include "transport/transport.hpp"
#include "transport/websocket.hpp"

namespace e2b::core {

struct Error : std::runtime_error {
    int code;
    int http_status;
    Error(int c, std::string msg, int status = 0)
        : std::runtime_error(std::move(msg)), code(c), http_status(status) {}
};

// Options as given by the caller; unset fields resolve from the environment (unless no_env).
struct ClientOptions {
    std::optional<std::string> api_key, domain, api_url, sandbox_url;
    int64_t request_timeout_ms = 0;  // 0 = 60000, <0 = none
    std::optional<std::string> proxy;
    std::optional<std::string> user_agent;
    uint32_t max_attempts = 0;  // 0 = 3
    bool no_env = false;
    bool queued_delivery = false;  // callbacks run in dispatch() instead of the service thread
    // Structured logs (telemetry.hpp): one JSON line per event to the sink and/or the file.
    std::function<void(int level, const char* line, size_t len)> log_sink;
    std::string log_file;  // "" = none
    int log_level = 2;     // E2B_LOG_INFO
};

// The resolved configuration (protocol doc §1.1, §2.1).
struct ClientConfig {
    std::string api_key, domain, api_url;
    std::optional<std::string> sandbox_url;
    bool debug = false;
    int64_t request_timeout_ms = 60000;  // 0 = none
};

// Throws Error(E2B_EAUTH) without a key, Error(E2B_EINVAL) for a malformed URL.
ClientConfig resolve_config(const ClientOptions& o);

struct SandboxCreateOptions {
    std::string template_id = "base";
    int64_t timeout_ms = 300000;
    std::optional<proto::StringMap> metadata, envs;
    bool secure = true, allow_internet = true, auto_pause = false;
    int32_t cpu_count = 0, memory_mb = 0;  // resource request (e2b-local extension); 0 = template's
};

struct ListOptions {
    bool running = true, paused = true;
    proto::StringMap metadata;
    uint32_t limit = 100;
    std::string next_token;
};

struct ListPage {
    std::vector<proto::ListedSandbox> items;
    std::string next_token;  // empty on the last page
};

// GET /v2/sandboxes/{id}/logs query.
struct LogsQuery {
    int64_t cursor_ms = -1;      // <0: none
    int32_t limit = 0;           // 0: server default (1000)
    bool backward = false;       // direction
    std::string level;           // "" | debug | info | warn | error
    std::string search;
};

class Sandbox;
class Telemetry;

class Client {
public:
    explicit Client(ClientConfig cfg, const ClientOptions& o);
    ~Client();
    const ClientConfig& config() const { return cfg_; }
    transport::Transport& transport() { return *tr_; }
    Telemetry& telemetry() { return *tel_; }
    // The WebSocket engine, created (and hooked into the service thread) on first use.
    std::shared_ptr<transport::WebSockets> websockets();

    std::unique_ptr<Sandbox> create(const SandboxCreateOptions& o);
    std::unique_ptr<Sandbox> connect(const std::string& id, int64_t timeout_ms);
    proto::SandboxDetail get_info(const std::string& id);
    // By id, without a handle (the SDKs' static Sandbox.kill/setTimeout/betaPause): a paused
    // sandbox is not resumed. kill/pause: false when gone / already paused.
    bool kill(const std::string& id);
    void set_timeout(const std::string& id, int64_t timeout_ms);
    bool pause(const std::string& id);
    ListPage list(const ListOptions& o);
    // start/end: unix seconds, <0 = unset.
    std::vector<proto::SandboxMetric> metrics(const std::string& id, int64_t start_s, int64_t end_s);
    std::vector<proto::SandboxLogEntry> logs(const std::string& id, const LogsQuery& q);

    // Control-plane request; throws on transport failures, returns any HTTP response.
    transport::Response api(const std::string& method, const std::string& path,
                            const std::string& body, bool idempotent);

    // Non-blocking variants for background work (pool refill, eviction, resource lookups): the
    // completion runs on the service thread, never blocks, and gets either a sandbox or an error.
    using CreateDone = std::function<void(std::unique_ptr<Sandbox> sb, const Error* err)>;
    void create_async(const SandboxCreateOptions& o, CreateDone done);
    void kill_async(const std::string& id);
    void set_timeout_async(const std::string& id, int64_t timeout_ms);

private:
    transport::Request api_request(const std::string& method, const std::string& path,
                                   const std::string& body, bool idempotent) const;
    void lookup_resources_async(const std::string& id);
    std::unique_ptr<Sandbox> from_response(const transport::Response& r, proto::ApiOp op,
                                           const std::string& id);
    ClientConfig cfg_;
    std::unique_ptr<Telemetry> tel_;  // declared before tr_: the transport's hook outlives calls
    std::unique_ptr<transport::Transport> tr_;
    std::mutex ws_mu_;
    std::shared_ptr<transport::WebSockets> ws_;
};

class Sandbox {
public:
    Sandbox(Client& c, proto::Sandbox s);
    const std::string& id() const { return s_.sandbox_id; }
    const std::string& envd_version() const { return s_.envd_version; }
    const std::string& access_token() const { return token_; }
    const std::string& envd_url() const { return envd_url_; }
    const std::string& domain() const { return domain_; }
    Client& client() const { return c_; }

    bool kill();        // false when it no longer exists
    void set_timeout(int64_t timeout_ms);
    bool pause();       // false when already paused
    bool is_running();
    std::string host(uint16_t port) const;
    // Any port of the sandbox (src/core/ports.cpp): the base URL (the sandbox URL when set, else
    // https://<port>-<id>.<domain>) and the routing/auth headers it needs.
    std::string port_url(uint16_t port) const;
    transport::Headers port_headers(uint16_t port) const;

    // Heartbeat: CLOCK_MONOTONIC ns of the last process output seen in this sandbox (stall
    // detection); starts at construction. Shared with the sandbox's streams, which may end after
    // this handle was freed.
    using Heartbeat = std::shared_ptr<std::atomic<int64_t>>;
    const Heartbeat& heartbeat() const { return heartbeat_; }
    int64_t last_output_ns() const { return heartbeat_->load(); }

private:
    Heartbeat heartbeat_ = std::make_shared<std::atomic<int64_t>>(0);
    Client& c_;
    proto::Sandbox s_;
    std::string token_, domain_, envd_url_;
};

// The SDKs' handleRpcErrorWithHealthCheck: after a stream broke mid-way (E2B_ENETWORK), envd's
// /health answering 502 means the sandbox was killed or reached its end of life while the request
// was in flight. Asynchronous; `done(gone)` runs on the service thread (a failed probe proves
// nothing: gone = false).
void probe_sandbox_gone(Client& c, const std::string& envd_url, const std::string& sandbox_id,
                        std::function<void(bool gone)> done);
extern const char* const kSandboxGoneMidRequest;  // the SDKs' message suffix for that case

// Named resource profiles (e2b.h "Resource profiles"). nullptr when unknown.
struct Profile {
    const char* name;
    int32_t cpu_count, memory_mb;
    int64_t timeout_ms;
};
const Profile* find_profile(const std::string& name);
std::string profile_names();  // "light, medium, heavy, ml"

// Seconds as the JS SDK sends them: ceil(ms / 1000).
int32_t timeout_seconds(int64_t ms);
// The JS SDK's list metadata value (see protocol doc §1.7), before query encoding.
std::string encode_metadata_filter(const proto::StringMap& m);

}  // namespace e2b::core
