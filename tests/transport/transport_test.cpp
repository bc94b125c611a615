// Transport tests against a real e2b-local (started here, as root, on a free port).
// Usage: transport_test [path/to/e2b-local]
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2b.h"
#include "protocol/connect.hpp"
#include "transport/transport.hpp"
#include "util/json.hpp"
#include "util/time.hpp"

using namespace e2b::transport;
using Clock = std::chrono::steady_clock;

static int g_pass = 0, g_fail = 0;
#define CHECK(c)                                                                 \
    do {                                                                         \
        if (c) {                                                                 \
            ++g_pass;                                                            \
        } else {                                                                 \
            ++g_fail;                                                            \
            std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);    \
        }                                                                        \
    } while (0)

static int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// ---- e2b-local -----------------------------------------------------------------------------

static const std::string kKey = "e2b_0123456789abcdef0123456789abcdef01234567";

struct Server {
    std::string bin, dir, base;
    pid_t pid = -1;

    bool start() {
        std::string log = dir + ".log";
        std::fflush(nullptr);  // the child must not inherit unflushed output
        pid = fork();
        if (pid == 0) {
            FILE* f = std::freopen(log.c_str(), "w", stdout);
            (void)f;
            dup2(STDOUT_FILENO, STDERR_FILENO);
            execl(bin.c_str(), bin.c_str(), "serve", "--listen", "127.0.0.1:0", "--state-dir",
                  dir.c_str(), "--api-key", kKey.c_str(), (char*)nullptr);
            _exit(127);
        }
        for (int i = 0; i < 300; ++i) {
            std::ifstream in(log);
            std::string line;
            while (std::getline(in, line)) {
                auto p = line.find("ready on ");
                if (p != std::string::npos) {
                    base = line.substr(p + 9);
                    return true;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    void stop(int sig) {
        if (pid <= 0) return;
        kill(pid, sig);
        int st;
        waitpid(pid, &st, 0);
        pid = -1;
    }
};

static Server g_srv;
static std::string g_sbx, g_token;

static Headers envd_headers() {
    Headers h = {{"E2b-Sandbox-Id", g_sbx}, {"E2b-Sandbox-Port", "49983"}};
    if (!g_token.empty()) h.emplace_back("X-Access-Token", g_token);
    return h;
}

static Request start_request(const std::string& cmd) {
    Request r;
    r.method = "POST";
    r.url = g_srv.base + "/process.Process/Start";
    r.headers = envd_headers();
    r.headers.emplace_back("Content-Type", "application/connect+json");
    r.headers.emplace_back("Connect-Protocol-Version", "1");
    auto j = e2b::json_object();
    cJSON* p = e2b::json_set_obj(j.get(), "process");
    e2b::json_set_str(p, "cmd", "/bin/bash");
    cJSON* args = cJSON_AddArrayToObject(p, "args");
    cJSON_AddItemToArray(args, cJSON_CreateString("-l"));
    cJSON_AddItemToArray(args, cJSON_CreateString("-c"));
    cJSON_AddItemToArray(args, cJSON_CreateString(cmd.c_str()));
    e2b::json_set_bool(j.get(), "stdin", false);
    r.body = e2b::connect::envelope(e2b::json_print(j.get()));
    return r;
}

// Collects a stream's envelopes with arrival times; on_done signals a condition variable.
struct StreamLog {
    std::mutex mu;
    std::condition_variable cv;
    e2b::connect::EnvelopeReader reader;
    std::vector<std::pair<int64_t, e2b::connect::Envelope>> msgs;  // ms since t0
    Clock::time_point t0 = Clock::now();
    int status = 0;
    bool done = false;
    Error err;
    int64_t done_ms = 0;
    std::atomic<int> after_done{0};
    std::atomic<bool> got_start{false};

    Callbacks callbacks() {
        Callbacks c;
        c.on_response = [this](int s, const Headers&) {
            if (done) ++after_done;
            status = s;
            return Action::kContinue;
        };
        c.on_data = [this](const char* d, size_t n) {
            if (done) ++after_done;
            std::lock_guard<std::mutex> lk(mu);
            reader.feed(std::string_view(d, n));
            e2b::connect::Envelope e;
            while (reader.next(&e) == e2b::connect::EnvelopeReader::Status::kMessage) {
                if (e.payload.find("\"start\"") != std::string::npos) got_start = true;
                msgs.emplace_back(ms_since(t0), e);
            }
            cv.notify_all();
            return Action::kContinue;
        };
        c.on_done = [this](const Error& e) {
            std::lock_guard<std::mutex> lk(mu);
            err = e;
            done = true;
            done_ms = ms_since(t0);
            cv.notify_all();
        };
        return c;
    }
    bool wait_done(int ms) {
        std::unique_lock<std::mutex> lk(mu);
        return cv.wait_for(lk, std::chrono::milliseconds(ms), [&] { return done; });
    }
    bool wait_start(int ms) {
        std::unique_lock<std::mutex> lk(mu);
        return cv.wait_for(lk, std::chrono::milliseconds(ms), [&] { return got_start.load() || done; }) &&
               got_start;
    }
    int64_t first_with(const std::string& needle) {
        std::lock_guard<std::mutex> lk(mu);
        for (auto& m : msgs)
            if (m.second.payload.find(needle) != std::string::npos) return m.first;
        return -1;
    }
};

// ---- tests ---------------------------------------------------------------------------------

static void test_backoff() {
    RetryPolicy p;
    p.base_delay_ms = 100;
    p.max_delay_ms = 1000;
    p.max_retry_after_ms = 10000;
    uint64_t a = 42, b = 42;
    std::vector<int64_t> seq;
    for (int i = 1; i <= 6; ++i) {
        auto d = retry_delay_ms(p, i, std::nullopt, &a);
        CHECK(d.has_value());
        int64_t cap = std::min<int64_t>(1000, 100LL << (i - 1));
        CHECK(*d >= cap / 2 && *d <= cap);
        seq.push_back(*d);
    }
    for (int i = 1; i <= 6; ++i) CHECK(*retry_delay_ms(p, i, std::nullopt, &b) == seq[i - 1]);
    uint64_t c = 43;  // another seed gives another sequence
    bool differs = false;
    for (int i = 1; i <= 6; ++i) differs |= *retry_delay_ms(p, i, std::nullopt, &c) != seq[i - 1];
    CHECK(differs);
    CHECK(*retry_delay_ms(p, 1, int64_t{3000}, &a) == 3000);
    CHECK(!retry_delay_ms(p, 1, int64_t{20000}, &a).has_value());

    CHECK(parse_retry_after("3", 0) == 3000);
    CHECK(parse_retry_after(" 120 ", 0) == 120000);
    int64_t now = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT
    CHECK(parse_retry_after("Tue, 14 Nov 2023 22:13:25 GMT", now) == 5000);
    CHECK(parse_retry_after("Tuesday, 14-Nov-23 22:13:30 GMT", now) == 10000);
    CHECK(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0);  // past
    CHECK(!parse_retry_after("soon", now).has_value());
    CHECK(!parse_retry_after("", now).has_value());
}

static void test_unary(Transport& t) {
    Request r;
    r.method = "POST";
    r.url = g_srv.base + "/sandboxes";
    r.headers = {{"X-API-KEY", kKey}, {"Content-Type", "application/json"}};
    r.body = R"({"templateID":"base","timeout":300,"secure":true,"allow_internet_access":false})";
    r.timeout_ms = 30000;
    Response resp = t.perform(r);
    CHECK(resp.error.ok());
    CHECK(resp.status == 201);
    auto j = e2b::json_parse(resp.body);
    CHECK(j != nullptr);
    g_sbx = e2b::json_str_or(j.get(), "sandboxID");
    g_token = e2b::json_str_or(j.get(), "envdAccessToken");
    CHECK(!g_sbx.empty());
    CHECK(!g_token.empty());
    const std::string* ct = find_header(resp.headers, "content-type");
    CHECK(ct && ct->find("application/json") != std::string::npos);

    Request g;
    g.url = g_srv.base + "/sandboxes/" + g_sbx;
    g.headers = {{"X-API-KEY", kKey}};
    g.idempotent = true;
    Response gr = t.perform(g);
    CHECK(gr.error.ok() && gr.status == 200);
    auto gj = e2b::json_parse(gr.body);
    CHECK(gj && e2b::json_str_or(gj.get(), "sandboxID") == g_sbx);
    std::printf("unary: create %s, get %d\n", g_sbx.c_str(), gr.status);
}

static void test_wrong_key(Transport& t) {
    Request g;
    g.url = g_srv.base + "/sandboxes/" + g_sbx;
    g.headers = {{"X-API-KEY", "e2b_ffffffffffffffffffffffffffffffffffffffff"}};
    Response r = t.perform(g);
    CHECK(r.error.ok());
    CHECK(r.status == 401);
    CHECK(r.error.http_status == 401);
}

static void test_stream(Transport& t) {
    StreamLog log;
    auto call = t.start(start_request("for i in 1 2 3; do echo $i; sleep 0.2; done"), log.callbacks());
    CHECK(log.wait_done(10000));
    CHECK(log.err.ok());
    CHECK(log.status == 200);
    int64_t t1 = log.first_with("MQo="), t3 = log.first_with("Mwo=");  // "1\n", "3\n"
    std::printf("stream: '1' at %lld ms, '3' at %lld ms, done at %lld ms\n", (long long)t1,
                (long long)t3, (long long)log.done_ms);
    CHECK(t1 >= 0 && t3 >= 0);
    CHECK(t3 - t1 >= 300);            // data arrived as produced, not at the end
    CHECK(log.done_ms - t1 >= 300);
    CHECK(!log.msgs.empty() && log.msgs.back().second.flags == e2b::connect::kFlagEndStream);
    CHECK(call->done());
    CHECK(log.after_done == 0);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // ASan's quarantine keeps freed chunks: RSS says nothing
#else
constexpr bool kSanitized = false;
#endif

static long maxrss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_upload_download(Transport& t) {
    const int64_t total = 64LL << 20;
    auto pattern = [](int64_t i) { return static_cast<char>((i * 2654435761ULL) >> 13); };
    long rss0 = maxrss_kb();
    int64_t produced = 0;
    uint64_t sum_up = 0;
    Request up;
    up.method = "POST";
    up.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fbig.bin";
    up.headers = envd_headers();
    up.headers.emplace_back("Content-Type", "application/octet-stream");
    up.body_reader = [&](char* buf, size_t cap) -> int64_t {
        int64_t n = std::min<int64_t>(cap, total - produced);
        for (int64_t k = 0; k < n; ++k) {
            buf[k] = pattern(produced + k);
            sum_up = sum_up * 31 + static_cast<unsigned char>(buf[k]);
        }
        produced += n;
        return n;
    };
    up.timeout_ms = 120000;
    auto t0 = Clock::now();
    Response ur = t.perform(up);
    int64_t up_ms = ms_since(t0);
    CHECK(ur.error.ok());
    CHECK(ur.status == 200);
    CHECK(produced == total);
    if (ur.status != 200) std::fprintf(stderr, "upload: %d %s %s\n", ur.status, ur.body.c_str(), ur.error.message.c_str());

    Request down;
    down.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fbig.bin";
    down.headers = envd_headers();
    down.timeout_ms = 120000;
    int64_t got = 0;
    uint64_t sum_down = 0;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Error derr;
    int status = 0;
    Callbacks c;
    c.on_response = [&](int s, const Headers&) {
        status = s;
        return Action::kContinue;
    };
    c.on_data = [&](const char* d, size_t n) {
        for (size_t k = 0; k < n; ++k) sum_down = sum_down * 31 + static_cast<unsigned char>(d[k]);
        got += n;
        return Action::kContinue;
    };
    c.on_done = [&](const Error& e) {
        std::lock_guard<std::mutex> lk(mu);
        derr = e;
        done = true;
        cv.notify_all();
    };
    t0 = Clock::now();
    auto call = t.start(down, c);
    {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait_for(lk, std::chrono::seconds(120), [&] { return done; });
    }
    int64_t down_ms = ms_since(t0);
    CHECK(done && derr.ok() && status == 200);
    CHECK(got == total);
    CHECK(sum_down == sum_up);
    long grew_mb = (maxrss_kb() - rss0) / 1024;
    std::printf("64 MiB: upload %lld ms, download %lld ms, peak RSS grew %ld MiB\n",
                (long long)up_ms, (long long)down_ms, grew_mb);
    CHECK(kSanitized || grew_mb < 24);  // constant memory: nowhere near the 64 MiB payload
}

// Known size (Content-Length instead of chunked), and a reader that fails.
static void test_upload_sized_and_abort(Transport& t) {
    const int64_t total = 1 << 20;
    int64_t produced = 0;
    Request up;
    up.method = "POST";
    up.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fsized.bin";
    up.headers = envd_headers();
    up.headers.emplace_back("Content-Type", "application/octet-stream");
    up.body_size = total;
    up.body_reader = [&](char* buf, size_t cap) -> int64_t {
        int64_t n = std::min<int64_t>(cap, total - produced);
        std::memset(buf, 'z', n);
        produced += n;
        return n;
    };
    Response r = t.perform(up);
    CHECK(r.error.ok() && r.status == 200);
    CHECK(r.body.find("sized.bin") != std::string::npos);
    Request st;
    st.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fsized.bin";
    st.headers = envd_headers();
    Response got = t.perform(st);
    CHECK(got.status == 200 && got.body == std::string(total, 'z'));

    int calls = 0;
    up.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fabort.bin";
    up.body_size = -1;
    up.idempotent = true;  // a reader body is never retried anyway
    up.body_reader = [&](char* buf, size_t cap) -> int64_t {
        if (++calls > 3) return -1;
        std::memset(buf, 'a', cap);
        return static_cast<int64_t>(cap);
    };
    Response ab = t.perform(up);
    CHECK(ab.error.code == E2B_EUSER);
    CHECK(ab.error.attempts == 1);
}

static void test_cancel(Transport& t) {
    StreamLog log;
    auto call = t.start(start_request("while true; do echo x; sleep 0.05; done"), log.callbacks());
    CHECK(log.wait_start(10000));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Clock::time_point tc;
    std::thread other([&] {
        tc = Clock::now();
        call->cancel();
        call->cancel();  // idempotent
    });
    other.join();
    CHECK(log.wait_done(2000));
    int64_t lat = std::chrono::duration_cast<std::chrono::milliseconds>(
                      Clock::now() - tc).count();
    std::printf("cancel: on_done(%d) within %lld ms\n", log.err.code, (long long)lat);
    CHECK(log.err.code == E2B_ECANCELED);
    CHECK(lat <= 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(log.after_done == 0);
    call->cancel();  // after done: harmless
}

static void test_idle_and_total_timeout(Transport& t) {
    StreamLog log;
    Request r = start_request("sleep 5");
    r.idle_timeout_ms = 400;
    auto t0 = Clock::now();
    auto call = t.start(r, log.callbacks());
    CHECK(log.wait_done(3000));
    int64_t el = ms_since(t0);
    std::printf("idle timeout: code %d after %lld ms (%s)\n", log.err.code, (long long)el,
                log.err.message.c_str());
    CHECK(log.err.code == E2B_ETIMEOUT);
    CHECK(log.got_start.load());
    CHECK(el >= 400 && el < 2000);

    StreamLog log2;
    Request r2 = start_request("while true; do echo x; sleep 0.05; done");  // never idle
    r2.idle_timeout_ms = 400;
    r2.timeout_ms = 700;
    t0 = Clock::now();
    auto call2 = t.start(r2, log2.callbacks());
    CHECK(log2.wait_done(3000));
    el = ms_since(t0);
    CHECK(log2.err.code == E2B_ETIMEOUT);
    CHECK(el >= 700 && el < 1500);
}

static void test_retry(Transport& t) {
    // Data plane for an unknown sandbox answers 502, as E2B's edge does.
    Request r;
    r.url = g_srv.base + "/health";
    r.headers = {{"E2b-Sandbox-Id", "nosuchsandbox"}, {"E2b-Sandbox-Port", "49983"}};
    r.idempotent = true;
    RetryPolicy p;
    p.max_attempts = 3;
    p.base_delay_ms = 40;
    r.retry = p;
    auto t0 = Clock::now();
    Response resp = t.perform(r);
    int64_t el = ms_since(t0);
    CHECK(resp.error.ok());
    CHECK(resp.status == 502);
    CHECK(resp.error.attempts == 3);
    CHECK(el >= 20 + 40);  // at least the jitter floors of both backoffs
    r.idempotent = false;
    Response once = t.perform(r);
    CHECK(once.status == 502 && once.error.attempts == 1);

    // Connection refused: a port nothing listens on (bound, never listened).
    Request dead;
    dead.url = "http://127.0.0.1:9/";
    dead.idempotent = true;
    dead.retry = p;
    Response dr = t.perform(dead);
    CHECK(dr.error.code == E2B_ENETWORK);
    CHECK(dr.error.attempts == 3);
    std::printf("retry: 502 x%d in %lld ms; refused x%d (%s)\n", resp.error.attempts,
                (long long)el, dr.error.attempts, dr.error.message.c_str());
}

static void test_user_abort_and_release(Transport& t) {
    StreamLog log;
    Callbacks c = log.callbacks();
    auto inner = c.on_data;
    c.on_data = [inner](const char* d, size_t n) {
        inner(d, n);
        return Action::kAbort;
    };
    t.start(start_request("sleep 3; echo late"), c);  // handle dropped right away
    CHECK(log.wait_done(2000));
    CHECK(log.err.code == E2B_EUSER);

    // on_response abort: no body callback, EUSER with the status kept.
    StreamLog log3;
    Callbacks c3 = log3.callbacks();
    c3.on_response = [](int, const Headers&) { return Action::kAbort; };
    t.start(start_request("echo never-read"), c3);
    CHECK(log3.wait_done(5000));
    CHECK(log3.err.code == E2B_EUSER && log3.err.http_status == 200);
    CHECK(log3.msgs.empty());

    // Released before completion, completes normally.
    StreamLog log2;
    {
        auto call = t.start(start_request("echo hi"), log2.callbacks());
    }
    CHECK(log2.wait_done(10000));
    CHECK(log2.err.ok());
}

static void test_emisuse(Transport& t) {
    std::atomic<int> code{1};
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Callbacks c;
    c.on_response = [&](int, const Headers&) {
        Request r;
        r.url = g_srv.base + "/health";
        code = t.perform(r).error.code;
        return Action::kContinue;
    };
    c.on_done = [&](const Error&) {
        std::lock_guard<std::mutex> lk(mu);
        done = true;
        cv.notify_all();
    };
    Request r;
    r.url = g_srv.base + "/health";
    t.start(r, c);
    std::unique_lock<std::mutex> lk(mu);
    cv.wait_for(lk, std::chrono::seconds(10), [&] { return done; });
    CHECK(done);
    CHECK(code == E2B_EMISUSE);
}

static bool readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void test_queued() {
    Options o;
    o.delivery = Delivery::kQueued;
    o.queued_high_water = 64 << 10;  // small: the 64 MiB download pauses and resumes often
    auto main_id = std::this_thread::get_id();
    int responses = 0, dones = 0;
    int64_t bytes = 0;
    bool wrong_thread = false;
    Error err;
    int misuse = 0;
    long rss0 = maxrss_kb();
    {
        Transport t(o);
        CHECK(t.wake_fd() >= 0);
        CHECK(t.options().delivery == Delivery::kQueued);
        Request h;
        h.url = g_srv.base + "/health";
        Response hr = t.perform(h);  // blocking calls need no dispatch()
        CHECK(hr.error.ok() && hr.status == 204);  // control-plane /health: 204, no body
        CHECK(!readable(t.wake_fd(), 0));
        CHECK(!readable(t.wake_fd(), 0));
        Callbacks c;
        c.on_response = [&](int s, const Headers&) {
            wrong_thread |= std::this_thread::get_id() != main_id;
            ++responses;
            Request r;
            r.url = g_srv.base + "/health";
            misuse = t.perform(r).error.code;
            return Action::kContinue;
        };
        c.on_data = [&](const char*, size_t n) {
            wrong_thread |= std::this_thread::get_id() != main_id;
            bytes += n;
            return Action::kContinue;
        };
        c.on_done = [&](const Error& e) {
            wrong_thread |= std::this_thread::get_id() != main_id;
            err = e;
            ++dones;
        };
        Request r;
        r.url = g_srv.base + "/files?path=%2Fhome%2Fuser%2Fbig.bin";
        r.headers = envd_headers();
        auto call = t.start(r, c);
        CHECK(readable(t.wake_fd(), 5000));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        CHECK(responses == 0 && bytes == 0 && dones == 0);  // nothing ran outside dispatch
        auto t0 = Clock::now();
        while (dones == 0 && ms_since(t0) < 20000) {
            if (readable(t.wake_fd(), 1000)) t.dispatch(16);
        }
        CHECK(dones == 1 && responses == 1);
        CHECK(err.ok());
        std::printf("queued: %lld bytes in %lld ms through a 64 KiB queue\n", (long long)bytes,
                    (long long)ms_since(t0));
        CHECK(bytes == (64 << 20));
        CHECK(kSanitized || (maxrss_kb() - rss0) / 1024 < 24);  // flow control: the queue did not hold it all
        CHECK(!wrong_thread);
        CHECK(misuse == E2B_EMISUSE);
        CHECK(!readable(t.wake_fd(), 0));

        // Destroying the transport with a call in flight: on_done(ECANCELED) runs in the destructor.
        dones = 0;
        err = {};
        t.start(start_request("sleep 10"), c);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    CHECK(dones == 1);
    CHECK(err.code == E2B_ECANCELED);
}

static void test_shutdown() {
    StreamLog log;
    auto t0 = Clock::now();
    std::shared_ptr<Call> call;
    {
        Transport t;
        call = t.start(start_request("sleep 10"), log.callbacks());
        CHECK(log.wait_start(10000));
    }
    CHECK(log.done && log.err.code == E2B_ECANCELED);
    CHECK(ms_since(t0) < 5000);
    call->cancel();  // transport gone: harmless
    CHECK(call->done());
}

static void test_server_killed(Transport& t) {
    StreamLog log;
    auto call = t.start(start_request("sleep 30"), log.callbacks());
    CHECK(log.wait_start(10000));
    auto t0 = Clock::now();
    g_srv.stop(SIGKILL);
    CHECK(log.wait_done(1000));
    int64_t el = ms_since(t0);
    std::printf("server killed: code %d after %lld ms (%s)\n", log.err.code, (long long)el,
                log.err.message.c_str());
    CHECK(log.err.code == E2B_ENETWORK || log.err.code == E2B_ETIMEOUT);
    CHECK(el < 1000);
}

static void test_delete(Transport& t) {
    Request d;
    d.method = "DELETE";
    d.url = g_srv.base + "/sandboxes/" + g_sbx;
    d.headers = {{"X-API-KEY", kKey}};
    d.idempotent = true;
    Response r = t.perform(d);
    CHECK(r.error.ok());
    CHECK(r.status == 204 || r.status == 200);
    Request g;
    g.url = g_srv.base + "/sandboxes/" + g_sbx;
    g.headers = {{"X-API-KEY", kKey}};
    CHECK(t.perform(g).status == 404);
}

// e2b-local leaves its template layer (and, after a SIGKILL, sandbox overlays) mounted in the
// state dir; detach them, deepest first, so the directory can be removed.
static bool unmount_under(const std::string& dir) {
    std::vector<std::string> mps;
    std::ifstream m("/proc/mounts");
    std::string line;
    while (std::getline(m, line)) {
        std::istringstream ls(line);
        std::string src, mp;
        ls >> src >> mp;
        if (mp.compare(0, dir.size() + 1, dir + "/") == 0) mps.push_back(mp);
    }
    std::sort(mps.begin(), mps.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    bool ok = true;
    for (auto& mp : mps) ok &= umount2(mp.c_str(), MNT_DETACH) == 0;
    return ok;
}

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    if (geteuid() != 0) {
        std::printf("transport_test: needs root (e2b-local); skipped\n");
        return 77;
    }
    g_srv.bin = argc > 1 ? argv[1] : "build/e2b-local";
    char tmpl[] = "/var/tmp/e2b-transport-test-XXXXXX";
    if (!mkdtemp(tmpl)) return 2;
    g_srv.dir = tmpl;

    test_backoff();
    {
        Transport t;
        CHECK(t.wake_fd() == -1);  // service-thread delivery has no wake fd
    }
    if (!g_srv.start()) {
        std::fprintf(stderr, "e2b-local did not start (see %s.log)\n", g_srv.dir.c_str());
        return 2;
    }
    std::printf("e2b-local at %s\n", g_srv.base.c_str());
    {
        Transport t;
        test_unary(t);
        test_wrong_key(t);
        test_stream(t);
        test_upload_download(t);
        test_upload_sized_and_abort(t);
        test_cancel(t);
        test_idle_and_total_timeout(t);
        test_retry(t);
        test_user_abort_and_release(t);
        test_emisuse(t);
        test_queued();
        test_shutdown();
        test_delete(t);
        // The sandbox for the last test.
        test_unary(t);
        test_server_killed(t);
    }
    // Restart once on the same state dir so it reaps what the SIGKILL left, then clean up.
    if (g_srv.start()) g_srv.stop(SIGTERM);
    if (unmount_under(g_srv.dir)) {
        std::string cmd = "rm -rf '" + g_srv.dir + "' '" + g_srv.dir + ".log'";
        if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "cleanup failed\n");
    }
    std::printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
