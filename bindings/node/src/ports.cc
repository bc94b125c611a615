// Ports: HTTP requests and WebSockets to a port of the sandbox (e2b_port_request, e2b_ws_*).
// WebSocket callbacks follow the client's QUEUED delivery, as exec streams do.
#include "common.h"

namespace e2bnode {
namespace {

// portRequest(sandbox, port, method, path, {headers: ["N: v"], body, timeoutMs})
//   -> {status, headers: "N: v\r\n"..., body: Buffer}
Napi::Value PortRequest(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto sb = sandbox_of(info[0]);
    uint32_t port = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
    std::optional<std::string> method;
    if (info[2].IsString()) method = info[2].As<Napi::String>().Utf8Value();
    std::string path = info[3].ToString().Utf8Value();
    Napi::Object js = obj_or_empty(env, info[4]);
    struct Q {
        StrList headers;
        Pin body;
        e2b_port_request_opts o;
        e2b_port_response r = E2B_PORT_RESPONSE_INIT;
        ~Q() { L.e2b_port_response_dispose(&r); }
    };
    auto q = std::make_shared<Q>();
    L.e2b_port_request_opts_init(&q->o, E2B_PORT_REQUEST_OPTS_VERSION);
    q->headers.from(js.Get("headers"));
    q->body.set(js.Get("body"));
    q->o.timeout_ms = opt_i64(js, "timeoutMs", 0);
    // A port outside 1..65535 must not wrap around into a valid one.
    uint16_t p16 = port > 65535 ? 0 : uint16_t(port);
    return Task::start(env, [sb, p16, method, path, q] {
        q->o.headers = q->headers.get();
        q->o.body = q->body.data;
        q->o.body_len = q->body.len;
        return L.e2b_port_request(&q->r, sb->h, p16, cstr(method), path.c_str(), &q->o);
    }, [q](Napi::Env env, int) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("status", Napi::Number::New(env, q->r.status));
        r.Set("headers", Napi::String::New(env, q->r.headers.ptr ? q->r.headers.ptr : "", q->r.headers.size));
        r.Set("body", Napi::Buffer<char>::Copy(env, q->r.body.ptr ? q->r.body.ptr : "", q->r.body.size));
        return r;
    });
}

struct WsState : Child {
    std::shared_ptr<SandboxState> sbx;
    e2b_ws* h = nullptr;
    Napi::FunctionReference handler;  // ("message", string|Buffer) | ("close", code, err|null)
    bool open = false;                // counted in client->streams until on_close or free
    ~WsState() override { release(); }
    void detach() override {
        if (h && open) on_close(1006, nullptr, this, true);
        release();
        sbx.reset();
    }
    void release() {
        if (h) L.e2b_ws_free(h);  // no callback of ours runs after this
        h = nullptr;
        handler.Reset();
        if (open) {
            open = false;
            sbx->client->stream_closed();
        }
    }
    static void on_message(const void* d, size_t n, uint32_t flags, void* p) {
        auto* s = static_cast<WsState*>(p);
        if (s->handler.IsEmpty()) return;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        const char* c = static_cast<const char*>(d);
        Napi::Value v = flags & E2B_WS_TEXT ? Napi::Value(Napi::String::New(env, c ? c : "", n))
                                            : Napi::Value(Napi::Buffer<char>::Copy(env, c ? c : "", n));
        call_handler(s->handler, {Napi::String::New(env, "message"), v});
    }
    static void on_close(int32_t code, const e2b_error* err, void* p) { on_close(code, err, p, false); }
    static void on_close(int32_t code, const e2b_error* err, void* p, bool released) {
        auto* s = static_cast<WsState*>(p);
        if (!s->handler.IsEmpty()) {
            Napi::Env env = s->handler.Env();
            Napi::HandleScope hs(env);
            Napi::Value e = released ? make_error(env, released_error())
                            : err    ? make_error(env, err->code, err->http_status, err->message)
                                     : env.Null();
            call_handler(s->handler, {Napi::String::New(env, "close"), Napi::Number::New(env, code), e});
            s->handler.Reset();  // terminal: breaks the JS <-> native cycle
        }
        if (s->open) {
            s->open = false;
            s->sbx->client->stream_closed();
        }
    }
};

Napi::FunctionReference* g_ws_ctor = nullptr;

class Ws : public Napi::ObjectWrap<Ws> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeWebSocket",
                           {InstanceMethod("send", &Ws::Send), InstanceMethod("close", &Ws::Close),
                            InstanceMethod("free", &Ws::Free),
                            InstanceAccessor("bufferedAmount", &Ws::Buffered, nullptr)});
    }
    explicit Ws(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ws>(info) {}
    ~Ws() { drop(st_); }
    std::shared_ptr<WsState> st_;

private:
    bool check(Napi::Env env, int rc) {
        if (rc >= 0) return true;
        throw_error(env, Err::last(rc));
        return false;
    }
    e2b_ws* h() { return st_ ? st_->h : nullptr; }
    // send(string | bytes): a string goes as a text message, bytes as binary. Non-blocking.
    Napi::Value Send(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!h()) {
            throw_error(env, Err{E2B_EMISUSE, 0, "the WebSocket is closed"});
            return env.Undefined();
        }
        if (info[0].IsString()) {
            std::string s = info[0].As<Napi::String>().Utf8Value();
            check(env, L.e2b_ws_send(h(), s.data(), s.size(), E2B_WS_TEXT));
        } else {
            Pin p;
            p.set(info[0]);
            check(env, L.e2b_ws_send(h(), p.data, p.len, E2B_WS_BINARY));
        }
        return env.Undefined();
    }
    Napi::Value Close(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!h()) {
            throw_error(env, Err{E2B_EMISUSE, 0, "the WebSocket is closed"});
            return env.Undefined();
        }
        uint32_t code = info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 1000;
        std::optional<std::string> reason;
        if (info[1].IsString()) reason = info[1].As<Napi::String>().Utf8Value();
        // A code outside uint16 must not wrap into an accepted one: 0 is refused by libe2b.
        check(env, L.e2b_ws_close(h(), code > 65535 ? 0 : uint16_t(code), cstr(reason)));
        return env.Undefined();
    }
    // Drops the connection without a close frame; no handler call follows.
    Napi::Value Free(const Napi::CallbackInfo& info) {
        if (st_) st_->release();
        return info.Env().Undefined();
    }
    Napi::Value Buffered(const Napi::CallbackInfo& info) {
        return Napi::Number::New(info.Env(), double(L.e2b_ws_buffered_amount(h())));
    }
};

