// Production layer B: warm pool, cost tracking, resource profiles, metrics rendering/serving and
// user log events. (The client's log callback is set up with the client, in addon.cc.)
#include "common.h"

namespace e2bnode {
namespace {

bool check(Napi::Env env, int rc) {
    if (rc >= 0) return true;
    throw_error(env, Err::last(rc));
    return false;
}

// ---- pool ------------------------------------------------------------------------------------

struct PoolState {
    std::shared_ptr<ClientState> client;
    e2b_pool* h = nullptr;
    int outstanding = 0;  // acquired sandboxes not given back yet (JS thread)
    // Only if close() was never called: e2b_pool_free blocks while it kills the pool's sandboxes.
    ~PoolState() {
        if (h) L.e2b_pool_free(h);
    }
};

Napi::FunctionReference* g_pool_ctor = nullptr;

class Pool : public Napi::ObjectWrap<Pool> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativePool",
                           {InstanceMethod("acquire", &Pool::Acquire), InstanceMethod("release", &Pool::Release),
                            InstanceMethod("maintain", &Pool::Maintain), InstanceMethod("stats", &Pool::Stats),
                            InstanceMethod("close", &Pool::Close)});
    }
    explicit Pool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pool>(info) {}
    ~Pool() { drop(st_); }
    std::shared_ptr<PoolState> st_;

private:
    bool open(Napi::Env env) {
        if (st_ && st_->h) return true;
        throw_error(env, Err{E2B_EINVAL, 0, "the pool is closed"});
        return false;
    }
    // acquire(timeoutMs) -> Promise<NativeSandbox>. The handle belongs to the pool: it goes back
    // (e2b_pool_release) when released, or when its last reference drops.
    Napi::Value Acquire(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!open(env)) return env.Undefined();
        int64_t timeout = info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : -1;
        auto pool = st_;
        auto sb = std::make_shared<SandboxState>();
        sb->client = pool->client;
        sb->owner = pool;
        // Counted before the call: close() must not free the pool while an acquire is running.
        ++pool->outstanding;
        struct Guard {  // an acquire that failed hands nothing out
            std::shared_ptr<PoolState> pool;
            bool ok = false;
            ~Guard() {
                if (!ok) --pool->outstanding;
            }
        };
        auto g = std::make_shared<Guard>();
        g->pool = pool;
        return Task::start(env, [pool, sb, timeout] { return L.e2b_pool_acquire(&sb->h, pool->h, timeout); },
                           [pool, sb, g](Napi::Env env, int) {
                               g->ok = true;
                               std::weak_ptr<PoolState> wp = pool;
                               sb->give_back = [wp](e2b_sandbox* h, uint32_t flags) {
                                   auto p = wp.lock();
                                   if (!p) return;
                                   if (p->h) L.e2b_pool_release(p->h, h, flags);
                                   --p->outstanding;
                               };
                               return wrap_sandbox(env, sb);
                           });
    }
    // release(sandbox, discard): detaches the sandbox's streams and gives the handle back once
    // no call on it is in flight (at once in the usual case). The JS object is unusable after.
    Napi::Value Release(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!open(env)) return env.Undefined();
        auto sb = sandbox_of(info[0]);
        if (!sb || sb->owner != std::static_pointer_cast<void>(st_) || !sb->give_back) {
            throw_error(env, Err{E2B_EINVAL, 0, "this sandbox was not acquired from this pool"});
            return env.Undefined();
        }
        sb->give_back_flags = info[1].ToBoolean() ? E2B_POOL_RELEASE_F_DISCARD : 0;
        sb->detach_children();
        sandbox_retire(info[0]);
        return env.Undefined();
    }
    Napi::Value Maintain(const Napi::CallbackInfo& info) {
        if (open(info.Env())) check(info.Env(), L.e2b_pool_maintain(st_->h));
        return info.Env().Undefined();
    }
    Napi::Value Stats(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!open(env)) return env.Undefined();
        e2b_pool_stats s{};
        s.version = 1;
        if (!check(env, L.e2b_pool_get_stats(st_->h, &s))) return env.Undefined();
        Napi::Object o = Napi::Object::New(env);
        o.Set("idle", Napi::Number::New(env, s.idle));
        o.Set("active", Napi::Number::New(env, s.active));
        o.Set("creating", Napi::Number::New(env, s.creating));
        o.Set("created", Napi::Number::New(env, double(s.created)));
        o.Set("reused", Napi::Number::New(env, double(s.reused)));
        o.Set("replaced", Napi::Number::New(env, double(s.replaced)));
        o.Set("evicted", Napi::Number::New(env, double(s.evicted)));
        o.Set("exhausted", Napi::Number::New(env, double(s.exhausted)));
        o.Set("createErrors", Napi::Number::New(env, double(s.create_errors)));
        o.Set("acquisitions", Napi::Number::New(env, double(s.acquisitions)));
        o.Set("waitP50Ms", Napi::Number::New(env, s.wait_p50_ms));
        o.Set("waitP95Ms", Napi::Number::New(env, s.wait_p95_ms));
        return o;
    }
    // close() -> Promise: kills the pool's sandboxes (blocking, on the thread pool). Refused while
    // sandboxes are still acquired: e2b_pool_free would free handles JS still holds.
    Napi::Value Close(const Napi::CallbackInfo& info) {
        Napi::Env env = info.Env();
        if (!st_ || !st_->h) {
            auto d = Napi::Promise::Deferred::New(env);
            d.Resolve(env.Undefined());
            return d.Promise();
        }
        if (st_->outstanding > 0) {
            auto d = Napi::Promise::Deferred::New(env);
            d.Reject(make_error(env, Err{E2B_EMISUSE, 0, std::to_string(st_->outstanding) +
                                                             " sandbox(es) of this pool are still acquired or in use"}));
            return d.Promise();
        }
        e2b_pool* h = st_->h;
        st_->h = nullptr;
        return Task::start(env, [h] { return L.e2b_pool_free(h); }, nullptr);
    }
};

