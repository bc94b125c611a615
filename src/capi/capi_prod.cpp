// The C ABI of the production layer B: profiles, warm pool, cost, logs, stall watches, metrics.
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "capi/capi_internal.hpp"
#include "core/pool.hpp"
#include "core/telemetry.hpp"
#include "e2b.h"
#include "util/time.hpp"

using e2b::capi::fill_buf;
using e2b::capi::guard;
using e2b::capi::invalid;
using e2b::capi::need;
using e2b::capi::need_str;
using e2b::core::Error;

struct e2b_pool {
    std::unique_ptr<e2b::core::Pool> p;
    std::mutex mu;
    std::map<e2b_sandbox*, bool> out;  // handles handed out (freed by e2b_pool_free if still out)
};

// Gate between a queued on_stall and e2b_stall_watch_free: a queued call that runs after the
// free finds `alive` false and does nothing (recursive: the free may come from on_stall itself).
struct StallGate {
    std::recursive_mutex mu;
    bool alive = true;
};

struct e2b_stall_watch {
    e2b::core::Telemetry* tel;
    int key;
    std::shared_ptr<StallGate> gate;
};

namespace {

const size_t kPoolOptsSize[] = {0, sizeof(e2b_pool_opts)};
const size_t kStallOptsSize[] = {0, sizeof(e2b_stall_opts)};

e2b::core::Telemetry& tel(e2b_client* c) { return c->c->telemetry(); }

// Shared by the two watch kinds: `last` reads the heartbeat, `kill` stops the stalled thing.
int add_watch(e2b_stall_watch** out, e2b::core::Client& client, const e2b_stall_opts* opts,
              std::string sandbox_id, uint32_t pid, std::function<int64_t()> last,
              std::function<bool()> kill) {
    e2b_stall_opts o = e2b::capi::opts_copy(opts, kStallOptsSize, "e2b_stall_opts");
    if (o.idle_ms <= 0) invalid("idle_ms must be positive");
    if (!o.on_stall) invalid("on_stall must not be NULL");
    if (o.flags & ~E2B_STALL_F_KILL) invalid("unknown bits in flags");
    e2b::core::StallWatch w;
    w.last_output = std::move(last);
    w.idle_ns = o.idle_ms * 1000000;
    bool do_kill = o.flags & E2B_STALL_F_KILL;
    auto cb = o.on_stall;
    void* pl = o.payload;
    e2b::core::Client* c = &client;
    auto gate = std::make_shared<StallGate>();
    w.on_stall = [c, cb, pl, sandbox_id, pid, do_kill, kill, gate](int64_t idle_ms) {
        bool killed = false;
        if (do_kill) {
            try {
                killed = kill();
            } catch (const Error&) {
            }
        }
        c->telemetry().log(e2b::core::kLogWarn, "stall", sandbox_id, -1, "stalled",
                           "no output for " + std::to_string(idle_ms) + " ms",
                           "\"pid\":" + std::to_string(pid) + ",\"idle_ms\":" +
                               std::to_string(idle_ms) + ",\"killed\":" + (killed ? "true" : "false"));
        // Delivered as the client's other callbacks: here, or queued for e2b_client_dispatch.
        c->transport().post(
            [=] {
                std::lock_guard<std::recursive_mutex> lk(gate->mu);
                if (gate->alive) cb(sandbox_id.c_str(), pid, idle_ms, killed ? 1 : 0, pl);
            },
            false);
    };
    auto h = std::make_unique<e2b_stall_watch>();
    h->tel = &client.telemetry();
    h->gate = gate;
    h->key = h->tel->add_watch(std::move(w));
    *out = h.release();
    return E2B_OK;
}

}  // namespace

