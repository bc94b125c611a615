// Node-API addon over libe2b's C ABI (include/e2b.h), loaded with dlopen at run time.
//
// Threading model (why it looks like this):
//   - Every blocking C call runs on the libuv thread pool (Napi::AsyncWorker) and settles a Promise,
//     so the event loop never waits on the network.
//   - Each client uses E2B_DELIVERY_QUEUED: stream callbacks (exec output/exit, watch events) are
//     queued by libe2b and run inside e2b_client_dispatch, which we call on the JS thread when the
//     client's wake fd becomes readable (a uv_poll on the loop). So user callbacks run on the JS
//     thread in libe2b's order, and libe2b pauses a download when too many bytes are queued
//     (backpressure a TSFN queue would not give). The poll handle is ref'd only while streams
//     are open, so an idle client never keeps the process alive.
//   - e2b_files_read_stream / e2b_files_write_stream call back on the service thread whatever the
//     delivery mode; those go through a napi_threadsafe_function per transfer, released when the
//     transfer ends.
#include "common.h"

namespace e2bnode {

struct ExecState : Child {
    std::shared_ptr<SandboxState> sbx;
    e2b_exec* h = nullptr;
    Napi::FunctionReference handler;  // (kind, value[, err]): "stdout"|"stderr"|"exit"
    bool open = false;                // counted in client->streams until exit or free
    ~ExecState() override {
        if (h) L.e2b_exec_free(h);  // no callback of ours runs after this
        if (open) sbx->client->stream_closed();
    }
    void detach() override {
        if (h) L.e2b_exec_free(h);
        h = nullptr;
        if (open) on_exit(-1, nullptr, this, true);
        sbx.reset();
    }
    static int on_out(const char* d, size_t n, void* p, const char* kind) {
        auto* s = static_cast<ExecState*>(p);
        if (s->handler.IsEmpty()) return 0;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        Napi::Value r = call_handler(s->handler, {Napi::String::New(env, kind), Napi::Buffer<char>::Copy(env, d, n)});
        return !r.IsEmpty() && r.IsBoolean() && r.As<Napi::Boolean>().Value() ? 1 : 0;
    }
    static int on_stdout(const char* d, size_t n, void* p) { return on_out(d, n, p, "stdout"); }
    static int on_stderr(const char* d, size_t n, void* p) { return on_out(d, n, p, "stderr"); }
    static void on_exit(int32_t code, const e2b_error* err, void* p) { on_exit(code, err, p, false); }
    static void on_exit(int32_t code, const e2b_error* err, void* p, bool released) {
        auto* s = static_cast<ExecState*>(p);
        if (!s->handler.IsEmpty()) {
            Napi::Env env = s->handler.Env();
            Napi::HandleScope hs(env);
            Napi::Value e = released ? make_error(env, released_error())
                            : err    ? make_error(env, err->code, err->http_status, err->message)
                                     : env.Null();
            call_handler(s->handler, {Napi::String::New(env, "exit"), Napi::Number::New(env, code), e});
            s->handler.Reset();  // terminal: breaks the JS <-> native cycle
        }
        if (s->open) {
            s->open = false;
            s->sbx->client->stream_closed();
        }
    }
    e2b_exec_callbacks callbacks() {
        e2b_exec_callbacks c = E2B_EXEC_CALLBACKS_INIT;
        c.on_stdout = on_stdout;
        c.on_stderr = on_stderr;
        c.on_exit = static_cast<void (*)(int32_t, const e2b_error*, void*)>(on_exit);
        c.payload = this;
        return c;
    }
};

struct WatchState : Child {
    std::shared_ptr<ClientState> client;
    std::shared_ptr<SandboxState> sbx;  // a watch must be freed before its sandbox
    e2b_watch* h = nullptr;             // owned by the NativeWatch (JS thread)
    Napi::FunctionReference handler;  // ("event", type, name) | ("end", err)
    bool open = false;
    bool ended = false;
    // on_end may follow e2b_watch_free (queued delivery), so the payload is a separately owned
    // shared_ptr released by on_end itself.
    std::shared_ptr<WatchState>* self = nullptr;
    ~WatchState() override {
        if (open) client->stream_closed();
    }
    // Stops and frees the watch (on_end follows, queued, and ends the JS side).
    void release() {
        if (h) L.e2b_watch_free(h);
        h = nullptr;
        drop(sbx);
    }
    void detach() override { release(); }
    static void on_event(const e2b_fs_event* ev, void* p) {
        auto* s = static_cast<std::shared_ptr<WatchState>*>(p)->get();
        if (s->handler.IsEmpty()) return;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        call_handler(s->handler, {Napi::String::New(env, "event"), Napi::Number::New(env, ev->type),
                                  Napi::String::New(env, ev->name ? ev->name : "")});
    }
    static void on_end(const e2b_error* err, void* p) {
        auto* holder = static_cast<std::shared_ptr<WatchState>*>(p);
        WatchState* s = holder->get();
        s->ended = true;
        if (!s->handler.IsEmpty()) {
            Napi::Env env = s->handler.Env();
            Napi::HandleScope hs(env);
            Napi::Value e = err && err->code != E2B_OK ? make_error(env, err->code, err->http_status, err->message)
                                                        : env.Null();
            call_handler(s->handler, {Napi::String::New(env, "end"), e});
            s->handler.Reset();
        }
        if (s->open) {
            s->open = false;
            s->client->stream_closed();
        }
        std::shared_ptr<WatchState> keep = std::move(*holder);
        delete holder;
        drop(keep);
    }
};

// ---- wrapped classes ---------------------------------------------------------------------------

Napi::FunctionReference* g_sandbox_ctor = nullptr;
Napi::FunctionReference* g_exec_ctor = nullptr;
Napi::FunctionReference* g_watch_ctor = nullptr;

class Client : public Napi::ObjectWrap<Client> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit Client(const Napi::CallbackInfo& info);
    ~Client() { drop(st_); }
    std::shared_ptr<ClientState> st_;

private:
    Napi::Value CreateSandbox(const Napi::CallbackInfo& info);
    Napi::Value ConnectSandbox(const Napi::CallbackInfo& info);
    Napi::Value GetInfo(const Napi::CallbackInfo& info);
    Napi::Value ListPage(const Napi::CallbackInfo& info);
};