// poolNew(client, sandboxArgs (as createSandbox), {name, minIdle, maxSize, idleTimeoutMs,
// maxReuse, acquireTimeoutMs, noHealthCheck}) -> NativePool. Non-blocking: it fills in the
// background.
Napi::Value PoolNew(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SandboxOpts so(obj_or_empty(env, info[1]));
    Napi::Object js = obj_or_empty(env, info[2]);
    auto name = opt_str(js, "name");
    e2b_pool_opts o;
    L.e2b_pool_opts_init(&o, E2B_POOL_OPTS_VERSION);
    o.name = cstr(name);
    o.sandbox = so.get();
    o.min_idle = opt_u32(js, "minIdle", 0);
    o.max_size = opt_u32(js, "maxSize", 0);
    o.idle_timeout_ms = opt_i64(js, "idleTimeoutMs", 0);
    o.max_reuse = opt_u32(js, "maxReuse", 0);
    o.acquire_timeout_ms = opt_i64(js, "acquireTimeoutMs", 0);
    o.flags = js.Get("noHealthCheck").ToBoolean() ? E2B_POOL_F_NO_HEALTH_CHECK : 0;
    auto ps = std::make_shared<PoolState>();
    ps->client = client_of(info[0]);
    if (!check(env, L.e2b_pool_new(&ps->h, ps->client->h, &o))) return env.Undefined();
    Napi::Object p = g_pool_ctor->New({});
    Pool::Unwrap(p)->st_ = ps;
    return p;
}

// ---- cost, profiles, metrics, logs -------------------------------------------------------------

Napi::Value CostTotals(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    e2b_cost_totals t{};
    t.version = 1;
    if (!check(env, L.e2b_cost_get_totals(client_of(info[0])->h, &t))) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("sandboxes", Napi::Number::New(env, t.sandboxes));
    o.Set("runningSeconds", Napi::Number::New(env, t.running_seconds));
    o.Set("pausedSeconds", Napi::Number::New(env, t.paused_seconds));
    o.Set("vcpuSeconds", Napi::Number::New(env, t.vcpu_seconds));
    o.Set("gibSeconds", Napi::Number::New(env, t.gib_seconds));
    o.Set("costUsd", Napi::Number::New(env, t.cost_usd));
    return o;
}

