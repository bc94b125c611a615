// Sessions: a sandbox addressed by its id across requests. The idle auto-pause is E2B's own
// (autoPause + a lifetime of idle_pause_ms, restarted by touch()), so it holds even when the
// process that started the session is gone.
#include "core/production_a.hpp"

namespace e2b::core {

std::unique_ptr<Session> Session::start(Client& c, SandboxCreateOptions o, int64_t idle_pause_ms) {
    if (idle_pause_ms < 0) throw Error(E2B_EINVAL, "idle_pause_ms must not be negative");
    if (idle_pause_ms > 0) {
        o.auto_pause = true;
        o.timeout_ms = idle_pause_ms;
    }
    return std::unique_ptr<Session>(new Session(c.create(o), idle_pause_ms));
}

std::unique_ptr<Session> Session::resume(Client& c, const std::string& id, int64_t timeout_ms,
                                         int64_t idle_pause_ms) {
    if (idle_pause_ms < 0) throw Error(E2B_EINVAL, "idle_pause_ms must not be negative");
    std::unique_ptr<Sandbox> sb;
    try {
        sb = c.connect(id, idle_pause_ms > 0 ? idle_pause_ms : timeout_ms);
    } catch (const Error& e) {
        if (e.code != E2B_ESANDBOX_NOT_FOUND) throw;
        throw Error(e.code, "session " + id + " has ended (killed or expired): it cannot be resumed",
                    e.http_status);
    }
    std::unique_ptr<Session> s(new Session(std::move(sb), idle_pause_ms));
    if (idle_pause_ms > 0) {
        // An idle period on a sandbox created without auto-pause would kill it, not pause it.
        auto info = c.get_info(id);
        if (info.lifecycle && info.lifecycle->on_timeout != "pause")
            throw Error(E2B_EINVAL, "session " + id +
                                        " was started without an idle auto-pause; resume it "
                                        "without idle_pause_ms");
        s->touch();
    }
    return s;
}

SessionState Session::state(Client& c, const std::string& id) {
    try {
        auto info = c.get_info(id);
        return info.state == "paused" ? SessionState::kPaused : SessionState::kActive;
    } catch (const Error& e) {
        if (e.code == E2B_ESANDBOX_NOT_FOUND) return SessionState::kEnded;
        throw;
    }
}

void Session::touch() {
    if (idle_ms_ > 0) sb_->set_timeout(idle_ms_);
}

bool Session::pause() { return sb_->pause(); }

bool Session::end() { return sb_->kill(); }

}  // namespace e2b::core
