#include "core/interp.hpp"

#include <chrono>

#include "e2b.h"
#include "protocol/errors.hpp"
#include "util/encoding.hpp"
#include "util/time.hpp"

namespace e2b::core {

namespace {

constexpr uint16_t kPort = 49999;
constexpr size_t kMaxErrorBody = 64u << 10;
const char* const kRequestTimeoutMsg =
    "Request timed out \xe2\x80\x94 the 'requestTimeoutMs' option can be used to increase this "
    "timeout";
const char* const kKilledMsg =
    "The sandbox was killed while the request was in progress. This can happen when the sandbox "
    "times out or is killed manually. You can modify the sandbox timeout by passing 'timeoutMs' "
    "when starting the sandbox or calling '.setTimeout' on the sandbox with the desired timeout.";
const char* const kExecTimeoutMsg =
    "Execution timed out \xe2\x80\x94 the 'timeoutMs' option can be used to increase this timeout";

// The SDK's getSandboxDirectUrl for port 49999: one origin for every sandbox and port when a
// sandbox URL is configured (routing by header), else <port>-<id>.<domain>.
std::string base_url(const Sandbox& sb) {
    const ClientConfig& cfg = sb.client().config();
    if (cfg.sandbox_url) return *cfg.sandbox_url;
    return (cfg.debug ? "http://" : "https://") + sb.host(kPort);
}

transport::Request interp_request(const Sandbox& sb, const char* method, const std::string& path) {
    transport::Request r;
    r.method = method;
    r.url = base_url(sb) + path;
    r.headers = {{"E2b-Sandbox-Id", sb.id()},
                 {"E2b-Sandbox-Port", std::to_string(kPort)},
                 {"Content-Type", "application/json"}};
    if (!sb.access_token().empty()) r.headers.emplace_back("X-Access-Token", sb.access_token());
    return r;
}

// The SDK's mapping (404 NotFound with the body, 502 Timeout, other SandboxError "<status>
// <text>"), with the server's explanation appended to the generic case.
Error interp_error(int status, const std::string& body) {
    auto m = proto::map_interp_http_error(status, body);
    std::string msg = m.message;
    if (m.code == E2B_ERROR && !body.empty()) msg += ": " + body;
    return Error(m.code ? m.code : E2B_ERROR, msg, status);
}

void check_blocking(Sandbox& sb) {
    if (sb.client().transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "blocking call from inside a callback");
}

// One /contexts request; returns the 2xx body.
std::string unary(Sandbox& sb, const char* method, const std::string& path, std::string body,
                  bool idempotent) {
    check_blocking(sb);
    transport::Request r = interp_request(sb, method, path);
    r.body = std::move(body);
    r.timeout_ms = sb.client().config().request_timeout_ms;
    r.idempotent = idempotent;
    auto resp = sb.client().transport().perform(std::move(r));
    if (!resp.error.ok())
        throw Error(resp.error.code ? resp.error.code : E2B_ERROR, resp.error.message,
                    resp.error.http_status);
    if (resp.status < 200 || resp.status >= 300) throw interp_error(resp.status, resp.body);
    return std::move(resp.body);
}

std::string context_path(const std::string& id) {
    if (id.empty()) throw Error(E2B_EINVAL, "context id must not be empty");
    return "/contexts/" + url_encode(id);
}

}  // namespace

const std::string* Execution::text() const {
    for (const auto& r : results)
        if (r.is_main_result) return r.text ? &*r.text : nullptr;
    return nullptr;
}

std::shared_ptr<CodeRun> CodeRun::start(Sandbox& sb, const std::string& code, const CodeOptions& o,
                                        CodeHandlers h) {
    check_blocking(sb);
    if (o.language && o.context_id)
        throw Error(E2B_EINVAL, "You can provide context or language, but not both at the same time.");
    transport::Request r = interp_request(sb, "POST", "/execute");
    r.body = proto::encode_execute_request(code, o.context_id, o.language, o.envs);
    r.timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 0;
    std::shared_ptr<CodeRun> run(new CodeRun(sb, std::move(h)));
    transport::Callbacks cbs;
    cbs.on_response = [run](int status, const transport::Headers&) {
        run->status_ = status;
        if (status == 200) {
            std::lock_guard<std::mutex> lk(run->mu_);
            run->responded_ = true;
            run->cv_.notify_all();
        }
        return transport::Action::kContinue;
    };
    cbs.on_data = [run](const char* d, size_t n) {
        if (run->status_ != 200) {
            size_t room = kMaxErrorBody - std::min(kMaxErrorBody, run->error_body_.size());
            run->error_body_.append(d, std::min(n, room));
            return transport::Action::kContinue;
        }
        bool abort = false;
        run->on_bytes(d, n, &abort);
        return abort ? transport::Action::kAbort : transport::Action::kContinue;
    };
    cbs.on_done = [run](const transport::Error& e) { run->on_done(e); };
    auto call = sb.client().transport().start_on_service_thread(std::move(r), std::move(cbs));
    {
        std::lock_guard<std::mutex> lk(run->mu_);
        run->call_ = call;
    }
    if (run->user_stopped_) call->cancel();  // a queued handler stopped before call_ was set

    // Until the response starts: the request timeout, as in the SDK.
    const ClientConfig& cfg = sb.client().config();
    int64_t rt = o.request_timeout_ms < 0 ? cfg.request_timeout_ms : o.request_timeout_ms;
    std::unique_lock<std::mutex> lk(run->mu_);
    auto ready = [&] { return run->responded_ || run->done_; };
    if (rt > 0) {
        if (!run->cv_.wait_for(lk, std::chrono::milliseconds(rt), ready)) {
            lk.unlock();
            run->release();
            throw Error(E2B_ETIMEOUT, kRequestTimeoutMsg);
        }
    } else {
        run->cv_.wait(lk, ready);
    }
    if (!run->responded_) {
        Error err = run->error_ ? *run->error_ : Error(E2B_EPROTOCOL, "no response to /execute");
        lk.unlock();
        run->release();
        throw err;
    }
    return run;
}

void CodeRun::deliver(std::function<bool()> fn, bool terminal) {
    auto self = shared_from_this();
    bool queued = c_.transport().options().delivery == transport::Delivery::kQueued;
    c_.transport().post(
        [self, fn = std::move(fn), queued, terminal] {
            std::lock_guard<std::recursive_mutex> lk(self->cb_mu_);
            if (self->released_ || (!terminal && self->user_stopped_)) return;
            if (!fn()) {
                self->user_stopped_ = true;
                // Inline (service thread): on_bytes sees the flag and aborts the call itself.
                if (queued) {
                    std::shared_ptr<transport::Call> c;
                    {
                        std::lock_guard<std::mutex> l(self->mu_);
                        c = self->call_;
                    }
                    if (c) c->cancel();
                }
            }
        },
        terminal);
}

void CodeRun::on_bytes(const char* d, size_t n, bool* abort) {
    lines_.feed(std::string_view(d, n));
    std::string line;
    for (;;) {
        auto st = lines_.next(&line);
        if (st == proto::LineSplitter::Status::kNeedMore) return;
        if (st == proto::LineSplitter::Status::kTooLong) {
            proto_error_ = "execution output line too long";
            *abort = true;
            return;
        }
        on_line(line, abort);
        if (*abort) return;
    }
}

void CodeRun::on_line(const std::string& line, bool* abort) {
    if (user_stopped_) {
        *abort = true;
        return;
    }
    proto::ExecLine l;
    std::string err;
    if (!proto::parse_exec_line(line, &l, &err)) {
        proto_error_ = "malformed execution line: " + err;
        *abort = true;
        return;
    }
    auto self = shared_from_this();
    using T = proto::ExecLine::Type;
    switch (l.type) {
        case T::kNumberOfExecutions:
            exec_->execution_count = l.execution_count;
            break;
        case T::kStdout:
        case T::kStderr: {
            bool is_err = l.type == T::kStderr;
            (is_err ? exec_->stderr_lines : exec_->stdout_lines).push_back(l.text);
            if (!(is_err ? h_.on_stderr : h_.on_stdout)) break;
            auto ns = parse_rfc3339(l.timestamp);
            int64_t ts = (ns ? *ns : now_unix_ns()) / 1000;
            deliver([self, is_err, ts, text = std::move(l.text)] {
                return (is_err ? self->h_.on_stderr : self->h_.on_stdout)(text, ts);
            }, false);
            break;
        }
        case T::kResult:
            exec_->results.push_back(l.result);
            if (h_.on_result)
                deliver([self, r = std::move(l.result)] { return self->h_.on_result(r); }, false);
            break;
        case T::kError:
            exec_->error = l.error;
            if (h_.on_error)
                deliver([self, e = std::move(l.error)] { return self->h_.on_error(e); }, false);
            break;
        default:
            break;  // keepalive, end_of_execution, types this client does not know
    }
    if (user_stopped_) *abort = true;
}

void CodeRun::on_done(const transport::Error& e) {
    if (e.ok() && status_ == 200 && proto_error_.empty()) {
        std::string line;
        bool abort = false;
        if (lines_.finish(&line) == proto::LineSplitter::Status::kLine) on_line(line, &abort);
    }
    std::optional<Error> err;
    bool responded, canceled;
    {
        std::lock_guard<std::mutex> lk(mu_);
        responded = responded_;
        canceled = canceled_;
    }
    if (!proto_error_.empty()) {
        err = Error(E2B_EPROTOCOL, proto_error_, status_);
    } else if (status_ != 0 && status_ != 200) {
        err = interp_error(status_, error_body_);
    } else if (user_stopped_) {
        err = Error(E2B_EUSER, "stopped by a callback", status_);
    } else if (!e.ok()) {
        if (e.code == E2B_ECANCELED && canceled)
            err = Error(E2B_ECANCELED, "execution canceled", status_);
        else if (e.code == E2B_ETIMEOUT)
            err = Error(E2B_ETIMEOUT, responded ? kExecTimeoutMsg : kRequestTimeoutMsg, status_);
        else
            err = Error(e.code ? e.code : E2B_ERROR, e.message, e.http_status);
    }
    if (err && err->code == E2B_ENETWORK && responded) return probe_then_finish(std::move(*err));
    finish(std::move(err), responded);
}

// The SDK's handleRequestError: a connection dropped mid-execution means "the sandbox was
// killed" when envd's /health then answers 502 (isRunning() false). Asynchronous, so that
// on_end and wait() see the same error.
void CodeRun::probe_then_finish(Error err) {
    auto self = shared_from_this();
    probe_sandbox_gone(c_, envd_url_, sb_id_, [self, err](bool gone) {
        if (gone) return self->finish(Error(E2B_ETIMEOUT, kKilledMsg, 502), true);
        self->finish(err, true);  // as the SDK does: keep the original error
    });
}

void CodeRun::finish(std::optional<Error> err, bool responded) {
    // A run that never started (start() threw) has no callbacks at all. Delivered before done_ is
    // published: on the service thread, wait() then returns only after on_end has returned.
    if (responded && h_.on_end) {
        auto self = shared_from_this();
        deliver([self, err] {
            self->h_.on_end(self->exec_, err ? &*err : nullptr);
            return true;
        }, true);
    }
    std::lock_guard<std::mutex> lk(mu_);
    error_ = err;
    done_ = true;
    cv_.notify_all();
}

std::shared_ptr<const Execution> CodeRun::wait(std::optional<Error>* err) {
    check_blocking(sb_);
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_; });
    *err = error_;
    return exec_;
}

