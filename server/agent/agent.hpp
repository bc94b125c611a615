// e2b-agent: our envd. Runs as pid 1 inside each sandbox and serves the envd API (Connect-JSON
// process and filesystem services, /files, /health, /envs, /metrics) over HTTP/1.1 on a unix
// socket that e2b-local proxies to. One thread, one asio io_context: every handler, timer and
// child-exit callback runs on it, so services need no locks.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/connect.hpp"
#include "util/json.hpp"

namespace agent {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using e2b::Json;
using Code = e2b::connect::Code;

// Written by e2b-local into the control dir before the agent starts (see main.cpp for keys).
struct Config {
    std::string sandbox_id;
    std::string template_id;
    std::string access_token;                    // empty = no token required
    std::string default_user = "user";
    std::string default_workdir;                 // empty = the user's home
    std::map<std::string, std::string> env_vars; // sandbox-wide, E2B_* included
    std::string envd_version = "0.6.13";
    int cpu_count = 0;                           // the sandbox's limits, for /metrics (0 = unknown)
    int memory_mb = 0;
};

struct User {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
    std::vector<gid_t> groups;  // supplementary
};
// From the sandbox's /etc/passwd and /etc/group. nullopt if unknown.
std::optional<User> lookup_user(const std::string& name);
// Scope guard: file-system calls made while it lives are permission-checked as `u` (fsuid, fsgid
// and supplementary groups of the calling thread; the kernel drops the agent's DAC capabilities
// meanwhile). No-op for root, which keeps the agent's identity. File operations of the envd API
// use it so that `user` cannot read or write what the user could not.
class AsUser {
public:
    explicit AsUser(const User& u);
    ~AsUser();
    AsUser(const AsUser&) = delete;
    AsUser& operator=(const AsUser&) = delete;

private:
    bool switched_ = false;
};

// Expands "~", "~/x" and relative paths against the user's home; cleans "//" and "/./".
std::string resolve_path(const std::string& path, const User& user);

// Thrown by RPC handlers; becomes a Connect error (unary) or an end-of-stream error (streams).
struct RpcError {
    Code code;
    std::string message;
};

class Agent;

// What every RPC handler gets: the agent, the request headers, and the resolved user
// (Authorization: Basic <user>:, default = config default_user).
struct RpcContext {
    Agent& agent;
    const http::request_header<>& headers;
    User user;
    int64_t timeout_ms = 0;      // Connect-Timeout-Ms, 0 = none
    int keepalive_s = 90;        // Keepalive-Ping-Interval (E2B), default 90
};

// A server-streaming RPC response (application/connect+json, one envelope per message).
// Owned jointly by the HTTP session and the handler; safe to call after the client has gone
// (calls become no-ops). Not thread-safe: use from the io_context thread only.
class ServerStream {
public:
    virtual ~ServerStream() = default;
    // Sends one message (an object, serialised as JSON in a data envelope), flushed at once.
    virtual void send(const cJSON* msg) = 0;
    // Same, with the message already serialised (a JSON object's text): lets bulk producers
    // build it without a cJSON tree.
    virtual void send_json(std::string json) = 0;
    // Sends the end-of-stream envelope ({} or {"error":{...}}) and completes the response.
    // Idempotent; later send() calls are ignored.
    virtual void finish(const RpcError* err = nullptr) = 0;
    virtual bool finished() const = 0;
    // Called once if the stream ends without finish() from the handler: client disconnect, or
    // the Connect-Timeout-Ms deadline (the framework then finishes with deadline_exceeded).
    // `reason` is kCanceled or kDeadlineExceeded. Handlers drop their subscriptions here.
    virtual void on_close(std::function<void(Code reason)> cb) = 0;
    // The message sent after keepalive_s seconds of silence, e.g. {"event":{"keepalive":{}}}.
    // Set by the handler before its first send; the framework runs the timer.
    virtual void set_keepalive(Json msg) = 0;
    // Bytes sent but not yet written to the client; producers pause above a high-water mark.
    virtual size_t pending_bytes() const { return 0; }
    // Runs `cb` once when pending_bytes() has dropped to `bytes` or below (posted at once if it
    // already has), so a paused producer resumes without polling. A later call replaces the
    // callback; it is dropped if the client goes away (on_close runs instead).
    virtual void notify_below(size_t bytes, std::function<void()> cb) = 0;
};

// A streamed plain-HTTP response body (chunked transfer encoding), e.g. NDJSON. Same ownership
// and thread rules as ServerStream; calls after the client has gone are no-ops.
class ResponseStream {
public:
    virtual ~ResponseStream() = default;
    // Sends `data` as one chunk, flushed at once (empty data is ignored).
    virtual void write(std::string data) = 0;
    // Ends the body and completes the exchange. Idempotent; later write() calls are ignored.
    virtual void finish() = 0;
    virtual bool finished() const = 0;
    // Called once if the client goes away before finish().
    virtual void on_close(std::function<void()> cb) = 0;
    // Bytes written but not yet sent to the client.
    virtual size_t pending_bytes() const = 0;
};

using UnaryHandler = std::function<Json(RpcContext&, const cJSON* req)>;
using StreamHandler = std::function<void(RpcContext&, const cJSON* req, std::shared_ptr<ServerStream>)>;

// A plain HTTP exchange for /files and friends. Body reading is streamed.
class HttpExchange {
public:
    virtual ~HttpExchange() = default;
    virtual const http::request_header<>& headers() const = 0;
    virtual const std::string& path() const = 0;                        // without query
    virtual const std::multimap<std::string, std::string>& query() const = 0;  // decoded
    std::optional<std::string> query_param(const std::string& key) const;