extern "C" {

// ---- profiles ----

int e2b_profile_get(e2b_profile* out, const char* name) {
    return guard([&] {
        need(out, "out");
        need_str(name, "name");
        const e2b::core::Profile* p = e2b::core::find_profile(name);
        if (!p)
            invalid(std::string("unknown profile \"") + name + "\" (known: " +
                    e2b::core::profile_names() + ")");
        out->version = 1;
        out->cpu_count = p->cpu_count;
        out->memory_mb = p->memory_mb;
        out->timeout_ms = p->timeout_ms;
        return E2B_OK;
    });
}

// ---- pool ----

int e2b_pool_opts_init(e2b_pool_opts* opts, uint32_t version) {
    return e2b::capi::opts_init(opts, version, kPoolOptsSize, "e2b_pool_opts");
}

int e2b_pool_new(e2b_pool** out, e2b_client* client, const e2b_pool_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(client, "client");
        e2b_pool_opts o = e2b::capi::opts_copy(opts, kPoolOptsSize, "e2b_pool_opts");
        if (o.flags & ~E2B_POOL_F_NO_HEALTH_CHECK) invalid("unknown bits in flags");
        e2b::core::PoolOptions po;
        if (o.name) {
            if (!*o.name) invalid("name must not be empty");
            po.name = o.name;
        }
        po.sandbox = e2b::capi::sandbox_create_options(o.sandbox);
        po.min_idle = o.min_idle;
        po.max_size = o.max_size ? o.max_size : 4;
        po.idle_timeout_ms = o.idle_timeout_ms;
        po.max_reuse = o.max_reuse;
        po.acquire_timeout_ms = o.acquire_timeout_ms;
        po.health_check = !(o.flags & E2B_POOL_F_NO_HEALTH_CHECK);
        auto p = std::make_unique<e2b_pool>();
        p->p = std::make_unique<e2b::core::Pool>(*client->c, std::move(po));
        *out = p.release();
        return E2B_OK;
    });
}

int e2b_pool_acquire(e2b_sandbox** out, e2b_pool* pool, int64_t timeout_ms) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(pool, "pool");
        auto h = std::make_unique<e2b_sandbox>();
        h->s = pool->p->acquire(timeout_ms);
        try {
            std::lock_guard<std::mutex> lk(pool->mu);
            pool->out[h.get()] = true;
        } catch (...) {  // cannot track it: give it back rather than leak it
            pool->p->release(h->s, true);
            throw;
        }
        *out = h.release();
        return E2B_OK;
    });
}

int e2b_pool_release(e2b_pool* pool, e2b_sandbox* sandbox, uint32_t flags) {
    return guard([&] {
        need(pool, "pool");
        need(sandbox, "sandbox");
        if (flags & ~E2B_POOL_RELEASE_F_DISCARD) invalid("unknown bits in flags");
        {
            std::lock_guard<std::mutex> lk(pool->mu);
            if (!pool->out.count(sandbox)) invalid("this sandbox was not acquired from this pool");
        }
        pool->p->release(sandbox->s, (flags & E2B_POOL_RELEASE_F_DISCARD) != 0);
        {
            std::lock_guard<std::mutex> lk(pool->mu);
            pool->out.erase(sandbox);
        }
        delete sandbox;
        return E2B_OK;
    });
}

int e2b_pool_maintain(e2b_pool* pool) {
    return guard([&] {
        need(pool, "pool");
        pool->p->maintain();
        return E2B_OK;
    });
}

int e2b_pool_get_stats(e2b_pool* pool, e2b_pool_stats* out) {
    return guard([&] {
        need(pool, "pool");
        need(out, "out");
        e2b::core::PoolStats s = pool->p->stats();
        std::memset(out, 0, sizeof *out);
        out->version = 1;
        out->idle = s.idle;
        out->active = s.active;
        out->creating = s.creating;
        out->created = s.created;
        out->reused = s.reused;
        out->replaced = s.replaced;
        out->evicted = s.evicted;
        out->exhausted = s.exhausted;
        out->create_errors = s.create_errors;
        out->acquisitions = s.acquisitions;
        out->wait_p50_ms = s.wait_p50_ms;
        out->wait_p95_ms = s.wait_p95_ms;
        return E2B_OK;
    });
}

int e2b_pool_free(e2b_pool* pool) {
    if (!pool) return E2B_OK;
    int rc = guard([&] {
        pool->p->shutdown();
        return E2B_OK;
    });
    if (rc == E2B_EMISUSE) return rc;  // from a callback: nothing was done, nothing freed
    // Handles still out: their sandboxes were just killed; release the local objects.
    for (auto& [h, _] : pool->out) delete h;
    delete pool;
    return rc;
}

// ---- cost ----

int e2b_cost_get_totals(e2b_client* client, e2b_cost_totals* out) {
    return guard([&] {
        need(client, "client");
        need(out, "out");
        e2b::core::CostTotals t = tel(client).cost_totals();
        std::memset(out, 0, sizeof *out);
        out->version = 1;
        out->sandboxes = t.sandboxes;
        out->running_seconds = t.running_seconds;
        out->paused_seconds = t.paused_seconds;
        out->vcpu_seconds = t.vcpu_seconds;
        out->gib_seconds = t.gib_seconds;
        out->cost_usd = t.cost_usd;
        return E2B_OK;
    });
}

