#include "core/ports.hpp"

#include <chrono>

#include "e2b.h"
#include "protocol/errors.hpp"

namespace e2b::core {

namespace {

void check_blocking(Sandbox& sb) {
    if (sb.client().transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "blocking call from inside a callback");
}

int64_t resolve_timeout(const Sandbox& sb, int64_t ms) {
    return ms == 0 ? sb.client().config().request_timeout_ms : ms < 0 ? 0 : ms;
}

}  // namespace

std::string Sandbox::port_url(uint16_t port) const {
    const ClientConfig& cfg = c_.config();
    if (cfg.sandbox_url) return *cfg.sandbox_url;
    if (cfg.debug) return "http://localhost:" + std::to_string(port);
    return "https://" + host(port);
}

transport::Headers Sandbox::port_headers(uint16_t port) const {
    // The routing headers are harmless where the host name routes (E2B cloud) and needed where
    // a shared origin does (sandbox URL, e2b-local).
    transport::Headers h = {{"E2b-Sandbox-Id", id()}, {"E2b-Sandbox-Port", std::to_string(port)}};
    if (s_.traffic_access_token && !s_.traffic_access_token->empty())
        h.emplace_back("e2b-traffic-access-token", *s_.traffic_access_token);
    return h;
}

transport::Response port_request(Sandbox& sb, uint16_t port, PortRequest pr) {
    check_blocking(sb);
    if (port == 0) throw Error(E2B_EINVAL, "port must be 1..65535");
    if (pr.path.empty() || pr.path[0] != '/') throw Error(E2B_EINVAL, "path must start with '/'");
    transport::Request r;
    r.method = pr.method;
    r.url = sb.port_url(port) + pr.path;
    r.headers = sb.port_headers(port);
    for (auto& h : pr.headers) r.headers.push_back(std::move(h));
    r.body = std::move(pr.body);
    r.timeout_ms = resolve_timeout(sb, pr.timeout_ms);
    r.idempotent = false;
    auto resp = sb.client().transport().perform(std::move(r));
    if (!resp.error.ok())
        throw Error(resp.error.code ? resp.error.code : E2B_ERROR, resp.error.message,
                    resp.error.http_status);
    if (auto m = proto::map_edge_error(resp.status, resp.body, port))
        throw Error(m->code, m->message, m->http_status);
    return resp;
}

std::shared_ptr<PortWebSocket> PortWebSocket::connect(Sandbox& sb, uint16_t port,
                                                      const std::string& path, WsOptions o,
                                                      WsHandlers h) {
    check_blocking(sb);
    if (port == 0) throw Error(E2B_EINVAL, "port must be 1..65535");
    if (path.empty() || path[0] != '/') throw Error(E2B_EINVAL, "path must start with '/'");
    std::shared_ptr<PortWebSocket> self(new PortWebSocket(sb, std::move(h)));
    std::weak_ptr<PortWebSocket> weak = self;

    transport::WsRequest req;
    req.url = sb.port_url(port) + path;
    req.headers = sb.port_headers(port);
    req.headers.insert(req.headers.end(), o.headers.begin(), o.headers.end());
    req.subprotocol = std::move(o.subprotocol);
    req.max_message = o.max_message;

    transport::WsEvents ev;
    // Events hold the socket weakly: once the caller dropped it, nothing is delivered.
    ev.on_open = [weak](const transport::Error& err) {
        auto s = weak.lock();
        if (!s) return;
        std::lock_guard<std::mutex> lk(s->mu_);
        s->open_ = err;
        s->cv_.notify_all();
    };
    ev.on_message = [weak](std::string msg, bool binary) {
        auto s = weak.lock();
        if (!s || !s->h_.on_message) return;
        s->deliver([s, msg = std::move(msg), binary] { s->h_.on_message(msg.data(), msg.size(), binary); },
                   false);
    };
    ev.on_close = [weak](int code, const std::string& reason, const transport::Error& err) {
        auto s = weak.lock();
        if (!s || !s->h_.on_close) return;
        std::optional<Error> e;
        if (!err.ok()) e.emplace(err.code, err.message, err.http_status);
        (void)reason;
        s->deliver([s, code, e] { s->h_.on_close(code, e ? &*e : nullptr); }, true);
    };

    self->ws_ = sb.client().websockets()->connect(std::move(req), std::move(ev));
    if (!self->ws_) throw Error(E2B_ECANCELED, "client is shutting down");

    int64_t to = resolve_timeout(sb, o.connect_timeout_ms);
    std::unique_lock<std::mutex> lk(self->mu_);
    auto ready = [&] { return self->open_.has_value(); };
    if (to > 0) {
        if (!self->cv_.wait_for(lk, std::chrono::milliseconds(to), ready)) {
            lk.unlock();
            self->release();
            throw Error(E2B_ETIMEOUT, "WebSocket handshake timed out after " + std::to_string(to) + " ms");
        }
    } else {
        self->cv_.wait(lk, ready);
    }
    transport::Error err = *self->open_;
    lk.unlock();
    if (err.ok()) return self;
    self->release();
    if (err.http_status == 502) {
        // lws does not keep the refusal's body: ask the proxy again to tell a gone sandbox from
        // a closed port (its JSON answer is the same for any method and path).
        PortRequest probe;
        probe.method = "OPTIONS";
        probe.path = path;
        probe.headers = o.headers;
        port_request(sb, port, std::move(probe));  // throws the mapped edge error
    }
    throw Error(err.code ? err.code : E2B_ERROR, err.message, err.http_status);
}

void PortWebSocket::deliver(std::function<void()> fn, bool terminal) {
    auto self = shared_from_this();
    auto run = [self, fn = std::move(fn)] {
        std::lock_guard<std::recursive_mutex> lk(self->cb_mu_);
        if (!self->released_) fn();
    };
    sb_.client().transport().post(std::move(run), terminal);
}

void PortWebSocket::send(std::string data, bool binary) {
    if (!ws_->send(std::move(data), binary))
        throw Error(E2B_EMISUSE, "the WebSocket is closing or closed");
}

void PortWebSocket::close(int code, std::string reason) {
    if (!ws_->close(code, std::move(reason)))
        throw Error(E2B_EMISUSE, "the WebSocket is already closing or closed");
}

void PortWebSocket::release() {
    if (ws_) ws_->abort();
    std::lock_guard<std::recursive_mutex> lk(cb_mu_);  // waits out a callback on another thread
    released_ = true;
}

}  // namespace e2b::core
