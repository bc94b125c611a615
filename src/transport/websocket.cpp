#include "transport/websocket.hpp"

#include <curl/curl.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <uv.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <set>

#include "e2b.h"

namespace e2b::transport {

namespace {
std::once_flag g_lws_log;
constexpr int kCloseNoStatus = 1005, kCloseAbnormal = 1006;
}  // namespace

struct WebSocket::State {
    WsRequest req;
    WsEvents ev;
    Transport* tr = nullptr;

    // Cross-thread, under mu.
    mutable std::mutex mu;
    struct Out {
        std::string buf;  // LWS_PRE bytes of headroom, then the payload
        bool binary;
    };
    std::deque<Out> out;
    size_t buffered = 0;
    bool close_requested = false;
    int close_code = 1000;
    std::string close_reason;
    bool aborted = false;
    bool ended = false;

    // Service thread only.
    std::string host, host_header, path;
    int port = 0;
    bool tls = false;
    lws* wsi = nullptr;  // lws clears it (pwsi) when the connection is destroyed
    bool started = false, opened = false, finished = false, close_sent = false;
    bool peer_closed = false;
    int peer_code = kCloseNoStatus;
    std::string peer_reason;
    std::string rx;
    bool rx_binary = false;
    Error fail;  // an end we caused (message too large)
};

using WsPtr = std::shared_ptr<WebSocket::State>;

struct WebSockets::Impl {
    explicit Impl(Transport& t) : tr(t) {}
    Transport& tr;
    uv_loop_t loop{};
    bool loop_ready = false;
    lws_context* ctx = nullptr;
    // The client TLS context is ours, not lws's: lws 4.1 on a foreign loop never frees the one
    // it would create for its default vhost (the system CA store, ~700 KB per client).
    SSL_CTX* tls = nullptr;
    std::string init_error;
    bool shut = false;
    uint64_t callbacks = 0;  // lws callbacks seen: see service()
    std::set<WsPtr> live;    // connections lws may still call back about
    lws_protocols protocols[2]{};

