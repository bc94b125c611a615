#include "transport/transport.hpp"

#include <curl/curl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "e2b.h"
#include "util/time.hpp"

namespace e2b::transport {

namespace {

// Depth of user callbacks on this thread: perform() inside one would deadlock (service thread) or
// violate the "no blocking call from a callback" rule (dispatch thread).
thread_local int tl_callback_depth = 0;
struct CallbackScope {
    CallbackScope() { ++tl_callback_depth; }
    ~CallbackScope() { --tl_callback_depth; }
};

uint64_t splitmix64(uint64_t* s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

bool retryable_status(long s) { return s == 429 || s == 502 || s == 503; }

bool retryable_curl(CURLcode rc) {
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
           rc == CURLE_GOT_NOTHING;
}

std::once_flag g_curl_init;

}  // namespace

const std::string* find_header(const Headers& h, std::string_view name) {
    for (auto& kv : h)
        if (ieq(kv.first, name)) return &kv.second;
    return nullptr;
}

std::optional<int64_t> retry_delay_ms(const RetryPolicy& p, int retry,
                                      std::optional<int64_t> retry_after_ms, uint64_t* rng_state) {
    if (retry_after_ms) {
        if (*retry_after_ms > p.max_retry_after_ms) return std::nullopt;
        return std::max<int64_t>(0, *retry_after_ms);
    }
    int shift = std::min(std::max(retry, 1) - 1, 30);
    int64_t d = std::min<int64_t>(p.max_delay_ms, p.base_delay_ms << shift);
    if (d <= 0) return 0;
    int64_t half = d / 2;
    return half + static_cast<int64_t>(splitmix64(rng_state) % static_cast<uint64_t>(d - half + 1));
}

std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now_unix_s) {
    std::string_view v = trim(value);
    if (v.empty()) return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (v.size() > 9) return std::nullopt;  // > 30 years: nonsense, and avoids overflow
        return std::stoll(std::string(v)) * 1000;
    }
    // HTTP-date (IMF-fixdate, RFC 850 or asctime); curl_getdate parses all three.
    time_t t = curl_getdate(std::string(v).c_str(), nullptr);
    if (t == -1) return std::nullopt;
    return std::max<int64_t>(0, static_cast<int64_t>(t) - now_unix_s) * 1000;
}

// ---- internal state ------------------------------------------------------------------------

struct Call::State {
    Request req;
    Callbacks cbs;
    bool queued = false;  // callbacks go through the dispatch queue
    std::shared_ptr<Shared> sh;

    // Service thread only.
    CURL* easy = nullptr;
    curl_slist* hdrs = nullptr;
    char errbuf[CURL_ERROR_SIZE] = {};
    int attempt = 0;
    int64_t deadline_ns = 0;
    int64_t last_activity_ns = 0;
    int64_t retry_at_ns = 0;
    int64_t retry_delay = 0;
    int64_t start_ns = 0;  // set in start(), read once the call ended
    uint64_t bytes_in = 0, bytes_out = 0;
    long status = 0;
    Headers resp_headers;
    bool response_delivered = false;
    bool retry_pending = false;
    bool user_abort = false;
    bool finished = false;

    // Cross-thread.
    std::atomic<bool> cancel_requested{false};
    std::atomic<bool> user_aborted{false};  // set by dispatch() when a queued callback aborts
    std::atomic<bool> paused{false};
    std::atomic<bool> done{false};
    std::atomic<size_t> queued_bytes{0};
};

using StatePtr = std::shared_ptr<Call::State>;

struct Event {
    enum Kind { kResponse, kData, kDone, kTask };
    Event(Kind k, StatePtr c) : kind(k), call(std::move(c)) {}
    Kind kind;
    StatePtr call;
    int status = 0;
    Headers headers;
    std::string data;
    Error err;
    std::function<void()> task;  // kTask (call is null)
    bool terminal = false;       // kTask that must run even at shutdown
};

struct Shared {
    Options opts;
    CURLM* multi = nullptr;
    // Easy handles of ended requests, reset and reused (service thread only): creating one per
    // request showed up in the per-call cost next to a raw libcurl client reusing its handle.
    std::vector<CURL*> spare_easy;
    std::thread thread;
    std::thread::id service_id;
    uint64_t rng = 0;

