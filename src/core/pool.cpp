#include "core/pool.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "e2b.h"
#include "util/json.hpp"
#include "util/time.hpp"

namespace e2b::core {

Pool::Pool(Client& c, PoolOptions o) : c_(c), o_(std::move(o)) {
    if (o_.max_size == 0) throw Error(E2B_EINVAL, "max_size must be at least 1");
    if (o_.min_idle > o_.max_size) throw Error(E2B_EINVAL, "min_idle must not exceed max_size");
    if (o_.idle_timeout_ms < 0 || o_.acquire_timeout_ms < 0)
        throw Error(E2B_EINVAL, "idle_timeout_ms and acquire_timeout_ms must not be negative");
    timeout_seconds(o_.sandbox.timeout_ms);  // validates before any background create
    waits_.reserve(1024);
    source_key_ = c_.telemetry().add_pool([this](std::string* name, PoolStats* st) {
        *name = o_.name;
        *st = stats();
    });
    std::unique_lock<std::mutex> lk(mu_);
    maintain_locked(lk);
}

Pool::~Pool() {
    try {
        shutdown();
    } catch (...) {  // best effort: a destructor cannot report; e2b_pool_free calls shutdown first
    }
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return creating_async_ == 0; });  // never free under a pending completion
}

bool Pool::owns(const Sandbox* sb) {
    std::lock_guard<std::mutex> lk(mu_);
    return active_.count(sb) != 0;
}

void Pool::record_wait(int64_t ns) {
    if (waits_.size() < 1024) {
        waits_.push_back(ns);
    } else {
        waits_[wait_pos_] = ns;
        wait_pos_ = (wait_pos_ + 1) % waits_.size();
    }
    ++st_.acquisitions;
}

std::unique_ptr<Sandbox> Pool::acquire(int64_t timeout_ms) {
    // Checked up front: a health check failing with E2B_EMISUSE would retire healthy sandboxes.
    if (c_.transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "e2b_pool_acquire is blocking: not from inside a libe2b callback");
    int64_t t0 = now_mono_ns();
    int64_t wait_ms = timeout_ms < 0 ? o_.acquire_timeout_ms : timeout_ms;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
        if (closed_) throw Error(E2B_EINVAL, "the pool is shut down");
        maintain_locked(lk);
        if (!idle_.empty()) {
            Member m = std::move(idle_.back());
            idle_.pop_back();
            if (o_.health_check) {
                // A sandbox killed or expired behind the pool's back must not be handed out.
                ++checking_;
                lk.unlock();
                bool ok;
                try {
                    ok = m.sb->is_running();
                } catch (const Error&) {
                    ok = false;
                }
                lk.lock();
                --checking_;
                if (!ok) {
                    std::string id = m.sb->id();
                    ++st_.replaced;
                    alive_ids_.erase(id);
                    c_.kill_async(id);  // usually 404 already; makes sure it is gone
                    c_.telemetry().log(kLogWarn, "pool.replaced", id, -1, "unhealthy",
                                       "pooled sandbox failed its health check; replaced",
                                       "\"pool\":" + json_quote(o_.name));
                    cv_.notify_all();
                    continue;
                }
            }
            if (m.uses > 0) ++st_.reused;
            ++m.uses;
            active_[m.sb.get()] = Active{m.uses, m.deadline_ns};
            record_wait(now_mono_ns() - t0);
            return std::move(m.sb);
        }
        uint32_t total = (uint32_t)idle_.size() + (uint32_t)active_.size() + creating_async_ +
                         creating_sync_ + checking_;
        if (total < o_.max_size) {
            ++creating_sync_;
            lk.unlock();
            std::unique_ptr<Sandbox> sb;
            try {
                sb = c_.create(o_.sandbox);
            } catch (...) {
                lk.lock();
                --creating_sync_;
                ++st_.create_errors;
                cv_.notify_all();
                throw;
            }
            lk.lock();
            --creating_sync_;
            ++st_.created;
            alive_ids_.insert(sb->id());
            active_[sb.get()] = Active{1, now_mono_ns() + o_.sandbox.timeout_ms * 1000000};
            record_wait(now_mono_ns() - t0);
            return sb;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ++st_.exhausted;
            std::string msg = "pool \"" + o_.name + "\" exhausted: all " +
                              std::to_string(o_.max_size) + " sandboxes in use (waited " +
                              std::to_string((now_mono_ns() - t0) / 1000000) + " ms)";
            c_.telemetry().log(kLogWarn, "pool.exhausted", "", (now_mono_ns() - t0) / 1e6,
                               error_kind(E2B_EPOOL_EXHAUSTED), msg, "\"pool\":" + json_quote(o_.name));
            throw Error(E2B_EPOOL_EXHAUSTED, msg);
        }
        cv_.wait_until(lk, deadline);
    }
}

