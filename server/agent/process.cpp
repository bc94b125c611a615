// process.Process service: Start/Connect streams, List, SendInput, CloseStdin, SendSignal, Update.
// All state lives on the agent's single io thread; output pipes are read with asio descriptors and
// fanned out to every subscribed stream. Exit statuses come from the agent's SIGCHLD reaper.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <deque>

#include "agent/agent.hpp"
#include "agent/process_spawn.hpp"
#include "util/encoding.hpp"

namespace agent {

namespace {

using Descriptor = net::posix::stream_descriptor;

// Output is read into one buffer shared by all processes (reads run on the io thread, one at a
// time), so an idle process holds no read buffer. One read is one `data` event: 64 KiB keeps
// an event (~87 KiB of JSON) below glibc's mmap threshold in clients, where bigger events cost
// them page faults per message; the agent's own cost per byte barely changes above it.
constexpr size_t kReadMax = 64 * 1024;
// A pipe that fills a whole read gets this capacity (from the default 64 KiB): a fast producer
// then runs ahead while the agent encodes instead of blocking at every 64 KiB. Pipes of quiet
// processes keep the default, so the per-user pipe-size quota is spent only on busy outputs.
constexpr int kBusyPipeSize = 1 << 20;
constexpr auto kRetention = std::chrono::seconds(30);
// Output backpressure: stop reading a pipe while a subscriber has this much unsent, so a fast
// producer cannot grow the agent's memory without bound (the child then blocks on its pipe).
// Reading resumes when the subscriber is down to kLowWater (notify_below), or at the latest
// after kThrottlePoll (a subscriber that went away meanwhile).
constexpr size_t kHighWater = 4u << 20;
constexpr size_t kLowWater = 1u << 20;
constexpr auto kThrottlePoll = std::chrono::milliseconds(50);

// Go's signal descriptions (syscall.Signal.String on linux), which envd reports in `status`.
std::string go_signal_name(int sig) {
    static const char* const names[] = {
        nullptr, "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap", "aborted",
        "bus error", "floating point exception", "killed", "user defined signal 1", "segmentation fault",
        "user defined signal 2", "broken pipe", "alarm clock", "terminated", "stack fault", "child exited",
        "continued", "stopped (signal)", "stopped", "stopped (tty input)", "stopped (tty output)",
        "urgent I/O condition", "CPU time limit exceeded", "file size limit exceeded",
        "virtual timer expired", "profiling timer expired", "window changed", "I/O possible",
        "power failure", "bad system call"};
    if (sig > 0 && sig < static_cast<int>(sizeof names / sizeof names[0])) return names[sig];
    return "signal " + std::to_string(sig);
}

Json event_msg(const char* kind, Json body) {
    Json msg = e2b::json_object();
    cJSON* ev = e2b::json_set_obj(msg.get(), "event");
    e2b::json_set(ev, kind, std::move(body));
    return msg;
}

// The `end` event mirroring Go's os.ProcessState (proto3: zero exitCode and false exited omitted).
Json end_event(int ws) {
    Json end = e2b::json_object();
    std::string status;
    int code;
    bool exited = false;
    if (WIFEXITED(ws)) {
        code = WEXITSTATUS(ws);
        exited = true;
        status = "exit status " + std::to_string(code);
    } else if (WIFSIGNALED(ws)) {
        code = -1;
        status = "signal: " + go_signal_name(WTERMSIG(ws));
        if (WCOREDUMP(ws)) status += " (core dumped)";
    } else {
        code = -1;
        status = "exit status unknown";
    }
    if (code != 0) e2b::json_set_int(end.get(), "exitCode", code);
    if (exited) e2b::json_set_bool(end.get(), "exited", true);
    e2b::json_set_str(end.get(), "status", status);
    if (!(exited && code == 0)) e2b::json_set_str(end.get(), "error", status);
    return event_msg("end", std::move(end));
}

Json start_event(pid_t pid) {
    Json s = e2b::json_object();
    e2b::json_set_int(s.get(), "pid", pid);
    return event_msg("start", std::move(s));
}

Json keepalive_event() { return event_msg("keepalive", e2b::json_object()); }

struct Proc : std::enable_shared_from_this<Proc> {
    Proc(net::io_context& io) : deadline(io), retention(io) {}

