// Code interpreter (e2b_code_*, e2b_execution_*, contexts). A run's callbacks follow the
// client's QUEUED delivery, as exec streams do; its end hands over the whole Execution.
#include "common.h"

namespace e2bnode {
namespace {

Napi::Object result_to_js(Napi::Env env, const e2b_code_result* r) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("isMainResult", Napi::Boolean::New(env, r->is_main_result != 0));
    const std::pair<const char*, const char*> fields[] = {
        {"text", r->text}, {"html", r->html}, {"markdown", r->markdown}, {"svg", r->svg},
        {"png", r->png}, {"jpeg", r->jpeg}, {"pdf", r->pdf}, {"latex", r->latex},
        {"json", r->json}, {"javascript", r->javascript}, {"data", r->data}, {"chart", r->chart},
        {"extra", r->extra}};
    for (const auto& [k, v] : fields)
        if (v) o.Set(k, v);
    Napi::Array f = Napi::Array::New(env, r->format_count);
    for (size_t i = 0; i < r->format_count; ++i) f.Set(uint32_t(i), r->formats[i]);
    o.Set("formats", f);
    return o;
}

Napi::Object error_to_js(Napi::Env env, const e2b_code_error* e) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", e->name);
    o.Set("value", e->value);
    o.Set("traceback", e->traceback);
    return o;
}

Napi::Value execution_to_js(Napi::Env env, const e2b_execution* x) {
    if (!x) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    size_t n = L.e2b_execution_result_count(x);
    Napi::Array results = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; ++i) results.Set(uint32_t(i), result_to_js(env, L.e2b_execution_result_at(x, i)));
    o.Set("results", results);
    for (auto [name, stream] : {std::pair<const char*, uint32_t>{"stdout", E2B_CODE_STDOUT}, {"stderr", E2B_CODE_STDERR}}) {
        size_t k = L.e2b_execution_log_count(x, stream);
        Napi::Array lines = Napi::Array::New(env, k);
        for (size_t i = 0; i < k; ++i) lines.Set(uint32_t(i), L.e2b_execution_log_at(x, stream, i));
        o.Set(name, lines);
    }
    const e2b_code_error* e = L.e2b_execution_error(x);
    o.Set("error", e ? Napi::Value(error_to_js(env, e)) : env.Null());
    o.Set("executionCount", Napi::Number::New(env, double(L.e2b_execution_execution_count(x))));
    return o;
}

struct CodeState : Child {
    std::shared_ptr<SandboxState> sbx;
    e2b_code_exec* h = nullptr;
    // ("stdout"|"stderr", line, timestampUs) | ("result", obj) | ("error", obj) |
    // ("end", execution|null, err|null). Returning true from a data kind stops the run.
    Napi::FunctionReference handler;
    bool open = false;  // counted in client->streams until on_end or free
    ~CodeState() override {
        if (h) L.e2b_code_free(h);  // no callback of ours runs after this
        if (open) sbx->client->stream_closed();
    }
    void detach() override {
        if (h) L.e2b_code_free(h);
        h = nullptr;
        if (open) end(nullptr, nullptr, this, true);
        sbx.reset();
    }
    static int ret(const Napi::Value& r) { return !r.IsEmpty() && r.IsBoolean() && r.As<Napi::Boolean>().Value() ? 1 : 0; }
    static int on_line(const char* t, size_t n, int64_t ts, void* p, const char* kind) {
        auto* s = static_cast<CodeState*>(p);
        if (s->handler.IsEmpty()) return 0;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        return ret(call_handler(s->handler, {Napi::String::New(env, kind), Napi::String::New(env, t ? t : "", n),
                                             Napi::Number::New(env, double(ts))}));
    }
    static int on_stdout(const char* t, size_t n, int64_t ts, void* p) { return on_line(t, n, ts, p, "stdout"); }
    static int on_stderr(const char* t, size_t n, int64_t ts, void* p) { return on_line(t, n, ts, p, "stderr"); }
    static int on_result(const e2b_code_result* r, void* p) {
        auto* s = static_cast<CodeState*>(p);
        if (s->handler.IsEmpty()) return 0;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        return ret(call_handler(s->handler, {Napi::String::New(env, "result"), result_to_js(env, r)}));
    }
    static int on_error(const e2b_code_error* e, void* p) {
        auto* s = static_cast<CodeState*>(p);
        if (s->handler.IsEmpty()) return 0;
        Napi::Env env = s->handler.Env();
        Napi::HandleScope hs(env);
        return ret(call_handler(s->handler, {Napi::String::New(env, "error"), error_to_js(env, e)}));
    }
    static void on_end(const e2b_execution* x, const e2b_error* err, void* p) { end(x, err, p, false); }
    static void end(const e2b_execution* x, const e2b_error* err, void* p, bool released) {
        auto* s = static_cast<CodeState*>(p);
        if (!s->handler.IsEmpty()) {
            Napi::Env env = s->handler.Env();
            Napi::HandleScope hs(env);
            Napi::Value e = released ? make_error(env, released_error())
                            : err    ? make_error(env, err->code, err->http_status, err->message)
                                     : env.Null();
            call_handler(s->handler, {Napi::String::New(env, "end"), execution_to_js(env, x), e});
            s->handler.Reset();
        }
        if (s->open) {
            s->open = false;
            s->sbx->client->stream_closed();
        }
    }
};

Napi::FunctionReference* g_code_ctor = nullptr;