    // Commands from other threads, under mu.
    std::mutex mu;
    bool alive = true;  // multi is valid
    bool stopping = false;
    std::vector<StatePtr> to_start, to_cancel;
    std::vector<std::function<void()>> tasks;
    std::vector<std::shared_ptr<ServiceHook>> new_hooks;

    // Service thread only.
    std::vector<std::shared_ptr<ServiceHook>> hooks;

    // Queued delivery.
    std::mutex qmu;
    std::deque<Event> q;
    int efd = -1;

    // Service thread only.
    std::map<CURL*, StatePtr> active;
    std::vector<StatePtr> waiting;  // between retries

    void wake() {
        std::lock_guard<std::mutex> lk(mu);
        if (alive) curl_multi_wakeup(multi);
    }
    void post_cancel(const StatePtr& s) {
        std::lock_guard<std::mutex> lk(mu);
        if (!alive || stopping) return;
        to_cancel.push_back(s);
        curl_multi_wakeup(multi);
    }
    void push_event(Event ev) {
        std::lock_guard<std::mutex> lk(qmu);
        if (q.empty()) {
            uint64_t one = 1;
            (void)!write(efd, &one, sizeof one);
        }
        q.push_back(std::move(ev));
    }

    void run();
    void begin(const StatePtr& s);
    void attempt(const StatePtr& s);
    void detach(const StatePtr& s);
    void complete(const StatePtr& s, CURLcode rc);
    void schedule_retry(const StatePtr& s, int64_t delay_ms);
    void finish(const StatePtr& s, Error err);
    void check_timers(int64_t now, int64_t* next_ns);
    bool can_retry(const Call::State& s) const;
    void deliver_response(Call::State& s);
    void run_event(Event& ev);

    static size_t on_header(char* buf, size_t size, size_t n, void* ud);
    static size_t on_write(char* buf, size_t size, size_t n, void* ud);
    static size_t on_read(char* buf, size_t size, size_t n, void* ud);
};

bool Shared::can_retry(const Call::State& s) const {
    const RetryPolicy& p = s.req.retry ? *s.req.retry : opts.retry;
    return s.req.idempotent && !s.req.body_reader && !s.response_delivered &&
           s.attempt < p.max_attempts && !s.cancel_requested.load();
}

void Shared::deliver_response(Call::State& s) {
    s.response_delivered = true;
    if (s.queued) {
        Event ev{Event::kResponse, nullptr};
        ev.status = static_cast<int>(s.status);
        ev.headers = s.resp_headers;
        // The event needs a strong reference; find ours through the active map.
        ev.call = active.at(s.easy);
        push_event(std::move(ev));
        return;
    }
    if (!s.cbs.on_response) return;
    CallbackScope cs;
    if (s.cbs.on_response(static_cast<int>(s.status), s.resp_headers) == Action::kAbort)
        s.user_abort = true;
}

size_t Shared::on_header(char* buf, size_t size, size_t n, void* ud) {
    auto* s = static_cast<Call::State*>(ud);
    size_t len = size * n;
    s->last_activity_ns = now_mono_ns();
    if (s->response_delivered) return len;  // trailers
    std::string_view line(buf, len);
    if (line.size() >= 5 && line.compare(0, 5, "HTTP/") == 0) {
        s->resp_headers.clear();
        return len;
    }
    if (trim(line).empty()) {
        long code = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200) return len;  // 1xx: another header block follows
        s->status = code;
        Shared* sh = s->sh.get();
        if (retryable_status(code) && sh->can_retry(*s)) {
            std::optional<int64_t> ra;
            if (auto* v = find_header(s->resp_headers, "retry-after"))
                ra = parse_retry_after(*v, now_unix_ns() / 1000000000LL);
            const RetryPolicy& p = s->req.retry ? *s->req.retry : sh->opts.retry;
            if (auto d = retry_delay_ms(p, s->attempt, ra, &sh->rng)) {
                s->retry_pending = true;
                s->retry_delay = *d;
                return 0;  // abort this attempt; its body is not wanted
            }
        }
        if (s->cancel_requested.load()) return 0;
        sh->deliver_response(*s);
        return s->user_abort ? 0 : len;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos)
        s->resp_headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
    return len;
}