int e2b_cost_set_prices(e2b_client* client, const char* json) {
    return guard([&] {
        need(client, "client");
        need(json, "json");
        tel(client).set_prices(e2b::core::parse_prices(json, tel(client).prices()));
        return E2B_OK;
    });
}

int e2b_cost_export_json(e2b_buf* out, e2b_client* client) {
    return guard([&] {
        need(out, "out");
        need(client, "client");
        std::string j = tel(client).cost_json();
        fill_buf(out, j.data(), j.size());
        return E2B_OK;
    });
}

// ---- logs ----

int e2b_log_emit(e2b_client* client, int32_t level, const char* event, const char* sandbox_id,
                 const char* message) {
    return guard([&] {
        need(client, "client");
        need_str(event, "event");
        if (level < E2B_LOG_DEBUG || level > E2B_LOG_ERROR) invalid("level must be E2B_LOG_DEBUG..E2B_LOG_ERROR");
        tel(client).log(level, event, sandbox_id ? sandbox_id : "", -1, "", message ? message : "");
        return E2B_OK;
    });
}

int e2b_measure(e2b_client* client, const char* event, const char* sandbox_id,
                int (*fn)(void* payload), void* payload) {
    int rc = guard([&] {
        need(client, "client");
        need_str(event, "event");
        if (!fn) invalid("fn must not be NULL");
        return E2B_OK;
    });
    if (rc != E2B_OK) return rc;
    int64_t t0 = e2b::now_mono_ns();
    rc = fn(payload);
    int64_t d = e2b::now_mono_ns() - t0;
    // fn may have failed a libe2b call: keep its error as the thread's last error.
    try {
        tel(client).measure(event, sandbox_id ? sandbox_id : "", d, rc);
    } catch (...) {
    }
    return rc;
}

// ---- stall ----

int e2b_stall_opts_init(e2b_stall_opts* opts, uint32_t version) {
    return e2b::capi::opts_init(opts, version, kStallOptsSize, "e2b_stall_opts");
}

int e2b_stall_watch_exec(e2b_stall_watch** out, e2b_exec* exec, const e2b_stall_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(exec, "exec");
        std::weak_ptr<e2b::core::Exec> wk = exec->e;
        e2b::core::Sandbox& sb = exec->e->sandbox();
        return add_watch(
            out, sb.client(), opts, sb.id(), exec->e->pid(),
            [wk] {
                auto e = wk.lock();
                return e ? e->last_output_ns() : e2b::now_mono_ns();
            },
            [wk] {
                auto e = wk.lock();
                return e && e->kill();
            });
    });
}

int e2b_stall_watch_sandbox(e2b_stall_watch** out, e2b_sandbox* sandbox, const e2b_stall_opts* opts) {
    if (out) *out = nullptr;
    return guard([&] {
        need(out, "out");
        need(sandbox, "sandbox");
        e2b::core::Sandbox* sb = sandbox->s.get();  // the watch is freed before the sandbox
        return add_watch(
            out, sb->client(), opts, sb->id(), 0, [hb = sb->heartbeat()] { return hb->load(); },
            [sb] { return sb->kill(); });
    });
}

void e2b_stall_watch_free(e2b_stall_watch* watch) {
    guard([&] {
        if (!watch) return E2B_OK;
        watch->tel->remove_watch(watch->key);
        {
            std::lock_guard<std::recursive_mutex> lk(watch->gate->mu);
            watch->gate->alive = false;
        }
        delete watch;
        return E2B_OK;
    });
}

// ---- metrics ----

int e2b_metrics_render(e2b_buf* out, e2b_client* client) {
    return guard([&] {
        need(out, "out");
        need(client, "client");
        std::string m = tel(client).render_metrics();
        fill_buf(out, m.data(), m.size());
        return E2B_OK;
    });
}

int e2b_metrics_serve(e2b_client* client, uint16_t port, uint16_t* bound_port) {
    return guard([&] {
        need(client, "client");
        uint16_t p = tel(client).serve_metrics(port);
        if (bound_port) *bound_port = p;
        return E2B_OK;
    });
}

int e2b_metrics_serve_stop(e2b_client* client) {
    return guard([&] {
        need(client, "client");
        tel(client).stop_metrics();
        return E2B_OK;
    });
}

}  // extern "C"
