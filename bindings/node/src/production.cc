// By id / by pid calls, monitoring (metrics, logs), and production layer A: sessions,
// artifacts, workspace sync. Module functions taking the NativeClient / NativeSandbox first.
#include "common.h"

namespace e2bnode {
namespace {

Napi::Value rejected(Napi::Env env, const Err& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(make_error(env, e));
    return d.Promise();
}

std::string str_arg(const Napi::CallbackInfo& info, size_t i) {
    return info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : std::string();
}

// ---- by id / by pid --------------------------------------------------------------------------

// sandboxById(client, "kill"|"setTimeout"|"pause", id, timeoutMs) -> rc (pause: 1 paused, 0 was)
Napi::Value SandboxById(const Napi::CallbackInfo& info) {
    auto cl = client_of(info[0]);
    std::string op = str_arg(info, 1), id = str_arg(info, 2);
    int64_t ms = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : 0;
    int k = op == "kill" ? 0 : op == "setTimeout" ? 1 : 2;
    return Task::start(info.Env(), [cl, id, ms, k] {
        const char* p = id.c_str();
        return k == 0 ? L.e2b_sandbox_kill_id(cl->h, p)
               : k == 1 ? L.e2b_sandbox_set_timeout_id(cl->h, p, ms)
                        : L.e2b_sandbox_pause_id(cl->h, p);
    }, [](Napi::Env env, int rc) { return Napi::Number::New(env, rc); });
}

// processOp(sandbox, "kill"|"stdin"|"closeStdin"|"ptyInput"|"resize", pid, data|cols, rows)
Napi::Value ProcessOp(const Napi::CallbackInfo& info) {
    auto sb = sandbox_of(info[0]);
    std::string op = str_arg(info, 1);
    uint32_t pid = info[2].As<Napi::Number>().Uint32Value();
    auto pin = std::make_shared<Pin>();
    uint16_t cols = 0, rows = 0;
    int k;
    if (op == "kill") k = 0;
    else if (op == "stdin") k = 1;
    else if (op == "closeStdin") k = 2;
    else if (op == "ptyInput") k = 3;
    else if (op == "resize") k = 4;
    else return rejected(info.Env(), Err{E2B_EINVAL, 0, "unknown process operation " + op});
    if (k == 1 || k == 3) pin->set(info[3]);
    if (k == 4) {
        cols = uint16_t(info[3].As<Napi::Number>().Uint32Value());
        rows = uint16_t(info[4].As<Napi::Number>().Uint32Value());
    }
    return Task::start(info.Env(), [sb, pid, pin, cols, rows, k] {
        switch (k) {
        case 0: return L.e2b_process_kill(sb->h, pid);
        case 1: return L.e2b_process_send_stdin(sb->h, pid, pin->data, pin->len);
        case 2: return L.e2b_process_close_stdin(sb->h, pid);
        case 3: return L.e2b_process_send_pty_input(sb->h, pid, pin->data, pin->len);
        default: return L.e2b_process_resize_pty(sb->h, pid, cols, rows);
        }
    }, nullptr);
}

// ---- monitoring ----------------------------------------------------------------------------------

// getMetrics(client, id, startS, endS) -> [{timestampMs, cpuCount, cpuUsedPct, memUsed, ...}]
Napi::Value GetMetrics(const Napi::CallbackInfo& info) {
    auto cl = client_of(info[0]);
    std::string id = str_arg(info, 1);
    int64_t start = info[2].IsNumber() ? info[2].As<Napi::Number>().Int64Value() : -1;
    int64_t end = info[3].IsNumber() ? info[3].As<Napi::Number>().Int64Value() : -1;
    struct Q {
        e2b_sandbox_metric_list* l = nullptr;
        ~Q() { L.e2b_sandbox_metric_list_free(l); }
    };
    auto q = std::make_shared<Q>();
    return Task::start(info.Env(), [cl, id, start, end, q] {
        return L.e2b_sandbox_get_metrics(&q->l, cl->h, id.c_str(), start, end);
    }, [q](Napi::Env env, int) {
        size_t n = L.e2b_sandbox_metric_list_count(q->l);
        Napi::Array a = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) {
            const e2b_sandbox_metric* m = L.e2b_sandbox_metric_list_at(q->l, i);
            Napi::Object o = Napi::Object::New(env);
            o.Set("timestampMs", Napi::Number::New(env, double(m->timestamp_ms)));
            o.Set("cpuCount", Napi::Number::New(env, m->cpu_count));
            o.Set("cpuUsedPct", Napi::Number::New(env, m->cpu_used_pct));
            o.Set("memUsed", Napi::Number::New(env, double(m->mem_used_bytes)));
            o.Set("memTotal", Napi::Number::New(env, double(m->mem_total_bytes)));
            o.Set("diskUsed", Napi::Number::New(env, double(m->disk_used_bytes)));
            o.Set("diskTotal", Napi::Number::New(env, double(m->disk_total_bytes)));
            a.Set(uint32_t(i), o);
        }
        return a;
    });
}

// getLogs(client, id, {cursorMs, limit, backward, minLevel, search}) -> [{timestampMs, level, message, fields}]
Napi::Value GetLogs(const Napi::CallbackInfo& info) {
    auto cl = client_of(info[0]);
    std::string id = str_arg(info, 1);
    Napi::Object js = obj_or_empty(info.Env(), info[2]);
    struct Q {
        std::optional<std::string> level, search;
        e2b_logs_opts o;
        e2b_sandbox_log_list* l = nullptr;
        ~Q() { L.e2b_sandbox_log_list_free(l); }
    };
    auto q = std::make_shared<Q>();
    L.e2b_logs_opts_init(&q->o, E2B_LOGS_OPTS_VERSION);
    q->level = opt_str(js, "minLevel");
    q->search = opt_str(js, "search");
    q->o.cursor_ms = opt_i64(js, "cursorMs", 0);
    q->o.limit = opt_u32(js, "limit", 0);
    q->o.flags = js.Get("backward").ToBoolean() ? E2B_LOGS_F_BACKWARD : 0;
    return Task::start(info.Env(), [cl, id, q] {
        q->o.min_level = cstr(q->level);
        q->o.search = cstr(q->search);
        return L.e2b_sandbox_get_logs(&q->l, cl->h, id.c_str(), &q->o);
    }, [q](Napi::Env env, int) {
        size_t n = L.e2b_sandbox_log_list_count(q->l);
        Napi::Array a = Napi::Array::New(env, n);
        for (size_t i = 0; i < n; ++i) {
            const e2b_sandbox_log_entry* e = L.e2b_sandbox_log_list_at(q->l, i);
            Napi::Object o = Napi::Object::New(env);
            o.Set("timestampMs", Napi::Number::New(env, double(e->timestamp_ms)));
            o.Set("level", e->level);
            o.Set("message", e->message);
            Napi::Object f = Napi::Object::New(env);
            for (size_t k = 0; k < e->field_count; ++k) f.Set(e->field_keys[k], e->field_values[k]);
            o.Set("fields", f);
            a.Set(uint32_t(i), o);
        }
        return a;
    });
}

// ---- sessions ----------------------------------------------------------------------------------

struct SessionState {
    std::shared_ptr<ClientState> client;
    e2b_session* h = nullptr;
    ~SessionState() { L.e2b_session_free(h); }
};

Napi::FunctionReference* g_session_ctor = nullptr;

class Session : public Napi::ObjectWrap<Session> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeSession",
                           {InstanceMethod("touch", &Session::Touch), InstanceMethod("pause", &Session::Pause),
                            InstanceMethod("end", &Session::End)});
    }
    explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {}
    ~Session() { drop(st_); }
    std::shared_ptr<SessionState> st_;