size_t Shared::on_write(char* buf, size_t size, size_t n, void* ud) {
    auto* s = static_cast<Call::State*>(ud);
    size_t len = size * n;
    s->last_activity_ns = now_mono_ns();
    if (s->cancel_requested.load() || s->user_aborted.load() || s->user_abort) return 0;
    s->bytes_in += len;
    Shared* sh = s->sh.get();
    if (s->queued) {
        if (s->queued_bytes.load() >= sh->opts.queued_high_water) {
            // Flow control: curl keeps these bytes and hands them again after unpause.
            s->paused.store(true);
            return CURL_WRITEFUNC_PAUSE;
        }
        s->queued_bytes += len;
        Event ev{Event::kData, sh->active.at(s->easy)};
        ev.data.assign(buf, len);
        sh->push_event(std::move(ev));
        return len;
    }
    if (!s->cbs.on_data) return len;
    CallbackScope cs;
    if (s->cbs.on_data(buf, len) == Action::kAbort) {
        s->user_abort = true;
        return 0;
    }
    return len;
}

size_t Shared::on_read(char* buf, size_t size, size_t n, void* ud) {
    auto* s = static_cast<Call::State*>(ud);
    s->last_activity_ns = now_mono_ns();
    if (s->cancel_requested.load() || s->user_aborted.load()) return CURL_READFUNC_ABORT;
    int64_t r;
    {
        CallbackScope cs;
        r = s->req.body_reader(buf, size * n);
    }
    if (r < 0) {
        s->user_abort = true;
        return CURL_READFUNC_ABORT;
    }
    size_t got = static_cast<size_t>(std::min<int64_t>(r, static_cast<int64_t>(size * n)));
    s->bytes_out += got;
    return got;
}

void Shared::begin(const StatePtr& s) {
    int64_t now = now_mono_ns();
    if (s->req.timeout_ms > 0) s->deadline_ns = now + s->req.timeout_ms * 1000000LL;
    if (s->cancel_requested.load()) {
        finish(s, {E2B_ECANCELED, 0, "canceled"});
        return;
    }
    attempt(s);
}

void Shared::attempt(const StatePtr& s) {
    const Request& r = s->req;
    CURL* e = nullptr;
    if (!spare_easy.empty()) {
        e = spare_easy.back();
        spare_easy.pop_back();
        curl_easy_reset(e);
    } else {
        e = curl_easy_init();
    }
    if (!e) {
        finish(s, {E2B_ENOMEM, 0, "curl_easy_init failed"});
        return;
    }
    s->easy = e;
    ++s->attempt;
    s->status = 0;
    s->resp_headers.clear();
    s->retry_pending = false;
    s->errbuf[0] = 0;
    s->last_activity_ns = now_mono_ns();

    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, s.get());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, opts.user_agent.c_str());
    if (opts.proxy) curl_easy_setopt(e, CURLOPT_PROXY, opts.proxy->c_str());
    int64_t cto = r.connect_timeout_ms >= 0 ? r.connect_timeout_ms : opts.connect_timeout_ms;
    if (cto > 0) curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cto));
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Shared::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Shared::on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s.get());
    if (r.recv_buffer > 0) curl_easy_setopt(e, CURLOPT_BUFFERSIZE, static_cast<long>(r.recv_buffer));

    bool has_body = static_cast<bool>(r.body_reader) || !r.body.empty() || r.method == "POST" ||
                    r.method == "PUT" || r.method == "PATCH";
    if (r.body_reader) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, &Shared::on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, s.get());
        if (r.body_size >= 0)
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body_size));
        else
            s->hdrs = curl_slist_append(s->hdrs, "Transfer-Encoding: chunked");
    } else if (has_body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    if (r.method == "HEAD")
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (r.method != "POST" && (has_body || r.method != "GET"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    // A 100-continue round trip would cost a full RTT (or a 1 s stall) on every upload.
    if (has_body) s->hdrs = curl_slist_append(s->hdrs, "Expect:");
    for (auto& [k, v] : r.headers) {
        // "Name;" is curl's spelling of a header sent with an empty value.
        std::string line = v.empty() ? k + ";" : k + ": " + v;
        s->hdrs = curl_slist_append(s->hdrs, line.c_str());
    }
    if (s->hdrs) curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->hdrs);

    active[e] = s;
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
        finish(s, {E2B_ERROR, 0, "curl_multi_add_handle failed", s->attempt});
    }
}

