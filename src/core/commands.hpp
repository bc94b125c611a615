// Processes in a sandbox over envd's process.Process service (protocol doc §4): Start/Connect
// streams parsed on the service thread; user events delivered per the client's delivery mode.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/core.hpp"
#include "protocol/connect.hpp"
#include "protocol/envd.hpp"
#include "util/time.hpp"

namespace e2b::core {

struct ExecOptions {
    std::optional<std::string> cwd, user, tag;
    std::map<std::string, std::string> envs;
    int64_t timeout_ms = 60000;  // process lifetime; 0 = none
    bool stdin_open = false;
    std::optional<proto::PtySize> pty;
};

// Returning false from on_stdout/on_stderr stops the stream (E2B_EUSER).
struct ExecHandlers {
    std::function<bool(const char*, size_t)> on_stdout, on_stderr;
    std::function<void(int32_t exit_code, const Error* err)> on_exit;
    bool direct = false;  // run on the service thread even in queued mode (library-internal use)
};

class Exec : public std::enable_shared_from_this<Exec> {
public:
    // Blocks until the start event (pid) or a failure (thrown).
    static std::shared_ptr<Exec> start(Sandbox& sb, const std::string& cmd,
                                       const std::vector<std::string>& args, const ExecOptions& o,
                                       ExecHandlers h);
    static std::shared_ptr<Exec> connect(Sandbox& sb, uint32_t pid, ExecHandlers h);

    uint32_t pid() const { return pid_; }
    // Blocks until the stream ended; returns the exit code or throws the stream's error.
    int32_t wait();
    // The end status text ("exit status 2"), "" if none. After wait().
    std::string end_error() const;
    void disconnect();
    // No user callback runs after this returns (except the one currently running on this thread).
    void release();

    bool kill();  // false when the process is gone
    void send_input(const std::string& data, bool pty);
    void close_stdin();
    void resize(uint32_t cols, uint32_t rows);
    // Heartbeat: CLOCK_MONOTONIC ns of the last stdout/stderr event (or of the start).
    int64_t last_output_ns() const { return last_output_ns_.load(); }
    Sandbox& sandbox() const { return sb_; }

private:
    Exec(Sandbox& sb, ExecHandlers h)
        : sb_(sb), c_(sb.client()), sb_heartbeat_(sb.heartbeat()), envd_url_(sb.envd_url()),
          sb_id_(sb.id()), h_(std::move(h)) {
        last_output_ns_ = now_mono_ns();
    }
    void open(const std::string& method, const std::string& body, int64_t timeout_ms,
              const std::optional<std::string>& user);
    void on_bytes(const char* d, size_t n, bool* abort);
    void on_done(const transport::Error& e);
    void finish(std::optional<Error> err);
    void deliver(std::function<void()> fn, bool terminal);
    // Runs a user callback unless the handle was released (waits out one on another thread).
    template <class F>
    void guarded(F&& f) {
        std::lock_guard<std::recursive_mutex> lk(cb_mu_);
        if (!released_) f();
    }
    void disconnect_user();  // a queued data callback asked to stop

    // sb_ only from callers' threads while the handle is live: the stream may end (on_done) after
    // the handle and its sandbox were freed, so service-thread paths reach the client via c_.
    Sandbox& sb_;
    Client& c_;
    Sandbox::Heartbeat sb_heartbeat_;
    const std::string envd_url_, sb_id_;  // for the health probe after a broken stream
    ExecHandlers h_;
    std::shared_ptr<transport::Call> call_;
    connect::EnvelopeReader reader_;
    proto::ProcessEvent event_;  // reused across messages: its data buffer keeps its capacity

    // Service thread only, then published under mu_ at the end.
    int http_status_ = 0;
    bool got_start_ = false, got_end_ = false, got_eos_ = false;
    std::optional<proto::ConnectError> eos_error_;
    std::string proto_error_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    uint32_t pid_ = 0;
    bool started_ = false, done_ = false, disconnected_ = false;
    int32_t exit_code_ = 0;
    std::string end_error_;
    std::optional<Error> error_;

    std::recursive_mutex cb_mu_;  // held while a user callback runs
    bool released_ = false;
    std::atomic<bool> user_stopped_{false};
    std::atomic<int64_t> last_output_ns_{0};
};

std::vector<proto::ProcessInfo> list_processes(Sandbox& sb);
// By pid, no stream needed (the SDKs' commands.kill(pid), sendStdin(pid), pty.resize(pid)...).
bool process_kill(Sandbox& sb, uint32_t pid);  // false when the process is gone
void process_send_input(Sandbox& sb, uint32_t pid, const std::string& data, bool pty);
void process_close_stdin(Sandbox& sb, uint32_t pid);
void process_resize(Sandbox& sb, uint32_t pid, uint32_t cols, uint32_t rows);

}  // namespace e2b::core