class Sandbox : public Napi::ObjectWrap<Sandbox> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit Sandbox(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sandbox>(info) {}
    ~Sandbox() { drop(st_); }
    std::shared_ptr<SandboxState> st_;
    static Napi::Object wrap(Napi::Env env, std::shared_ptr<SandboxState> st) {
        Napi::Object o = g_sandbox_ctor->New({});
        Unwrap(o)->st_ = std::move(st);
        return o;
    }

private:
    Napi::Value Id(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), L.e2b_sandbox_id(st_->h)); }
    Napi::Value EnvdVersion(const Napi::CallbackInfo& info) {
        return Napi::String::New(info.Env(), L.e2b_sandbox_envd_version(st_->h));
    }
    Napi::Value Kill(const Napi::CallbackInfo& info);
    Napi::Value SetTimeout(const Napi::CallbackInfo& info);
    Napi::Value Pause(const Napi::CallbackInfo& info);
    Napi::Value IsRunning(const Napi::CallbackInfo& info);
    Napi::Value GetHost(const Napi::CallbackInfo& info);
    Napi::Value FileUrl(const Napi::CallbackInfo& info);
    Napi::Value ExecStart(const Napi::CallbackInfo& info);
    Napi::Value ExecConnect(const Napi::CallbackInfo& info);
    Napi::Value PtyCreate(const Napi::CallbackInfo& info);
    Napi::Value ExecRun(const Napi::CallbackInfo& info);
    Napi::Value ExecList(const Napi::CallbackInfo& info);
    Napi::Value FilesRead(const Napi::CallbackInfo& info);
    Napi::Value FilesReadStream(const Napi::CallbackInfo& info);
    Napi::Value FilesWrite(const Napi::CallbackInfo& info);
    Napi::Value FilesWriteMany(const Napi::CallbackInfo& info);
    Napi::Value FilesWriteStream(const Napi::CallbackInfo& info);
    Napi::Value FilesList(const Napi::CallbackInfo& info);
    Napi::Value FilesStat(const Napi::CallbackInfo& info);
    Napi::Value FilesSimple(const Napi::CallbackInfo& info);
    Napi::Value FilesRename(const Napi::CallbackInfo& info);
    Napi::Value FilesWatch(const Napi::CallbackInfo& info);
    Napi::Value StartStream(const Napi::CallbackInfo& info, int kind);
};

class Exec : public Napi::ObjectWrap<Exec> {
public:
    static Napi::Function Init(Napi::Env env);
    explicit Exec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Exec>(info) {}
    ~Exec() { drop(st_); }
    std::shared_ptr<ExecState> st_;

private:
    bool alive(Napi::Env env) {
        if (st_ && st_->h) return true;
        throw_error(env, Err{E2B_EINVAL, 0, "the command handle was released"});
        return false;
    }
    Napi::Value Pid(const Napi::CallbackInfo& info) {
        return Napi::Number::New(info.Env(), st_ && st_->h ? L.e2b_exec_pid(st_->h) : 0);
    }
    Napi::Value Wait(const Napi::CallbackInfo& info) {
        if (!alive(info.Env())) return info.Env().Undefined();
        auto st = st_;
        auto code = std::make_shared<int32_t>(0);
        return Task::start(info.Env(), [st, code] { return L.e2b_exec_wait(st->h, code.get()); },
                           [code](Napi::Env env, int) { return Napi::Number::New(env, *code); });
    }
    Napi::Value Kill(const Napi::CallbackInfo& info) {
        if (!alive(info.Env())) return info.Env().Undefined();
        auto st = st_;
        return Task::start(info.Env(), [st] { return L.e2b_exec_kill(st->h); }, nullptr);
    }
    Napi::Value Send(const Napi::CallbackInfo& info, bool pty) {
        if (!alive(info.Env())) return info.Env().Undefined();
        auto st = st_;
        auto pin = std::make_shared<Pin>();
        pin->set(info[0]);
        return Task::start(info.Env(), [st, pin, pty] {
            return pty ? L.e2b_pty_send_input(st->h, pin->data, pin->len)
                       : L.e2b_exec_send_stdin(st->h, pin->data, pin->len);
        }, nullptr);
    }
    Napi::Value SendStdin(const Napi::CallbackInfo& info) { return Send(info, false); }
    Napi::Value PtyInput(const Napi::CallbackInfo& info) { return Send(info, true); }
    Napi::Value CloseStdin(const Napi::CallbackInfo& info) {
        if (!alive(info.Env())) return info.Env().Undefined();
        auto st = st_;
        return Task::start(info.Env(), [st] { return L.e2b_exec_close_stdin(st->h); }, nullptr);
    }
    Napi::Value PtyResize(const Napi::CallbackInfo& info) {
        if (!alive(info.Env())) return info.Env().Undefined();
        auto st = st_;
        uint16_t c = info[0].As<Napi::Number>().Uint32Value(), r = info[1].As<Napi::Number>().Uint32Value();
        return Task::start(info.Env(), [st, c, r] { return L.e2b_pty_resize(st->h, c, r); }, nullptr);
    }
    // Non-blocking: the stream ends with E2B_ECANCELED (the exit handler runs with it).
    Napi::Value Disconnect(const Napi::CallbackInfo& info) {
        if (st_ && st_->h) L.e2b_exec_disconnect(st_->h);
        return info.Env().Undefined();
    }
};

class Watch : public Napi::ObjectWrap<Watch> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeWatch", {InstanceMethod("stop", &Watch::Stop)});
    }
    explicit Watch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watch>(info) {}
    ~Watch() {
        if (st_) st_->release();  // on_end follows (queued) and releases the holder
        drop(st_);
    }
    std::shared_ptr<WatchState> st_;

private:
    Napi::Value Stop(const Napi::CallbackInfo& info) {
        if (st_ && st_->h) L.e2b_watch_stop(st_->h);
        return info.Env().Undefined();
    }
};

// ---- Client ---------------------------------------------------------------------------------

Napi::Function Client::Init(Napi::Env env) {
    return DefineClass(env, "NativeClient",
                       {InstanceMethod("createSandbox", &Client::CreateSandbox),
                        InstanceMethod("connectSandbox", &Client::ConnectSandbox),
                        InstanceMethod("getInfo", &Client::GetInfo),
                        InstanceMethod("listPage", &Client::ListPage)});
}

