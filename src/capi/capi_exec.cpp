// C ABI of commands, PTY and callback delivery (e2b.h "Commands and PTY").
#include <cstring>
#include <vector>

#include "capi/capi_internal.hpp"
#include "core/commands.hpp"

using namespace e2b::capi;
using e2b::core::Exec;

namespace {

struct ProcInfoHolder : e2b_process_info {
    std::string cmd_s;
    std::optional<std::string> tag_s;
    std::vector<std::string> args_s;
    std::vector<const char*> argp;
};

const size_t kExecOptsSize[] = {0, sizeof(e2b_exec_opts)};
const size_t kExecCallbacksSize[] = {0, sizeof(e2b_exec_callbacks)};

e2b::core::ExecOptions exec_options(const e2b_exec_opts* opts) {
    e2b_exec_opts o = opts_copy(opts, kExecOptsSize, "e2b_exec_opts");
    e2b::core::ExecOptions eo;
    if (o.cwd) eo.cwd = std::string(o.cwd);
    if (o.user) {
        if (!*o.user) invalid("user must not be empty");
        eo.user = std::string(o.user);
    }
    if (o.tag) eo.tag = std::string(o.tag);
    for (size_t i = 0; o.envs && o.envs[i]; ++i) {
        const char* eq = std::strchr(o.envs[i], '=');
        if (!eq || eq == o.envs[i])
            invalid(std::string("envs entry \"") + o.envs[i] + "\" is not \"KEY=VALUE\"");
        eo.envs[std::string(o.envs[i], eq)] = eq + 1;
    }
    eo.timeout_ms = o.timeout_ms == 0 ? 60000 : o.timeout_ms < 0 ? 0 : o.timeout_ms;
    eo.stdin_open = (o.flags & E2B_EXEC_F_STDIN) != 0;
    return eo;
}

// Wraps the C callbacks; the e2b_error handed to on_exit lives for the call only.
e2b::core::ExecHandlers handlers(const e2b_exec_callbacks* cbs) {
    e2b::core::ExecHandlers h;
    if (!cbs) return h;
    e2b_exec_callbacks c = opts_copy(cbs, kExecCallbacksSize, "e2b_exec_callbacks");
    void* p = c.payload;
    if (c.on_stdout)
        h.on_stdout = [f = c.on_stdout, p](const char* d, size_t n) { return f(d, n, p) == 0; };
    if (c.on_stderr)
        h.on_stderr = [f = c.on_stderr, p](const char* d, size_t n) { return f(d, n, p) == 0; };
    if (c.on_exit)
        h.on_exit = [f = c.on_exit, p](int32_t code, const e2b::core::Error* err) {
            if (!err) return f(code, nullptr, p);
            e2b_error e{err->code, err->http_status, err->what()};
            f(code, &e, p);
        };
    return h;
}

e2b_exec* wrap(std::shared_ptr<Exec> e) {
    auto h = std::make_unique<e2b_exec>();
    h->e = std::move(e);
    return h.release();
}

int wait_result(Exec& e, int32_t* exit_code) {
    int32_t code = e.wait();
    if (exit_code) *exit_code = code;
    if (code != 0) {
        std::string msg = "Command exited with code " + std::to_string(code);
        std::string why = e.end_error();
        if (!why.empty()) msg += ": " + why;
        throw e2b::core::Error(E2B_ECOMMAND_EXIT, msg);
    }
    return E2B_OK;
}

const std::vector<std::string> kShellArgs = {"-l", "-c"};

}  // namespace

struct e2b_process_list {
    std::vector<std::unique_ptr<ProcInfoHolder>> items;
};

extern "C" {

int e2b_client_dispatch(e2b_client* client, int max_events) {
    return guard([&] {
        need(client, "client");
        auto& t = client->c->transport();
        if (t.blocking_forbidden()) throw e2b::core::Error(E2B_EMISUSE, "dispatch from inside a callback");
        if (t.wake_fd() < 0) return 0;
        return t.dispatch(max_events);
    });
}

int e2b_client_wake_fd(const e2b_client* client) {
    if (!client) return -1;
    return const_cast<e2b_client*>(client)->c->transport().wake_fd();
}

int e2b_exec_opts_init(e2b_exec_opts* opts, uint32_t version) {
    return opts_init(opts, version, kExecOptsSize, "e2b_exec_opts");
}

int e2b_exec_start(e2b_exec** out, e2b_sandbox* sandbox, const char* cmd, const e2b_exec_opts* opts,
                   const e2b_exec_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need(cmd, "cmd");
        auto eo = exec_options(opts);
        std::vector<std::string> args = kShellArgs;
        args.push_back(cmd);
        *out = wrap(Exec::start(*sandbox->s, "/bin/bash", args, eo, handlers(callbacks)));
        return E2B_OK;
    });
}