private:
    Napi::Value Op(const Napi::CallbackInfo& info, int (*fn)(e2b_session*)) {
        auto st = st_;
        return Task::start(info.Env(), [st, fn] { return fn(st->h); },
                           [](Napi::Env env, int rc) { return Napi::Number::New(env, rc); });
    }
    Napi::Value Touch(const Napi::CallbackInfo& info) { return Op(info, L.e2b_session_touch); }
    Napi::Value Pause(const Napi::CallbackInfo& info) { return Op(info, L.e2b_session_pause); }
    Napi::Value End(const Napi::CallbackInfo& info) { return Op(info, L.e2b_session_end); }
};

// Resolves {id, session: NativeSession, sandbox: NativeSandbox (borrowed from the session)}.
Napi::Value wrap_session(Napi::Env env, std::shared_ptr<SessionState> ss) {
    auto sb = std::make_shared<SandboxState>();
    sb->client = ss->client;
    sb->h = L.e2b_session_sandbox(ss->h);
    sb->owner = ss;
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", L.e2b_session_id(ss->h));
    Napi::Object s = g_session_ctor->New({});
    Session::Unwrap(s)->st_ = ss;
    r.Set("session", s);
    r.Set("sandbox", wrap_sandbox(env, sb));
    return r;
}

struct SessionOpts {
    e2b_session_opts o;
    explicit SessionOpts(Napi::Object js) {
        L.e2b_session_opts_init(&o, E2B_SESSION_OPTS_VERSION);
        o.idle_pause_ms = opt_i64(js, "idlePauseMs", 0);
        o.timeout_ms = opt_i64(js, "timeoutMs", 0);
    }
};