void Shared::detach(const StatePtr& s) {
    if (s->easy) {
        curl_multi_remove_handle(multi, s->easy);
        if (spare_easy.size() < 16) spare_easy.push_back(s->easy);
        else curl_easy_cleanup(s->easy);
        active.erase(s->easy);
        s->easy = nullptr;
    }
    if (s->hdrs) {
        curl_slist_free_all(s->hdrs);
        s->hdrs = nullptr;
    }
    s->paused.store(false);
}

void Shared::schedule_retry(const StatePtr& s, int64_t delay_ms) {
    s->retry_at_ns = now_mono_ns() + delay_ms * 1000000LL;
    waiting.push_back(s);
}

void Shared::complete(const StatePtr& s, CURLcode rc) {
    std::string cerr = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    detach(s);
    int st = static_cast<int>(s->status);
    if (s->cancel_requested.load())
        return finish(s, {s->user_aborted ? E2B_EUSER : E2B_ECANCELED, st, "canceled", s->attempt});
    if (s->user_abort || s->user_aborted.load())
        return finish(s, {E2B_EUSER, st, "aborted by a callback", s->attempt});
    if (s->retry_pending) return schedule_retry(s, s->retry_delay);
    if (rc == CURLE_OK) {
        if (!s->response_delivered) {
            // A response without a header block end (should not happen with HTTP/1.x).
            return finish(s, {E2B_EPROTOCOL, st, "no response headers", s->attempt});
        }
        return finish(s, {E2B_OK, st, "", s->attempt});
    }
    if (retryable_curl(rc) && can_retry(*s)) {
        const RetryPolicy& p = s->req.retry ? *s->req.retry : opts.retry;
        return schedule_retry(s, *retry_delay_ms(p, s->attempt, std::nullopt, &rng));
    }
    int code = rc == CURLE_OPERATION_TIMEDOUT ? E2B_ETIMEOUT : E2B_ENETWORK;
    finish(s, {code, st, cerr, s->attempt});
}

void Shared::finish(const StatePtr& s, Error err) {
    if (s->finished) return;
    s->finished = true;
    if (err.attempts == 0) err.attempts = s->attempt;
    if (err.http_status == 0) err.http_status = static_cast<int>(s->status);
    detach(s);
    waiting.erase(std::remove(waiting.begin(), waiting.end(), s), waiting.end());
    if (opts.on_complete) {
        if (s->bytes_out == 0 && !s->req.body_reader) s->bytes_out = s->req.body.size();
        opts.on_complete(Completed{&s->req, static_cast<int>(s->status), &err,
                                   now_mono_ns() - s->start_ns, s->bytes_in, s->bytes_out});
    }
    if (s->queued) {
        Event ev{Event::kDone, s};
        ev.err = std::move(err);
        push_event(std::move(ev));
        return;
    }
    s->done.store(true);
    if (s->cbs.on_done) {
        CallbackScope cs;
        s->cbs.on_done(err);
    }
    s->cbs = Callbacks{};  // release captured resources now, on this thread
    s->req.body_reader = nullptr;
}

void Shared::check_timers(int64_t now, int64_t* next_ns) {
    std::vector<StatePtr> act;
    act.reserve(active.size());
    for (auto& kv : active) act.push_back(kv.second);
    auto consider = [&](int64_t t) {
        if (t > 0 && (*next_ns == 0 || t < *next_ns)) *next_ns = t;
    };
    for (auto& s : act) {
        if (s->paused.load() && s->queued_bytes.load() <= opts.queued_high_water / 2) {
            s->paused.store(false);
            s->last_activity_ns = now;  // the pause was ours, not the peer's silence
            curl_easy_pause(s->easy, CURLPAUSE_CONT);
            if (s->finished) continue;
        }
        if (s->deadline_ns && now >= s->deadline_ns) {
            finish(s, {E2B_ETIMEOUT, 0,
                       "request timed out after " + std::to_string(s->req.timeout_ms) + " ms"});
            continue;
        }
        int64_t idle = s->req.idle_timeout_ms * 1000000LL;
        if (idle > 0 && !s->paused.load()) {
            if (now - s->last_activity_ns >= idle) {
                finish(s, {E2B_ETIMEOUT, 0,
                           "no data for " + std::to_string(s->req.idle_timeout_ms) + " ms"});
                continue;
            }
            consider(s->last_activity_ns + idle);
        }
        consider(s->deadline_ns);
    }
    std::vector<StatePtr> w = waiting;
    for (auto& s : w) {
        if (s->deadline_ns && now >= s->deadline_ns) {
            finish(s, {E2B_ETIMEOUT, 0,
                       "request timed out after " + std::to_string(s->req.timeout_ms) + " ms"});
        } else if (now >= s->retry_at_ns) {
            waiting.erase(std::remove(waiting.begin(), waiting.end(), s), waiting.end());
            attempt(s);
        } else {
            consider(s->retry_at_ns);
            consider(s->deadline_ns);
        }
    }
}