    // Streams the request body: on_data gets each piece in order (return false to stop reading:
    // the connection is then closed after the response); on_done(ec) once at the end (ec set on
    // client error / truncation). Call at most once, before responding.
    virtual void read_body(std::function<bool(std::string_view)> on_data,
                           std::function<void(beast::error_code)> on_done) = 0;
    // Responses: exactly one per exchange.
    virtual void respond(http::status st, std::string content_type, std::string body,
                         std::vector<std::pair<std::string, std::string>> extra_headers = {}) = 0;
    // Sends the whole file behind `fd` (ownership taken) with a Content-Length of `size`.
    virtual void respond_fd(http::status st, int fd, uint64_t size, std::string content_type,
                            std::vector<std::pair<std::string, std::string>> extra_headers = {}) = 0;
    // Starts a streamed response (instead of respond()); the request body must have been read.
    virtual std::shared_ptr<ResponseStream> start_stream(
        http::status st, std::string content_type,
        std::vector<std::pair<std::string, std::string>> extra_headers = {}) = 0;
    // envd's plain JSON error: {"code":<status>,"message":"..."}
    void respond_error(http::status st, const std::string& message);
    void respond_json(http::status st, const cJSON* body);
};
using HttpHandler = std::function<void(std::shared_ptr<HttpExchange>)>;

class Agent {
public:
    Agent(net::io_context& io, Config cfg);

    net::io_context& io() { return io_; }
    const Config& config() const { return cfg_; }
    Config& mutable_config() { return cfg_; }

    // Registration, by full path: "/process.Process/Start", "/files".
    void unary(const std::string& path, UnaryHandler h) { unary_[path] = std::move(h); }
    void stream(const std::string& path, StreamHandler h) { stream_[path] = std::move(h); }
    // method "" = any method
    void http_route(const std::string& method, const std::string& path, HttpHandler h) {
        http_[method + " " + path] = std::move(h);
    }

    // pid 1 duties: every child (and orphan) is reaped here. Register interest in a pid to get
    // its wait status; unregistered pids are reaped silently.
    void on_child_exit(pid_t pid, std::function<void(int wait_status)> cb) { child_cb_[pid] = std::move(cb); }

    // Environment for a new process: PATH, HOME, USER, LOGNAME, SHELL?, then sandbox env vars,
    // then `extra` (later wins).
    std::map<std::string, std::string> process_env(const User& u, const std::map<std::string, std::string>& extra) const;

    void listen(const std::string& socket_path);  // throws on failure
    // A second listener whose every request goes to `h` alone: no envd routes, no access-token
    // check (the code interpreter's API on its own socket). Throws on failure.
    void listen_plain(const std::string& socket_path, HttpHandler h);

    // Used by the HTTP session.
    const UnaryHandler* find_unary(const std::string& p) const;
    const StreamHandler* find_stream(const std::string& p) const;
    const HttpHandler* find_http(const std::string& method, const std::string& p) const;

private:
    void accept();
    void accept_plain();
    void watch_children();

    net::io_context& io_;
    Config cfg_;
    std::optional<net::local::stream_protocol::acceptor> acceptor_;
    std::optional<net::local::stream_protocol::acceptor> plain_acceptor_;
    HttpHandler plain_handler_;
    net::signal_set sigchld_;
    std::map<std::string, UnaryHandler> unary_;
    std::map<std::string, StreamHandler> stream_;
    std::map<std::string, HttpHandler> http_;
    std::map<pid_t, std::function<void(int)>> child_cb_;
};

// Service registration, one function per source file.
void register_health(Agent& a);              // health.cpp: /health, /envs, /metrics, /init
void register_process_service(Agent& a);     // process.cpp
void register_filesystem_service(Agent& a);  // filesystem.cpp (+ watch)
void register_files_http(Agent& a);          // files.cpp: GET/POST /files
// interp.cpp: the code interpreter (port 49999 API: /execute, /contexts, /health) as one handler
// for Agent::listen_plain.
HttpHandler make_code_interpreter(Agent& a);

}  // namespace agent
