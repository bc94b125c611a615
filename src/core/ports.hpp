// Plain HTTP requests and WebSockets to any port of a sandbox, routed like the SDKs route envd
// traffic (protocol doc §2): through the sandbox URL with E2b-Sandbox-Id/-Port headers when one
// is configured (e2b-local), else https://<port>-<id>.<domain>.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/core.hpp"

namespace e2b::core {

struct PortRequest {
    std::string method = "GET";
    std::string path = "/";  // with the query
    transport::Headers headers;
    std::string body;
    int64_t timeout_ms = 0;  // 0 = the client's request timeout, <0 = none
};

// Blocking. Any HTTP status is a response; the edge proxy's own 502 (sandbox gone, port not
// open) and transport failures throw. Not retried (the method may not be idempotent).
transport::Response port_request(Sandbox& sb, uint16_t port, PortRequest r);

struct WsOptions {
    transport::Headers headers;
    std::string subprotocol;
    size_t max_message = 16u << 20;
    int64_t connect_timeout_ms = 0;  // 0 = the client's request timeout, <0 = none
};

// Called as the client delivers callbacks (service thread or dispatch()).
struct WsHandlers {
    std::function<void(const char* data, size_t len, bool binary)> on_message;
    std::function<void(int code, const Error* err)> on_close;  // err null for a clean close
};

class PortWebSocket : public std::enable_shared_from_this<PortWebSocket> {
public:
    // Blocking until the handshake completed. Throws: EMISUSE from a callback, ETIMEOUT,
    // ENETWORK, EPROTOCOL (refused upgrade, http_status set), ESANDBOX_NOT_FOUND.
    static std::shared_ptr<PortWebSocket> connect(Sandbox& sb, uint16_t port, const std::string& path,
                                                  WsOptions o, WsHandlers h);
    // Any thread, non-blocking. Throw EMISUSE once closing or closed.
    void send(std::string data, bool binary);
    void close(int code, std::string reason);
    size_t buffered() const { return ws_->buffered(); }
    // Drops the connection; no callback runs after this returns (or, from inside one of this
    // socket's callbacks, after that callback).
    void release();

private:
    PortWebSocket(Sandbox& sb, WsHandlers h) : sb_(sb), h_(std::move(h)) {}
    void deliver(std::function<void()> fn, bool terminal);

    Sandbox& sb_;
    WsHandlers h_;
    std::shared_ptr<transport::WebSocket> ws_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::optional<transport::Error> open_;  // handshake result
    std::recursive_mutex cb_mu_;            // held while a user callback runs
    bool released_ = false;
};

}  // namespace e2b::core
