// HTTP transport for the client library: one service thread per Transport drives libcurl's multi
// interface for every request (unary, streaming, uploads, downloads). Internal C++ API; the core
// builds on it, the C ABI never exposes it.
//
// Threading (style.md §5):
//   - start(), Call::cancel(), dispatch(), wake_fd() may be called from any thread.
//   - Callbacks run on the service thread (Delivery::kServiceThread), or are queued and run inside
//     dispatch() on the host's thread (Delivery::kQueued). A Request's body_reader always runs on
//     the service thread (curl pulls it synchronously).
//   - Per call: on_response at most once, then on_data zero or more times, then on_done exactly
//     once; nothing after on_done.
//   - perform() from inside any callback returns E2B_EMISUSE instead of deadlocking.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2b::transport {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullptr when absent.
const std::string* find_header(const Headers& h, std::string_view name);

struct Error {
    int code = 0;          // E2B_OK or an E2B_E* code from include/e2b.h
    int http_status = 0;   // last HTTP status seen (0 = none)
    std::string message;   // empty when ok
    int attempts = 0;      // HTTP attempts made (retries included)
    bool ok() const { return code == 0; }
};

// Retries apply only to idempotent requests and only before any response byte reached the caller:
// HTTP 429/502/503 and connection-level failures (refused, reset, nothing received).
struct RetryPolicy {
    int max_attempts = 3;            // total attempts including the first; 1 = no retries
    int64_t base_delay_ms = 100;     // delay before retry n is base * 2^(n-1), capped
    int64_t max_delay_ms = 5000;
    int64_t max_retry_after_ms = 30000;  // a longer Retry-After gives up (returns the response)
};

// Delay before retry number `retry` (1-based). Without Retry-After: exponential with "equal
// jitter" (half fixed, half random from *rng_state, a splitmix64 state the caller owns). With
// Retry-After: exactly that delay. nullopt = do not retry (Retry-After beyond the policy's cap).
std::optional<int64_t> retry_delay_ms(const RetryPolicy& p, int retry,
                                      std::optional<int64_t> retry_after_ms,
                                      uint64_t* rng_state);

// Retry-After header value → delay in ms: delta-seconds or an HTTP-date (relative to now_unix_s).
// Dates in the past give 0. nullopt when unparseable.
std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now_unix_s);

enum class Action { kContinue, kAbort };  // kAbort ends the call with E2B_EUSER

struct Request {
    std::string method = "GET";
    std::string url;
    Headers headers;
    std::string body;  // used when body_reader is empty
    // Streamed upload: fill up to `cap` bytes of `buf`; return the count, 0 at end, <0 to abort
    // (→ E2B_EUSER). Runs on the service thread. Requests with a reader are never retried.
    std::function<int64_t(char* buf, size_t cap)> body_reader;
    int64_t body_size = -1;        // with body_reader: known size → Content-Length; -1 → chunked
    int64_t timeout_ms = 0;        // whole call incl. retries and streaming; 0 = none
    int64_t idle_timeout_ms = 0;   // no byte either way for this long → E2B_ETIMEOUT; 0 = none
    int64_t connect_timeout_ms = -1;  // -1 = the transport's default
    bool idempotent = false;
    std::optional<RetryPolicy> retry;  // unset = the transport's default policy
    // libcurl's receive buffer (CURLOPT_BUFFERSIZE); 0 = its default, 16 KiB. Larger means fewer
    // recv calls and on_data calls on a fast stream; pages are touched only as data fills them.
    int64_t recv_buffer = 0;
};

struct Callbacks {
    // Final response status and headers (not called for retried attempts or 1xx).
    std::function<Action(int status, const Headers& headers)> on_response;
    // Body bytes as they arrive; `data` is valid only during the call.
    std::function<Action(const char* data, size_t len)> on_data;
    // Exactly once, last. ok() for any complete HTTP exchange (whatever the status; the status is
    // in http_status); E2B_ENETWORK (no/partial response), E2B_ETIMEOUT, E2B_ECANCELED, E2B_EUSER.
    std::function<void(const Error&)> on_done;
};

class Transport;
struct Shared;

// Cancellation of blocking calls (e2b_cancel): while a token is bound to a thread, every request
// that thread starts is tracked by it, and triggering the token cancels them (E2B_ECANCELED);
// requests started after the trigger fail at once. The bound thread needs no other cooperation,
// so every blocking call (and each step of a composite one) is covered.
struct CancelToken;
std::shared_ptr<CancelToken> cancel_token_new();
void cancel_token_trigger(CancelToken& t);  // any thread, idempotent
bool cancel_token_triggered(const CancelToken& t);
void cancel_token_bind(std::shared_ptr<CancelToken> t);  // calling thread; nullptr unbinds