Client::Client(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Client>(info) {
    Napi::Env env = info.Env();
    if (!loaded(env)) return;
    Napi::Object o = obj_or_empty(env, info[0]);
    auto api_key = opt_str(o, "apiKey"), domain = opt_str(o, "domain"), api_url = opt_str(o, "apiUrl"),
         sandbox_url = opt_str(o, "sandboxUrl"), proxy = opt_str(o, "proxy"), ua = opt_str(o, "userAgent");
    e2b_client_opts co;
    L.e2b_client_opts_init(&co, E2B_CLIENT_OPTS_VERSION);
    co.api_key = cstr(api_key);
    co.domain = cstr(domain);
    co.api_url = cstr(api_url);
    co.sandbox_url = cstr(sandbox_url);
    co.proxy = cstr(proxy);
    co.user_agent = cstr(ua);
    co.request_timeout_ms = opt_i64(o, "requestTimeoutMs", 0);
    co.max_attempts = opt_u32(o, "maxAttempts", 0);
    co.flags = o.Get("noEnv").ToBoolean() ? E2B_CLIENT_F_NO_ENV : 0;
    co.delivery = E2B_DELIVERY_QUEUED;
    auto st = std::make_shared<ClientState>();
    st->env = env;
    auto log_file = opt_str(o, "logFile");
    co.log_file = cstr(log_file);
    co.log_level = int32_t(opt_i64(o, "logLevel", 0));
    Napi::Value on_log = o.Get("onLog");
    if (on_log.IsFunction()) {
        using Sink = ClientState::LogSink;
        st->log = std::make_shared<Sink>();
        st->log->tsfn = Napi::ThreadSafeFunction::New(
            env, on_log.As<Napi::Function>(), "e2b.log", 0, 1, new std::shared_ptr<Sink>(st->log),
            [](Napi::Env, std::shared_ptr<Sink>* ctx) {
                {
                    std::lock_guard<std::mutex> lk((*ctx)->mu);
                    (*ctx)->alive = false;
                }
                delete ctx;
            });
        st->log->tsfn.Unref(env);
        co.log_payload = st->log.get();  // the sink outlives the client (ClientState owns both)
        co.log_cb = [](int32_t level, const char* line, size_t len, void* p) {
            auto* sink = static_cast<Sink*>(p);
            std::lock_guard<std::mutex> lk(sink->mu);
            if (!sink->alive) return;
            auto* item = new std::pair<int32_t, std::string>(level, std::string(line, len));
            napi_status s = sink->tsfn.NonBlockingCall(item, [](Napi::Env env, Napi::Function fn, std::pair<int32_t, std::string>* it) {
                if (env != nullptr) call_handler_once(fn, {Napi::Number::New(env, it->first), Napi::String::New(env, it->second)});
                delete it;
            });
            if (s != napi_ok) delete item;
        };
    }
    int rc = L.e2b_client_new(&st->h, &co);
    if (rc < 0) {
        throw_error(env, Err::last(rc));
        return;  // st (and its log TSFN) released here
    }
    st->actx = std::make_unique<Napi::AsyncContext>(env, "e2b.dispatch");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    st->poll = new uv_poll_t;
    uv_poll_init(loop, st->poll, L.e2b_client_wake_fd(st->h));
    st->poll->data = st.get();  // the state outlives the poll: it stops and closes it first
    uv_poll_start(st->poll, UV_READABLE, [](uv_poll_t* p, int status, int) {
        static_cast<ClientState*>(p->data)->dispatch();
    });
    uv_unref(reinterpret_cast<uv_handle_t*>(st->poll));
    st_ = std::move(st);
}


Napi::Value Client::CreateSandbox(const Napi::CallbackInfo& info) {
    auto so = std::make_shared<SandboxOpts>(obj_or_empty(info.Env(), info[0]));
    auto sb = std::make_shared<SandboxState>();
    sb->client = st_;
    return Task::start(info.Env(), [so, sb] { return L.e2b_sandbox_create(&sb->h, sb->client->h, so->get()); },
                       [sb](Napi::Env env, int) { return Sandbox::wrap(env, sb); });
}

Napi::Value Client::ConnectSandbox(const Napi::CallbackInfo& info) {
    std::string id = info[0].ToString().Utf8Value();
    int64_t timeout = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
    auto sb = std::make_shared<SandboxState>();
    sb->client = st_;
    return Task::start(info.Env(), [id, timeout, sb] {
        return L.e2b_sandbox_connect(&sb->h, sb->client->h, id.c_str(), timeout);
    }, [sb](Napi::Env env, int) { return Sandbox::wrap(env, sb); });
}

Napi::Object info_to_js(Napi::Env env, const e2b_sandbox_info* i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("sandboxId", i->sandbox_id);
    o.Set("templateId", i->template_id);
    o.Set("name", i->alias);
    o.Set("state", i->state);
    o.Set("envdVersion", i->envd_version);
    o.Set("startedAtMs", Napi::Number::New(env, double(i->started_at_ms)));
    o.Set("endAtMs", Napi::Number::New(env, double(i->end_at_ms)));
    o.Set("cpuCount", Napi::Number::New(env, i->cpu_count));
    o.Set("memoryMB", Napi::Number::New(env, i->memory_mb));
    o.Set("diskSizeMB", Napi::Number::New(env, i->disk_size_mb));
    Napi::Object md = Napi::Object::New(env);
    for (size_t k = 0; k < i->metadata_count; ++k) md.Set(i->metadata_keys[k], i->metadata_values[k]);
    o.Set("metadata", md);
    return o;
}

Napi::Value Client::GetInfo(const Napi::CallbackInfo& info) {
    std::string id = info[0].ToString().Utf8Value();
    auto st = st_;
    auto out = std::make_shared<e2b_sandbox_info*>(nullptr);
    return Task::start(info.Env(), [st, id, out] { return L.e2b_sandbox_get_info(out.get(), st->h, id.c_str()); },
                       [out](Napi::Env env, int) {
                           Napi::Object o = info_to_js(env, *out);
                           L.e2b_sandbox_info_free(*out);
                           *out = nullptr;
                           return o;
                       });
}

Napi::Value Client::ListPage(const Napi::CallbackInfo& info) {
    Napi::Object js = obj_or_empty(info.Env(), info[0]);
    struct Q {
        StrList metadata;
        std::optional<std::string> token;
        e2b_list_opts o;
        e2b_sandbox_list* out = nullptr;
        ~Q() {
            if (out) L.e2b_sandbox_list_free(out);
        }
    };
    auto q = std::make_shared<Q>();
    L.e2b_list_opts_init(&q->o, E2B_LIST_OPTS_VERSION);
    q->metadata.from(js.Get("metadata"));
    q->token = opt_str(js, "nextToken");
    q->o.states = opt_u32(js, "states", 0);
    q->o.limit = opt_u32(js, "limit", 0);
    auto st = st_;
    return Task::start(info.Env(), [st, q] {
        q->o.metadata = q->metadata.get();
        q->o.next_token = cstr(q->token);
        return L.e2b_sandbox_list_page(&q->out, st->h, &q->o);
    }, [q](Napi::Env env, int) {
        Napi::Object r = Napi::Object::New(env);
        size_t n = L.e2b_sandbox_list_count(q->out);
        Napi::Array items = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) items.Set(uint32_t(i), info_to_js(env, L.e2b_sandbox_list_at(q->out, i)));
        r.Set("items", items);
        const char* next = L.e2b_sandbox_list_next_token(q->out);
        r.Set("nextToken", next ? Napi::Value(Napi::String::New(env, next)) : env.Null());
        return r;
    });
}

