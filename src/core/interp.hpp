// The code interpreter (port 49999, protocol doc §6): POST /execute streamed as NDJSON and the
// /contexts API, with the semantics of the official @e2b/code-interpreter SDK (a Python exception
// is an execution whose error is set, not a failure). Failures are thrown as core::Error.
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
#include "protocol/ndjson.hpp"

namespace e2b::core {

struct CodeOptions {
    std::optional<std::string> language, context_id;  // at most one
    std::map<std::string, std::string> envs;
    int64_t timeout_ms = 60000;          // the whole execution, from the request; 0 = none
    int64_t request_timeout_ms = -1;     // until the response starts; -1 = the client's; 0 = none
};

// What the SDK's Execution holds.
struct Execution {
    std::vector<proto::ExecResult> results;
    std::vector<std::string> stdout_lines, stderr_lines;
    std::optional<proto::ExecError> error;
    int64_t execution_count = 0;  // 0 = not sent
    // The main result's text (the SDK's execution.text); nullptr when none.
    const std::string* text() const;
};

// Returning false from a data handler stops the execution (E2B_EUSER); the server then
// interrupts the cell. on_end runs once, last; `exec` is what arrived (complete when err is null).
struct CodeHandlers {
    std::function<bool(const std::string& text, int64_t timestamp_us)> on_stdout, on_stderr;
    std::function<bool(const proto::ExecResult&)> on_result;
    std::function<bool(const proto::ExecError&)> on_error;
    std::function<void(const std::shared_ptr<const Execution>& exec, const Error* err)> on_end;
};

class CodeRun : public std::enable_shared_from_this<CodeRun> {
public:
    // Blocks until the response starts (HTTP 200) or throws its error (404 unknown context...).
    static std::shared_ptr<CodeRun> start(Sandbox& sb, const std::string& code,
                                          const CodeOptions& o, CodeHandlers h);
    // Blocks until the end. Returns what arrived (never null) and sets *err to the failure.
    std::shared_ptr<const Execution> wait(std::optional<Error>* err);
    // Aborts the request (the server interrupts the cell); the run ends with E2B_ECANCELED.
    // Any thread, idempotent, non-blocking.
    void cancel();
    // No handler runs after this returns (except one running on this thread).
    void release();

private:
    CodeRun(Sandbox& sb, CodeHandlers h)
        : sb_(sb), c_(sb.client()), envd_url_(sb.envd_url()), sb_id_(sb.id()), h_(std::move(h)) {}
    void on_bytes(const char* d, size_t n, bool* abort);
    void on_line(const std::string& line, bool* abort);
    void on_done(const transport::Error& e);
    void probe_then_finish(Error err);
    void finish(std::optional<Error> err, bool responded);
    void deliver(std::function<bool()> fn, bool terminal);

    // sb_ only from the caller's thread while the handle is live: the stream may end after the
    // sandbox handle was freed, so the service-thread paths use the client and these copies.
    Sandbox& sb_;
    Client& c_;
    const std::string envd_url_, sb_id_;
    CodeHandlers h_;
    std::shared_ptr<transport::Call> call_;

    // Service thread only until done_ is published under mu_.
    proto::LineSplitter lines_;
    std::shared_ptr<Execution> exec_ = std::make_shared<Execution>();
    int status_ = 0;
    std::string error_body_;  // body of a non-200 response
    std::string proto_error_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool responded_ = false, done_ = false, canceled_ = false;
    std::optional<Error> error_;

    std::recursive_mutex cb_mu_;  // held while a user handler runs
    bool released_ = false;
    std::atomic<bool> user_stopped_{false};
};

// Contexts (§6.3). language/cwd unset: the server's defaults (python, /home/user).
proto::CodeContext create_code_context(Sandbox& sb, const std::optional<std::string>& language,
                                       const std::optional<std::string>& cwd);
std::vector<proto::CodeContext> list_code_contexts(Sandbox& sb);
void restart_code_context(Sandbox& sb, const std::string& id);
void remove_code_context(Sandbox& sb, const std::string& id);

}  // namespace e2b::core