// Handle to one request. Release it whenever; the transport keeps what it needs alive.
class Call {
public:
    ~Call();
    // Any thread, any time, idempotent; ends the call with E2B_ECANCELED unless already done.
    void cancel();
    // True once the call has ended: its on_done is running or has run (kQueued: was dispatched).
    bool done() const;

    struct State;  // opaque; defined in transport.cpp

private:
    friend class Transport;
    explicit Call(std::shared_ptr<State> s) : s_(std::move(s)) {}
    std::shared_ptr<State> s_;
};

struct Response {
    Error error;
    int status = 0;
    Headers headers;
    std::string body;
};

enum class Delivery { kServiceThread, kQueued };

// What the completion hook sees of one finished call (telemetry: logs and metrics).
struct Completed {
    const Request* req;      // the request as sent (valid during the hook only)
    int status;              // final HTTP status, 0 = none
    const Error* err;        // how the call ended (ok() for any complete HTTP exchange)
    int64_t duration_ns;     // from start() to the end, retries and streaming included
    uint64_t bytes_in;       // response body bytes received
    uint64_t bytes_out;      // request body bytes sent
};

// Something else the service thread drives besides libcurl (the WebSocket engine): its file
// descriptors join curl_multi_poll's extra fds, so one thread waits on everything with no busy
// polling. All methods run on the service thread.
struct PollFd {
    int fd = -1;
    short events = 0;  // POLLIN / POLLOUT
};
class ServiceHook {
public:
    virtual ~ServiceHook() = default;
    // Every loop iteration (after tasks and curl's work, and after every wake-up): run what is
    // due, then append the fds to wait on. Returns the ms until it must run again even without
    // fd activity (-1 = no deadline, 0 = at once).
    virtual int64_t service(std::vector<PollFd>* fds) = 0;
    // Once, when the transport stops (before in-flight HTTP calls are cancelled): end everything.
    virtual void shutdown() = 0;
};

struct Options {
    std::string user_agent = "libe2b/0.1.0";
    std::optional<std::string> proxy;    // unset: libcurl's default (env vars); "" = none
    int64_t connect_timeout_ms = 10000;
    Delivery delivery = Delivery::kServiceThread;
    RetryPolicy retry;
    std::optional<uint64_t> jitter_seed;  // fixed seed for reproducible backoff (tests)
    size_t queued_high_water = 1u << 20;  // kQueued: pause a download above this many queued bytes
    // Runs on the service thread once per call as it ends, before its on_done (whatever the
    // delivery mode): the one place every request of a client passes, so telemetry hooks here.
    // Must be quick and must not throw.
    std::function<void(const Completed&)> on_complete;
};

class Transport {
public:
    explicit Transport(Options opts = {});
    // Cancels every call (on_done with E2B_ECANCELED), joins the service thread. In kQueued mode
    // the queued on_done callbacks run here, on the destroying thread; data callbacks are dropped.
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    std::shared_ptr<Call> start(Request req, Callbacks cbs);

    // Blocking: start + wait, buffering the body. E2B_EMISUSE when called from inside a callback.
    Response perform(Request req);

    // kQueued: run up to max_events queued callbacks (<=0: all); returns how many ran.
    int dispatch(int max_events = 0);
    // Readable while callbacks are queued (eventfd); -1 in kServiceThread mode.
    int wake_fd() const;

    const Options& options() const;

    // For layers that parse a stream themselves and deliver their own events: callbacks always on
    // the service thread whatever the delivery mode (the layer then uses post()).
    std::shared_ptr<Call> start_on_service_thread(Request req, Callbacks cbs);
    // Runs fn as a callback: queued for dispatch() in kQueued mode, else right here (the caller is
    // then expected to be on the service thread). `terminal` tasks still run at destruction.
    void post(std::function<void()> fn, bool terminal);
    // True inside any callback or on the service thread: blocking waits must fail with
    // E2B_EMISUSE there, as perform() does.
    bool blocking_forbidden() const;

    // Any thread: registers a hook (kept until the transport stops) and wakes the service thread.
    void add_hook(std::shared_ptr<ServiceHook> hook);
    // Any thread: runs fn on the service thread at its next iteration (wakes it). Returns false,
    // dropping fn, once the transport is stopping.
    bool run_on_service_thread(std::function<void()> fn);
    bool on_service_thread() const;

private:
    std::shared_ptr<Call> start_impl(Request req, Callbacks cbs, bool force_service_thread);
    std::shared_ptr<Shared> sh_;
};

}  // namespace e2b::transport