// ---- Sandbox --------------------------------------------------------------------------------

Napi::Function Sandbox::Init(Napi::Env env) {
    return DefineClass(
        env, "NativeSandbox",
        {InstanceAccessor("id", &Sandbox::Id, nullptr), InstanceAccessor("envdVersion", &Sandbox::EnvdVersion, nullptr),
         InstanceMethod("kill", &Sandbox::Kill), InstanceMethod("setTimeout", &Sandbox::SetTimeout),
         InstanceMethod("pause", &Sandbox::Pause), InstanceMethod("isRunning", &Sandbox::IsRunning),
         InstanceMethod("getHost", &Sandbox::GetHost), InstanceMethod("fileUrl", &Sandbox::FileUrl),
         InstanceMethod("execStart", &Sandbox::ExecStart), InstanceMethod("execConnect", &Sandbox::ExecConnect),
         InstanceMethod("ptyCreate", &Sandbox::PtyCreate), InstanceMethod("execRun", &Sandbox::ExecRun),
         InstanceMethod("execList", &Sandbox::ExecList), InstanceMethod("read", &Sandbox::FilesRead),
         InstanceMethod("readStream", &Sandbox::FilesReadStream), InstanceMethod("write", &Sandbox::FilesWrite),
         InstanceMethod("writeMany", &Sandbox::FilesWriteMany),
         InstanceMethod("writeStream", &Sandbox::FilesWriteStream), InstanceMethod("list", &Sandbox::FilesList),
         InstanceMethod("stat", &Sandbox::FilesStat), InstanceMethod("fileOp", &Sandbox::FilesSimple),
         InstanceMethod("rename", &Sandbox::FilesRename), InstanceMethod("watch", &Sandbox::FilesWatch)});
}

Napi::Value Sandbox::Kill(const Napi::CallbackInfo& info) {
    auto st = st_;
    return Task::start(info.Env(), [st] { return L.e2b_sandbox_kill(st->h); }, nullptr);
}
Napi::Value Sandbox::SetTimeout(const Napi::CallbackInfo& info) {
    auto st = st_;
    int64_t ms = info[0].As<Napi::Number>().Int64Value();
    return Task::start(info.Env(), [st, ms] { return L.e2b_sandbox_set_timeout(st->h, ms); }, nullptr);
}
Napi::Value Sandbox::Pause(const Napi::CallbackInfo& info) {
    auto st = st_;
    return Task::start(info.Env(), [st] { return L.e2b_sandbox_pause(st->h); },
                       [](Napi::Env env, int rc) { return Napi::Boolean::New(env, rc == 1); });
}
Napi::Value Sandbox::IsRunning(const Napi::CallbackInfo& info) {
    auto st = st_;
    return Task::start(info.Env(), [st] { return L.e2b_sandbox_is_running(st->h); },
                       [](Napi::Env env, int rc) { return Napi::Boolean::New(env, rc == 1); });
}
Napi::Value Sandbox::GetHost(const Napi::CallbackInfo& info) {
    e2b_buf b = E2B_BUF_INIT;
    int rc = L.e2b_sandbox_get_host(&b, st_->h, uint16_t(info[0].As<Napi::Number>().Uint32Value()));
    if (rc < 0) {
        throw_error(info.Env(), Err::last(rc));
        return info.Env().Undefined();
    }
    Napi::String s = Napi::String::New(info.Env(), b.ptr, b.size);
    L.e2b_buf_dispose(&b);
    return s;
}
// fileUrl(upload: boolean, path, user|undefined, expirationS)
Napi::Value Sandbox::FileUrl(const Napi::CallbackInfo& info) {
    bool upload = info[0].ToBoolean();
    std::string path = info[1].ToString().Utf8Value();
    std::optional<std::string> user;
    if (info[2].IsString()) user = info[2].As<Napi::String>().Utf8Value();
    int64_t exp = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
    e2b_buf b = E2B_BUF_INIT;
    int rc = upload ? L.e2b_files_upload_url(&b, st_->h, path.c_str(), cstr(user), exp)
                    : L.e2b_files_download_url(&b, st_->h, path.c_str(), cstr(user), exp);
    if (rc < 0) {
        throw_error(info.Env(), Err::last(rc));
        return info.Env().Undefined();
    }
    Napi::String s = Napi::String::New(info.Env(), b.ptr, b.size);
    L.e2b_buf_dispose(&b);
    return s;
}

struct ExecOpts {
    std::optional<std::string> cwd, user, tag;
    StrList envs;
    e2b_exec_opts o;
    explicit ExecOpts(Napi::Object js) {
        L.e2b_exec_opts_init(&o, E2B_EXEC_OPTS_VERSION);
        cwd = opt_str(js, "cwd");
        user = opt_str(js, "user");
        tag = opt_str(js, "tag");
        envs.from(js.Get("envs"));
        o.timeout_ms = opt_i64(js, "timeoutMs", 0);
        o.flags = js.Get("stdin").ToBoolean() ? E2B_EXEC_F_STDIN : 0;
    }
    const e2b_exec_opts* get() {
        o.cwd = cstr(cwd);
        o.user = cstr(user);
        o.tag = cstr(tag);
        o.envs = envs.get();
        return &o;
    }
};