    bool ensure_context();
    void start(const WsPtr& s);
    void fail_open(WsPtr s, Error err);
    void finish(WebSocket::State* s);
    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
};

// ---- engine ----------------------------------------------------------------------------------

bool WebSockets::Impl::ensure_context() {
    if (ctx) return true;
    if (shut || !init_error.empty()) return false;
    // lws logs NOTICE lines to stderr by default; a library should stay quiet unless failing.
    std::call_once(g_lws_log, [] { lws_set_log_level(LLL_ERR, nullptr); });
    if (uv_loop_init(&loop) != 0) {
        init_error = "uv_loop_init failed";
        return false;
    }
    loop_ready = true;
    protocols[0].name = "e2b-ws";
    protocols[0].callback = &Impl::callback;
    protocols[0].rx_buffer_size = 64 * 1024;
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = this;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
                   LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    void* loops[1] = {&loop};
    info.foreign_loops = loops;
    tls = SSL_CTX_new(TLS_client_method());
    if (!tls || SSL_CTX_set_default_verify_paths(tls) != 1) {
        init_error = "cannot create a TLS client context (OpenSSL)";
        return false;
    }
    info.provided_client_ssl_ctx = tls;
    ctx = lws_create_context(&info);
    if (!ctx) {
        init_error =
            "libwebsockets: cannot create a context on a libuv loop (is its libuv event-lib "
            "plugin installed? Debian: libwebsockets-evlib-uv)";
        return false;
    }
    return true;
}

void WebSockets::Impl::fail_open(WsPtr s, Error err) {
    if (s->finished) return;
    s->finished = true;
    bool aborted;
    {
        std::lock_guard<std::mutex> lk(s->mu);
        s->ended = true;
        aborted = s->aborted;
    }
    if (!aborted && s->ev.on_open) s->ev.on_open(err);
    s->ev = WsEvents{};
    live.erase(s);
}

void WebSockets::Impl::start(const WsPtr& s) {
    s->started = true;
    {
        std::lock_guard<std::mutex> lk(s->mu);
        if (s->aborted) {
            s->finished = s->ended = true;
            s->ev = WsEvents{};
            return;
        }
    }
    live.insert(s);
    if (!ensure_context()) return fail_open(s, {E2B_ERROR, 0, init_error});

    // Split the URL with libcurl's parser (already a dependency) rather than by hand.
    CURLU* u = curl_url();
    char *scheme = nullptr, *host = nullptr, *port = nullptr, *path = nullptr, *query = nullptr;
    bool ok = u && curl_url_set(u, CURLUPART_URL, s->req.url.c_str(), 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK;
    if (ok) {
        if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK) query = nullptr;
        s->tls = std::strcmp(scheme, "https") == 0 || std::strcmp(scheme, "wss") == 0;
        s->host = host;
        // An IPv6 literal comes back bracketed; the socket layer wants it bare.
        if (s->host.size() > 2 && s->host.front() == '[') s->host = s->host.substr(1, s->host.size() - 2);
        s->port = std::atoi(port);
        s->path = path;
        if (query) s->path += std::string("?") + query;
        bool default_port = s->port == (s->tls ? 443 : 80);
        s->host_header = default_port ? std::string(host) : std::string(host) + ":" + port;
    }
    for (char* p : {scheme, host, port, path, query}) curl_free(p);
    curl_url_cleanup(u);
    if (!ok || s->port <= 0) return fail_open(s, {E2B_EINVAL, 0, "malformed URL: " + s->req.url});

    lws_client_connect_info ci;
    std::memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = s->host.c_str();
    ci.port = s->port;
    ci.ssl_connection = s->tls ? LCCSCF_USE_SSL : 0;
    ci.path = s->path.c_str();
    ci.host = s->host_header.c_str();
    ci.origin = s->host_header.c_str();
    ci.protocol = s->req.subprotocol.empty() ? nullptr : s->req.subprotocol.c_str();
    ci.ietf_version_or_minus_one = -1;
    ci.local_protocol_name = protocols[0].name;
    ci.opaque_user_data = s.get();
    ci.pwsi = &s->wsi;
    if (!lws_client_connect_via_info(&ci) && !s->finished)
        fail_open(s, {E2B_ENETWORK, 0, "cannot connect to " + s->host_header});
}

// Ends an established (or establishing) connection: on_close or on_open(err), exactly once.
void WebSockets::Impl::finish(WebSocket::State* raw) {
    if (raw->finished) return;
    WsPtr s;
    for (auto& p : live)
        if (p.get() == raw) s = p;
    if (!s) return;
    if (!s->opened) return fail_open(s, {E2B_ENETWORK, 0, "connection closed during the handshake"});
    s->finished = true;
    bool aborted;
    {
        std::lock_guard<std::mutex> lk(s->mu);
        s->ended = true;
        aborted = s->aborted;
        s->out.clear();
        s->buffered = 0;
    }
    int code;
    std::string reason;
    Error err;
    if (s->fail.code) {
        code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
        err = s->fail;
    } else if (s->peer_closed) {
        code = s->peer_code;
        reason = s->peer_reason;
    } else if (s->close_sent) {
        code = s->close_code;
        reason = s->close_reason;
    } else {
        code = kCloseAbnormal;
        err = {E2B_ENETWORK, 0, "connection lost without a close frame"};
    }
    if (!aborted && s->ev.on_close) s->ev.on_close(code, reason, err);
    s->ev = WsEvents{};
    live.erase(s);
}

int WebSockets::Impl::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                               size_t len) {
    lws_context* c = wsi ? lws_get_context(wsi) : nullptr;
    auto* self = c ? static_cast<Impl*>(lws_context_user(c)) : nullptr;
    if (self) ++self->callbacks;
    auto* s = wsi ? static_cast<WebSocket::State*>(lws_get_opaque_user_data(wsi)) : nullptr;
    if (!self || !s) return lws_callback_http_dummy(wsi, reason, user, in, len);

    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        auto** p = static_cast<unsigned char**>(in);
        unsigned char* end = *p + len;
        for (auto& [k, v] : s->req.headers) {
            std::string line = k + ": " + v + "\r\n";
            if (line.size() >= static_cast<size_t>(end - *p)) return -1;  // headers too large
            std::memcpy(*p, line.data(), line.size());
            *p += line.size();
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        s->opened = true;
        if (s->ev.on_open) s->ev.on_open(Error{});
        std::lock_guard<std::mutex> lk(s->mu);
        if (!s->out.empty() || s->close_requested) lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        int status = lws_http_client_http_response(wsi);
        std::string why = in && len ? std::string(static_cast<const char*>(in), strnlen(static_cast<const char*>(in), len))
                          : in ? std::string(static_cast<const char*>(in)) : "connection failed";
        s->wsi = nullptr;
        lws_set_opaque_user_data(wsi, nullptr);  // the state may go with fail_open
        Error err = status > 0 && status != 101
                        ? Error{E2B_EPROTOCOL, status,
                                "WebSocket upgrade refused: HTTP " + std::to_string(status)}
                        : Error{E2B_ENETWORK, 0, "WebSocket connection failed: " + why};
        for (auto& p : self->live)
            if (p.get() == s) return self->fail_open(p, err), 0;
        return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (s->finished) return 0;
        if (lws_is_first_fragment(wsi)) {
            s->rx.clear();
            s->rx_binary = lws_frame_is_binary(wsi) != 0;
        }
        if (s->rx.size() + len > s->req.max_message) {
            s->fail = {E2B_EPROTOCOL, 0,
                       "incoming message larger than " + std::to_string(s->req.max_message) + " bytes"};
            static const char kWhy[] = "message too large";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             reinterpret_cast<unsigned char*>(const_cast<char*>(kWhy)), sizeof kWhy - 1);
            return -1;
        }
        s->rx.append(static_cast<const char*>(in), len);
        if (lws_is_final_fragment(wsi)) {
            std::string msg;
            msg.swap(s->rx);
            bool aborted;
            {
                std::lock_guard<std::mutex> lk(s->mu);
                aborted = s->aborted;
            }
            if (!aborted && s->ev.on_message) s->ev.on_message(std::move(msg), s->rx_binary);
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        WebSocket::State::Out m;
        bool have = false, more = false, do_close = false;
        {
            std::lock_guard<std::mutex> lk(s->mu);
            if (s->aborted) return -1;
            if (!s->out.empty()) {
                m = std::move(s->out.front());
                s->out.pop_front();
                have = true;
                more = !s->out.empty() || s->close_requested;
            } else if (s->close_requested && !s->close_sent) {
                do_close = true;
            }
        }
        if (have) {
            size_t n = m.buf.size() - LWS_PRE;
            // lws keeps what the socket does not take and flushes it before the next WRITEABLE.
            int w = lws_write(wsi, reinterpret_cast<unsigned char*>(&m.buf[LWS_PRE]), n,
                              m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            {
                std::lock_guard<std::mutex> lk(s->mu);
                s->buffered -= n;
            }
            if (w < static_cast<int>(n)) return -1;
            if (more) lws_callback_on_writable(wsi);
            return 0;
        }
        if (do_close) {
            s->close_sent = true;
            std::string r = s->close_reason.substr(0, 123);  // a close frame carries <= 125 bytes
            lws_close_reason(wsi, static_cast<lws_close_status>(s->close_code),
                             reinterpret_cast<unsigned char*>(r.data()), r.size());
            return -1;  // lws sends the close frame and waits for the peer's
        }
        return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        s->peer_closed = true;
        auto* b = static_cast<const unsigned char*>(in);
        if (len >= 2) {
            s->peer_code = (b[0] << 8) | b[1];
            s->peer_reason.assign(reinterpret_cast<const char*>(b + 2), len - 2);
        }
        return 0;  // lws answers with the close frame
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        s->wsi = nullptr;
        lws_set_opaque_user_data(wsi, nullptr);
        self->finish(s);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

WebSockets::WebSockets(Transport& t) : impl_(std::make_unique<Impl>(t)) {}

WebSockets::~WebSockets() {
    // shutdown() ran on the service thread (the transport calls it before dropping its hooks).
}

std::shared_ptr<WebSockets> WebSockets::create(Transport& t) {
    std::shared_ptr<WebSockets> w(new WebSockets(t));
    t.add_hook(w);
    return w;
}

std::shared_ptr<WebSocket> WebSockets::connect(WsRequest req, WsEvents ev) {
    auto s = std::make_shared<WebSocket::State>();
    s->req = std::move(req);
    s->ev = std::move(ev);
    s->tr = &impl_->tr;
    auto self = shared_from_this();
    if (!impl_->tr.run_on_service_thread([self, s] { self->impl_->start(s); }))
        return nullptr;
    return std::make_shared<WebSocket>(s);
}

int64_t WebSockets::service(std::vector<PollFd>* fds) {
    Impl& m = *impl_;
    if (!m.ctx) return -1;
    // libuv applies watcher changes (e.g. lws asking for POLLOUT from a callback) only at its
    // next poll: run again while the previous run called into lws, so that no interest is left
    // unregistered in the epoll set we are about to sleep on.
    for (int i = 0; i < 16; ++i) {
        uint64_t before = m.callbacks;
        uv_run(&m.loop, UV_RUN_NOWAIT);
        if (m.callbacks == before) break;
    }
    fds->push_back({uv_backend_fd(&m.loop), POLLIN});
    return uv_backend_timeout(&m.loop);
}

void WebSockets::shutdown() {
    Impl& m = *impl_;
    m.shut = true;
    std::set<WsPtr> live = m.live;  // keeps the states alive while lws tears down
    for (auto& s : live) {
        if (s->finished) continue;
        Error err{E2B_ECANCELED, 0, "client shut down"};
        if (!s->opened) {
            m.fail_open(s, err);
            continue;
        }
        s->finished = true;
        bool aborted;
        {
            std::lock_guard<std::mutex> lk(s->mu);
            s->ended = true;
            aborted = s->aborted;
        }
        if (!aborted && s->ev.on_close) s->ev.on_close(kCloseAbnormal, "", err);
        s->ev = WsEvents{};
    }
    if (m.ctx) {
        // On a foreign loop lws only closes its handles here; once the loop has run their close
        // callbacks, a second lws_context_destroy frees the context (lws does not on its own).
        lws_context_destroy(m.ctx);
        uv_run(&m.loop, UV_RUN_DEFAULT);
        lws_context_destroy(m.ctx);
        m.ctx = nullptr;
    }
    if (m.tls) {
        SSL_CTX_free(m.tls);
        m.tls = nullptr;
    }
    if (m.loop_ready) {
        uv_run(&m.loop, UV_RUN_DEFAULT);
        uv_loop_close(&m.loop);
        m.loop_ready = false;
    }
    m.live.clear();
}

// ---- handle ----------------------------------------------------------------------------------

bool WebSocket::send(std::string data, bool binary) {
    bool was_empty;
    {
        std::lock_guard<std::mutex> lk(s_->mu);
        if (s_->ended || s_->aborted || s_->close_requested) return false;
        was_empty = s_->out.empty();
        std::string buf(LWS_PRE, '\0');
        buf += data;
        s_->buffered += data.size();
        s_->out.push_back({std::move(buf), binary});
    }
    // A non-empty queue already has a WRITEABLE request pending that drains it.
    if (was_empty) {
        auto s = s_;
        s_->tr->run_on_service_thread([s] {
            if (s->wsi && s->opened && !s->finished) lws_callback_on_writable(s->wsi);
        });
    }
    return true;
}

bool WebSocket::close(int code, std::string reason) {
    {
        std::lock_guard<std::mutex> lk(s_->mu);
        if (s_->ended || s_->aborted || s_->close_requested) return false;
        s_->close_requested = true;
        s_->close_code = code;
        s_->close_reason = std::move(reason);
    }
    auto s = s_;
    s_->tr->run_on_service_thread([s] {
        if (s->wsi && s->opened && !s->finished) lws_callback_on_writable(s->wsi);
    });
    return true;
}

void WebSocket::abort() {
    {
        std::lock_guard<std::mutex> lk(s_->mu);
        if (s_->aborted) return;
        s_->aborted = true;
    }
    auto s = s_;
    s_->tr->run_on_service_thread([s] {
        if (s->wsi && !s->finished) lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    });
}

size_t WebSocket::buffered() const {
    std::lock_guard<std::mutex> lk(s_->mu);
    return s_->buffered;
}

}  // namespace e2b::transport