// wsConnect(sandbox, port, path, {headers, protocol, maxMessageSize, timeoutMs}, handler)
//   -> Promise<NativeWebSocket>
Napi::Value WsConnect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto ws = std::make_shared<WsState>();
    ws->sbx = sandbox_of(info[0]);
    uint32_t port = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
    uint16_t p16 = port > 65535 ? 0 : uint16_t(port);
    std::string path = info[2].ToString().Utf8Value();
    Napi::Object js = obj_or_empty(env, info[3]);
    struct Q {
        StrList headers;
        std::optional<std::string> protocol;
        e2b_ws_opts o;
    };
    auto q = std::make_shared<Q>();
    L.e2b_ws_opts_init(&q->o, E2B_WS_OPTS_VERSION);
    q->headers.from(js.Get("headers"));
    q->protocol = opt_str(js, "protocol");
    q->o.max_message_size = uint64_t(opt_i64(js, "maxMessageSize", 0));
    q->o.connect_timeout_ms = opt_i64(js, "timeoutMs", 0);
    if (info[4].IsFunction()) ws->handler = Napi::Persistent(info[4].As<Napi::Function>());
    // Counted before the connect: messages may be queued while the worker still waits.
    ws->open = true;
    ws->sbx->client->stream_opened();
    return Task::start(env, [ws, p16, path, q] {
        q->o.headers = q->headers.get();
        q->o.subprotocol = cstr(q->protocol);
        e2b_ws_callbacks cb = E2B_WS_CALLBACKS_INIT;
        cb.on_message = WsState::on_message;
        cb.on_close = static_cast<void (*)(int32_t, const e2b_error*, void*)>(WsState::on_close);
        cb.payload = ws.get();
        e2b_ws* h = nullptr;
        int rc = L.e2b_ws_connect(&h, ws->sbx->h, p16, path.c_str(), &q->o, &cb);
        ws->h = h;  // read on the JS thread only after this worker completed
        return rc;
    }, [ws](Napi::Env env, int) {
        Napi::Object o = g_ws_ctor->New({});
        Ws::Unwrap(o)->st_ = ws;
        ws->sbx->adopt(ws);
        return o;
    });
    // On failure no callback runs and `ws` (open) is released with the task.
}

}  // namespace

void init_ports(Napi::Env env, Napi::Object exports) {
    g_ws_ctor = new Napi::FunctionReference(Napi::Persistent(Ws::Init(env)));
    env.AddCleanupHook([] {
        delete g_ws_ctor;
        g_ws_ctor = nullptr;
    });
    exports.Set("portRequest", Napi::Function::New(env, PortRequest));
    exports.Set("wsConnect", Napi::Function::New(env, WsConnect));
}

}  // namespace e2bnode