// kind 0: execStart(cmd, opts, handler); 1: execConnect(pid, handler); 2: ptyCreate(cols, rows,
// opts, handler). Resolves with a NativeExec whose handler receives the stream's callbacks.
Napi::Value Sandbox::StartStream(const Napi::CallbackInfo& info, int kind) {
    Napi::Env env = info.Env();
    auto es = std::make_shared<ExecState>();
    es->sbx = st_;
    std::string cmd;
    uint32_t pid = 0;
    uint16_t cols = 0, rows = 0;
    std::shared_ptr<ExecOpts> eo;
    Napi::Value handler;
    if (kind == 0) {
        cmd = info[0].ToString().Utf8Value();
        eo = std::make_shared<ExecOpts>(obj_or_empty(env, info[1]));
        handler = info[2];
    } else if (kind == 1) {
        pid = info[0].As<Napi::Number>().Uint32Value();
        handler = info[1];
    } else {
        cols = uint16_t(info[0].As<Napi::Number>().Uint32Value());
        rows = uint16_t(info[1].As<Napi::Number>().Uint32Value());
        eo = std::make_shared<ExecOpts>(obj_or_empty(env, info[2]));
        handler = info[3];
    }
    if (handler.IsFunction()) es->handler = Napi::Persistent(handler.As<Napi::Function>());
    // Counted before the start: its callbacks may be queued while the worker still waits.
    es->open = true;
    st_->client->stream_opened();
    return Task::start(env, [es, eo, cmd, pid, cols, rows, kind] {
        e2b_exec_callbacks cb = es->callbacks();
        e2b_exec* h = nullptr;
        int rc = kind == 0   ? L.e2b_exec_start(&h, es->sbx->h, cmd.c_str(), eo->get(), &cb)
                 : kind == 1 ? L.e2b_exec_connect(&h, es->sbx->h, pid, &cb)
                             : L.e2b_pty_create(&h, es->sbx->h, cols, rows, eo->get(), &cb);
        es->h = h;  // read on the JS thread only after this worker completed
        return rc;
    }, [es](Napi::Env env, int) {
        Napi::Object o = g_exec_ctor->New({});
        Exec::Unwrap(o)->st_ = es;
        es->sbx->adopt(es);
        return o;
    });
    // On failure no callback runs (libe2b releases the stream) and `es` (open) is released with
    // the task, which decrements the stream count.
}

Napi::Value Sandbox::ExecStart(const Napi::CallbackInfo& info) { return StartStream(info, 0); }
Napi::Value Sandbox::ExecConnect(const Napi::CallbackInfo& info) { return StartStream(info, 1); }
Napi::Value Sandbox::PtyCreate(const Napi::CallbackInfo& info) { return StartStream(info, 2); }

// Resolves {stdout, stderr, exitCode, error} also for a non-zero exit (E2B_ECOMMAND_EXIT);
// the JS layer raises CommandExitError from it as the SDK does.
Napi::Value Sandbox::ExecRun(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string cmd = info[0].ToString().Utf8Value();
    auto eo = std::make_shared<ExecOpts>(obj_or_empty(env, info[1]));
    struct Out {
        e2b_exec_output o = E2B_EXEC_OUTPUT_INIT;
        ~Out() { L.e2b_exec_output_dispose(&o); }
    };
    auto out = std::make_shared<Out>();
    auto st = st_;
    return Task::start(env, [st, eo, cmd, out] {
        int rc = L.e2b_exec_run(&out->o, st->h, cmd.c_str(), eo->get());
        return rc == E2B_ECOMMAND_EXIT ? 1 : rc;
    }, [out](Napi::Env env, int) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("stdout", Napi::String::New(env, out->o.out.ptr ? out->o.out.ptr : "", out->o.out.size));
        r.Set("stderr", Napi::String::New(env, out->o.err.ptr ? out->o.err.ptr : "", out->o.err.size));
        r.Set("exitCode", Napi::Number::New(env, out->o.exit_code));
        r.Set("error", Napi::String::New(env, out->o.error.ptr ? out->o.error.ptr : "", out->o.error.size));
        return r;
    });
}

Napi::Value Sandbox::ExecList(const Napi::CallbackInfo& info) {
    struct Q {
        e2b_process_list* l = nullptr;
        ~Q() {
            if (l) L.e2b_process_list_free(l);
        }
    };
    auto q = std::make_shared<Q>();
    auto st = st_;
    return Task::start(info.Env(), [st, q] { return L.e2b_exec_list(&q->l, st->h); },
                       [q](Napi::Env env, int) {
                           size_t n = L.e2b_process_list_count(q->l);
                           Napi::Array a = Napi::Array::New(env, n);
                           for (size_t i = 0; i < n; ++i) {
                               const e2b_process_info* p = L.e2b_process_list_at(q->l, i);
                               Napi::Object o = Napi::Object::New(env);
                               o.Set("pid", Napi::Number::New(env, p->pid));
                               o.Set("cmd", p->cmd);
                               Napi::Array args = Napi::Array::New(env, p->arg_count);
                               for (size_t k = 0; k < p->arg_count; ++k) args.Set(uint32_t(k), p->args[k]);
                               o.Set("args", args);
                               o.Set("tag", p->tag ? Napi::Value(Napi::String::New(env, p->tag)) : env.Undefined());
                               a.Set(uint32_t(i), o);
                           }
                           return a;
                       });
}

struct FilesOpts {
    std::optional<std::string> user;
    e2b_files_opts o;
    explicit FilesOpts(Napi::Object js) {
        L.e2b_files_opts_init(&o, E2B_FILES_OPTS_VERSION);
        user = opt_str(js, "user");
        o.timeout_ms = opt_i64(js, "requestTimeoutMs", opt_i64(js, "timeoutMs", 0));
    }
    const e2b_files_opts* get() {
        o.user = cstr(user);
        return &o;
    }
};

