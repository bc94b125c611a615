// Shared internals of the addon (see addon.cc for the threading model): the dlopen'ed library,
// error capture, option helpers, async work, and the client/sandbox state every part uses.
#pragma once
#include <dlfcn.h>
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "e2b.h"

namespace e2bnode {

// ---- the dlopen'ed library ----------------------------------------------------------------

#define E2B_FUNCS(X)                                                                               \
    X(e2b_abi_version) X(e2b_version) X(e2b_error_last) X(e2b_status_str) X(e2b_buf_dispose)     \
    X(e2b_client_opts_init) X(e2b_client_new) X(e2b_client_free) X(e2b_client_dispatch)          \
    X(e2b_client_wake_fd) X(e2b_sandbox_opts_init) X(e2b_sandbox_create) X(e2b_sandbox_connect)  \
    X(e2b_sandbox_free) X(e2b_sandbox_id) X(e2b_sandbox_envd_version) X(e2b_sandbox_kill)        \
    X(e2b_sandbox_set_timeout) X(e2b_sandbox_pause) X(e2b_sandbox_is_running)                    \
    X(e2b_sandbox_get_info) X(e2b_sandbox_info_free) X(e2b_list_opts_init)                       \
    X(e2b_sandbox_list_page) X(e2b_sandbox_list_count) X(e2b_sandbox_list_at)                    \
    X(e2b_sandbox_list_next_token) X(e2b_sandbox_list_free) X(e2b_sandbox_get_host)              \
    X(e2b_exec_opts_init) X(e2b_exec_start) X(e2b_exec_connect) X(e2b_exec_pid) X(e2b_exec_wait) \
    X(e2b_exec_kill) X(e2b_exec_send_stdin) X(e2b_exec_close_stdin) X(e2b_exec_disconnect)       \
    X(e2b_exec_free) X(e2b_exec_run) X(e2b_exec_output_dispose) X(e2b_exec_list)                 \
    X(e2b_process_list_count) X(e2b_process_list_at) X(e2b_process_list_free) X(e2b_pty_create) \
    X(e2b_pty_send_input) X(e2b_pty_resize) X(e2b_files_opts_init) X(e2b_files_read)             \
    X(e2b_files_read_stream) X(e2b_files_write) X(e2b_files_write_stream)                        \
    X(e2b_files_write_many) X(e2b_files_list) X(e2b_entry_list_count) X(e2b_entry_list_at)       \
    X(e2b_entry_list_free) X(e2b_files_stat) X(e2b_entry_info_free) X(e2b_files_exists)          \
    X(e2b_files_make_dir) X(e2b_files_rename) X(e2b_files_remove) X(e2b_files_watch)             \
    X(e2b_watch_stop) X(e2b_watch_free) X(e2b_files_upload_url) X(e2b_files_download_url) \
    E2B_FUNCS_2(X)

// Since the first binding: by id/pid, monitoring, ports, code interpreter, production layer A.
#define E2B_FUNCS_2(X)                                                                             \
    X(e2b_sandbox_kill_id) X(e2b_sandbox_set_timeout_id) X(e2b_sandbox_pause_id)                 \
    X(e2b_sandbox_get_metrics) X(e2b_sandbox_metric_list_count) X(e2b_sandbox_metric_list_at)    \
    X(e2b_sandbox_metric_list_free) X(e2b_logs_opts_init) X(e2b_sandbox_get_logs)                \
    X(e2b_sandbox_log_list_count) X(e2b_sandbox_log_list_at) X(e2b_sandbox_log_list_free)        \
    X(e2b_process_kill) X(e2b_process_send_stdin) X(e2b_process_close_stdin)                     \
    X(e2b_process_send_pty_input) X(e2b_process_resize_pty)                                      \
    X(e2b_port_request_opts_init) X(e2b_port_request) X(e2b_port_response_dispose)               \
    X(e2b_ws_opts_init) X(e2b_ws_connect) X(e2b_ws_send) X(e2b_ws_close)                         \
    X(e2b_ws_buffered_amount) X(e2b_ws_free)                                                     \
    X(e2b_code_opts_init) X(e2b_code_start) X(e2b_code_cancel) X(e2b_code_free)                  \
    X(e2b_execution_result_count) X(e2b_execution_result_at) X(e2b_execution_log_count)          \
    X(e2b_execution_log_at) X(e2b_execution_error) X(e2b_execution_execution_count)              \
    X(e2b_code_context_create) X(e2b_code_context_free) X(e2b_code_list_contexts)                \
    X(e2b_code_context_list_count) X(e2b_code_context_list_at) X(e2b_code_context_list_free)     \
    X(e2b_code_context_restart) X(e2b_code_context_remove)                                       \
    X(e2b_session_opts_init) X(e2b_session_start) X(e2b_session_resume) X(e2b_session_id)        \
    X(e2b_session_sandbox) X(e2b_session_touch) X(e2b_session_pause) X(e2b_session_end)          \
    X(e2b_session_state) X(e2b_session_free)                                                     \
    X(e2b_artifacts_opts_init) X(e2b_artifacts_download) X(e2b_artifacts_upload)                 \
    X(e2b_artifact_list_count) X(e2b_artifact_list_at) X(e2b_artifact_list_free)                 \
    X(e2b_workspace_opts_init) X(e2b_workspace_push) X(e2b_workspace_pull)                      \
    X(e2b_profile_get) X(e2b_pool_opts_init) X(e2b_pool_new) X(e2b_pool_acquire)                 \
    X(e2b_pool_release) X(e2b_pool_maintain) X(e2b_pool_get_stats) X(e2b_pool_free)              \
    X(e2b_cost_get_totals) X(e2b_cost_set_prices) X(e2b_cost_export_json) X(e2b_log_emit)        \
    X(e2b_metrics_render) X(e2b_metrics_serve) X(e2b_metrics_serve_stop) X(e2b_stall_opts_init)   \
    X(e2b_stall_watch_exec) X(e2b_stall_watch_sandbox) X(e2b_stall_watch_free)                  \
    X(e2b_cancel_new) X(e2b_cancel_free) X(e2b_cancel_bind) X(e2b_cancel_trigger)

struct Lib {
#define E2B_DECL(n) decltype(&::n) n = nullptr;
    E2B_FUNCS(E2B_DECL)
#undef E2B_DECL
    void* dl = nullptr;
    std::string path;
};
inline Lib L;

// ---- errors -------------------------------------------------------------------------------

struct Err {
    int code = E2B_ERROR;
    int http = 0;
    std::string msg;
    // Copies the calling thread's last error (call right after the failing call, same thread).
    static Err last(int rc) {
        Err e;
        const e2b_error* le = L.e2b_error_last();
        e.code = le && le->code ? le->code : rc;
        e.http = le ? le->http_status : 0;
        e.msg = le && le->message && *le->message ? le->message : L.e2b_status_str(rc);
        return e;
    }
};

// A plain Error carrying the E2B code; lib/errors.js turns it into the SDK's class.
inline Napi::Value make_error(Napi::Env env, int code, int http, const std::string& msg) {
    Napi::Error e = Napi::Error::New(env, msg);
    e.Set("e2bCode", Napi::Number::New(env, code));
    e.Set("httpStatus", Napi::Number::New(env, http));
    return e.Value();
}
inline Napi::Value make_error(Napi::Env env, const Err& e) { return make_error(env, e.code, e.http, e.msg); }

inline void throw_error(Napi::Env env, const Err& e) {
    Napi::Error err = Napi::Error::New(env, e.msg);
    err.Set("e2bCode", Napi::Number::New(env, e.code));
    err.Set("httpStatus", Napi::Number::New(env, e.http));
    err.ThrowAsJavaScriptException();
}

inline bool loaded(Napi::Env env) {
    if (L.dl) return true;
    Napi::Error::New(env, "libe2b is not loaded (call load() first)").ThrowAsJavaScriptException();
    return false;
}

// ---- option helpers (JS objects -> C structs with owned strings) --------------------------

inline std::optional<std::string> opt_str(const Napi::Object& o, const char* k) {
    Napi::Value v = o.Get(k);
    if (v.IsString()) return v.As<Napi::String>().Utf8Value();
    return std::nullopt;
}
inline int64_t opt_i64(const Napi::Object& o, const char* k, int64_t def) {
    Napi::Value v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : def;
}
inline uint32_t opt_u32(const Napi::Object& o, const char* k, uint32_t def) {
    Napi::Value v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : def;
}
inline Napi::Object obj_or_empty(Napi::Env env, const Napi::Value& v) {
    return v.IsObject() ? v.As<Napi::Object>() : Napi::Object::New(env);
}

// A NULL-terminated "k=v" list owning its strings.
struct StrList {
    std::vector<std::string> s;
    std::vector<const char*> p;
    bool present = false;
    void from(const Napi::Value& v) {
        if (!v.IsArray()) return;
        present = true;
        Napi::Array a = v.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); ++i) s.push_back(a.Get(i).ToString().Utf8Value());
    }
    const char* const* get() {
        if (!present) return nullptr;
        p.clear();
        for (auto& x : s) p.push_back(x.c_str());
        p.push_back(nullptr);
        return p.data();
    }
};