int e2b_exec_connect(e2b_exec** out, e2b_sandbox* sandbox, uint32_t pid,
                     const e2b_exec_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        *out = wrap(Exec::connect(*sandbox->s, pid, handlers(callbacks)));
        return E2B_OK;
    });
}

uint32_t e2b_exec_pid(const e2b_exec* exec) { return exec ? exec->e->pid() : 0; }

int e2b_exec_wait(e2b_exec* exec, int32_t* exit_code) {
    return guard([&] {
        need(exec, "exec");
        return wait_result(*exec->e, exit_code);
    });
}

int e2b_exec_end_status(e2b_buf* out, const e2b_exec* exec) {
    return guard([&] {
        need(out, "out");
        need(exec, "exec");
        std::string st = exec->e->end_error();
        fill_buf(out, st.data(), st.size());
        return E2B_OK;
    });
}

int e2b_exec_kill(e2b_exec* exec) {
    return guard([&] {
        need(exec, "exec");
        if (!exec->e->kill()) throw e2b::core::Error(E2B_ENOTFOUND, "process not found");
        return E2B_OK;
    });
}

int e2b_exec_send_stdin(e2b_exec* exec, const void* data, size_t len) {
    return guard([&] {
        need(exec, "exec");
        if (len) need(data, "data");
        exec->e->send_input(std::string(static_cast<const char*>(data), len), false);
        return E2B_OK;
    });
}

int e2b_exec_close_stdin(e2b_exec* exec) {
    return guard([&] {
        need(exec, "exec");
        exec->e->close_stdin();
        return E2B_OK;
    });
}

int e2b_exec_disconnect(e2b_exec* exec) {
    return guard([&] {
        need(exec, "exec");
        exec->e->disconnect();
        return E2B_OK;
    });
}

void e2b_exec_free(e2b_exec* exec) {
    guard([&] {
        if (!exec) return E2B_OK;
        exec->e->release();
        delete exec;
        return E2B_OK;
    });
}

int e2b_exec_run(e2b_exec_output* out, e2b_sandbox* sandbox, const char* cmd,
                 const e2b_exec_opts* opts) {
    if (out) std::memset(out, 0, sizeof *out);
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        need(cmd, "cmd");
        auto eo = exec_options(opts);
        // Buffers shared with the handlers, which run on the service thread until on_done.
        auto bufs = std::make_shared<std::pair<std::string, std::string>>();
        e2b::core::ExecHandlers h;
        h.direct = true;
        h.on_stdout = [bufs](const char* d, size_t n) { bufs->first.append(d, n); return true; };
        h.on_stderr = [bufs](const char* d, size_t n) { bufs->second.append(d, n); return true; };
        std::vector<std::string> args = kShellArgs;
        args.push_back(cmd);
        auto e = Exec::start(*sandbox->s, "/bin/bash", args, eo, std::move(h));
        int32_t code = e->wait();  // throws stream errors: output left empty
        fill_buf(&out->out, bufs->first.data(), bufs->first.size());
        fill_buf(&out->err, bufs->second.data(), bufs->second.size());
        std::string why = e->end_error();
        fill_buf(&out->error, why.data(), why.size());
        out->exit_code = code;
        return wait_result(*e, nullptr);
    });
}

void e2b_exec_output_dispose(e2b_exec_output* out) {
    if (!out) return;
    e2b_buf_dispose(&out->out);
    e2b_buf_dispose(&out->err);
    e2b_buf_dispose(&out->error);
    out->exit_code = 0;
}

