// envd's small HTTP endpoints: /health, /envs, /metrics.
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>

#include "agent/agent.hpp"
#include "util/time.hpp"

namespace agent {

static uint64_t meminfo(const char* key) {
    std::ifstream in("/proc/meminfo");
    std::string k;
    uint64_t v = 0;
    std::string unit;
    while (in >> k >> v) {
        std::getline(in, unit);
        if (k == key) return v * 1024;
    }
    return 0;
}

void register_health(Agent& a) {
    a.http_route("GET", "/health", [](std::shared_ptr<HttpExchange> ex) {
        ex->respond(http::status::no_content, "", "", {{"Cache-Control", "no-store"}});
    });
    a.http_route("GET", "/envs", [&a](std::shared_ptr<HttpExchange> ex) {
        Json o = e2b::json_from_map(a.config().env_vars);
        ex->respond_json(http::status::ok, o.get());
    });
    a.http_route("GET", "/metrics", [](std::shared_ptr<HttpExchange> ex) {
        // The sandbox's own view; e2b-local's control-plane metrics come from cgroups instead.
        Json o = e2b::json_object();
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        uint64_t total = meminfo("MemTotal:"), avail = meminfo("MemAvailable:"), cache = meminfo("Cached:");
        struct statvfs fs{};
        statvfs("/", &fs);
        e2b::json_set_int(o.get(), "ts", e2b::now_unix_ns() / 1000000000);
        e2b::json_set_int(o.get(), "cpu_count", ncpu);
        e2b::json_set_int(o.get(), "cpu_used_pct", 0);
        e2b::json_set_int(o.get(), "mem_total", static_cast<int64_t>(total));
        e2b::json_set_int(o.get(), "mem_used", static_cast<int64_t>(total - avail));
        e2b::json_set_int(o.get(), "mem_cache", static_cast<int64_t>(cache));
        e2b::json_set_int(o.get(), "mem_total_mib", static_cast<int64_t>(total >> 20));
        e2b::json_set_int(o.get(), "mem_used_mib", static_cast<int64_t>((total - avail) >> 20));
        e2b::json_set_int(o.get(), "disk_used", static_cast<int64_t>((fs.f_blocks - fs.f_bfree) * fs.f_frsize));
        e2b::json_set_int(o.get(), "disk_total", static_cast<int64_t>(fs.f_blocks * fs.f_frsize));
        ex->respond_json(http::status::ok, o.get());
    });
}

}  // namespace agent
