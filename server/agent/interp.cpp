// The code interpreter (E2B's port-49999 API, what @e2b/code-interpreter calls) served by the
// agent on its own socket: POST /execute (NDJSON stream), /contexts (create, list, delete,
// restart), /health.
//
// Each context is one persistent kernel process (server/agent/kernels/*, embedded at build time)
// started as the sandbox's default user: Python (`python3 -u -c`), JavaScript/TypeScript
// (`node -e`, one vm context) or bash. Requests go to the kernel's stdin, one per line; the kernel
// answers on stdout with control messages "\x1eE2B:<json>\n" (result, error, done) and everything
// else it or its children write to stdout/stderr is the cell's output, streamed as it arrives.
// Executions of one context run one at a time, in order. A client that goes away interrupts its
// execution (SIGINT to the kernel's process group); a kernel that is still busy after a grace
// period is killed and started again (ContextRestarting). Single io thread, no locks.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>

#include "agent/agent.hpp"
#include "agent/kernels.hpp"
#include "agent/process_spawn.hpp"
#include "util/encoding.hpp"
#include "util/time.hpp"

namespace agent {

namespace {

using Descriptor = net::posix::stream_descriptor;

constexpr size_t kMaxBody = 32u << 20;
constexpr auto kKeepalive = std::chrono::seconds(5);
constexpr auto kInterruptGrace = std::chrono::seconds(3);
constexpr auto kPartialLineDelay = std::chrono::milliseconds(30);
constexpr auto kThrottlePoll = std::chrono::milliseconds(5);
constexpr size_t kHighWater = 4u << 20;   // unsent bytes to a client before we stop reading
constexpr size_t kMaxPartial = 16u << 10; // a line longer than this is sent in pieces
const std::string kMark = "\x1e" "E2B:";

enum class Kind { kPython, kJs, kBash };

struct Exec {
    std::shared_ptr<ResponseStream> out;
    std::string code;
    std::map<std::string, std::string> env;
    bool gone = false;  // the client went away
    std::unique_ptr<net::steady_timer> keepalive;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

struct Context {
    explicit Context(net::io_context& io) : grace(io), partial(io), throttle(io) {}
    std::string id, language, cwd;
    Kind kind = Kind::kPython;

    pid_t pid = -1;
    uint64_t gen = 0;  // bumped whenever a kernel is dropped: stale callbacks compare it
    std::optional<Descriptor> in, out, err;
    std::vector<char> out_chunk = std::vector<char>(64 * 1024), err_chunk = std::vector<char>(16 * 1024);
    std::string out_buf, err_buf;  // output not yet sent (partial lines, partial messages)