// sessionStart(client, sandboxOpts (as createSandbox), {idlePauseMs})
Napi::Value SessionStart(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto so = std::make_shared<SandboxOpts>(obj_or_empty(env, info[1]));
    auto sess = std::make_shared<SessionOpts>(obj_or_empty(env, info[2]));
    auto ss = std::make_shared<SessionState>();
    ss->client = client_of(info[0]);
    return Task::start(env, [so, sess, ss] {
        sess->o.sandbox = so->get();
        return L.e2b_session_start(&ss->h, ss->client->h, &sess->o);
    }, [ss](Napi::Env env, int) { return wrap_session(env, ss); });
}

// sessionResume(client, id, {idlePauseMs, timeoutMs})
Napi::Value SessionResume(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string id = str_arg(info, 1);
    auto sess = std::make_shared<SessionOpts>(obj_or_empty(env, info[2]));
    auto ss = std::make_shared<SessionState>();
    ss->client = client_of(info[0]);
    return Task::start(env, [id, sess, ss] { return L.e2b_session_resume(&ss->h, ss->client->h, id.c_str(), &sess->o); },
                       [ss](Napi::Env env, int) { return wrap_session(env, ss); });
}

// sessionState(client, id) -> E2B_SESSION_*
Napi::Value SessionStateOf(const Napi::CallbackInfo& info) {
    auto cl = client_of(info[0]);
    std::string id = str_arg(info, 1);
    return Task::start(info.Env(), [cl, id] { return L.e2b_session_state(cl->h, id.c_str()); },
                       [](Napi::Env env, int rc) { return Napi::Number::New(env, rc); });
}

// ---- transfers: progress and cancel ------------------------------------------------------------

// Progress of a blocking transfer, reported on libe2b's service thread. Deliveries to JS are
// coalesced (at most one queued, carrying the latest snapshot) so a 10,000-file tree does not
// queue 10,000 calls; `cancel` makes the next report stop the transfer (E2B_EUSER).
struct Progress {
    std::atomic<bool> cancel{false};
    bool has_fn = false;
    Napi::ThreadSafeFunction tsfn;
    std::mutex mu;
    bool queued = false;
    e2b_transfer_progress snap{};
    std::string path;

