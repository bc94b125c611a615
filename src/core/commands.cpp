#include "core/commands.hpp"

#include <chrono>

#include "e2b.h"
#include "protocol/errors.hpp"
#include "util/encoding.hpp"
#include "util/time.hpp"
#include "core/telemetry.hpp"

namespace e2b::core {

namespace {

transport::Headers envd_headers(const Sandbox& sb, const std::optional<std::string>& user,
                                bool stream) {
    transport::Headers h = {{"E2b-Sandbox-Id", sb.id()},
                            {"E2b-Sandbox-Port", "49983"},
                            {"Connect-Protocol-Version", "1"},
                            {"Content-Type", stream ? "application/connect+json" : "application/json"}};
    if (!sb.access_token().empty()) h.emplace_back("X-Access-Token", sb.access_token());
    if (user) h.emplace_back("Authorization", "Basic " + base64_encode(*user + ":"));
    return h;
}

[[noreturn]] void throw_mapped(const proto::MappedError& m) {
    throw Error(m.code ? m.code : E2B_ERROR, m.message, m.http_status);
}

void check_blocking(Sandbox& sb) {
    if (sb.client().transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "blocking call from inside a callback");
}

// Unary process.Process call; returns the 200 body, throws the mapped error otherwise.
// `as_false` cases (signal to a gone pid) return nullopt.
std::optional<std::string> unary(Sandbox& sb, const std::string& method, const std::string& body,
                                 proto::RpcOp op) {
    transport::Request r;
    r.method = "POST";
    r.url = sb.envd_url() + "/process.Process/" + method;
    r.headers = envd_headers(sb, std::nullopt, false);
    r.body = body;
    r.timeout_ms = sb.client().config().request_timeout_ms;
    r.idempotent = method == "List";
    auto resp = sb.client().transport().perform(std::move(r));
    if (!resp.error.ok())
        throw Error(resp.error.code ? resp.error.code : E2B_ERROR, resp.error.message,
                    resp.error.http_status);
    if (resp.status == 200) return resp.body;
    auto m = proto::map_connect_error(op, proto::connect_error_from_unary(resp.status, resp.body));
    if (m.as_false) return std::nullopt;
    m.http_status = resp.status;
    throw_mapped(m);
}

}  // namespace

std::shared_ptr<Exec> Exec::start(Sandbox& sb, const std::string& cmd,
                                  const std::vector<std::string>& args, const ExecOptions& o,
                                  ExecHandlers h) {
    check_blocking(sb);
    proto::StartRequest req;
    req.process.cmd = cmd;
    req.process.args = args;
    req.process.envs = o.envs;
    req.process.cwd = o.cwd;
    req.pty = o.pty;
    req.tag = o.tag;
    if (!o.pty) req.stdin_open = o.stdin_open;  // the SDKs send no stdin field for a PTY
    std::shared_ptr<Exec> e(new Exec(sb, std::move(h)));
    e->open("Start", proto::encode_start_request(req), o.timeout_ms, o.user);
    return e;
}

std::shared_ptr<Exec> Exec::connect(Sandbox& sb, uint32_t pid, ExecHandlers h) {
    check_blocking(sb);
    std::shared_ptr<Exec> e(new Exec(sb, std::move(h)));
    e->open("Connect", proto::encode_connect_request(proto::ProcessSelector::by_pid(pid)), 0,
            std::nullopt);
    return e;
}

void Exec::open(const std::string& method, const std::string& body, int64_t timeout_ms,
                const std::optional<std::string>& user) {
    transport::Request r;
    r.method = "POST";
    r.url = sb_.envd_url() + "/process.Process/" + method;
    r.headers = envd_headers(sb_, user, true);
    r.headers.emplace_back("Keepalive-Ping-Interval", "50");
    // On Start this is the process lifetime: envd kills it at the deadline (§4.7).
    if (timeout_ms > 0) {
        r.headers.emplace_back("Connect-Timeout-Ms", std::to_string(timeout_ms));
        r.timeout_ms = timeout_ms + 5000;  // envd ends the stream first; this is a backstop
    }
    r.idle_timeout_ms = 3 * 50 * 1000;  // several missed keepalives: the connection is dead
    r.recv_buffer = 256 << 10;  // bulk output: far fewer recv calls than the 16 KiB default
    r.body = connect::envelope(body);
    auto self = shared_from_this();
    transport::Callbacks cbs;
    cbs.on_response = [self](int status, const transport::Headers&) {
        self->http_status_ = status;
        return transport::Action::kContinue;
    };
    cbs.on_data = [self](const char* d, size_t n) {
        bool abort = false;
        self->on_bytes(d, n, &abort);
        return abort ? transport::Action::kAbort : transport::Action::kContinue;
    };
    cbs.on_done = [self](const transport::Error& err) { self->on_done(err); };
    call_ = sb_.client().transport().start_on_service_thread(std::move(r), std::move(cbs));

    // The handshake (until `start`) is bounded by the request timeout, as in the JS SDK.
    int64_t hs = sb_.client().config().request_timeout_ms;
    std::unique_lock<std::mutex> lk(mu_);
    auto ready = [&] { return started_ || done_; };
    if (hs > 0) {
        if (!cv_.wait_for(lk, std::chrono::milliseconds(hs), ready)) {
            lk.unlock();
            call_->cancel();
            release();
            throw Error(E2B_ETIMEOUT, "timed out waiting for the process to start");
        }
    } else {
        cv_.wait(lk, ready);
    }
    if (!started_) {
        Error err = error_ ? *error_ : Error(E2B_EPROTOCOL, "stream ended before the start event");
        lk.unlock();
        release();
        throw err;
    }
}

void Exec::deliver(std::function<void()> fn, bool terminal) {
    auto self = shared_from_this();
    auto run = [self, fn = std::move(fn)] { self->guarded(fn); };
    if (h_.direct) {
        run();
    } else {
        c_.transport().post(std::move(run), terminal);
    }
}

void Exec::on_bytes(const char* d, size_t n, bool* abort) {
    reader_.feed(std::string_view(d, n));
    uint8_t flags = 0;
    std::string_view payload;
    for (;;) {
        auto st = reader_.next(&flags, &payload);
        if (st == connect::EnvelopeReader::Status::kNeedMore) return;
        if (st == connect::EnvelopeReader::Status::kTooLarge) {
            proto_error_ = "stream message too large";
            *abort = true;
            return;
        }
        if (flags & connect::kFlagEndStream) {
            got_eos_ = true;
            eos_error_ = proto::connect_error_from_end_stream(payload);
            continue;
        }
        proto::ProcessEvent& ev = event_;
        std::string perr;
        if (!proto::parse_process_event(payload, &ev, &perr)) {
            proto_error_ = "malformed process event: " + perr;
            *abort = true;
            return;
        }
        switch (ev.kind) {
        case proto::ProcessEvent::Kind::kStart: {
            got_start_ = true;
            std::lock_guard<std::mutex> lk(mu_);
            pid_ = ev.pid;
            started_ = true;
            cv_.notify_all();
            break;
        }
        case proto::ProcessEvent::Kind::kData: {
            {  // heartbeat for stall detection, and the streamed-bytes metric
                int64_t now = now_mono_ns();
                last_output_ns_.store(now);
                sb_heartbeat_->store(now);
                c_.telemetry().command_output(ev.data.size());
            }
            bool err = ev.stream == proto::ProcessEvent::Stream::kStderr;
            auto& cb = err ? h_.on_stderr : h_.on_stdout;
            if (!cb) break;
            if (h_.direct) {
                if (!cb(ev.data.data(), ev.data.size())) *abort = true;
            } else if (c_.transport().options().delivery != transport::Delivery::kQueued) {
                // Service-thread delivery runs the callback here and now: no copy of the chunk.
                guarded([&] {
                    if (!cb(ev.data.data(), ev.data.size())) disconnect_user();
                });
            } else {
                auto self = shared_from_this();
                deliver([self, err, data = ev.data] {
                    auto& f = err ? self->h_.on_stderr : self->h_.on_stdout;
                    if (!f(data.data(), data.size())) self->disconnect_user();
                }, false);
            }
            if (*abort) return;
            break;
        }
        case proto::ProcessEvent::Kind::kEnd: {
            got_end_ = true;
            std::lock_guard<std::mutex> lk(mu_);
            exit_code_ = ev.exit_code;
            end_error_ = ev.error.value_or("");
            break;
        }
        default:
            break;  // keepalive, unknown members
        }
    }
}

void Exec::on_done(const transport::Error& e) {
    std::optional<Error> err;
    if (!proto_error_.empty()) {
        err = Error(E2B_EPROTOCOL, proto_error_, http_status_);
    } else if (!e.ok()) {
        bool disc;
        {
            std::lock_guard<std::mutex> lk(mu_);
            disc = disconnected_;
        }
        if (e.code == E2B_ECANCELED && disc)
            err = Error(E2B_ECANCELED, "disconnected");
        else if (e.code == E2B_EUSER || user_stopped_.load())
            err = Error(E2B_EUSER, "stopped by a callback");
        else
            err = Error(e.code ? e.code : E2B_ERROR, e.message, e.http_status);
    } else if (http_status_ != 200) {
        auto m = proto::map_connect_error(proto::RpcOp::kProcessStream,
                                          proto::connect_error_from_stream_status(http_status_),
                                          !got_start_);
        err = Error(m.code ? m.code : E2B_ERROR, m.message, http_status_);
    } else if (eos_error_) {
        auto m = proto::map_connect_error(proto::RpcOp::kProcessStream, *eos_error_, !got_start_);
        err = Error(m.code ? m.code : E2B_ERROR, m.message, http_status_);
    } else if (!got_eos_) {
        auto m = proto::map_connect_error(proto::RpcOp::kProcessStream,
                                          proto::connect_error_missing_end_stream(), !got_start_);
        err = Error(m.code ? m.code : E2B_ERROR, m.message, http_status_);
    } else if (!got_end_) {
        err = Error(E2B_ERROR, "Process exited without a result", http_status_);
    }
    if (err && err->code == E2B_ENETWORK && got_start_) {
        // The connection broke mid-stream: a killed sandbox reads as such, as in the SDKs.
        auto self = shared_from_this();
        Error broke = *err;
        return probe_sandbox_gone(c_, envd_url_, sb_id_, [self, broke](bool gone) {
            if (!gone) return self->finish(broke);
            self->finish(Error(E2B_ETIMEOUT, broke.what() + std::string(": ") + kSandboxGoneMidRequest, 502));
        });
    }
    finish(std::move(err));
}

void Exec::finish(std::optional<Error> err) {
    int32_t code;
    {
        std::lock_guard<std::mutex> lk(mu_);
        code = exit_code_;
    }
    // on_exit before done_ is published: with service-thread delivery it runs inline, so wait()
    // returns only after on_exit returned (callers may then free what its payload points to).
    // Queued, it runs in a later dispatch.
    if (h_.on_exit) {
        auto self = shared_from_this();
        deliver([self, code, err] { self->h_.on_exit(code, err ? &*err : nullptr); }, true);
    }
    std::lock_guard<std::mutex> lk(mu_);
    error_ = err;
    done_ = true;
    cv_.notify_all();
}

void Exec::disconnect_user() {
    user_stopped_ = true;
    if (call_) call_->cancel();
}

int32_t Exec::wait() {
    check_blocking(sb_);
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_; });
    if (error_) throw *error_;
    return exit_code_;
}