int e2b_exec_list(e2b_process_list** out, e2b_sandbox* sandbox) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        auto procs = e2b::core::list_processes(*sandbox->s);
        auto l = std::make_unique<e2b_process_list>();
        for (auto& p : procs) {
            auto h = std::make_unique<ProcInfoHolder>();
            e2b_process_info& v = *h;
            std::memset(&v, 0, sizeof v);
            h->cmd_s = p.config.cmd;
            h->args_s = p.config.args;
            h->tag_s = p.tag;
            for (auto& a : h->args_s) h->argp.push_back(a.c_str());
            v.version = 1;
            v.pid = p.pid;
            v.cmd = h->cmd_s.c_str();
            v.arg_count = h->argp.size();
            v.args = h->argp.data();
            v.tag = h->tag_s ? h->tag_s->c_str() : nullptr;
            l->items.push_back(std::move(h));
        }
        *out = l.release();
        return E2B_OK;
    });
}

size_t e2b_process_list_count(const e2b_process_list* list) { return list_count(list); }

const e2b_process_info* e2b_process_list_at(const e2b_process_list* list, size_t i) {
    return list_at(list, i);
}

void e2b_process_list_free(e2b_process_list* list) { delete list; }

int e2b_pty_create(e2b_exec** out, e2b_sandbox* sandbox, uint16_t cols, uint16_t rows,
                   const e2b_exec_opts* opts, const e2b_exec_callbacks* callbacks) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        if (!cols || !rows) invalid("cols and rows must be positive");
        auto eo = exec_options(opts);
        if (eo.stdin_open) invalid("E2B_EXEC_F_STDIN does not apply to a PTY");
        // The SDK's defaults, unless the caller set them.
        eo.envs.emplace("TERM", "xterm-256color");
        eo.envs.emplace("LANG", "C.UTF-8");
        eo.envs.emplace("LC_ALL", "C.UTF-8");
        eo.pty = e2b::proto::PtySize{cols, rows};
        *out = wrap(Exec::start(*sandbox->s, "/bin/bash", {"-i", "-l"}, eo, handlers(callbacks)));
        return E2B_OK;
    });
}

int e2b_pty_send_input(e2b_exec* pty, const void* data, size_t len) {
    return guard([&] {
        need(pty, "pty");
        if (len) need(data, "data");
        pty->e->send_input(std::string(static_cast<const char*>(data), len), true);
        return E2B_OK;
    });
}

int e2b_pty_resize(e2b_exec* pty, uint16_t cols, uint16_t rows) {
    return guard([&] {
        need(pty, "pty");
        if (!cols || !rows) invalid("cols and rows must be positive");
        pty->e->resize(cols, rows);
        return E2B_OK;
    });
}

int e2b_process_kill(e2b_sandbox* sandbox, uint32_t pid) {
    return guard([&] {
        need(sandbox, "sandbox");
        if (!e2b::core::process_kill(*sandbox->s, pid))
            throw e2b::core::Error(E2B_ENOTFOUND, "process " + std::to_string(pid) + " not found");
        return E2B_OK;
    });
}

int e2b_process_send_stdin(e2b_sandbox* sandbox, uint32_t pid, const void* data, size_t len) {
    return guard([&] {
        need(sandbox, "sandbox");
        if (len) need(data, "data");
        e2b::core::process_send_input(*sandbox->s, pid, std::string(static_cast<const char*>(data), len), false);
        return E2B_OK;
    });
}

int e2b_process_close_stdin(e2b_sandbox* sandbox, uint32_t pid) {
    return guard([&] {
        need(sandbox, "sandbox");
        e2b::core::process_close_stdin(*sandbox->s, pid);
        return E2B_OK;
    });
}

int e2b_process_send_pty_input(e2b_sandbox* sandbox, uint32_t pid, const void* data, size_t len) {
    return guard([&] {
        need(sandbox, "sandbox");
        if (len) need(data, "data");
        e2b::core::process_send_input(*sandbox->s, pid, std::string(static_cast<const char*>(data), len), true);
        return E2B_OK;
    });
}

int e2b_process_resize_pty(e2b_sandbox* sandbox, uint32_t pid, uint16_t cols, uint16_t rows) {
    return guard([&] {
        need(sandbox, "sandbox");
        if (!cols || !rows) invalid("cols and rows must be positive");
        e2b::core::process_resize(*sandbox->s, pid, cols, rows);
        return E2B_OK;
    });
}

}  // extern "C"