void Pool::release(std::unique_ptr<Sandbox>& sb, bool discard) {
    if (!sb) throw Error(E2B_EINVAL, "sandbox must not be NULL");
    std::unique_lock<std::mutex> lk(mu_);
    auto it = active_.find(sb.get());
    if (it == active_.end()) throw Error(E2B_EINVAL, "this sandbox was not acquired from this pool");
    Active a = it->second;
    active_.erase(it);
    if (discard || closed_ || (o_.max_reuse && a.uses >= o_.max_reuse)) {
        ++st_.evicted;
        alive_ids_.erase(sb->id());
        c_.kill_async(sb->id());
        sb.reset();
    } else {
        idle_.push_back(Member{std::move(sb), now_mono_ns(), a.deadline_ns, a.uses});
    }
    cv_.notify_all();
    maintain_locked(lk);
}

void Pool::maintain() {
    std::unique_lock<std::mutex> lk(mu_);
    maintain_locked(lk);
}

void Pool::maintain_locked(std::unique_lock<std::mutex>&) {
    if (closed_) return;
    int64_t now = now_mono_ns();
    if (o_.idle_timeout_ms > 0) {
        // Oldest first; the warm floor (min_idle) is never evicted for idleness.
        while (idle_.size() > o_.min_idle &&
               now - idle_.front().idle_since_ns >= o_.idle_timeout_ms * 1000000) {
            ++st_.evicted;
            alive_ids_.erase(idle_.front().sb->id());
            c_.kill_async(idle_.front().sb->id());
            idle_.pop_front();
        }
    }
    // Keep idle sandboxes alive: extend those past half their lifetime.
    int64_t life = o_.sandbox.timeout_ms * 1000000;
    for (Member& m : idle_) {
        if (m.deadline_ns - now < life / 2) {
            c_.set_timeout_async(m.sb->id(), o_.sandbox.timeout_ms);
            m.deadline_ns = now + life;
        }
    }
    if (now < backoff_until_ns_) return;  // recent background create failures
    uint32_t total = (uint32_t)idle_.size() + (uint32_t)active_.size() + creating_async_ +
                     creating_sync_ + checking_;
    while (idle_.size() + creating_async_ < o_.min_idle && total < o_.max_size) {
        ++creating_async_;
        ++total;
        c_.create_async(o_.sandbox, [this](std::unique_ptr<Sandbox> sb, const Error* err) {
            on_created(std::move(sb), err);
        });
    }
}

// Service thread: a background create finished.
void Pool::on_created(std::unique_ptr<Sandbox> sb, const Error* err) {
    std::unique_lock<std::mutex> lk(mu_);
    --creating_async_;
    int64_t now = now_mono_ns();
    if (err) {
        ++st_.create_errors;
        backoff_ns_ = std::clamp<int64_t>(backoff_ns_ * 2, 1000000000LL, 30000000000LL);
        backoff_until_ns_ = now + backoff_ns_;
    } else if (closed_) {
        c_.kill_async(sb->id());
    } else {
        backoff_ns_ = 0;
        ++st_.created;
        alive_ids_.insert(sb->id());
        idle_.push_back(Member{std::move(sb), now, now + o_.sandbox.timeout_ms * 1000000, 0});
    }
    cv_.notify_all();
    if (!err) maintain_locked(lk);
}

PoolStats Pool::stats() {
    std::lock_guard<std::mutex> lk(mu_);
    PoolStats s = st_;
    s.idle = (uint32_t)idle_.size();
    s.active = (uint32_t)active_.size();
    s.creating = creating_async_ + creating_sync_;
    if (!waits_.empty()) {
        std::vector<int64_t> w = waits_;
        auto pct = [&](double q) {
            size_t k = std::min(w.size() - 1, (size_t)(q * (double)(w.size() - 1) + 0.5));
            std::nth_element(w.begin(), w.begin() + (long)k, w.end());
            return w[k] / 1e6;
        };
        s.wait_p50_ms = pct(0.50);
        s.wait_p95_ms = pct(0.95);
    }
    return s;
}

void Pool::shutdown() {
    // It waits for completions that run on the service thread, and kills with blocking calls.
    if (c_.transport().blocking_forbidden())
        throw Error(E2B_EMISUSE, "a pool cannot be shut down from inside a libe2b callback");
    std::unique_lock<std::mutex> lk(mu_);
    if (closed_) return;
    closed_ = true;
    cv_.notify_all();
    // Background creates reference this pool: wait for them (they end within the request timeout).
    cv_.wait(lk, [&] { return creating_async_ == 0; });
    std::set<std::string> ids = std::move(alive_ids_);
    alive_ids_.clear();
    std::deque<Member> idle = std::move(idle_);
    idle_.clear();
    int key = source_key_;
    source_key_ = 0;
    lk.unlock();
    if (key) c_.telemetry().remove_pool(key);
    // Everything it created and did not already kill, including sandboxes still handed out.
    std::optional<Error> first;
    for (const std::string& id : ids) {
        try {
            c_.kill(id);
        } catch (const Error& e) {
            if (!first) first = e;
        }
    }
    if (first) {
        c_.telemetry().log(kLogError, "pool.shutdown", "", -1, error_kind(first->code),
                           std::string("could not kill every pooled sandbox: ") + first->what());
        throw *first;
    }
}

}  // namespace e2b::core