class CodeRun : public Napi::ObjectWrap<CodeRun> {
public:
    static Napi::Function Init(Napi::Env env) {
        return DefineClass(env, "NativeCodeRun", {InstanceMethod("cancel", &CodeRun::Cancel)});
    }
    explicit CodeRun(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CodeRun>(info) {}
    ~CodeRun() { drop(st_); }
    std::shared_ptr<CodeState> st_;

private:
    // Non-blocking; the run ends with E2B_ECANCELED (the handler's "end").
    Napi::Value Cancel(const Napi::CallbackInfo& info) {
        if (st_ && st_->h) L.e2b_code_cancel(st_->h);
        return info.Env().Undefined();
    }
};

// codeStart(sandbox, code, {language, contextId, envs, timeoutMs, requestTimeoutMs}, handler)
//   -> Promise<NativeCodeRun> once the server accepted the cell.
Napi::Value CodeStart(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto cs = std::make_shared<CodeState>();
    cs->sbx = sandbox_of(info[0]);
    std::string code = info[1].ToString().Utf8Value();
    Napi::Object js = obj_or_empty(env, info[2]);
    struct Q {
        std::optional<std::string> language, context;
        StrList envs;
        e2b_code_opts o;
    };
    auto q = std::make_shared<Q>();
    L.e2b_code_opts_init(&q->o, E2B_CODE_OPTS_VERSION);
    q->language = opt_str(js, "language");
    q->context = opt_str(js, "contextId");
    q->envs.from(js.Get("envs"));
    q->o.timeout_ms = opt_i64(js, "timeoutMs", 0);
    q->o.request_timeout_ms = opt_i64(js, "requestTimeoutMs", 0);
    if (info[3].IsFunction()) cs->handler = Napi::Persistent(info[3].As<Napi::Function>());
    cs->open = true;
    cs->sbx->client->stream_opened();
    return Task::start(env, [cs, code, q] {
        q->o.language = cstr(q->language);
        q->o.context_id = cstr(q->context);
        q->o.envs = q->envs.get();
        e2b_code_callbacks cb = E2B_CODE_CALLBACKS_INIT;
        cb.on_stdout = CodeState::on_stdout;
        cb.on_stderr = CodeState::on_stderr;
        cb.on_result = CodeState::on_result;
        cb.on_error = CodeState::on_error;
        cb.on_end = CodeState::on_end;
        cb.payload = cs.get();
        e2b_code_exec* h = nullptr;
        int rc = L.e2b_code_start(&h, cs->sbx->h, code.c_str(), &q->o, &cb);
        cs->h = h;
        return rc;
    }, [cs](Napi::Env env, int) {
        Napi::Object o = g_code_ctor->New({});
        CodeRun::Unwrap(o)->st_ = cs;
        cs->sbx->adopt(cs);
        return o;
    });
}

Napi::Object context_to_js(Napi::Env env, const e2b_code_context* c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", c->id);
    o.Set("language", c->language);
    o.Set("cwd", c->cwd);
    return o;
}

// codeContextCreate(sandbox, language|undefined, cwd|undefined) -> {id, language, cwd}
Napi::Value ContextCreate(const Napi::CallbackInfo& info) {
    auto sb = sandbox_of(info[0]);
    std::optional<std::string> lang, cwd;
    if (info[1].IsString()) lang = info[1].As<Napi::String>().Utf8Value();
    if (info[2].IsString()) cwd = info[2].As<Napi::String>().Utf8Value();
    struct Q {
        e2b_code_context* c = nullptr;
        ~Q() { L.e2b_code_context_free(c); }
    };
    auto q = std::make_shared<Q>();
    return Task::start(info.Env(), [sb, lang, cwd, q] {
        return L.e2b_code_context_create(&q->c, sb->h, cstr(lang), cstr(cwd));
    }, [q](Napi::Env env, int) { return context_to_js(env, q->c); });
}

Napi::Value ContextList(const Napi::CallbackInfo& info) {
    auto sb = sandbox_of(info[0]);
    struct Q {
        e2b_code_context_list* l = nullptr;
        ~Q() { L.e2b_code_context_list_free(l); }
    };
    auto q = std::make_shared<Q>();
    return Task::start(info.Env(), [sb, q] { return L.e2b_code_list_contexts(&q->l, sb->h); },
                       [q](Napi::Env env, int) {
                           size_t n = L.e2b_code_context_list_count(q->l);
                           Napi::Array a = Napi::Array::New(env, n);
                           for (size_t i = 0; i < n; ++i) a.Set(uint32_t(i), context_to_js(env, L.e2b_code_context_list_at(q->l, i)));
                           return a;
                       });
}

// codeContextOp(sandbox, "restart"|"remove", id)
Napi::Value ContextOp(const Napi::CallbackInfo& info) {
    auto sb = sandbox_of(info[0]);
    bool restart = info[1].ToString().Utf8Value() == "restart";
    std::string id = info[2].ToString().Utf8Value();
    return Task::start(info.Env(), [sb, restart, id] {
        return restart ? L.e2b_code_context_restart(sb->h, id.c_str()) : L.e2b_code_context_remove(sb->h, id.c_str());
    }, nullptr);
}

}  // namespace

void init_code(Napi::Env env, Napi::Object exports) {
    g_code_ctor = new Napi::FunctionReference(Napi::Persistent(CodeRun::Init(env)));
    env.AddCleanupHook([] {
        delete g_code_ctor;
        g_code_ctor = nullptr;
    });
    exports.Set("codeStart", Napi::Function::New(env, CodeStart));
    exports.Set("codeContextCreate", Napi::Function::New(env, ContextCreate));
    exports.Set("codeContextList", Napi::Function::New(env, ContextList));
    exports.Set("codeContextOp", Napi::Function::New(env, ContextOp));
}

}  // namespace e2bnode
