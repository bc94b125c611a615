// Warm sandbox pool. No thread of its own: background work (refill to min_idle, idle eviction,
// lifetime refresh) is started from acquire/release/maintain as non-blocking requests whose
// completions run on the client's service thread. So an idle pool does nothing until one of
// those calls runs; engines call maintain() periodically for timely eviction.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/core.hpp"
#include "core/telemetry.hpp"

namespace e2b::core {

struct PoolOptions {
    std::string name = "default";    // metrics label
    SandboxCreateOptions sandbox;
    uint32_t min_idle = 0;            // kept warm
    uint32_t max_size = 4;            // idle + in use + being created
    int64_t idle_timeout_ms = 0;      // idle sandboxes above min_idle are killed after; 0 = never
    uint32_t max_reuse = 0;           // acquisitions per sandbox; 0 = unlimited
    int64_t acquire_timeout_ms = 0;   // default wait when the pool is at max_size; 0 = no wait
    bool health_check = true;         // envd /health before handing out a reused sandbox
};

class Pool {
public:
    Pool(Client& c, PoolOptions o);  // starts the initial refill
    ~Pool();                         // shutdown(): kills everything it created
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // A healthy sandbox: a warm one, else a new one (created on this thread), else waits up to
    // timeout_ms (<0 = the pool's default) for a release. Throws Error(E2B_EPOOL_EXHAUSTED).
    std::unique_ptr<Sandbox> acquire(int64_t timeout_ms);
    // Back to the pool (or killed: discard, reuse limit reached). Throws E2B_EINVAL for a
    // sandbox this pool did not hand out.
    // On success sb is moved out (empty); on failure it is left alone.
    void release(std::unique_ptr<Sandbox>& sb, bool discard);
    bool owns(const Sandbox* sb);
    void maintain();
    PoolStats stats();
    void shutdown();

private:
    struct Member {
        std::unique_ptr<Sandbox> sb;
        int64_t idle_since_ns = 0, deadline_ns = 0;  // monotonic
        uint32_t uses = 0;
    };
    void maintain_locked(std::unique_lock<std::mutex>& lk);
    void on_created(std::unique_ptr<Sandbox> sb, const Error* err);
    void record_wait(int64_t ns);

    Client& c_;
    PoolOptions o_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Member> idle_;                 // back = most recently released (warmest)
    struct Active {
        uint32_t uses;
        int64_t deadline_ns;
    };
    std::map<const Sandbox*, Active> active_;
    std::set<std::string> alive_ids_;         // everything created and not killed: for shutdown
    uint32_t creating_async_ = 0, creating_sync_ = 0, checking_ = 0;
    int64_t backoff_until_ns_ = 0, backoff_ns_ = 0;
    bool closed_ = false;
    PoolStats st_;
    std::vector<int64_t> waits_;  // ring of acquire waits (ns)
    size_t wait_pos_ = 0;
    int source_key_ = 0;
};

}  // namespace e2b::core