Napi::Value Sandbox::FilesRead(const Napi::CallbackInfo& info) {
    std::string path = info[0].ToString().Utf8Value();
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[1]));
    struct Q {
        e2b_buf b = E2B_BUF_INIT;
        ~Q() { L.e2b_buf_dispose(&b); }
    };
    auto q = std::make_shared<Q>();
    auto st = st_;
    return Task::start(info.Env(), [st, fo, path, q] { return L.e2b_files_read(&q->b, st->h, path.c_str(), fo->get()); },
                       [q](Napi::Env env, int) { return Napi::Buffer<char>::Copy(env, q->b.ptr ? q->b.ptr : "", q->b.size); });
}

// ---- streamed transfers (service-thread callbacks -> one TSFN per transfer) -------------------

// readStream(path, opts, onChunk(buf|null, err|undefined)) -> cancel function. Chunks and the
// final call (null) all go through the TSFN, so they arrive in order.
struct ReadXfer {
    std::atomic<bool> cancel{false};
    Napi::ThreadSafeFunction tsfn;
};

Napi::Value Sandbox::FilesReadStream(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = info[0].ToString().Utf8Value();
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(env, info[1]));
    auto x = std::make_shared<ReadXfer>();
    x->tsfn = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "e2b.readStream", 0, 1);
    auto st = st_;
    struct Worker : Napi::AsyncWorker {
        std::shared_ptr<SandboxState> st;
        std::shared_ptr<FilesOpts> fo;
        std::shared_ptr<ReadXfer> x;
        std::string path;
        Worker(Napi::Env env) : Napi::AsyncWorker(env, "e2b.readStream") {}
        static int on_data(const void* d, size_t n, void* p) {
            auto* x = static_cast<ReadXfer*>(p);
            if (x->cancel.load()) return 1;
            auto* chunk = new std::string(static_cast<const char*>(d), n);
            napi_status s = x->tsfn.NonBlockingCall(chunk, [](Napi::Env env, Napi::Function fn, std::string* c) {
                if (env != nullptr) fn.Call({Napi::Buffer<char>::Copy(env, c->data(), c->size())});
                delete c;
            });
            if (s != napi_ok) {
                delete chunk;
                return 1;
            }
            return 0;
        }
        void Execute() override {
            int rc = L.e2b_files_read_stream(st->h, path.c_str(), on_data, x.get(), fo->get());
            Err* e = rc < 0 ? new Err(Err::last(rc)) : nullptr;
            if (rc == E2B_EUSER && x->cancel.load()) e->code = E2B_ECANCELED;
            auto status = x->tsfn.BlockingCall(e, [](Napi::Env env, Napi::Function fn, Err* e) {
                if (env != nullptr) fn.Call({env.Null(), e ? make_error(env, *e) : env.Undefined()});
                delete e;
            });
            if (status != napi_ok) delete e;
            x->tsfn.Release();
        }
    };
    auto* w = new Worker(env);
    w->st = st;
    w->fo = fo;
    w->x = x;
    w->path = path;
    w->Queue();
    return Napi::Function::New(env, [x](const Napi::CallbackInfo& info) {
        x->cancel = true;
        return info.Env().Undefined();
    });
}

Napi::Value Sandbox::FilesWrite(const Napi::CallbackInfo& info) {
    std::string path = info[0].ToString().Utf8Value();
    auto pin = std::make_shared<Pin>();
    pin->set(info[1]);
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[2]));
    auto st = st_;
    return Task::start(info.Env(), [st, path, pin, fo] {
        return L.e2b_files_write(st->h, path.c_str(), pin->data, pin->len, fo->get());
    }, nullptr);
}

// writeMany([[path, buffer], ...], opts)
Napi::Value Sandbox::FilesWriteMany(const Napi::CallbackInfo& info) {
    Napi::Array a = info[0].As<Napi::Array>();
    struct Q {
        std::vector<std::string> paths;
        std::vector<Pin> pins;
        std::vector<e2b_file_entry> entries;
    };
    auto q = std::make_shared<Q>();
    q->pins.resize(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
        Napi::Array pair = a.Get(i).As<Napi::Array>();
        q->paths.push_back(pair.Get(uint32_t(0)).ToString().Utf8Value());
        q->pins[i].set(pair.Get(uint32_t(1)));
    }
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[1]));
    auto st = st_;
    return Task::start(info.Env(), [st, q, fo] {
        for (size_t i = 0; i < q->paths.size(); ++i)
            q->entries.push_back({q->paths[i].c_str(), q->pins[i].data, q->pins[i].len});
        return L.e2b_files_write_many(st->h, q->entries.data(), q->entries.size(), fo->get());
    }, nullptr);
}

// writeStream(path, size|-1, opts, onDrain) -> {push(buf) -> queuedBytes, end(), abort(), done: Promise}
// libe2b pulls bytes on its service thread; `read` waits there until JS pushes more (the C API
// has no way to pause an upload, see README "Known limits").
struct WriteXfer {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> q;
    size_t queued = 0, off = 0;
    bool ended = false, aborted = false;
    Napi::ThreadSafeFunction drain;  // tells JS the queue went below the low-water mark
    static constexpr size_t kLow = 1u << 20;
    static int64_t read(void* buf, size_t cap, void* p) {
        auto* x = static_cast<WriteXfer*>(p);
        std::unique_lock<std::mutex> lk(x->mu);
        x->cv.wait(lk, [&] { return x->aborted || x->ended || !x->q.empty(); });
        if (x->aborted) return -1;
        if (x->q.empty()) return 0;
        size_t n = 0;
        while (n < cap && !x->q.empty()) {
            std::string& f = x->q.front();
            size_t k = std::min(cap - n, f.size() - x->off);
            std::memcpy(static_cast<char*>(buf) + n, f.data() + x->off, k);
            n += k;
            x->off += k;
            if (x->off == f.size()) {
                x->q.pop_front();
                x->off = 0;
            }
        }
        size_t before = x->queued;
        x->queued -= n;
        if (before >= kLow && x->queued < kLow) x->drain.NonBlockingCall();
        return int64_t(n);
    }
};