Napi::Value buf_string(Napi::Env env, int rc, e2b_buf& b) {
    if (!check(env, rc)) return env.Undefined();
    Napi::String s = Napi::String::New(env, b.ptr ? b.ptr : "", b.size);
    L.e2b_buf_dispose(&b);
    return s;
}

// costReport(client) -> the JSON text of e2b_cost_export_json
Napi::Value CostReport(const Napi::CallbackInfo& info) {
    e2b_buf b = E2B_BUF_INIT;
    int rc = L.e2b_cost_export_json(&b, client_of(info[0])->h);
    return buf_string(info.Env(), rc, b);
}

Napi::Value CostSetPrices(const Napi::CallbackInfo& info) {
    std::string json = info[1].ToString().Utf8Value();
    check(info.Env(), L.e2b_cost_set_prices(client_of(info[0])->h, json.c_str()));
    return info.Env().Undefined();
}

Napi::Value MetricsRender(const Napi::CallbackInfo& info) {
    e2b_buf b = E2B_BUF_INIT;
    int rc = L.e2b_metrics_render(&b, client_of(info[0])->h);
    return buf_string(info.Env(), rc, b);
}

// metricsServe(client, port) -> bound port
Napi::Value MetricsServe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t port = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
    if (port > 65535) {
        throw_error(env, Err{E2B_EINVAL, 0, "port must be 0..65535"});
        return env.Undefined();
    }
    uint16_t bound = 0;
    if (!check(env, L.e2b_metrics_serve(client_of(info[0])->h, uint16_t(port), &bound))) return env.Undefined();
    return Napi::Number::New(env, bound);
}

Napi::Value MetricsServeStop(const Napi::CallbackInfo& info) {
    check(info.Env(), L.e2b_metrics_serve_stop(client_of(info[0])->h));
    return info.Env().Undefined();
}

// logEmit(client, level, event, sandboxId|undefined, message|undefined)
Napi::Value LogEmit(const Napi::CallbackInfo& info) {
    int32_t level = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : E2B_LOG_INFO;
    std::string event = info[2].ToString().Utf8Value();
    std::optional<std::string> sid, msg;
    if (info[3].IsString()) sid = info[3].As<Napi::String>().Utf8Value();
    if (info[4].IsString()) msg = info[4].As<Napi::String>().Utf8Value();
    check(info.Env(), L.e2b_log_emit(client_of(info[0])->h, level, event.c_str(), cstr(sid), cstr(msg)));
    return info.Env().Undefined();
}

Napi::Value ProfileGet(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
    e2b_profile p{};
    p.version = 1;
    if (!check(env, L.e2b_profile_get(&p, info[0].IsString() ? name.c_str() : nullptr))) return env.Undefined();
    Napi::Object o = Napi::Object::New(env);
    o.Set("cpuCount", Napi::Number::New(env, p.cpu_count));
    o.Set("memoryMB", Napi::Number::New(env, p.memory_mb));
    o.Set("timeoutMs", Napi::Number::New(env, double(p.timeout_ms)));
    return o;
}

// ---- stall detection --------------------------------------------------------------------------