void CodeRun::cancel() {
    std::shared_ptr<transport::Call> c;
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (done_) return;
        canceled_ = true;
        c = call_;
    }
    if (c) c->cancel();
}

void CodeRun::release() {
    cancel();
    std::lock_guard<std::recursive_mutex> lk(cb_mu_);  // waits out a handler on another thread
    released_ = true;
}

// ---- contexts ----

proto::CodeContext create_code_context(Sandbox& sb, const std::optional<std::string>& language,
                                       const std::optional<std::string>& cwd) {
    std::string body = unary(sb, "POST", "/contexts",
                             proto::encode_create_context_request(language, cwd), false);
    proto::CodeContext c;
    std::string err;
    if (!proto::parse_context(body, &c, &err))
        throw Error(E2B_EPROTOCOL, "malformed context: " + err);
    return c;
}

std::vector<proto::CodeContext> list_code_contexts(Sandbox& sb) {
    std::string body = unary(sb, "GET", "/contexts", "", true);
    std::vector<proto::CodeContext> out;
    std::string err;
    if (!proto::parse_context_list(body, &out, &err))
        throw Error(E2B_EPROTOCOL, "malformed context list: " + err);
    return out;
}

void restart_code_context(Sandbox& sb, const std::string& id) {
    unary(sb, "POST", context_path(id) + "/restart", "", false);
}

void remove_code_context(Sandbox& sb, const std::string& id) {
    unary(sb, "DELETE", context_path(id), "", false);
}

}  // namespace e2b::core
