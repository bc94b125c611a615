// envd's small HTTP endpoints: /health, /envs, /metrics.
#include <dirent.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "agent/agent.hpp"
#include "util/time.hpp"

namespace agent {

namespace {

// CPU seconds (in clock ticks) used by everything in the sandbox: the agent is pid 1 of the
// sandbox's pid namespace and reaps every process, so its cumulative children's time plus the
// live processes' own time covers all of it.
uint64_t sandbox_cpu_ticks(uint64_t* rss_pages) {
    uint64_t ticks = 0;
    *rss_pages = 0;
    DIR* d = opendir("/proc");
    if (!d) return 0;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300];  // d_name is up to 255 bytes
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE* f = fopen(path, "r");
        if (!f) continue;
        char buf[1024];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char* p = strrchr(buf, ')');  // the command name may contain spaces
        if (!p) continue;
        // fields after ')': state(3) ... utime(14) stime(15) cutime(16) cstime(17) ... rss(24)
        unsigned long long utime = 0, stime = 0, rss = 0;
        long long cutime = 0, cstime = 0;
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld %*d %*d %*d %*d %*u %*u %llu",
                   &utime, &stime, &cutime, &cstime, &rss) != 5)
            continue;
        ticks += utime + stime;
        if (strcmp(e->d_name, "1") == 0) ticks += static_cast<uint64_t>(cutime + cstime);
        *rss_pages += rss;
    }
    closedir(d);
    return ticks;
}

}  // namespace

void register_health(Agent& a) {
    a.http_route("GET", "/health", [](std::shared_ptr<HttpExchange> ex) {
        ex->respond(http::status::no_content, "", "", {{"Cache-Control", "no-store"}});
    });
    a.http_route("GET", "/envs", [&a](std::shared_ptr<HttpExchange> ex) {
        Json o = e2b::json_from_map(a.config().env_vars);
        ex->respond_json(http::status::ok, o.get());
    });
    // The sandbox's own view (e2b-local's control-plane metrics come from its cgroups).
    // CPU percentage is over the interval since the previous call (the first call: since the agent started).
    a.http_route("GET", "/metrics", [&a, last_ticks = uint64_t(0), last_ns = e2b::now_mono_ns()](
                                         std::shared_ptr<HttpExchange> ex) mutable {
        const long hz = sysconf(_SC_CLK_TCK);
        const long page = sysconf(_SC_PAGESIZE);
        uint64_t rss_pages = 0;
        uint64_t ticks = sandbox_cpu_ticks(&rss_pages);
        int64_t now = e2b::now_mono_ns();
        double secs = static_cast<double>(now - last_ns) / 1e9;
        int cpus = a.config().cpu_count > 0 ? a.config().cpu_count : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
        double pct = secs > 0 ? 100.0 * (static_cast<double>(ticks - last_ticks) / static_cast<double>(hz)) / secs : 0;
        last_ticks = ticks;
        last_ns = now;
        uint64_t mem_used = rss_pages * static_cast<uint64_t>(page);
        uint64_t mem_total = a.config().memory_mb > 0 ? uint64_t(a.config().memory_mb) << 20 : 0;
        struct statvfs fs{};
        statvfs("/", &fs);
        Json o = e2b::json_object();
        e2b::json_set_int(o.get(), "ts", e2b::now_unix_ns() / 1000000000);
        e2b::json_set_int(o.get(), "cpu_count", cpus);
        cJSON_AddNumberToObject(o.get(), "cpu_used_pct", static_cast<double>(static_cast<int64_t>(pct * 100)) / 100);
        e2b::json_set_int(o.get(), "mem_total", static_cast<int64_t>(mem_total));
        e2b::json_set_int(o.get(), "mem_used", static_cast<int64_t>(mem_used));
        e2b::json_set_int(o.get(), "mem_total_mib", static_cast<int64_t>(mem_total >> 20));
        e2b::json_set_int(o.get(), "mem_used_mib", static_cast<int64_t>(mem_used >> 20));
        e2b::json_set_int(o.get(), "disk_used", static_cast<int64_t>((fs.f_blocks - fs.f_bfree) * fs.f_frsize));
        e2b::json_set_int(o.get(), "disk_total", static_cast<int64_t>(fs.f_blocks * fs.f_frsize));
        ex->respond_json(http::status::ok, o.get());
    });
}

}  // namespace agent