    int execution_count = 0;
    std::deque<std::shared_ptr<Exec>> queue;
    std::shared_ptr<Exec> cur;
    net::steady_timer grace, partial, throttle;
};
using Ctx = std::shared_ptr<Context>;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return s;
}

// "js" -> javascript etc.; nullopt = unsupported.
std::optional<std::pair<std::string, Kind>> normalize_language(const std::string& raw) {
    std::string l = lower(raw);
    if (l.empty() || l == "python" || l == "python3" || l == "py") return std::make_pair("python", Kind::kPython);
    if (l == "javascript" || l == "js" || l == "node" || l == "nodejs") return std::make_pair("javascript", Kind::kJs);
    if (l == "typescript" || l == "ts") return std::make_pair("typescript", Kind::kJs);
    if (l == "bash" || l == "sh" || l == "shell") return std::make_pair("bash", Kind::kBash);
    return std::nullopt;
}

std::string new_id() {
    std::string h = e2b::random_hex(16);
    h[12] = '4';
    h[16] = "89ab"[h[16] % 4];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

bool valid_env_name(const std::string& k) {
    if (k.empty() || isdigit(static_cast<unsigned char>(k[0]))) return false;
    return std::all_of(k.begin(), k.end(), [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string exe(const char* abs, const char* name) { return access(abs, X_OK) == 0 ? abs : name; }

Json context_json(const Context& c) {
    Json o = e2b::json_object();
    e2b::json_set_str(o.get(), "id", c.id);
    e2b::json_set_str(o.get(), "language", c.language);
    e2b::json_set_str(o.get(), "cwd", c.cwd);
    return o;
}

class Interp : public std::enable_shared_from_this<Interp> {
public:
    explicit Interp(Agent& a) : agent_(a) {
        // The default contexts exist from the start; their kernels start on first use.
        for (const char* l : {"python", "javascript"}) default_context(l);
    }

    void handle(const std::shared_ptr<HttpExchange>& ex);

private:
    Ctx find(const std::string& id) {
        for (auto& c : contexts_)
            if (c->id == id) return c;
        return nullptr;
    }
    Ctx new_context(const std::string& language, Kind kind, std::string cwd);
    Ctx default_context(const std::string& language);
    std::optional<User> kernel_user();
    std::string default_cwd();

    void execute(const std::shared_ptr<HttpExchange>& ex, Json body);
    bool spawn(const Ctx& c, std::string* err);
    void drop_kernel(const Ctx& c);
    void restart(const Ctx& c, const std::string& why);
    void start_next(const Ctx& c);
    std::string request_line(const Context& c, const Exec& e);

    void read_out(const Ctx& c, uint64_t gen);
    void read_err(const Ctx& c, uint64_t gen);
    void drain(const Ctx& c);
    void process_out(const Ctx& c, bool flush);
    void process_err(const Ctx& c, bool flush);
    void arm_partial(const Ctx& c);
    void on_message(const Ctx& c, std::string_view json);
    void on_kernel_exit(const Ctx& c, uint64_t gen, int ws);
    void interrupt(const Ctx& c, const std::shared_ptr<Exec>& e);
    bool backlogged(const Context& c) const {
        return c.cur && !c.cur->gone && c.cur->out->pending_bytes() > kHighWater;
    }

    void emit(Exec& e, const std::string& line);
    void emit_text(Context& c, const char* type, std::string_view text);
    void end_exec(Exec& e, const char* err_name = nullptr, const std::string& err_value = "");
    void arm_keepalive(const std::shared_ptr<Exec>& e);

    Agent& agent_;
    std::vector<Ctx> contexts_;                   // in creation order
    std::map<std::string, std::string> defaults_; // language -> context id
};

std::optional<User> Interp::kernel_user() { return lookup_user(agent_.config().default_user); }

std::string Interp::default_cwd() {
    if (!agent_.config().default_workdir.empty()) return agent_.config().default_workdir;
    auto u = kernel_user();
    return u ? u->home : "/";
}

Ctx Interp::new_context(const std::string& language, Kind kind, std::string cwd) {
    auto c = std::make_shared<Context>(agent_.io());
    c->id = new_id();
    c->language = language;
    c->kind = kind;
    c->cwd = cwd.empty() ? default_cwd() : std::move(cwd);
    contexts_.push_back(c);
    return c;
}

Ctx Interp::default_context(const std::string& language) {
    auto it = defaults_.find(language);
    if (it != defaults_.end())
        if (auto c = find(it->second)) return c;
    auto norm = normalize_language(language);
    auto c = new_context(norm->first, norm->second, "");
    defaults_[language] = c->id;
    return c;
}

// ---- HTTP ----

void Interp::handle(const std::shared_ptr<HttpExchange>& ex) {
    std::string method(ex->headers().method_string());
    const std::string& p = ex->path();
    auto text = [&](http::status st, const std::string& body) { ex->respond(st, "text/plain; charset=utf-8", body); };
    auto with_body = [ex](std::function<void(Json)> then) {
        auto buf = std::make_shared<std::string>();
        ex->read_body(
            [buf](std::string_view piece) {
                if (buf->size() + piece.size() > kMaxBody) return false;
                buf->append(piece);
                return true;
            },
            [buf, ex, then = std::move(then)](beast::error_code ec) {
                if (ec) return;
                if (buf->size() >= kMaxBody) return ex->respond(http::status::payload_too_large, "text/plain", "request body too large");
                Json j = e2b::json_parse(buf->empty() ? std::string_view("{}") : std::string_view(*buf));
                if (!j || !cJSON_IsObject(j.get()))
                    return ex->respond(http::status::bad_request, "text/plain", "request body is not a JSON object");
                then(std::move(j));
            });
    };

    if (p == "/health" && method == "GET") return ex->respond(http::status::ok, "application/json", "\"OK\"");
    if (p == "/execute" && method == "POST") {
        auto self = shared_from_this();
        return with_body([self, ex](Json j) { self->execute(ex, std::move(j)); });
    }
    if (p == "/contexts" && method == "GET") {
        Json arr = e2b::json_array();
        for (auto& c : contexts_) cJSON_AddItemToArray(arr.get(), context_json(*c).release());
        return ex->respond_json(http::status::ok, arr.get());
    }
    if (p == "/contexts" && method == "POST") {
        auto self = shared_from_this();
        return with_body([self, ex](Json j) {
            std::string lang = e2b::json_str_or(j.get(), "language");
            auto norm = normalize_language(lang);
            if (!norm) return ex->respond(http::status::bad_request, "text/plain", "Unsupported language: " + lang);
            auto c = self->new_context(norm->first, norm->second, e2b::json_str_or(j.get(), "cwd"));
            std::string err;
            if (!self->spawn(c, &err)) {
                self->contexts_.erase(std::find(self->contexts_.begin(), self->contexts_.end(), c));
                return ex->respond(http::status::internal_server_error, "text/plain", "Failed to create context: " + err);
            }
            ex->respond_json(http::status::ok, context_json(*c).get());
        });
    }
    if (p.rfind("/contexts/", 0) == 0) {
        std::string rest = p.substr(10);
        bool restart_req = false;
        if (rest.size() > 8 && rest.compare(rest.size() - 8, 8, "/restart") == 0) {
            restart_req = true;
            rest.resize(rest.size() - 8);
        }
        if (!rest.empty() && rest.find('/') == std::string::npos) {
            if ((restart_req && method == "POST") || (!restart_req && method == "DELETE")) {
                auto c = find(rest);
                if (!c) return text(http::status::not_found, "Context " + rest + " not found");
                if (restart_req) {
                    restart(c, "Context was restarted");
                    std::string err;
                    if (!spawn(c, &err)) return text(http::status::internal_server_error, "Failed to restart context: " + err);
                } else {
                    restart(c, "Context was removed");
                    contexts_.erase(std::find(contexts_.begin(), contexts_.end(), c));
                    for (auto it = defaults_.begin(); it != defaults_.end();)
                        it = it->second == c->id ? defaults_.erase(it) : std::next(it);
                }
                return ex->respond(http::status::ok, "application/json", "null");
            }
        }
    }
    text(http::status::not_found, "Not Found");
}

void Interp::execute(const std::shared_ptr<HttpExchange>& ex, Json body) {
    const cJSON* j = body.get();
    auto text = [&](http::status st, const std::string& b) { ex->respond(st, "text/plain; charset=utf-8", b); };
    auto code = e2b::json_str(j, "code");
    if (!code) return text(http::status::unprocessable_entity, "code is required");
    auto ctx_id = e2b::json_str(j, "context_id");
    auto lang = e2b::json_str(j, "language");
    if (ctx_id && lang) return text(http::status::bad_request, "Only one of context_id or language can be provided");
    auto e = std::make_shared<Exec>();
    e->code = std::move(*code);
    const cJSON* envs = e2b::json_get(j, "env_vars");
    if (envs && !cJSON_IsNull(envs) && !e2b::json_string_map(envs, &e->env))
        return text(http::status::unprocessable_entity, "env_vars must map strings to strings");
    Ctx c;
    if (ctx_id) {
        c = find(*ctx_id);
        if (!c) return text(http::status::not_found, "Context " + *ctx_id + " not found");
    } else {
        auto norm = normalize_language(lang.value_or(""));
        if (!norm) return text(http::status::bad_request, "Unsupported language: " + *lang);
        c = default_context(norm->first);
    }

    e->out = ex->start_stream(http::status::ok, "application/x-ndjson");
    std::weak_ptr<Interp> wself = shared_from_this();
    std::weak_ptr<Context> wc = c;
    std::weak_ptr<Exec> we = e;
    e->out->on_close([wself, wc, we] {
        auto self = wself.lock();
        auto c = wc.lock();
        auto e = we.lock();
        if (!self || !e) return;
        e->gone = true;
        if (e->keepalive) e->keepalive->cancel();
        if (!c) return;
        if (c->cur == e) return self->interrupt(c, e);
        c->queue.erase(std::remove(c->queue.begin(), c->queue.end(), e), c->queue.end());
    });
    arm_keepalive(e);
    c->queue.push_back(e);
    start_next(c);
}

// ---- output to the client ----

void Interp::emit(Exec& e, const std::string& line) {
    if (e.gone || e.out->finished()) return;
    e.out->write(line + "\n");
    e.last_write = std::chrono::steady_clock::now();
}

void Interp::arm_keepalive(const std::shared_ptr<Exec>& e) {
    // Fires kKeepalive after the last line sent; a keepalive line is sent if nothing else was.
    if (!e->keepalive) e->keepalive = std::make_unique<net::steady_timer>(agent_.io());
    e->keepalive->expires_at(e->last_write + kKeepalive);
    std::weak_ptr<Exec> we = e;
    std::weak_ptr<Interp> wself = shared_from_this();
    e->keepalive->async_wait([we, wself](beast::error_code ec) {
        auto e = we.lock();
        auto self = wself.lock();
        if (ec || !e || !self || e->gone || e->out->finished()) return;
        if (std::chrono::steady_clock::now() >= e->last_write + kKeepalive) self->emit(*e, "{\"type\": \"keepalive\"}");
        self->arm_keepalive(e);
    });
}

void Interp::emit_text(Context& c, const char* type, std::string_view text) {
    if (!c.cur || text.empty()) return;
    // One message per line, each with its newline.
    size_t i = 0;
    while (i < text.size()) {
        size_t nl = text.find('\n', i);
        size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        Json m = e2b::json_object();
        e2b::json_set_str(m.get(), "type", type);
        e2b::json_set_str(m.get(), "text", text.substr(i, end - i));
        e2b::json_set_str(m.get(), "timestamp", e2b::rfc3339(e2b::now_unix_ns(), 6));
        emit(*c.cur, e2b::json_print(m.get()));
        i = end;
    }
}

void Interp::end_exec(Exec& e, const char* err_name, const std::string& err_value) {
    if (err_name) {
        Json m = e2b::json_object();
        e2b::json_set_str(m.get(), "type", "error");
        e2b::json_set_str(m.get(), "name", err_name);
        e2b::json_set_str(m.get(), "value", err_value);
        e2b::json_set_str(m.get(), "traceback", "");
        emit(e, e2b::json_print(m.get()));
    }
    emit(e, "{\"type\": \"end_of_execution\"}");
    if (e.keepalive) e.keepalive->cancel();
    e.gone = true;
    e.out->finish();
}

// ---- kernels ----

bool Interp::spawn(const Ctx& c, std::string* err) {
    auto u = kernel_user();
    if (!u) {
        *err = "unknown user " + agent_.config().default_user;
        return false;
    }
    SpawnOptions o;
    switch (c->kind) {
        case Kind::kPython:
            o.cmd = exe("/usr/bin/python3", "python3");
            o.args = {"-u", "-c", kernels::python_kernel_py};
            break;
        case Kind::kJs:
            o.cmd = exe("/usr/bin/node", "node");
            o.args = {"-e", kernels::js_kernel_js};
            break;
        case Kind::kBash:
            o.cmd = exe("/bin/bash", "bash");
            o.args = {"--noprofile", "--norc", "-c", kernels::bash_kernel_sh};
            break;
    }
    o.env = agent_.process_env(*u, {});
    o.cwd = c->cwd;
    o.user = *u;
    Spawned s;
    if (!spawn_process(o, &s, err)) return false;
    c->pid = s.pid;
    ++c->gen;
    c->in.emplace(agent_.io(), s.stdin_fd);
    c->out.emplace(agent_.io(), s.stdout_fd);
    c->err.emplace(agent_.io(), s.stderr_fd);
    c->out_buf.clear();
    c->err_buf.clear();
    c->execution_count = 0;
    uint64_t gen = c->gen;
    std::weak_ptr<Interp> wself = shared_from_this();
    std::weak_ptr<Context> wc = c;
    agent_.on_child_exit(s.pid, [wself, wc, gen](int ws) {
        auto self = wself.lock();
        auto c = wc.lock();
        if (self && c) self->on_kernel_exit(c, gen, ws);
    });
    read_out(c, gen);
    read_err(c, gen);
    return true;
}

// Kills the kernel (its whole process group) and forgets it; callbacks of that kernel are ignored.
void Interp::drop_kernel(const Ctx& c) {
    if (c->pid > 0) ::kill(-c->pid, SIGKILL);
    c->pid = -1;
    ++c->gen;
    c->in.reset();
    c->out.reset();
    c->err.reset();
    c->out_buf.clear();
    c->err_buf.clear();
    c->grace.cancel();
    c->partial.cancel();
    c->throttle.cancel();
}

// Kills the kernel; the running and queued executions end with a ContextRestarting error.
void Interp::restart(const Ctx& c, const std::string& why) {
    drop_kernel(c);
    auto pending = std::move(c->queue);
    c->queue.clear();
    if (c->cur) pending.push_front(std::move(c->cur));
    c->cur.reset();
    for (auto& e : pending) end_exec(*e, "ContextRestarting", why);
}

std::string Interp::request_line(const Context& c, const Exec& e) {
    if (c.kind == Kind::kBash) {
        std::string line = "x" + e2b::base64_encode(e.code);
        for (auto& [k, v] : e.env)
            if (valid_env_name(k)) line += " x" + k + " x" + e2b::base64_encode(v);
        return line + "\n";
    }
    Json r = e2b::json_object();
    e2b::json_set_str(r.get(), "code", e.code);
    e2b::json_set(r.get(), "env", e2b::json_from_map(e.env));
    return e2b::json_print(r.get()) + "\n";
}

void Interp::start_next(const Ctx& c) {
    while (!c->cur && !c->queue.empty()) {
        auto e = c->queue.front();
        c->queue.pop_front();
        if (e->gone) continue;
        if (c->pid < 0) {
            std::string err;
            if (!spawn(c, &err)) {
                end_exec(*e, "ContextRestarting", "cannot start the " + c->language + " kernel: " + err);
                continue;
            }
        }
        c->cur = e;
        ++c->execution_count;
        emit(*e, "{\"type\": \"number_of_executions\", \"execution_count\": " + std::to_string(c->execution_count) + "}");
        auto data = std::make_shared<std::string>(request_line(*c, *e));
        net::async_write(*c->in, net::buffer(*data), [data](beast::error_code, size_t) {
            // A failed write means the kernel died: its exit is handled by on_kernel_exit.
        });
    }
}

void Interp::read_out(const Ctx& c, uint64_t gen) {
    if (c->gen != gen || !c->out) return;
    if (backlogged(*c)) {  // the client is slow: let the kernel block on its pipe meanwhile
        c->throttle.expires_after(kThrottlePoll);
        std::weak_ptr<Interp> wself = shared_from_this();
        c->throttle.async_wait([wself, c, gen](beast::error_code ec) {
            if (auto self = wself.lock(); self && !ec) self->read_out(c, gen);
        });
        return;
    }
    auto self = shared_from_this();
    c->out->async_read_some(net::buffer(c->out_chunk), [self, c, gen](beast::error_code ec, size_t n) {
        if (c->gen != gen) return;
        if (n > 0) {
            c->out_buf.append(c->out_chunk.data(), n);
            self->process_out(c, false);
        }
        if (ec) return;  // EOF: the exit is handled by on_kernel_exit
        self->read_out(c, gen);
    });
}

void Interp::read_err(const Ctx& c, uint64_t gen) {
    if (c->gen != gen || !c->err) return;
    auto self = shared_from_this();
    c->err->async_read_some(net::buffer(c->err_chunk), [self, c, gen](beast::error_code ec, size_t n) {
        if (c->gen != gen) return;
        if (n > 0) {
            c->err_buf.append(c->err_chunk.data(), n);
            self->process_err(c, false);
        }
        if (ec) return;
        self->read_err(c, gen);
    });
}

// Reads what is already in the pipes without blocking.
void Interp::drain(const Ctx& c) {
    auto pull = [](std::optional<Descriptor>& d, std::string& buf) {
        if (!d) return;
        char tmp[16384];
        for (;;) {
            ssize_t n = ::read(d->native_handle(), tmp, sizeof tmp);
            if (n > 0) buf.append(tmp, static_cast<size_t>(n));
            else if (n < 0 && errno == EINTR) continue;
            else break;
        }
    };
    pull(c->err, c->err_buf);
    process_err(c, true);
}

void Interp::process_err(const Ctx& c, bool flush) {
    std::string& b = c->err_buf;
    size_t cut = flush || b.size() > kMaxPartial ? b.size() : b.rfind('\n');
    if (cut == std::string::npos) {
        if (!b.empty()) arm_partial(c);
        return;
    }
    if (cut < b.size()) ++cut;  // through the newline
    emit_text(*c, "stderr", std::string_view(b).substr(0, cut));
    b.erase(0, cut);
    if (!b.empty()) arm_partial(c);
}

void Interp::process_out(const Ctx& c, bool flush) {
    uint64_t gen = c->gen;
    std::string& b = c->out_buf;
    for (;;) {
        size_t m = b.find(kMark);
        if (m == std::string::npos) {
            // Plain output. Keep back a tail that may be the start of a marker, and partial lines
            // for a moment (the rest of the line usually follows at once).
            size_t keep = b.size();
            size_t x = b.rfind('\x1e');
            if (x != std::string::npos && b.size() - x < kMark.size() && kMark.compare(0, b.size() - x, b, x) == 0) keep = x;
            size_t cut = keep;
            if (!flush && keep <= kMaxPartial) {
                size_t nl = keep ? b.rfind('\n', keep - 1) : std::string::npos;
                cut = nl == std::string::npos ? 0 : nl + 1;
            }
            if (cut > 0) {
                emit_text(*c, "stdout", std::string_view(b).substr(0, cut));
                b.erase(0, cut);
            }
            if (!b.empty()) arm_partial(c);
            return;
        }
        if (m > 0) {
            emit_text(*c, "stdout", std::string_view(b).substr(0, m));
            b.erase(0, m);
        }
        size_t nl = b.find('\n');
        if (nl == std::string::npos) return;  // the rest of the message is still coming
        std::string msg = b.substr(kMark.size(), nl - kMark.size());
        b.erase(0, nl + 1);
        on_message(c, msg);
        if (c->gen != gen) return;  // the kernel was dropped meanwhile
    }
}

void Interp::arm_partial(const Ctx& c) {
    c->partial.expires_after(kPartialLineDelay);
    std::weak_ptr<Interp> wself = shared_from_this();
    std::weak_ptr<Context> wc = c;
    uint64_t gen = c->gen;
    c->partial.async_wait([wself, wc, gen](beast::error_code ec) {
        auto self = wself.lock();
        auto c = wc.lock();
        if (ec || !self || !c || c->gen != gen) return;
        self->process_out(c, true);
        self->process_err(c, true);
    });
}

void Interp::on_message(const Ctx& c, std::string_view text) {
    Json m = e2b::json_parse(text);
    std::string type = e2b::json_str_or(m.get(), "type");
    if (type == "done") {
        drain(c);
        c->grace.cancel();
        auto e = std::move(c->cur);
        c->cur.reset();
        if (e) end_exec(*e);
        start_next(c);
        return;
    }
    if (!c->cur) return;
    if (type == "result" || type == "error") emit(*c->cur, std::string(text));
}

void Interp::on_kernel_exit(const Ctx& c, uint64_t gen, int ws) {
    if (c->gen != gen) return;  // dropped on purpose
    // Whatever the kernel wrote before it died is still in the pipes.
    if (c->out) {
        char tmp[65536];
        for (;;) {
            ssize_t n = ::read(c->out->native_handle(), tmp, sizeof tmp);
            if (n > 0) c->out_buf.append(tmp, static_cast<size_t>(n));
            else if (n < 0 && errno == EINTR) continue;
            else break;
        }
    }
    process_out(c, true);
    if (c->gen != gen) return;
    drain(c);
    std::string why = "Context was restarted: the kernel ";
    if (WIFSIGNALED(ws)) why += "was killed by signal " + std::to_string(WTERMSIG(ws));
    else why += "exited with status " + std::to_string(WEXITSTATUS(ws));
    auto e = std::move(c->cur);
    c->cur.reset();
    drop_kernel(c);
    if (e) end_exec(*e, "ContextRestarting", why);
    start_next(c);  // a queued execution starts a new kernel
}

void Interp::interrupt(const Ctx& c, const std::shared_ptr<Exec>& e) {
    if (c->pid <= 0) return;
    ::kill(-c->pid, SIGINT);
    c->grace.expires_after(kInterruptGrace);
    std::weak_ptr<Interp> wself = shared_from_this();
    std::weak_ptr<Context> wc = c;
    std::weak_ptr<Exec> we = e;
    uint64_t gen = c->gen;
    c->grace.async_wait([wself, wc, we, gen](beast::error_code ec) {
        auto self = wself.lock();
        auto c = wc.lock();
        if (ec || !self || !c || c->gen != gen || !c->cur || c->cur != we.lock()) return;
        // Still busy: the kernel ignores interrupts. Start over with a fresh one.
        fprintf(stderr, "e2b-agent: %s kernel of context %s did not stop on SIGINT; restarting it\n",
                c->language.c_str(), c->id.c_str());
        auto e = std::move(c->cur);
        c->cur.reset();
        self->drop_kernel(c);
        self->end_exec(*e, "ContextRestarting", "Context was restarted: the execution did not stop when interrupted");
        self->start_next(c);
    });
}

}  // namespace

HttpHandler make_code_interpreter(Agent& a) {
    auto interp = std::make_shared<Interp>(a);
    return [interp](std::shared_ptr<HttpExchange> ex) { interp->handle(ex); };
}

}  // namespace agent