Napi::Value Sandbox::FilesWriteStream(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = info[0].ToString().Utf8Value();
    int64_t size = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : -1;
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(env, info[2]));
    auto x = std::make_shared<WriteXfer>();
    x->drain = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "e2b.writeStream", 0, 1);
    auto st = st_;
    Napi::Promise done = Task::start(env, [st, path, size, fo, x] {
        int rc = L.e2b_files_write_stream(st->h, path.c_str(), WriteXfer::read, x.get(), size, fo->get());
        x->drain.Release();
        return rc;
    }, nullptr);
    Napi::Object r = Napi::Object::New(env);
    r.Set("done", done);
    r.Set("push", Napi::Function::New(env, [x](const Napi::CallbackInfo& info) {
        Pin p;
        p.set(info[0]);
        std::lock_guard<std::mutex> lk(x->mu);
        x->q.emplace_back(p.data, p.len);
        x->queued += p.len;
        x->cv.notify_all();
        return Napi::Number::New(info.Env(), double(x->queued));
    }));
    r.Set("end", Napi::Function::New(env, [x](const Napi::CallbackInfo& info) {
        std::lock_guard<std::mutex> lk(x->mu);
        x->ended = true;
        x->cv.notify_all();
        return info.Env().Undefined();
    }));
    r.Set("abort", Napi::Function::New(env, [x](const Napi::CallbackInfo& info) {
        std::lock_guard<std::mutex> lk(x->mu);
        x->aborted = true;
        x->cv.notify_all();
        return info.Env().Undefined();
    }));
    return r;
}

Napi::Object entry_to_js(Napi::Env env, const e2b_entry_info* e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", Napi::Number::New(env, e->type));
    o.Set("name", e->name);
    o.Set("path", e->path);
    o.Set("size", Napi::Number::New(env, double(e->size)));
    o.Set("mode", Napi::Number::New(env, e->mode));
    o.Set("permissions", e->permissions);
    o.Set("owner", e->owner);
    o.Set("group", e->group);
    o.Set("modifiedTimeNs", Napi::Number::New(env, double(e->modified_time_ns)));
    if (e->symlink_target) o.Set("symlinkTarget", e->symlink_target);
    return o;
}

Napi::Value Sandbox::FilesList(const Napi::CallbackInfo& info) {
    std::string path = info[0].ToString().Utf8Value();
    uint32_t depth = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1;
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[2]));
    struct Q {
        e2b_entry_list* l = nullptr;
        ~Q() {
            if (l) L.e2b_entry_list_free(l);
        }
    };
    auto q = std::make_shared<Q>();
    auto st = st_;
    return Task::start(info.Env(), [st, path, depth, fo, q] {
        return L.e2b_files_list(&q->l, st->h, path.c_str(), depth, fo->get());
    }, [q](Napi::Env env, int) {
        size_t n = L.e2b_entry_list_count(q->l);
        Napi::Array a = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) a.Set(uint32_t(i), entry_to_js(env, L.e2b_entry_list_at(q->l, i)));
        return a;
    });
}

Napi::Value Sandbox::FilesStat(const Napi::CallbackInfo& info) {
    std::string path = info[0].ToString().Utf8Value();
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[1]));
    struct Q {
        e2b_entry_info* e = nullptr;
        ~Q() {
            if (e) L.e2b_entry_info_free(e);
        }
    };
    auto q = std::make_shared<Q>();
    auto st = st_;
    return Task::start(info.Env(), [st, path, fo, q] { return L.e2b_files_stat(&q->e, st->h, path.c_str(), fo->get()); },
                       [q](Napi::Env env, int) { return entry_to_js(env, q->e); });
}

// fileOp("exists"|"makeDir"|"remove", path, opts) -> rc (1/0 for exists and makeDir)
Napi::Value Sandbox::FilesSimple(const Napi::CallbackInfo& info) {
    std::string op = info[0].ToString().Utf8Value();
    std::string path = info[1].ToString().Utf8Value();
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[2]));
    auto st = st_;
    int k = op == "exists" ? 0 : op == "makeDir" ? 1 : 2;
    return Task::start(info.Env(), [st, path, fo, k] {
        const char* p = path.c_str();
        return k == 0 ? L.e2b_files_exists(st->h, p, fo->get())
               : k == 1 ? L.e2b_files_make_dir(st->h, p, fo->get())
                        : L.e2b_files_remove(st->h, p, fo->get());
    }, [](Napi::Env env, int rc) { return Napi::Number::New(env, rc); });
}

Napi::Value Sandbox::FilesRename(const Napi::CallbackInfo& info) {
    std::string from = info[0].ToString().Utf8Value(), to = info[1].ToString().Utf8Value();
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(info.Env(), info[2]));
    auto st = st_;
    return Task::start(info.Env(), [st, from, to, fo] {
        return L.e2b_files_rename(st->h, from.c_str(), to.c_str(), fo->get());
    }, nullptr);
}

// watch(dir, recursive, opts, handler) -> Promise<NativeWatch>
Napi::Value Sandbox::FilesWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string dir = info[0].ToString().Utf8Value();
    uint32_t flags = info[1].ToBoolean() ? E2B_WATCH_F_RECURSIVE : 0;
    auto fo = std::make_shared<FilesOpts>(obj_or_empty(env, info[2]));
    auto ws = std::make_shared<WatchState>();
    ws->sbx = st_;
    ws->client = st_->client;
    ws->handler = Napi::Persistent(info[3].As<Napi::Function>());
    auto* holder = new std::shared_ptr<WatchState>(ws);
    ws->self = holder;
    ws->open = true;
    st_->client->stream_opened();
    auto h = std::make_shared<e2b_watch*>(nullptr);
    auto st = st_;
    struct Guard {  // on failure no callback runs: the holder is ours to delete
        std::shared_ptr<WatchState>* holder = nullptr;
        bool ok = false;
        ~Guard() {
            if (!ok) delete holder;
        }
    };
    auto g = std::make_shared<Guard>();
    g->holder = holder;
    return Task::start(env, [st, dir, flags, fo, holder, h, g] {
        int rc = L.e2b_files_watch(h.get(), st->h, dir.c_str(), flags, WatchState::on_event, WatchState::on_end,
                                   holder, fo->get());
        if (rc >= 0) g->ok = true;
        return rc;
    }, [h, ws](Napi::Env env, int) {
        Napi::Object o = g_watch_ctor->New({});
        ws->h = *h;
        Watch::Unwrap(o)->st_ = ws;
        ws->sbx->adopt(ws);
        return o;
    });
}