struct StallState : Child {
    std::shared_ptr<SandboxState> sbx;
    std::shared_ptr<void> exec;  // the watched command's state: it must outlive the watch
    e2b_stall_watch* h = nullptr;
    Napi::FunctionReference handler;  // ({sandboxId, pid, idleMs, killed})
    ~StallState() override { release(); }
    void release() {
        if (h) L.e2b_stall_watch_free(h);  // no on_stall after this
        h = nullptr;
        handler.Reset();
        exec.reset();
        sbx.reset();
    }
    void detach() override { release(); }
    static void on_stall(const char* sid, uint32_t pid, int64_t idle_ms, int32_t killed, void* p) {
        auto* s = static_cast<StallState*>(p);
        if (s->handler.IsEmpty()) return;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        Napi::Object o = Napi::Object::New(env);
        o.Set("sandboxId", sid ? sid : "");
        o.Set("pid", Napi::Number::New(env, pid));
        o.Set("idleMs", Napi::Number::New(env, double(idle_ms)));
        o.Set("killed", Napi::Boolean::New(env, killed != 0));
        call_handler(s->handler, {o});
    }
};

Napi::FunctionReference* g_stall_ctor = nullptr;

class Stall : public Napi::ObjectWrap<Stall> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeStallWatch", {InstanceMethod("stop", &Stall::Stop)});
    }
    explicit Stall(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Stall>(info) {}
    ~Stall() { drop(st_); }
    std::shared_ptr<StallState> st_;

private:
    Napi::Value Stop(const Napi::CallbackInfo& info) {
        if (st_) st_->release();
        return info.Env().Undefined();
    }
};

// stallWatch(target, isExec, {idleMs, kill}, onStall) -> NativeStallWatch. Non-blocking.
// The watch does not keep the process alive: it is a monitor of other work.
Napi::Value StallWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto ss = std::make_shared<StallState>();
    bool is_exec = info[1].ToBoolean();
    e2b_exec* ex = nullptr;
    if (is_exec) {
        ex = exec_of(info[0], &ss->exec, &ss->sbx);
        if (!ex) {
            throw_error(env, Err{E2B_EINVAL, 0, "the command handle was released"});
            return env.Undefined();
        }
    } else {
        ss->sbx = sandbox_of(info[0]);
    }
    Napi::Object js = obj_or_empty(env, info[2]);
    e2b_stall_opts o;
    L.e2b_stall_opts_init(&o, E2B_STALL_OPTS_VERSION);
    o.idle_ms = opt_i64(js, "idleMs", 0);
    o.flags = js.Get("kill").ToBoolean() ? E2B_STALL_F_KILL : 0;
    o.on_stall = StallState::on_stall;
    o.payload = ss.get();
    if (info[3].IsFunction()) ss->handler = Napi::Persistent(info[3].As<Napi::Function>());
    int rc = is_exec ? L.e2b_stall_watch_exec(&ss->h, ex, &o) : L.e2b_stall_watch_sandbox(&ss->h, ss->sbx->h, &o);
    if (!check(env, rc)) return env.Undefined();
    ss->sbx->adopt(ss);
    Napi::Object w = g_stall_ctor->New({});
    Stall::Unwrap(w)->st_ = ss;
    return w;
}

}  // namespace

void init_prodb(Napi::Env env, Napi::Object exports) {
    g_pool_ctor = new Napi::FunctionReference(Napi::Persistent(Pool::Init(env)));
    g_stall_ctor = new Napi::FunctionReference(Napi::Persistent(Stall::Init(env)));
    env.AddCleanupHook([] {
        delete g_pool_ctor;
        delete g_stall_ctor;
        g_pool_ctor = g_stall_ctor = nullptr;
    });
    exports.Set("stallWatch", Napi::Function::New(env, StallWatch));
    exports.Set("poolNew", Napi::Function::New(env, PoolNew));
    exports.Set("costTotals", Napi::Function::New(env, CostTotals));
    exports.Set("costReport", Napi::Function::New(env, CostReport));
    exports.Set("costSetPrices", Napi::Function::New(env, CostSetPrices));
    exports.Set("metricsRender", Napi::Function::New(env, MetricsRender));
    exports.Set("metricsServe", Napi::Function::New(env, MetricsServe));
    exports.Set("metricsServeStop", Napi::Function::New(env, MetricsServeStop));
    exports.Set("logEmit", Napi::Function::New(env, LogEmit));
    exports.Set("profileGet", Napi::Function::New(env, ProfileGet));
}

}  // namespace e2bnode