    static int report(const e2b_transfer_progress* p, void* payload) {
        auto* self = static_cast<Progress*>(payload);
        if (self->cancel.load()) return 1;
        if (!self->has_fn) return 0;
        std::lock_guard<std::mutex> lk(self->mu);
        self->snap = *p;
        self->path = p->path ? p->path : "";
        if (!self->queued) {
            self->queued = true;
            self->tsfn.NonBlockingCall(self, [](Napi::Env env, Napi::Function fn, Progress* s) {
                if (env == nullptr) return;
                Napi::Object o = Napi::Object::New(env);
                {
                    std::lock_guard<std::mutex> lk(s->mu);
                    s->queued = false;
                    o.Set("filesDone", Napi::Number::New(env, s->snap.files_done));
                    o.Set("filesTotal", Napi::Number::New(env, s->snap.files_total));
                    o.Set("bytesDone", Napi::Number::New(env, double(s->snap.bytes_done)));
                    o.Set("bytesTotal", Napi::Number::New(env, double(s->snap.bytes_total)));
                    o.Set("path", s->path);
                }
                fn.Call({o});
            });
        }
        return 0;
    }
    // The TSFN's finalizer owns a reference: queued deliveries may run after the transfer ended.
    static std::shared_ptr<Progress> make(Napi::Env env, const Napi::Value& fn) {
        auto p = std::make_shared<Progress>();
        if (fn.IsFunction()) {
            p->has_fn = true;
            p->tsfn = Napi::ThreadSafeFunction::New(env, fn.As<Napi::Function>(), "e2b.progress", 0, 1,
                                                    new std::shared_ptr<Progress>(p),
                                                    [](Napi::Env, std::shared_ptr<Progress>* ctx) { delete ctx; });
        }
        return p;
    }
    void finished() {
        if (has_fn) tsfn.Release();
    }
};

// {done: Promise, cancel()}: the transfer's result and a way to stop it at its next progress.
Napi::Value transfer(Napi::Env env, std::shared_ptr<Progress> pr, Task::Run run, Task::Done done) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("done", Task::start(env, [pr, run] {
        int rc = run();
        pr->finished();
        return rc;
    }, std::move(done)));
    r.Set("cancel", Napi::Function::New(env, [pr](const Napi::CallbackInfo& info) {
        pr->cancel = true;
        return info.Env().Undefined();
    }));
    return r;
}

struct XferOpts {
    std::optional<std::string> user;
    uint32_t flags = 0;
    int64_t timeout_ms = 0;
    explicit XferOpts(Napi::Object js) {
        user = opt_str(js, "user");
        flags = opt_u32(js, "flags", 0);
        timeout_ms = opt_i64(js, "requestTimeoutMs", 0);
    }
};

Napi::Value artifact_list_js(Napi::Env env, e2b_artifact_list* l) {
    size_t n = L.e2b_artifact_list_count(l);
    Napi::Array a = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
        const e2b_artifact* x = L.e2b_artifact_list_at(l, i);
        Napi::Object o = Napi::Object::New(env);
        o.Set("relPath", x->rel_path);
        o.Set("remotePath", x->remote_path);
        o.Set("localPath", x->local_path);
        o.Set("size", Napi::Number::New(env, double(x->size)));
        o.Set("mimeType", x->mime_type);
        a.Set(uint32_t(i), o);
    }
    return a;
}

struct ArtifactsCall {
    XferOpts xo;
    std::shared_ptr<Progress> pr;
    e2b_artifacts_opts o;
    e2b_artifact_list* out = nullptr;
    ArtifactsCall(Napi::Object js, std::shared_ptr<Progress> p) : xo(js), pr(std::move(p)) {
        L.e2b_artifacts_opts_init(&o, E2B_ARTIFACTS_OPTS_VERSION);
        o.flags = xo.flags;
        o.timeout_ms = xo.timeout_ms;
        o.on_progress = Progress::report;
        o.payload = pr.get();
    }
    const e2b_artifacts_opts* get() {
        o.user = cstr(xo.user);
        return &o;
    }
    ~ArtifactsCall() { L.e2b_artifact_list_free(out); }
};