Napi::Function Exec::Init(Napi::Env env) {
    return DefineClass(env, "NativeExec",
                       {InstanceAccessor("pid", &Exec::Pid, nullptr), InstanceMethod("wait", &Exec::Wait),
                        InstanceMethod("kill", &Exec::Kill), InstanceMethod("sendStdin", &Exec::SendStdin),
                        InstanceMethod("closeStdin", &Exec::CloseStdin), InstanceMethod("ptyInput", &Exec::PtyInput),
                        InstanceMethod("ptyResize", &Exec::PtyResize),
                        InstanceMethod("disconnect", &Exec::Disconnect)});
}

// ---- module -----------------------------------------------------------------------------------

// load(path): dlopen + symbol table + ABI check. Throws a clear message on any mismatch.
Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "libe2b.so.0";
    if (L.dl) {
        if (path != L.path) {
            Napi::Error::New(env, "libe2b is already loaded from " + L.path).ThrowAsJavaScriptException();
        }
        return Napi::String::New(env, L.path);
    }
    void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char* why = dlerror();
        Napi::Error::New(env, "cannot load libe2b (" + path + "): " + (why ? why : "unknown error") +
                                  ". Set LIBE2B_PATH to the library's path.")
            .ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Lib l;
    auto abi = reinterpret_cast<int (*)()>(dlsym(dl, "e2b_abi_version"));
    if (!abi) {
        dlclose(dl);
        Napi::Error::New(env, path + " is not libe2b (no e2b_abi_version)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (abi() != E2B_ABI_VERSION) {
        int got = abi();
        dlclose(dl);
        Napi::Error::New(env, "libe2b ABI mismatch: " + path + " has ABI " + std::to_string(got) +
                                  ", this binding needs ABI " + std::to_string(E2B_ABI_VERSION))
            .ThrowAsJavaScriptException();
        return env.Undefined();
    }
    std::string missing;
#define E2B_SYM(n)                                                        \
    l.n = reinterpret_cast<decltype(l.n)>(dlsym(dl, #n));                 \
    if (!l.n) missing += std::string(missing.empty() ? "" : ", ") + #n;
    E2B_FUNCS(E2B_SYM)
#undef E2B_SYM
    if (!missing.empty()) {
        dlclose(dl);
        Napi::Error::New(env, path + " lacks " + missing + " (older libe2b?)").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    l.dl = dl;
    l.path = path;
    L = l;
    return Napi::String::New(env, path);
}

// cancelToken() -> a function that triggers it (the token itself stays native);
// cancelNext(token | null): the next Task started on this thread takes it.
Napi::FunctionReference* g_cancel_ctor = nullptr;
class Cancel : public Napi::ObjectWrap<Cancel> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeCancel", {InstanceMethod("trigger", &Cancel::Trigger)});
    }
    explicit Cancel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Cancel>(info) {}
    std::shared_ptr<CancelState> st_;

private:
    Napi::Value Trigger(const Napi::CallbackInfo& info) {
        if (st_) L.e2b_cancel_trigger(st_->h);
        return info.Env().Undefined();
    }
};

Napi::Value CancelToken(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!loaded(env)) return env.Undefined();
    auto st = std::make_shared<CancelState>();
    int rc = L.e2b_cancel_new(&st->h);
    if (rc < 0) {
        throw_error(env, Err::last(rc));
        return env.Undefined();
    }
    Napi::Object o = g_cancel_ctor->New({});
    Cancel::Unwrap(o)->st_ = st;
    return o;
}

Napi::Value CancelNext(const Napi::CallbackInfo& info) {
    g_next_cancel = info[0].IsObject() ? Cancel::Unwrap(info[0].As<Napi::Object>())->st_ : nullptr;
    return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) {
    if (!loaded(info.Env())) return info.Env().Undefined();
    return Napi::String::New(info.Env(), L.e2b_version());
}

std::shared_ptr<ClientState> client_of(const Napi::Value& v) { return Client::Unwrap(v.As<Napi::Object>())->st_; }
std::shared_ptr<SandboxState> sandbox_of(const Napi::Value& v) { return Sandbox::Unwrap(v.As<Napi::Object>())->st_; }
Napi::Object wrap_sandbox(Napi::Env env, std::shared_ptr<SandboxState> st) { return Sandbox::wrap(env, std::move(st)); }
e2b_exec* exec_of(const Napi::Value& v, std::shared_ptr<void>* keep, std::shared_ptr<SandboxState>* sbx) {
    if (!v.IsObject()) return nullptr;
    auto st = Exec::Unwrap(v.As<Napi::Object>())->st_;
    if (!st || !st->h) return nullptr;
    *keep = st;
    *sbx = st->sbx;
    return st->h;
}
void sandbox_retire(const Napi::Value& v) {
    Sandbox* s = Sandbox::Unwrap(v.As<Napi::Object>());
    auto dead = std::make_shared<SandboxState>();
    dead->client = s->st_->client;
    std::swap(s->st_, dead);
    drop(dead);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function client = Client::Init(env);
    g_sandbox_ctor = new Napi::FunctionReference(Napi::Persistent(Sandbox::Init(env)));
    g_exec_ctor = new Napi::FunctionReference(Napi::Persistent(Exec::Init(env)));
    g_watch_ctor = new Napi::FunctionReference(Napi::Persistent(Watch::Init(env)));
    g_cancel_ctor = new Napi::FunctionReference(Napi::Persistent(Cancel::Init(env)));
    env.AddCleanupHook([] {
        delete g_cancel_ctor;
        g_cancel_ctor = nullptr;
        g_next_cancel.reset();
        delete g_sandbox_ctor;
        delete g_exec_ctor;
        delete g_watch_ctor;
        g_sandbox_ctor = g_exec_ctor = g_watch_ctor = nullptr;
    });
    exports.Set("load", Napi::Function::New(env, Load));
    exports.Set("version", Napi::Function::New(env, Version));
    exports.Set("cancelToken", Napi::Function::New(env, CancelToken));
    exports.Set("cancelNext", Napi::Function::New(env, CancelNext));
    exports.Set("abiVersion", Napi::Number::New(env, E2B_ABI_VERSION));
    exports.Set("Client", client);
    init_ports(env, exports);
    init_code(env, exports);
    init_production(env, exports);
    init_prodb(env, exports);
    return exports;
}

}  // namespace e2bnode

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return e2bnode::Init(env, exports); }
NODE_API_MODULE(e2b_node, InitModule)