std::string Exec::end_error() const {
    std::lock_guard<std::mutex> lk(mu_);
    return end_error_;
}

void Exec::disconnect() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (done_) return;
        disconnected_ = true;
    }
    if (call_) call_->cancel();
}

void Exec::release() {
    disconnect();
    std::lock_guard<std::recursive_mutex> lk(cb_mu_);  // waits out a callback on another thread
    released_ = true;
}

bool process_kill(Sandbox& sb, uint32_t pid) {
    check_blocking(sb);
    return unary(sb, "SendSignal",
                 proto::encode_send_signal_request(proto::ProcessSelector::by_pid(pid),
                                                   proto::Signal::kSigkill),
                 proto::RpcOp::kProcessSignal)
        .has_value();
}

void process_send_input(Sandbox& sb, uint32_t pid, const std::string& data, bool pty) {
    check_blocking(sb);
    unary(sb, "SendInput", proto::encode_send_input_request(proto::ProcessSelector::by_pid(pid), data, pty),
          proto::RpcOp::kProcess);
}

void process_close_stdin(Sandbox& sb, uint32_t pid) {
    check_blocking(sb);
    unary(sb, "CloseStdin", proto::encode_close_stdin_request(proto::ProcessSelector::by_pid(pid)),
          proto::RpcOp::kProcess);
}

void process_resize(Sandbox& sb, uint32_t pid, uint32_t cols, uint32_t rows) {
    check_blocking(sb);
    unary(sb, "Update",
          proto::encode_update_request(proto::ProcessSelector::by_pid(pid), proto::PtySize{cols, rows}),
          proto::RpcOp::kProcess);
}

bool Exec::kill() { return process_kill(sb_, pid_); }
void Exec::send_input(const std::string& data, bool pty) { process_send_input(sb_, pid_, data, pty); }
void Exec::close_stdin() { process_close_stdin(sb_, pid_); }
void Exec::resize(uint32_t cols, uint32_t rows) { process_resize(sb_, pid_, cols, rows); }

std::vector<proto::ProcessInfo> list_processes(Sandbox& sb) {
    check_blocking(sb);
    auto body = unary(sb, "List", proto::encode_list_request(), proto::RpcOp::kProcess);
    std::vector<proto::ProcessInfo> out;
    std::string err;
    if (!proto::parse_list_response(body.value_or("{}"), &out, &err))
        throw Error(E2B_EPROTOCOL, "malformed process list: " + err);
    return out;
}

}  // namespace e2b::core