    pid_t pid = -1;
    Json config;  // ProcessConfig as requested, for List
    std::optional<std::string> tag;
    bool is_pty = false;

    std::optional<Descriptor> out, err, master, in;
    int open_outputs = 0;
    int widened = 0;  // bit 1: stdout pipe enlarged, bit 2: stderr
    int paused = 0;   // bit 1: stdout reading paused by backpressure, bit 2: stderr (pty: bit 1)
    int polling = 0;  // same bits: a fallback timer is pending

    // stdin (or PTY master) writes: kept in call order across SendInput calls.
    std::deque<std::string> in_q;
    size_t in_off = 0;
    bool in_waiting = false;
    bool close_in_after_flush = false;

    bool exited = false;
    int wait_status = 0;
    bool dont_wait_for_pipes = false;  // after a kill: grandchildren may hold the pipes forever
    bool ended = false;
    Json end_msg;

    uint64_t next_sub = 1;
    std::map<uint64_t, std::shared_ptr<ServerStream>> subs;
    net::steady_timer deadline, retention;

    bool live() const { return !ended; }
    bool stdin_open() const { return in.has_value() && !close_in_after_flush; }
};

class ProcessService {
public:
    explicit ProcessService(Agent& a) : agent_(a) {}

    void start(RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> stream);
    void connect(RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> stream);
    Json list();
    Json send_input(const cJSON* req);
    Json close_stdin(const cJSON* req);
    Json send_signal(const cJSON* req);
    Json update(const cJSON* req);

private:
    std::shared_ptr<Proc> find(const cJSON* req, bool include_ended);
    std::shared_ptr<Proc> find_live(const cJSON* req) {
        auto p = find(req, false);
        return p;
    }
    void subscribe(const std::shared_ptr<Proc>& p, const std::shared_ptr<ServerStream>& s);
    void broadcast_output(Proc& p, const char* kind, const char* data, size_t n);
    void read_output(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind);
    void on_readable(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind);
    void output_closed(const std::shared_ptr<Proc>& p);
    bool backlogged(const Proc& p) const;
    void throttle(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind);
    void drain_now(Proc& p, Descriptor* d, const char* kind);
    void on_exit(const std::shared_ptr<Proc>& p, int ws);
    void maybe_end(const std::shared_ptr<Proc>& p);
    void kill_group(const std::shared_ptr<Proc>& p, int sig);
    void flush_input(const std::shared_ptr<Proc>& p);
    void close_input(Proc& p);
    Descriptor* input_fd(Proc& p) { return p.is_pty ? (p.master ? &*p.master : nullptr) : (p.in ? &*p.in : nullptr); }

