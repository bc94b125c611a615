// C ABI of the code interpreter (e2b.h "Code interpreter"): runs, executions, contexts.
#include <cstring>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/interp.hpp"
#include "util/json.hpp"

using namespace e2b::capi;
using e2b::core::CodeRun;
using e2b::core::Execution;

namespace {

const size_t kCodeOptsSize[] = {0, sizeof(e2b_code_opts)};
const size_t kCodeCallbacksSize[] = {0, sizeof(e2b_code_callbacks)};

const char* cstr(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// The public view of one result; points into the ExecResult it was made from, which must outlive
// it. Held by unique_ptr: `formats` points into this object's own strings.
struct ResultView : e2b_code_result {
    std::vector<std::string> extra_keys;
    std::vector<const char*> fmt;

    explicit ResultView(const e2b::proto::ExecResult& r) {
        e2b_code_result& v = *this;
        std::memset(&v, 0, sizeof v);
        version = 1;
        is_main_result = r.is_main_result ? 1 : 0;
        text = cstr(r.text);
        html = cstr(r.html);
        markdown = cstr(r.markdown);
        svg = cstr(r.svg);
        png = cstr(r.png);
        jpeg = cstr(r.jpeg);
        pdf = cstr(r.pdf);
        latex = cstr(r.latex);
        json = cstr(r.json);
        javascript = cstr(r.javascript);
        data = cstr(r.data);
        chart = cstr(r.chart);
        extra = cstr(r.extra);
        // The SDK's Result.formats() order; empty strings count as absent there too.
        const std::pair<const char*, const char*> known[] = {
            {"html", html}, {"markdown", markdown}, {"svg", svg},   {"png", png},
            {"jpeg", jpeg}, {"pdf", pdf},           {"latex", latex}, {"json", json},
            {"javascript", javascript},             {"data", data}};
        for (auto& [name, val] : known)
            if (val && *val) fmt.push_back(name);
        if (r.extra) {
            e2b::Json j = e2b::json_parse(*r.extra);
            for (const cJSON* it = j ? j->child : nullptr; it; it = it->next)
                if (it->string) extra_keys.emplace_back(it->string);
        }
        for (auto& k : extra_keys) fmt.push_back(k.c_str());
        format_count = fmt.size();
        formats = fmt.data();
    }
};

e2b_code_error error_view(const e2b::proto::ExecError& e) {
    return e2b_code_error{1, e.name.c_str(), e.value.c_str(), e.traceback.c_str()};
}

e2b::core::CodeOptions code_options(const e2b_code_opts* opts) {
    e2b_code_opts o = opts_copy(opts, kCodeOptsSize, "e2b_code_opts");
    e2b::core::CodeOptions co;
    if (o.language) {
        if (!*o.language) invalid("language must not be empty");
        co.language = std::string(o.language);
    }
    if (o.context_id) {
        if (!*o.context_id) invalid("context_id must not be empty");
        co.context_id = std::string(o.context_id);
    }
    co.envs = parse_pairs(o.envs, "envs");
    co.timeout_ms = o.timeout_ms == 0 ? 60000 : o.timeout_ms < 0 ? 0 : o.timeout_ms;
    co.request_timeout_ms = o.request_timeout_ms == 0 ? -1 : o.request_timeout_ms < 0 ? 0
                                                                                      : o.request_timeout_ms;
    return co;
}

}  // namespace

struct e2b_execution {
    std::shared_ptr<const Execution> x;
    std::vector<std::unique_ptr<ResultView>> results;
    std::optional<e2b_code_error> err;

