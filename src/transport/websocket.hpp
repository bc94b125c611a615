// WebSocket client connections driven by the transport's service thread (libwebsockets).
//
// Why a libuv "foreign loop": Debian 12's libwebsockets 4.1 is built without
// LWS_WITH_EXTERNAL_POLL, so the ADD/DEL/CHANGE_MODE_POLL_FD callbacks never fire and lws's fds
// cannot be mirrored into curl_multi_poll directly. It is built with event-lib plugins, though:
// lws joins a libuv loop we own (LWS_SERVER_OPTION_LIBUV + foreign_loops), and that loop's epoll
// fd (uv_backend_fd) is one more extra fd of curl_multi_poll, with uv_backend_timeout bounding
// the wait. The service thread runs uv_run(UV_RUN_NOWAIT) after every wake-up: wake-ups are
// prompt (socket readiness wakes the epoll fd) and nothing busy-polls.
//
// Threading: connect()/send()/close()/abort() from any thread (work is handed to the service
// thread). Events run on the service thread; the caller layer re-delivers them (queued mode).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "transport/transport.hpp"

namespace e2b::transport {

struct WsRequest {
    std::string url;  // http(s)://host[:port][/prefix] + path with query; becomes ws(s)://
    Headers headers;  // extra handshake headers (routing, tokens, the caller's)
    std::string subprotocol;  // Sec-WebSocket-Protocol; empty = none
    size_t max_message = 16u << 20;  // reassembled incoming message bound (→ close 1009)
};

// All on the service thread. on_open exactly once: ok (then on_message*, then on_close exactly
// once) or the handshake failure (nothing else follows; http_status set for a refused upgrade).
struct WsEvents {
    std::function<void(const Error& err)> on_open;
    std::function<void(std::string msg, bool binary)> on_message;
    // code: the peer's close code (1005 when it sent none), ours after a close we started and
    // the peer acknowledged, 1006 for a dropped connection; err ok for a close handshake.
    std::function<void(int code, const std::string& reason, const Error& err)> on_close;
};

class WebSocket {
public:
    struct State;
    explicit WebSocket(std::shared_ptr<State> s) : s_(std::move(s)) {}
    // Queues a message (copied); false once closing, closed or aborted.
    bool send(std::string data, bool binary);
    // Starts the close handshake after queued messages; false when already closing or closed.
    bool close(int code, std::string reason);
    // Drops the connection without a close frame; no event runs once the service thread saw it.
    void abort();
    size_t buffered() const;  // queued bytes not yet handed to the socket

private:
    std::shared_ptr<State> s_;
};

class WebSockets : public ServiceHook, public std::enable_shared_from_this<WebSockets> {
public:
    // One engine per transport (registered as its hook on first use).
    static std::shared_ptr<WebSockets> create(Transport& t);
    ~WebSockets() override;
    // Any thread; events on the service thread. A bad URL is reported through on_open.
    std::shared_ptr<WebSocket> connect(WsRequest req, WsEvents ev);

    int64_t service(std::vector<PollFd>* fds) override;
    void shutdown() override;

    struct Impl;

private:
    explicit WebSockets(Transport& t);
    std::unique_ptr<Impl> impl_;
};

}  // namespace e2b::transport
