// C ABI of sandbox ports: plain HTTP requests and WebSockets (e2b.h "Ports").
#include <cstring>

#include "capi/capi_internal.hpp"
#include "core/ports.hpp"

using namespace e2b::capi;
using e2b::core::PortWebSocket;

struct e2b_ws {
    std::shared_ptr<PortWebSocket> w;
};

namespace {

const size_t kPortOptsSize[] = {0, sizeof(e2b_port_request_opts)};
const size_t kWsOptsSize[] = {0, sizeof(e2b_ws_opts)};
const size_t kWsCallbacksSize[] = {0, sizeof(e2b_ws_callbacks)};

// "Name: value" lines → header pairs; CR/LF would let a caller smuggle extra header lines.
e2b::transport::Headers parse_headers(const char* const* lines) {
    e2b::transport::Headers h;
    for (size_t i = 0; lines && lines[i]; ++i) {
        std::string l = lines[i];
        size_t colon = l.find(':');
        if (colon == 0 || colon == std::string::npos || l.find_first_of("\r\n") != std::string::npos)
            invalid("header \"" + l + "\" is not \"Name: value\" on one line");
        std::string name = l.substr(0, colon);
        if (name.find_first_of(" \t") != std::string::npos)
            invalid("header name \"" + name + "\" contains whitespace");
        size_t v = l.find_first_not_of(" \t", colon + 1);
        h.emplace_back(name, v == std::string::npos ? "" : l.substr(v));
    }
    return h;
}

}  // namespace

extern "C" {

int e2b_port_request_opts_init(e2b_port_request_opts* opts, uint32_t version) {
    return opts_init(opts, version, kPortOptsSize, "e2b_port_request_opts");
}

int e2b_port_request(e2b_port_response* out, e2b_sandbox* sandbox, uint16_t port, const char* method,
                     const char* path, const e2b_port_request_opts* opts) {
    if (out) std::memset(out, 0, sizeof *out);
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(path, "path");
        e2b_port_request_opts o = opts_copy(opts, kPortOptsSize, "e2b_port_request_opts");
        e2b::core::PortRequest r;
        if (method) {
            need_str(method, "method");
            for (const char* p = method; *p; ++p)
                if (*p <= ' ' || *p >= 127) invalid(std::string("malformed method \"") + method + "\"");
            r.method = method;
        }
        r.path = path;
        r.headers = parse_headers(o.headers);
        if (o.body_len) {
            need(o.body, "opts->body");
            r.body.assign(static_cast<const char*>(o.body), o.body_len);
        }
        r.timeout_ms = o.timeout_ms;
        auto resp = e2b::core::port_request(*sandbox->s, port, std::move(r));
        std::string hdrs;
        for (auto& [k, v] : resp.headers) hdrs += k + ": " + v + "\r\n";
        e2b_port_response tmp;
        std::memset(&tmp, 0, sizeof tmp);
        fill_buf(&tmp.headers, hdrs.data(), hdrs.size());
        try {
            fill_buf(&tmp.body, resp.body.data(), resp.body.size());
        } catch (...) {
            e2b_buf_dispose(&tmp.headers);
            throw;
        }
        tmp.status = resp.status;
        *out = tmp;
        return E2B_OK;
    });
}

int e2b_port_response_header(const e2b_port_response* resp, const char* name, e2b_buf* value) {
    return guard([&] {
        need(resp, "resp");
        need_str(name, "name");
        need(value, "value");
        *value = e2b_buf E2B_BUF_INIT;
        std::string_view all(resp->headers.ptr ? resp->headers.ptr : "", resp->headers.size);
        size_t nlen = std::strlen(name);
        while (!all.empty()) {
            size_t eol = all.find("\r\n");
            std::string_view line = all.substr(0, eol);
            all = eol == std::string_view::npos ? std::string_view() : all.substr(eol + 2);
            if (line.size() <= nlen || line[nlen] != ':' || strncasecmp(line.data(), name, nlen) != 0)
                continue;
            std::string_view v = line.substr(nlen + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            fill_buf(value, v.data(), v.size());
            return 1;
        }
        return 0;
    });
}

void e2b_port_response_dispose(e2b_port_response* resp) {
    if (!resp) return;
    e2b_buf_dispose(&resp->headers);
    e2b_buf_dispose(&resp->body);
    resp->status = 0;
}

int e2b_ws_opts_init(e2b_ws_opts* opts, uint32_t version) {
    return opts_init(opts, version, kWsOptsSize, "e2b_ws_opts");
}

int e2b_ws_connect(e2b_ws** out, e2b_sandbox* sandbox, uint16_t port, const char* path,
                   const e2b_ws_opts* opts, const e2b_ws_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need_str(path, "path");
        e2b_ws_opts o = opts_copy(opts, kWsOptsSize, "e2b_ws_opts");
        e2b::core::WsOptions wo;
        wo.headers = parse_headers(o.headers);
        if (o.subprotocol) {
            need_str(o.subprotocol, "opts->subprotocol");
            wo.subprotocol = o.subprotocol;
        }
        if (o.max_message_size) {
            if (o.max_message_size > SIZE_MAX / 2) invalid("max_message_size too large");
            wo.max_message = static_cast<size_t>(o.max_message_size);
        }
        wo.connect_timeout_ms = o.connect_timeout_ms;
        e2b::core::WsHandlers h;
        if (callbacks) {
            e2b_ws_callbacks c = opts_copy(callbacks, kWsCallbacksSize, "e2b_ws_callbacks");
            void* p = c.payload;
            if (c.on_message)
                h.on_message = [f = c.on_message, p](const char* d, size_t n, bool binary) {
                    f(d, n, binary ? E2B_WS_BINARY : E2B_WS_TEXT, p);
                };
            if (c.on_close)
                h.on_close = [f = c.on_close, p](int code, const e2b::core::Error* err) {
                    if (!err) return f(code, nullptr, p);
                    e2b_error e{err->code, err->http_status, err->what()};
                    f(code, &e, p);
                };
        }
        auto w = PortWebSocket::connect(*sandbox->s, port, path, std::move(wo), std::move(h));
        auto handle = std::make_unique<e2b_ws>();
        handle->w = std::move(w);
        *out = handle.release();
        return E2B_OK;
    });
}

int e2b_ws_send(e2b_ws* ws, const void* data, size_t len, uint32_t flags) {
    return guard([&] {
        need(ws, "ws");
        if (len) need(data, "data");
        if (flags != E2B_WS_TEXT && flags != E2B_WS_BINARY)
            invalid("flags must be E2B_WS_TEXT or E2B_WS_BINARY");
        ws->w->send(std::string(static_cast<const char*>(data), len), flags == E2B_WS_BINARY);
        return E2B_OK;
    });
}

int e2b_ws_close(e2b_ws* ws, uint16_t code, const char* reason) {
    return guard([&] {
        need(ws, "ws");
        // RFC 6455 §7.4: codes a peer may send; 1004-1006 and 1015 are reserved for reporting.
        bool ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                  (code >= 3000 && code <= 4999);
        if (!ok) invalid("close code " + std::to_string(code) + " may not be sent");
        ws->w->close(code, reason ? reason : "");
        return E2B_OK;
    });
}

uint64_t e2b_ws_buffered_amount(const e2b_ws* ws) { return ws ? ws->w->buffered() : 0; }

void e2b_ws_free(e2b_ws* ws) {
    guard([&] {
        if (!ws) return E2B_OK;
        ws->w->release();
        delete ws;
        return E2B_OK;
    });
}

}  // extern "C"