    explicit e2b_execution(std::shared_ptr<const Execution> e) : x(std::move(e)) {
        for (const auto& r : x->results) results.push_back(std::make_unique<ResultView>(r));
        if (x->error) err = error_view(*x->error);
    }
};

struct e2b_code_exec {
    std::shared_ptr<CodeRun> run;
};

struct e2b_code_context_list {
    std::vector<std::unique_ptr<e2b_code_context>> items;
    std::vector<e2b::proto::CodeContext> data;  // what the views point into
};

namespace {

// Wraps the C callbacks; everything handed to them lives for the call only.
e2b::core::CodeHandlers handlers(const e2b_code_callbacks* cbs) {
    e2b::core::CodeHandlers h;
    if (!cbs) return h;
    e2b_code_callbacks c = opts_copy(cbs, kCodeCallbacksSize, "e2b_code_callbacks");
    void* p = c.payload;
    if (c.on_stdout)
        h.on_stdout = [f = c.on_stdout, p](const std::string& t, int64_t ts) {
            return f(t.data(), t.size(), ts, p) == 0;
        };
    if (c.on_stderr)
        h.on_stderr = [f = c.on_stderr, p](const std::string& t, int64_t ts) {
            return f(t.data(), t.size(), ts, p) == 0;
        };
    if (c.on_result)
        h.on_result = [f = c.on_result, p](const e2b::proto::ExecResult& r) {
            ResultView v(r);
            return f(&v, p) == 0;
        };
    if (c.on_error)
        h.on_error = [f = c.on_error, p](const e2b::proto::ExecError& e) {
            e2b_code_error v = error_view(e);
            return f(&v, p) == 0;
        };
    if (c.on_end)
        h.on_end = [f = c.on_end, p](const std::shared_ptr<const Execution>& x,
                                     const e2b::core::Error* err) {
            e2b_execution view(x);
            if (!err) return f(&view, nullptr, p);
            e2b_error e{err->code, err->http_status, err->what()};
            f(&view, &e, p);
        };
    return h;
}

// Hands out the execution (when the request reached the server) and returns the run's status.
int finish(e2b_execution** out, CodeRun& run) {
    std::optional<e2b::core::Error> err;
    auto x = run.wait(&err);
    *out = new e2b_execution(std::move(x));
    if (err) throw *err;
    return E2B_OK;
}

void set_null_error(const char* what) { set_error(E2B_EINVAL, (std::string(what) + " must not be NULL").c_str()); }

const std::vector<std::string>* log_lines(const e2b_execution* x, uint32_t stream) {
    if (!x) {
        set_null_error("execution");
        return nullptr;
    }
    if (stream != E2B_CODE_STDOUT && stream != E2B_CODE_STDERR) {
        set_error(E2B_EINVAL, "stream must be E2B_CODE_STDOUT or E2B_CODE_STDERR");
        return nullptr;
    }
    set_ok();
    return stream == E2B_CODE_STDOUT ? &x->x->stdout_lines : &x->x->stderr_lines;
}

e2b_code_context* context_view(const e2b::proto::CodeContext& c) {
    auto v = std::make_unique<e2b_code_context>();
    v->version = 1;
    v->id = c.id.c_str();
    v->language = c.language.c_str();
    v->cwd = c.cwd.c_str();
    return v.release();
}

// A single context owning its strings; the view is the base, so the pointer handed out converts
// back with a static_cast.
struct ContextHolder : e2b_code_context {
    e2b::proto::CodeContext data;
};

}  // namespace

extern "C" {

int e2b_code_opts_init(e2b_code_opts* opts, uint32_t version) {
    return opts_init(opts, version, kCodeOptsSize, "e2b_code_opts");
}

int e2b_code_start(e2b_code_exec** out, e2b_sandbox* sandbox, const char* code,
                   const e2b_code_opts* opts, const e2b_code_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need(code, "code");
        auto co = code_options(opts);
        auto h = std::make_unique<e2b_code_exec>();
        h->run = CodeRun::start(*sandbox->s, code, co, handlers(callbacks));
        *out = h.release();
        return E2B_OK;
    });
}

int e2b_code_wait(e2b_execution** out, e2b_code_exec* run) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(run, "run");
        return finish(out, *run->run);
    });
}

int e2b_code_run(e2b_execution** out, e2b_sandbox* sandbox, const char* code,
                 const e2b_code_opts* opts, const e2b_code_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need(code, "code");
        auto co = code_options(opts);
        auto run = CodeRun::start(*sandbox->s, code, co, handlers(callbacks));
        return finish(out, *run);
    });
}