inline const char* cstr(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// Keeps a JS value (a Buffer) alive while a worker reads its bytes; released on the JS thread.
struct Pin {
    Napi::Reference<Napi::Value> ref;
    const char* data = nullptr;
    size_t len = 0;
    void set(const Napi::Value& v) {
        if (v.IsBuffer()) {
            auto b = v.As<Napi::Buffer<char>>();
            data = b.Data();
            len = b.Length();
        } else if (v.IsTypedArray()) {
            auto t = v.As<Napi::TypedArray>();
            data = static_cast<const char*>(t.ArrayBuffer().Data()) + t.ByteOffset();
            len = t.ByteLength();
        } else {
            return;  // not bytes (e.g. no body): nothing to keep; primitives cannot be referenced
        }
        ref = Napi::Reference<Napi::Value>::New(v, 1);
    }
};

// ---- async work ---------------------------------------------------------------------------

// Runs `run` on the thread pool; `done` builds the resolution on the JS thread. A negative rc
// rejects with the E2B error captured on the worker thread.
// A cancel token (e2b_cancel_*) for one JS call with an AbortSignal. The JS layer arms it just
// before calling a native method (cancelNext); the first Task started then binds it to its
// worker thread, so aborting cancels the blocking call (and the streams it starts) for real.
struct CancelState {
    e2b_cancel* h = nullptr;
    ~CancelState() { L.e2b_cancel_free(h); }
};
inline std::shared_ptr<CancelState> g_next_cancel;  // JS thread only

class Task : public Napi::AsyncWorker {
public:
    using Run = std::function<int()>;
    using Done = std::function<Napi::Value(Napi::Env, int)>;
    static Napi::Promise start(Napi::Env env, Run run, Done done) {
        auto* t = new Task(env, std::move(run), std::move(done));
        Napi::Promise p = t->d_.Promise();
        t->Queue();
        return p;
    }

private:
    Task(Napi::Env env, Run run, Done done)
        : Napi::AsyncWorker(env, "e2b"), d_(Napi::Promise::Deferred::New(env)), run_(std::move(run)),
          done_(std::move(done)), cancel_(std::move(g_next_cancel)) {}
    void Execute() override {
        if (cancel_) L.e2b_cancel_bind(cancel_->h);
        rc_ = run_();
        if (rc_ < 0) err_ = Err::last(rc_);
        if (cancel_) L.e2b_cancel_bind(nullptr);
    }
    void OnOK() override {
        Napi::Env env = Env();
        if (rc_ < 0) return d_.Reject(make_error(env, err_));
        Napi::Value v = done_ ? done_(env, rc_) : env.Undefined();
        if (env.IsExceptionPending()) return d_.Reject(env.GetAndClearPendingException().Value());
        d_.Resolve(v);
    }
    Napi::Promise::Deferred d_;
    Run run_;
    Done done_;
    std::shared_ptr<CancelState> cancel_;
    int rc_ = 0;
    Err err_;
};

// ---- client --------------------------------------------------------------------------------

struct ClientState;
// Handles whose last reference drops while we are inside e2b_client_dispatch (e.g. a GC
// finalizer) are parked here and released after it: e2b_client_free must not run from a
// callback.
inline thread_local int g_in_dispatch = 0;
inline thread_local std::vector<std::shared_ptr<void>>* g_graveyard = nullptr;

template <class T>
void drop(std::shared_ptr<T>& p) {
    if (g_in_dispatch > 0 && p) {
        if (!g_graveyard) g_graveyard = new std::vector<std::shared_ptr<void>>();
        g_graveyard->push_back(std::static_pointer_cast<void>(p));
    }
    p.reset();
}

struct ClientState {
    napi_env env = nullptr;
    e2b_client* h = nullptr;
    uv_poll_t* poll = nullptr;
    int streams = 0;  // open exec streams and watches: the poll is ref'd while > 0
    std::unique_ptr<Napi::AsyncContext> actx;

    // onLog: lines from any libe2b thread (log_cb) reach JS through a TSFN, unref'd so logging
    // never keeps the process alive. Node finalizes TSFNs at exit before our destructors run, so
    // its finalizer marks the sink dead (under mu) and log_cb checks that before each call.
    struct LogSink {
        std::mutex mu;
        bool alive = true;
        Napi::ThreadSafeFunction tsfn;
    };
    std::shared_ptr<LogSink> log;
    ~ClientState() {
        if (poll) {
            uv_poll_stop(poll);
            uv_close(reinterpret_cast<uv_handle_t*>(poll),
                     [](uv_handle_t* hd) { delete reinterpret_cast<uv_poll_t*>(hd); });
        }
        actx.reset();
        if (h) L.e2b_client_free(h);
        if (log) {  // no log_cb after e2b_client_free
            std::lock_guard<std::mutex> lk(log->mu);
            if (log->alive) log->tsfn.Release();
            log->alive = false;
        }
    }
    void stream_opened() {
        if (streams++ == 0 && poll) uv_ref(reinterpret_cast<uv_handle_t*>(poll));
    }
    void stream_closed() {
        if (--streams == 0 && poll) uv_unref(reinterpret_cast<uv_handle_t*>(poll));
    }
    void dispatch() {
        Napi::Env e(env);
        Napi::HandleScope hs(e);
        // A callback scope: promises resolved by the callbacks run their reactions afterwards.
        Napi::CallbackScope cs(e, *actx);
        ++g_in_dispatch;
        L.e2b_client_dispatch(h, 0);
        --g_in_dispatch;
        if (g_in_dispatch == 0 && g_graveyard) {
            auto dead = std::move(*g_graveyard);
            g_graveyard->clear();
            dead.clear();  // may free handles (and clients): now outside any callback
        }
    }
};

// Calls a JS stream handler from a libe2b callback (JS thread, inside dispatch). An exception
// thrown by it is reported as uncaught instead of being lost.
inline Napi::Value call_handler(Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
    if (fn.IsEmpty()) return Napi::Value();
    Napi::Env env = fn.Env();
    Napi::Value r = fn.Call(args);
    if (env.IsExceptionPending()) {
        Napi::Error e = env.GetAndClearPendingException();
        napi_fatal_exception(env, e.Value());
        return Napi::Value();
    }
    return r;
}

// The same for a plain function (thread-safe function calls).
inline void call_handler_once(const Napi::Function& fn, std::initializer_list<napi_value> args) {
    Napi::Env env = fn.Env();
    fn.Call(args);
    if (env.IsExceptionPending()) napi_fatal_exception(env, env.GetAndClearPendingException().Value());
}

// ---- sandbox / exec / watch state ------------------------------------------------------------

// A stream handle bound to a sandbox (exec, watch, WebSocket, code run). detach() frees its C
// handle at once (its JS side gets a final "released" end) and drops its hold on the sandbox:
// used when a pooled sandbox is given back, whose handle must then no longer be reachable.
struct Child {
    virtual ~Child() = default;
    virtual void detach() = 0;
};

struct SandboxState {
    std::shared_ptr<ClientState> client;
    e2b_sandbox* h = nullptr;
    // Set for a sandbox borrowed from a session (e2b_session_sandbox) or a pool: it outlives us
    // and owns the handle; we must not free it.
    std::shared_ptr<void> owner;
    // Pool: gives the handle back (e2b_pool_release) when the last reference drops.
    std::function<void(e2b_sandbox*, uint32_t)> give_back;
    uint32_t give_back_flags = 0;  // E2B_POOL_RELEASE_F_*
    // JS thread only.
    std::vector<std::weak_ptr<Child>> children;
    void adopt(const std::shared_ptr<Child>& c) {
        children.erase(std::remove_if(children.begin(), children.end(), [](auto& w) { return w.expired(); }),
                       children.end());
        children.push_back(c);
    }
    // Newest first: a stall watch on a command goes before the command it watches.
    void detach_children() {
        auto kids = std::move(children);
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            if (auto c = it->lock()) c->detach();
    }
    ~SandboxState() {
        if (!h) return;
        if (give_back) give_back(h, give_back_flags);
        else if (!owner) L.e2b_sandbox_free(h);
    }
};

// The error a detached stream ends with.
inline Err released_error() { return Err{E2B_ECANCELED, 0, "the sandbox was released to its pool"}; }

// createSandbox / sessionStart options (JS object -> e2b_sandbox_opts with owned strings).
struct SandboxOpts {
    std::optional<std::string> tmpl;
    StrList metadata, envs;
    e2b_sandbox_opts o;
    explicit SandboxOpts(Napi::Object js) {
        L.e2b_sandbox_opts_init(&o, E2B_SANDBOX_OPTS_VERSION);
        tmpl = opt_str(js, "template");
        metadata.from(js.Get("metadata"));
        envs.from(js.Get("envs"));
        o.timeout_ms = opt_i64(js, "timeoutMs", 0);
        o.flags = opt_u32(js, "flags", 0);
        profile = opt_str(js, "profile");
        o.cpu_count = int32_t(opt_i64(js, "cpuCount", 0));
        o.memory_mb = int32_t(opt_i64(js, "memoryMB", 0));
    }
    std::optional<std::string> profile;
    const e2b_sandbox_opts* get() {
        o.profile = cstr(profile);
        o.template_id = cstr(tmpl);
        o.metadata = metadata.get();
        o.envs = envs.get();
        return &o;
    }
};

// Defined in addon.cc: the wrapped classes' state, and wrapping a state as a NativeSandbox.
std::shared_ptr<ClientState> client_of(const Napi::Value& v);
std::shared_ptr<SandboxState> sandbox_of(const Napi::Value& v);
Napi::Object wrap_sandbox(Napi::Env env, std::shared_ptr<SandboxState> st);
// Points a NativeSandbox at an empty state (calls then fail with E2B_EINVAL) and drops its hold
// on the real one: a pooled sandbox given back.
void sandbox_retire(const Napi::Value& v);
// A NativeExec's live handle (nullptr once released), its sandbox, and a reference keeping its
// state alive.
e2b_exec* exec_of(const Napi::Value& v, std::shared_ptr<void>* keep, std::shared_ptr<SandboxState>* sbx);

// Module functions of the other parts (ports.cc, code.cc, production.cc).
void init_ports(Napi::Env env, Napi::Object exports);
void init_code(Napi::Env env, Napi::Object exports);
void init_production(Napi::Env env, Napi::Object exports);
void init_prodb(Napi::Env env, Napi::Object exports);

}  // namespace e2bnode