void Shared::run() {
    for (;;) {
        std::vector<StatePtr> starts, cancels;
        std::vector<std::function<void()>> todo;
        bool stop;
        {
            std::lock_guard<std::mutex> lk(mu);
            starts.swap(to_start);
            cancels.swap(to_cancel);
            todo.swap(tasks);
            for (auto& h : new_hooks) hooks.push_back(std::move(h));
            new_hooks.clear();
            stop = stopping;
        }
        for (auto& fn : todo) fn();
        todo.clear();
        for (auto& s : starts) begin(s);
        for (auto& s : cancels)
            finish(s, {s->user_aborted ? E2B_EUSER : E2B_ECANCELED, 0,
                       s->user_aborted ? "aborted by a callback" : "canceled"});
        if (stop) break;

        int running = 0;
        curl_multi_perform(multi, &running);
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            auto it = active.find(m->easy_handle);
            if (it == active.end()) continue;
            StatePtr s = it->second;
            complete(s, m->data.result);
        }

        int64_t now = now_mono_ns();
        int64_t next_ns = 0;
        check_timers(now, &next_ns);

        long curl_to = -1;
        curl_multi_timeout(multi, &curl_to);
        long to = 1000;  // upper bound keeps timers honest even if a wake-up were lost
        if (curl_to >= 0) to = std::min(to, curl_to);
        if (next_ns) to = std::min<long>(to, std::max<int64_t>(0, (next_ns - now + 999999) / 1000000));
        std::vector<PollFd> pfds;
        for (auto& h : hooks) {
            int64_t hto = h->service(&pfds);
            if (hto >= 0) to = std::min<long>(to, static_cast<long>(hto));
        }
        std::vector<curl_waitfd> extra(pfds.size());
        for (size_t i = 0; i < pfds.size(); ++i) {
            extra[i].fd = pfds[i].fd;
            extra[i].events = pfds[i].events;
            extra[i].revents = 0;
        }
        curl_multi_poll(multi, extra.data(), static_cast<unsigned>(extra.size()), static_cast<int>(to),
                        nullptr);
    }
    {
        std::lock_guard<std::mutex> lk(mu);
        for (auto& h : new_hooks) hooks.push_back(std::move(h));
        new_hooks.clear();
    }
    for (auto& h : hooks) h->shutdown();
    hooks.clear();
    std::vector<std::function<void()>> dropped;  // destroyed outside the lock
    {
        std::lock_guard<std::mutex> lk(mu);
        dropped.swap(tasks);
    }
    dropped.clear();
    // Shutdown: everything still in flight ends as canceled.
    std::vector<StatePtr> all;
    for (auto& kv : active) all.push_back(kv.second);
    all.insert(all.end(), waiting.begin(), waiting.end());
    {
        std::lock_guard<std::mutex> lk(mu);
        all.insert(all.end(), to_start.begin(), to_start.end());
        to_start.clear();
        to_cancel.clear();
    }
    for (auto& s : all) finish(s, {E2B_ECANCELED, 0, "transport shut down"});
}