int e2b_code_cancel(e2b_code_exec* run) {
    return guard([&] {
        need(run, "run");
        run->run->cancel();
        return E2B_OK;
    });
}

void e2b_code_free(e2b_code_exec* run) {
    guard([&] {
        if (!run) return E2B_OK;
        run->run->release();
        delete run;
        return E2B_OK;
    });
}

size_t e2b_execution_result_count(const e2b_execution* execution) {
    return list_count(execution, &e2b_execution::results, "execution");
}

const e2b_code_result* e2b_execution_result_at(const e2b_execution* execution, size_t i) {
    return list_at(execution, &e2b_execution::results, i, "execution");
}

const char* e2b_execution_text(const e2b_execution* execution) {
    if (!execution) {
        set_null_error("execution");
        return nullptr;
    }
    set_ok();
    const std::string* t = execution->x->text();
    return t ? t->c_str() : nullptr;
}

size_t e2b_execution_log_count(const e2b_execution* execution, uint32_t stream) {
    auto* l = log_lines(execution, stream);
    return l ? l->size() : 0;
}

const char* e2b_execution_log_at(const e2b_execution* execution, uint32_t stream, size_t i) {
    auto* l = log_lines(execution, stream);
    if (!l) return nullptr;
    if (i >= l->size()) {
        set_error(E2B_EINVAL, "index out of range");
        return nullptr;
    }
    return (*l)[i].c_str();
}

const e2b_code_error* e2b_execution_error(const e2b_execution* execution) {
    if (!execution) {
        set_null_error("execution");
        return nullptr;
    }
    set_ok();
    return execution->err ? &*execution->err : nullptr;
}

int64_t e2b_execution_execution_count(const e2b_execution* execution) {
    if (!execution) {
        set_null_error("execution");
        return 0;
    }
    set_ok();
    return execution->x->execution_count;
}

void e2b_execution_free(e2b_execution* execution) {
    guard([&] {
        delete execution;
        return E2B_OK;
    });
}

int e2b_code_context_create(e2b_code_context** out, e2b_sandbox* sandbox, const char* language,
                            const char* cwd) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        if (language && !*language) invalid("language must not be empty");
        if (cwd && !*cwd) invalid("cwd must not be empty");
        auto h = std::make_unique<ContextHolder>();
        h->data = e2b::core::create_code_context(
            *sandbox->s, language ? std::optional<std::string>(language) : std::nullopt,
            cwd ? std::optional<std::string>(cwd) : std::nullopt);
        e2b_code_context& v = *h;
        v = {1, h->data.id.c_str(), h->data.language.c_str(), h->data.cwd.c_str()};
        *out = h.release();
        return E2B_OK;
    });
}

void e2b_code_context_free(e2b_code_context* context) { delete static_cast<ContextHolder*>(context); }

int e2b_code_list_contexts(e2b_code_context_list** out, e2b_sandbox* sandbox) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        auto l = std::make_unique<e2b_code_context_list>();
        l->data = e2b::core::list_code_contexts(*sandbox->s);
        for (const auto& c : l->data) l->items.emplace_back(context_view(c));
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_code_context_list_count(const e2b_code_context_list* list) { return list_count(list); }

const e2b_code_context* e2b_code_context_list_at(const e2b_code_context_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_code_context_list_free(e2b_code_context_list* list) { delete list; }

int e2b_code_context_restart(e2b_sandbox* sandbox, const char* context_id) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(context_id, "context_id");
        e2b::core::restart_code_context(*sandbox->s, context_id);
        return E2B_OK;
    });
}

int e2b_code_context_remove(e2b_sandbox* sandbox, const char* context_id) {
    return guard([&] {
        need(sandbox, "sandbox");
        need_str(context_id, "context_id");
        e2b::core::remove_code_context(*sandbox->s, context_id);
        return E2B_OK;
    });
}

}  // extern "C"