    Agent& agent_;
    std::map<pid_t, std::shared_ptr<Proc>> procs_;  // live ones plus ended ones kept for replay
    std::unique_ptr<char[]> read_buf_{new char[kReadMax]};
};

// ---- lookup ----

std::shared_ptr<Proc> ProcessService::find(const cJSON* req, bool include_ended) {
    const cJSON* sel = e2b::json_get(req, "process");
    if (auto tag = e2b::json_str(sel, "tag")) {
        std::shared_ptr<Proc> found;
        for (auto& [pid, p] : procs_) {
            if (!p->tag || *p->tag != *tag) continue;
            if (p->live()) return p;
            if (include_ended) found = p;
        }
        if (found) return found;
        throw RpcError{Code::kNotFound, "process with tag " + *tag + " not found"};
    }
    auto pid = e2b::json_int(sel, "pid");
    if (!pid) {
        if (!e2b::json_get(sel, "pid")) throw RpcError{Code::kInvalidArgument, "process selector (pid or tag) is required"};
        throw RpcError{Code::kInvalidArgument, "invalid pid"};
    }
    auto it = procs_.find(static_cast<pid_t>(*pid));
    if (it == procs_.end() || (!include_ended && !it->second->live()))
        throw RpcError{Code::kNotFound, "process with pid " + std::to_string(*pid) + " not found"};
    return it->second;
}

// ---- events ----

void ProcessService::subscribe(const std::shared_ptr<Proc>& p, const std::shared_ptr<ServerStream>& s) {
    uint64_t id = p->next_sub++;
    p->subs[id] = s;
    std::weak_ptr<Proc> weak = p;
    // A disconnect or a stream deadline only unsubscribes; the process keeps running.
    s->on_close([weak, id](Code) {
        if (auto p = weak.lock()) p->subs.erase(id);
    });
}

// A `data` event, {"event":{"data":{"<kind>":"<base64>"}}}, written as text directly: building
// and printing a cJSON tree around hundreds of KiB of base64 costs more than the encoding.
void ProcessService::broadcast_output(Proc& p, const char* kind, const char* data, size_t n) {
    if (p.subs.empty()) return;
    static constexpr char kOpen[] = "{\"event\":{\"data\":{\"";
    static constexpr char kClose[] = "\"}}}";
    std::string json;
    json.reserve(sizeof kOpen + strlen(kind) + 3 + (n + 2) / 3 * 4 + sizeof kClose);
    json.append(kOpen).append(kind).append("\":\"");
    e2b::base64_append(json, std::string_view(data, n));
    json.append(kClose);
    size_t left = p.subs.size();
    for (auto& [id, s] : p.subs) s->send_json(--left ? json : std::move(json));
}

// Waits for the descriptor to be readable, then reads it (reactor style: no buffer is held
// while waiting).
void ProcessService::read_output(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind) {
    d->async_wait(Descriptor::wait_read, [this, p, d, kind](beast::error_code ec) {
        if (p->ended || !d->is_open()) return;
        if (ec) {
            beast::error_code ignore;
            d->close(ignore);
            return output_closed(p);
        }
        on_readable(p, d, kind);
    });
}

void ProcessService::on_readable(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind) {
    char* buf = read_buf_.get();
    ssize_t n;
    do n = ::read(d->native_handle(), buf, kReadMax);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return read_output(p, d, kind);
    if (n > 0) {
        if (!p->is_pty && static_cast<size_t>(n) == kReadMax && !(p->widened & (d == (p->out ? &*p->out : nullptr) ? 1 : 2))) {
            p->widened |= d == (p->out ? &*p->out : nullptr) ? 1 : 2;
            ::fcntl(d->native_handle(), F_SETPIPE_SZ, kBusyPipeSize);  // best effort (quota)
        }
        broadcast_output(*p, kind, buf, static_cast<size_t>(n));
        if (p->ended || !d->is_open()) return;
        if (backlogged(*p)) return throttle(p, d, kind);
        return read_output(p, d, kind);
    }
    // EOF, or EIO on a PTY master once every slave fd is closed
    beast::error_code ignore;
    d->close(ignore);
    output_closed(p);
}

bool ProcessService::backlogged(const Proc& p) const {
    for (auto& [id, s] : p.subs)
        if (s->pending_bytes() > kHighWater) return true;
    return false;
}

void ProcessService::throttle(const std::shared_ptr<Proc>& p, Descriptor* d, const char* kind) {
    int bit = d == (p->err ? &*p->err : nullptr) ? 2 : 1;
    p->paused |= bit;
    std::weak_ptr<Proc> weak = p;
    // Either wake-up resumes the read loop once: the flag keeps a second one from starting
    // another loop on the same descriptor.
    auto resume = [this, weak, d, kind, bit] {
        auto p = weak.lock();
        if (!p || !(p->paused & bit)) return;
        if (p->ended || !d->is_open()) return;
        if (backlogged(*p)) return throttle(p, d, kind);
        p->paused &= ~bit;
        read_output(p, d, kind);
    };
    for (auto& [id, s] : p->subs)
        if (s->pending_bytes() > kHighWater) s->notify_below(kLowWater, resume);
    if (p->polling & bit) return;
    p->polling |= bit;
    auto t = std::make_shared<net::steady_timer>(agent_.io(), kThrottlePoll);
    t->async_wait([resume, t, weak, bit](beast::error_code) {
        if (auto p = weak.lock()) p->polling &= ~bit;
        resume();
    });
}

void ProcessService::output_closed(const std::shared_ptr<Proc>& p) {
    --p->open_outputs;
    maybe_end(p);
}

// Reads whatever is already buffered in a pipe without waiting for EOF (used after a kill).
void ProcessService::drain_now(Proc& p, Descriptor* d, const char* kind) {
    if (!d->is_open()) return;
    for (int i = 0; i < 64; ++i) {
        ssize_t n = ::read(d->native_handle(), read_buf_.get(), kReadMax);
        if (n <= 0) break;
        broadcast_output(p, kind, read_buf_.get(), static_cast<size_t>(n));
    }
}

void ProcessService::on_exit(const std::shared_ptr<Proc>& p, int ws) {
    p->exited = true;
    p->wait_status = ws;
    maybe_end(p);
}

void ProcessService::maybe_end(const std::shared_ptr<Proc>& p) {
    if (p->ended || !p->exited) return;
    if (p->open_outputs > 0 && !p->dont_wait_for_pipes) return;
    // Pending async reads may already hold data; flush what the pipes have before `end`.
    if (p->out) drain_now(*p, &*p->out, "stdout");
    if (p->err) drain_now(*p, &*p->err, "stderr");
    if (p->master) drain_now(*p, &*p->master, "pty");
    p->ended = true;
    beast::error_code ignore;
    for (auto* d : {&p->out, &p->err, &p->master, &p->in})
        if (*d) d->reset();  // closes the fd; pending handlers see operation_aborted
    p->in_q.clear();
    p->open_outputs = 0;
    p->deadline.cancel();
    p->end_msg = end_event(p->wait_status);
    auto subs = std::move(p->subs);
    p->subs.clear();
    for (auto& [id, s] : subs) {
        s->send(p->end_msg.get());
        s->finish();
    }
    // Keep the record so that Connect can replay start + end for a while.
    std::weak_ptr<Proc> weak = p;
    p->retention.expires_after(kRetention);
    p->retention.async_wait([this, weak](beast::error_code ec) {
        auto p = weak.lock();
        if (ec || !p) return;
        auto it = procs_.find(p->pid);
        if (it != procs_.end() && it->second == p) procs_.erase(it);
    });
}

void ProcessService::kill_group(const std::shared_ptr<Proc>& p, int sig) {
    // setsid() made the process its group leader; the group also takes its children along.
    if (::kill(-p->pid, sig) != 0 && !p->exited) ::kill(p->pid, sig);
    p->dont_wait_for_pipes = true;
    maybe_end(p);
}

// ---- input ----

void ProcessService::flush_input(const std::shared_ptr<Proc>& p) {
    Descriptor* d = input_fd(*p);
    if (!d || p->in_waiting) return;
    while (!p->in_q.empty()) {
        const std::string& front = p->in_q.front();
        ssize_t n = ::write(d->native_handle(), front.data() + p->in_off, front.size() - p->in_off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            p->in_waiting = true;
            d->async_wait(Descriptor::wait_write, [this, p](beast::error_code ec) {
                p->in_waiting = false;
                if (ec || p->ended) return;
                flush_input(p);
            });
            return;
        }
        if (n < 0) {  // EPIPE: the reader is gone; later input is dropped like envd's failed writes
            p->in_q.clear();
            p->in_off = 0;
            break;
        }
        p->in_off += static_cast<size_t>(n);
        if (p->in_off == front.size()) {
            p->in_q.pop_front();
            p->in_off = 0;
        }
    }
    if (p->in_q.empty() && p->close_in_after_flush && !p->is_pty) close_input(*p);
}

void ProcessService::close_input(Proc& p) {
    if (p.in) p.in.reset();
    p.in_q.clear();
    p.in_off = 0;
    p.close_in_after_flush = false;
}

// ---- RPCs ----

void ProcessService::start(RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> stream) {
    const cJSON* pc = e2b::json_get(req, "process");
    if (!pc || !cJSON_IsObject(pc)) throw RpcError{Code::kInvalidArgument, "process config is required"};
    SpawnOptions o;
    o.cmd = e2b::json_str_or(pc, "cmd");
    if (o.cmd.empty()) throw RpcError{Code::kInvalidArgument, "process cmd is required"};
    if (const cJSON* args = e2b::json_get(pc, "args")) {
        if (!cJSON_IsArray(args)) throw RpcError{Code::kInvalidArgument, "process args must be a list of strings"};
        for (const cJSON* a = args->child; a; a = a->next) {
            if (!cJSON_IsString(a)) throw RpcError{Code::kInvalidArgument, "process args must be a list of strings"};
            o.args.push_back(a->valuestring);
        }
    }
    std::map<std::string, std::string> envs;
    if (!e2b::json_string_map(e2b::json_get(pc, "envs"), &envs))
        throw RpcError{Code::kInvalidArgument, "process envs must map strings to strings"};
    auto req_cwd = e2b::json_str(pc, "cwd");
    std::optional<std::string> tag = e2b::json_str(req, "tag");

    const cJSON* pty = e2b::json_get(req, "pty");
    o.pty = pty && cJSON_IsObject(pty);
    if (o.pty) {
        const cJSON* size = e2b::json_get(pty, "size");
        o.cols = static_cast<unsigned short>(std::clamp<int64_t>(e2b::json_int_or(size, "cols", 80), 1, 65535));
        o.rows = static_cast<unsigned short>(std::clamp<int64_t>(e2b::json_int_or(size, "rows", 24), 1, 65535));
    }
    o.stdin_pipe = e2b::json_bool_or(req, "stdin", true);  // absent = open (legacy default)
    o.user = ctx.user;
    o.env = agent_.process_env(ctx.user, envs);

    auto is_dir = [](const std::string& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    };
    if (req_cwd && !req_cwd->empty()) {
        o.cwd = resolve_path(*req_cwd, ctx.user);
        if (!is_dir(o.cwd)) throw RpcError{Code::kInvalidArgument, "cwd '" + o.cwd + "' does not exist"};
    } else {
        const std::string& wd = agent_.config().default_workdir;
        if (!wd.empty() && is_dir(resolve_path(wd, ctx.user))) o.cwd = resolve_path(wd, ctx.user);
        else if (is_dir(ctx.user.home)) o.cwd = ctx.user.home;
        else o.cwd = "/";
    }

    Spawned sp;
    std::string err;
    if (!spawn_process(o, &sp, &err)) throw RpcError{Code::kInvalidArgument, "error starting process: " + err};

    auto p = std::make_shared<Proc>(agent_.io());
    p->pid = sp.pid;
    p->tag = tag;
    p->is_pty = o.pty;
    // List reports the config as requested (proto3: empty args/envs omitted).
    p->config = e2b::json_object();
    e2b::json_set_str(p->config.get(), "cmd", o.cmd);
    if (!o.args.empty()) {
        Json arr = e2b::json_array();
        for (auto& a : o.args) cJSON_AddItemToArray(arr.get(), cJSON_CreateString(a.c_str()));
        e2b::json_set(p->config.get(), "args", std::move(arr));
    }
    if (!envs.empty()) e2b::json_set(p->config.get(), "envs", e2b::json_from_map(envs));
    if (req_cwd) e2b::json_set_str(p->config.get(), "cwd", *req_cwd);

    auto& io = agent_.io();
    beast::error_code nb;  // reads are raw read(2) calls after a readiness wait: never block
    if (o.pty) {
        p->master.emplace(io, sp.pty_fd);
        p->master->native_non_blocking(true, nb);
        p->open_outputs = 1;
    } else {
        p->out.emplace(io, sp.stdout_fd);
        p->err.emplace(io, sp.stderr_fd);
        p->out->native_non_blocking(true, nb);
        p->err->native_non_blocking(true, nb);
        if (sp.stdin_fd >= 0) p->in.emplace(io, sp.stdin_fd);
        p->open_outputs = 2;
    }
    procs_[p->pid] = p;  // replaces a retained record of a reused pid

    std::weak_ptr<Proc> weak = p;
    agent_.on_child_exit(p->pid, [this, weak](int ws) {
        if (auto p = weak.lock()) on_exit(p, ws);
    });

    // The Start call's deadline is the process lifetime, independent of the stream.
    if (ctx.timeout_ms > 0) {
        p->deadline.expires_after(std::chrono::milliseconds(ctx.timeout_ms));
        p->deadline.async_wait([this, weak](beast::error_code ec) {
            auto p = weak.lock();
            if (ec || !p || p->ended) return;
            kill_group(p, SIGKILL);
        });
    }

    stream->set_keepalive(keepalive_event());
    subscribe(p, stream);
    Json st = start_event(p->pid);
    stream->send(st.get());

    if (o.pty) {
        read_output(p, &*p->master, "pty");
    } else {
        read_output(p, &*p->out, "stdout");
        read_output(p, &*p->err, "stderr");
    }
}

void ProcessService::connect(RpcContext&, const cJSON* req, std::shared_ptr<ServerStream> stream) {
    auto p = find(req, true);
    stream->set_keepalive(keepalive_event());
    Json st = start_event(p->pid);
    if (p->ended) {
        stream->send(st.get());
        stream->send(p->end_msg.get());
        stream->finish();
        return;
    }
    subscribe(p, stream);
    stream->send(st.get());
}

Json ProcessService::list() {
    Json res = e2b::json_object();
    Json arr = e2b::json_array();
    for (auto& [pid, p] : procs_) {
        if (!p->live()) continue;
        Json info = e2b::json_object();
        e2b::json_set(info.get(), "config", Json(cJSON_Duplicate(p->config.get(), true)));
        e2b::json_set_int(info.get(), "pid", pid);
        if (p->tag) e2b::json_set_str(info.get(), "tag", *p->tag);
        cJSON_AddItemToArray(arr.get(), info.release());
    }
    e2b::json_set(res.get(), "processes", std::move(arr));
    return res;
}

Json ProcessService::send_input(const cJSON* req) {
    auto p = find_live(req);
    const cJSON* input = e2b::json_get(req, "input");
    auto stdin_b64 = e2b::json_str(input, "stdin");
    auto pty_b64 = e2b::json_str(input, "pty");
    if (!stdin_b64 && !pty_b64) return e2b::json_object();  // empty oneof: nothing to write
    auto data = e2b::base64_decode(stdin_b64 ? *stdin_b64 : *pty_b64);
    if (!data) throw RpcError{Code::kInvalidArgument, "input is not valid base64"};
    if (stdin_b64) {
        if (p->is_pty) throw RpcError{Code::kInternal, "error writing to stdin: process uses a pty, send pty input instead"};
        if (!p->stdin_open()) throw RpcError{Code::kInternal, "error writing to stdin: stdin is not enabled or was closed"};
    } else {
        if (!p->is_pty) throw RpcError{Code::kInternal, "error writing to pty: tty not assigned to process"};
        if (!p->master) throw RpcError{Code::kInternal, "error writing to pty: pty is closed"};
    }
    if (data->empty()) return e2b::json_object();
    // Fail fast when the reader is already gone (EPIPE) and nothing is queued before us.
    if (p->in_q.empty() && !p->in_waiting) {
        Descriptor* d = input_fd(*p);
        ssize_t n;
        do n = ::write(d->native_handle(), data->data(), data->size());
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN) {
            int e = errno;
            throw RpcError{Code::kInternal, std::string(stdin_b64 ? "error writing to stdin: " : "error writing to pty: ") +
                                                "write: " + strerror(e)};
        }
        if (n == static_cast<ssize_t>(data->size())) return e2b::json_object();
        data->erase(0, n < 0 ? 0 : static_cast<size_t>(n));
    }
    p->in_q.push_back(std::move(*data));
    flush_input(p);
    return e2b::json_object();
}

Json ProcessService::close_stdin(const cJSON* req) {
    auto p = find_live(req);
    if (p->is_pty) throw RpcError{Code::kUnknown, "cannot close stdin for PTY process, send Ctrl+D (0x04) instead"};
    if (!p->in) return e2b::json_object();  // already closed or never opened
    if (p->in_q.empty()) close_input(*p);
    else p->close_in_after_flush = true;  // after the queued input
    return e2b::json_object();
}

Json ProcessService::send_signal(const cJSON* req) {
    auto p = find_live(req);
    const cJSON* s = e2b::json_get(req, "signal");
    int sig = 0;
    if (s && cJSON_IsString(s)) {
        std::string v = s->valuestring;
        if (v == "SIGNAL_SIGKILL" || v == "9") sig = SIGKILL;
        else if (v == "SIGNAL_SIGTERM" || v == "15") sig = SIGTERM;
    } else if (s && cJSON_IsNumber(s)) {
        if (s->valuedouble == 9) sig = SIGKILL;
        else if (s->valuedouble == 15) sig = SIGTERM;
    }
    if (!sig) {
        std::string shown = s ? e2b::json_print(s) : "SIGNAL_UNSPECIFIED";
        throw RpcError{Code::kUnimplemented, "invalid signal: " + shown};
    }
    kill_group(p, sig);
    return e2b::json_object();
}

Json ProcessService::update(const cJSON* req) {
    auto p = find_live(req);
    if (!p->is_pty || !p->master) throw RpcError{Code::kInternal, "tty not assigned to process"};
    const cJSON* pty = e2b::json_get(req, "pty");
    if (!pty) return e2b::json_object();
    const cJSON* size = e2b::json_get(pty, "size");
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(std::clamp<int64_t>(e2b::json_int_or(size, "cols", 0), 0, 65535));
    ws.ws_row = static_cast<unsigned short>(std::clamp<int64_t>(e2b::json_int_or(size, "rows", 0), 0, 65535));
    if (ws.ws_col == 0 || ws.ws_row == 0) throw RpcError{Code::kInvalidArgument, "pty size must be positive"};
    // The kernel sends SIGWINCH to the terminal's foreground process group when the size changes.
    if (ioctl(p->master->native_handle(), TIOCSWINSZ, &ws) != 0) {
        int e = errno;
        throw RpcError{Code::kInternal, std::string("error resizing tty: ") + strerror(e)};
    }
    return e2b::json_object();
}

}  // namespace

void register_process_service(Agent& a) {
    auto svc = std::make_shared<ProcessService>(a);  // lives as long as the handlers (the agent)
    a.stream("/process.Process/Start",
             [svc](RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> s) { svc->start(ctx, req, s); });
    a.stream("/process.Process/Connect",
             [svc](RpcContext& ctx, const cJSON* req, std::shared_ptr<ServerStream> s) { svc->connect(ctx, req, s); });
    a.unary("/process.Process/List", [svc](RpcContext&, const cJSON*) { return svc->list(); });
    a.unary("/process.Process/SendInput", [svc](RpcContext&, const cJSON* req) { return svc->send_input(req); });
    a.unary("/process.Process/CloseStdin", [svc](RpcContext&, const cJSON* req) { return svc->close_stdin(req); });
    a.unary("/process.Process/SendSignal", [svc](RpcContext&, const cJSON* req) { return svc->send_signal(req); });
    a.unary("/process.Process/Update", [svc](RpcContext&, const cJSON* req) { return svc->update(req); });
}

}  // namespace agent