void Shared::run_event(Event& ev) {
    if (ev.kind == Event::kTask) {
        CallbackScope cs;
        ev.task();
        return;
    }
    Call::State& s = *ev.call;
    bool stopped = s.cancel_requested.load() || s.user_aborted.load();
    CallbackScope cs;
    switch (ev.kind) {
    case Event::kResponse:
        if (!stopped && s.cbs.on_response &&
            s.cbs.on_response(ev.status, ev.headers) == Action::kAbort) {
            s.user_aborted.store(true);
            post_cancel(ev.call);
        }
        break;
    case Event::kData: {
        size_t left = (s.queued_bytes -= ev.data.size());
        if (!stopped && s.cbs.on_data &&
            s.cbs.on_data(ev.data.data(), ev.data.size()) == Action::kAbort) {
            s.user_aborted.store(true);
            post_cancel(ev.call);
        }
        if (s.paused.load() && left <= opts.queued_high_water / 2) wake();
        break;
    }
    case Event::kDone:
        s.done.store(true);
        if (s.cbs.on_done) s.cbs.on_done(ev.err);
        s.cbs = Callbacks{};
        s.req.body_reader = nullptr;
        break;
    case Event::kTask:
        break;  // handled above
    }
}

// ---- Call ----------------------------------------------------------------------------------

Call::~Call() = default;

namespace {
void cancel_state(const std::shared_ptr<Call::State>& s) {
    if (s->cancel_requested.exchange(true)) return;
    s->sh->post_cancel(s);
}
}  // namespace

void Call::cancel() { cancel_state(s_); }

// ---- cancel tokens -------------------------------------------------------------------------

struct CancelToken {
    mutable std::mutex mu;
    bool triggered = false;
    std::vector<std::weak_ptr<Call::State>> calls;  // started by a thread while bound
};

namespace {
thread_local std::shared_ptr<CancelToken> t_cancel;

// Called on the starting thread: true when the new call must end at once (already triggered).
bool track_call(const std::shared_ptr<Call::State>& s) {
    if (!t_cancel) return false;
    std::lock_guard<std::mutex> lk(t_cancel->mu);
    if (t_cancel->triggered) return true;
    auto& v = t_cancel->calls;
    if (v.size() >= 64)  // drop the ended ones now and then: a token may live long
        v.erase(std::remove_if(v.begin(), v.end(), [](const auto& w) { return w.expired(); }), v.end());
    v.push_back(s);
    return false;
}
}  // namespace

std::shared_ptr<CancelToken> cancel_token_new() { return std::make_shared<CancelToken>(); }

void cancel_token_trigger(CancelToken& t) {
    std::vector<std::weak_ptr<Call::State>> calls;
    {
        std::lock_guard<std::mutex> lk(t.mu);
        if (t.triggered) return;
        t.triggered = true;
        calls.swap(t.calls);
    }
    for (auto& w : calls)
        if (auto s = w.lock()) cancel_state(s);
}

bool cancel_token_triggered(const CancelToken& t) {
    std::lock_guard<std::mutex> lk(t.mu);
    return t.triggered;
}

void cancel_token_bind(std::shared_ptr<CancelToken> t) { t_cancel = std::move(t); }

bool Call::done() const { return s_->done.load(); }

// ---- Transport -----------------------------------------------------------------------------

Transport::Transport(Options opts) : sh_(std::make_shared<Shared>()) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    sh_->opts = std::move(opts);
    sh_->rng = sh_->opts.jitter_seed ? *sh_->opts.jitter_seed
                                     : static_cast<uint64_t>(now_unix_ns()) ^
                                           reinterpret_cast<uintptr_t>(sh_.get());
    sh_->multi = curl_multi_init();
    if (sh_->opts.delivery == Delivery::kQueued)
        sh_->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Shared* sh = sh_.get();
    sh_->thread = std::thread([sh] { sh->run(); });
    sh_->service_id = sh_->thread.get_id();
}

Transport::~Transport() {
    {
        std::lock_guard<std::mutex> lk(sh_->mu);
        sh_->stopping = true;
        curl_multi_wakeup(sh_->multi);
    }
    sh_->thread.join();
    {
        std::lock_guard<std::mutex> lk(sh_->mu);
        sh_->alive = false;
    }
    for (CURL* e : sh_->spare_easy) curl_easy_cleanup(e);
    sh_->spare_easy.clear();
    curl_multi_cleanup(sh_->multi);
    sh_->multi = nullptr;
    // Queued mode: nobody will dispatch any more; honour "on_done exactly once" here.
    std::deque<Event> rest;
    {
        std::lock_guard<std::mutex> lk(sh_->qmu);
        rest.swap(sh_->q);
    }
    for (auto& ev : rest)
        if (ev.kind == Event::kDone || (ev.kind == Event::kTask && ev.terminal)) sh_->run_event(ev);
    if (sh_->efd >= 0) close(sh_->efd);
    sh_->efd = -1;
}