// artifactsDownload(sandbox, remoteDir, patterns[], localDir, {flags, user, requestTimeoutMs}, onProgress)
Napi::Value ArtifactsDownload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto sb = sandbox_of(info[0]);
    std::string remote = str_arg(info, 1), local = str_arg(info, 3);
    auto patterns = std::make_shared<StrList>();
    patterns->from(info[2]);
    auto pr = Progress::make(env, info[5]);
    auto c = std::make_shared<ArtifactsCall>(obj_or_empty(env, info[4]), pr);
    return transfer(env, pr, [sb, remote, local, patterns, c] {
        return L.e2b_artifacts_download(&c->out, sb->h, remote.c_str(), patterns->get(), local.c_str(), c->get());
    }, [c](Napi::Env env, int) { return artifact_list_js(env, c->out); });
}

// artifactsUpload(sandbox, localFiles[], remoteDir, opts, onProgress)
Napi::Value ArtifactsUpload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto sb = sandbox_of(info[0]);
    auto files = std::make_shared<StrList>();
    files->from(info[1]);
    std::string remote = str_arg(info, 2);
    auto pr = Progress::make(env, info[4]);
    auto c = std::make_shared<ArtifactsCall>(obj_or_empty(env, info[3]), pr);
    return transfer(env, pr, [sb, remote, files, c] {
        return L.e2b_artifacts_upload(&c->out, sb->h, files->get(), remote.c_str(), c->get());
    }, [c](Napi::Env env, int) { return artifact_list_js(env, c->out); });
}

// workspace(sandbox, push: bool, from, to, {flags, user, requestTimeoutMs}, onProgress) -> entries
Napi::Value Workspace(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto sb = sandbox_of(info[0]);
    bool push = info[1].ToBoolean();
    std::string from = str_arg(info, 2), to = str_arg(info, 3);
    struct Q {
        XferOpts xo;
        e2b_workspace_opts o;
        uint32_t entries = 0;
        explicit Q(Napi::Object js) : xo(js) {}
    };
    auto pr = Progress::make(env, info[5]);
    auto q = std::make_shared<Q>(obj_or_empty(env, info[4]));
    L.e2b_workspace_opts_init(&q->o, E2B_WORKSPACE_OPTS_VERSION);
    q->o.flags = q->xo.flags;
    q->o.timeout_ms = q->xo.timeout_ms;
    q->o.on_progress = Progress::report;
    q->o.payload = pr.get();
    return transfer(env, pr, [sb, push, from, to, q] {
        q->o.user = cstr(q->xo.user);
        return push ? L.e2b_workspace_push(sb->h, from.c_str(), to.c_str(), &q->o, &q->entries)
                    : L.e2b_workspace_pull(sb->h, from.c_str(), to.c_str(), &q->o, &q->entries);
    }, [q](Napi::Env env, int) { return Napi::Number::New(env, q->entries); });
}

}  // namespace

void init_production(Napi::Env env, Napi::Object exports) {
    g_session_ctor = new Napi::FunctionReference(Napi::Persistent(Session::Init(env)));
    env.AddCleanupHook([] {
        delete g_session_ctor;
        g_session_ctor = nullptr;
    });
    exports.Set("sandboxById", Napi::Function::New(env, SandboxById));
    exports.Set("processOp", Napi::Function::New(env, ProcessOp));
    exports.Set("getMetrics", Napi::Function::New(env, GetMetrics));
    exports.Set("getLogs", Napi::Function::New(env, GetLogs));
    exports.Set("sessionStart", Napi::Function::New(env, SessionStart));
    exports.Set("sessionResume", Napi::Function::New(env, SessionResume));
    exports.Set("sessionState", Napi::Function::New(env, SessionStateOf));
    exports.Set("artifactsDownload", Napi::Function::New(env, ArtifactsDownload));
    exports.Set("artifactsUpload", Napi::Function::New(env, ArtifactsUpload));
    exports.Set("workspace", Napi::Function::New(env, Workspace));
}

}  // namespace e2bnode