const Options& Transport::options() const { return sh_->opts; }

int Transport::wake_fd() const { return sh_->efd; }

std::shared_ptr<Call> Transport::start(Request req, Callbacks cbs) {
    return start_impl(std::move(req), std::move(cbs), false);
}

std::shared_ptr<Call> Transport::start_impl(Request req, Callbacks cbs, bool force_service_thread) {
    auto st = std::make_shared<Call::State>();
    st->start_ns = now_mono_ns();
    st->req = std::move(req);
    st->cbs = std::move(cbs);
    st->queued = sh_->opts.delivery == Delivery::kQueued && !force_service_thread;
    st->sh = sh_;
    if (track_call(st)) st->cancel_requested = true;  // begin() ends it as canceled
    {
        std::lock_guard<std::mutex> lk(sh_->mu);
        sh_->to_start.push_back(st);
        curl_multi_wakeup(sh_->multi);
    }
    return std::shared_ptr<Call>(new Call(st));
}

std::shared_ptr<Call> Transport::start_on_service_thread(Request req, Callbacks cbs) {
    return start_impl(std::move(req), std::move(cbs), true);
}

void Transport::post(std::function<void()> fn, bool terminal) {
    if (sh_->opts.delivery != Delivery::kQueued) {
        CallbackScope cs;
        fn();
        return;
    }
    Event ev{Event::kTask, nullptr};
    ev.task = std::move(fn);
    ev.terminal = terminal;
    sh_->push_event(std::move(ev));
}

void Transport::add_hook(std::shared_ptr<ServiceHook> hook) {
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (sh_->stopping) return;
    sh_->new_hooks.push_back(std::move(hook));
    curl_multi_wakeup(sh_->multi);
}

bool Transport::run_on_service_thread(std::function<void()> fn) {
    std::lock_guard<std::mutex> lk(sh_->mu);
    if (sh_->stopping) return false;
    sh_->tasks.push_back(std::move(fn));
    curl_multi_wakeup(sh_->multi);
    return true;
}

bool Transport::on_service_thread() const { return std::this_thread::get_id() == sh_->service_id; }

bool Transport::blocking_forbidden() const {
    return tl_callback_depth > 0 || std::this_thread::get_id() == sh_->service_id;
}

Response Transport::perform(Request req) {
    Response out;
    if (blocking_forbidden()) {
        out.error = {E2B_EMISUSE, 0, "blocking call from inside a callback"};
        return out;
    }
    struct Wait {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
    };
    auto w = std::make_shared<Wait>();
    Callbacks cbs;
    // Callbacks run on the service thread (forced), touching `out` only before on_done.
    cbs.on_response = [&out](int status, const Headers& h) {
        out.status = status;
        out.headers = h;
        return Action::kContinue;
    };
    cbs.on_data = [&out](const char* d, size_t n) {
        out.body.append(d, n);
        return Action::kContinue;
    };
    cbs.on_done = [&out, w](const Error& e) {
        out.error = e;
        std::lock_guard<std::mutex> lk(w->mu);
        w->done = true;
        w->cv.notify_all();
    };
    auto call = start_impl(std::move(req), std::move(cbs), true);
    std::unique_lock<std::mutex> lk(w->mu);
    w->cv.wait(lk, [&] { return w->done; });
    return out;
}

int Transport::dispatch(int max_events) {
    int ran = 0;
    while (max_events <= 0 || ran < max_events) {
        Event ev{Event::kDone, nullptr};
        {
            std::lock_guard<std::mutex> lk(sh_->qmu);
            if (sh_->q.empty()) break;
            ev = std::move(sh_->q.front());
            sh_->q.pop_front();
            if (sh_->q.empty()) {
                uint64_t v;
                (void)!read(sh_->efd, &v, sizeof v);  // no longer readable until the next push
            }
        }
        sh_->run_event(ev);
        ++ran;
    }
    return ran;
}

}  // namespace e2b::transport
