// e2b-agent entry point: `e2b-agent --socket PATH [--config PATH] [--ci-socket PATH]`.
// --ci-socket: also serve the code interpreter's API (E2B port 49999) on that socket.
// Config (JSON, written by e2b-local): {"sandboxId","templateId","accessToken","defaultUser",
// "defaultWorkdir","envVars":{...},"envdVersion","cpuCount","memoryMB"}.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/agent.hpp"

using namespace agent;

static bool load_config(const std::string& path, Config* cfg, std::string* err) {
    std::ifstream in(path);
    if (!in) {
        *err = "cannot open config " + path + ": " + strerror(errno);
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    e2b::Json j = e2b::json_parse(ss.str());
    if (!j) {
        *err = "config " + path + " is not valid JSON";
        return false;
    }
    cfg->sandbox_id = e2b::json_str_or(j.get(), "sandboxId");
    cfg->template_id = e2b::json_str_or(j.get(), "templateId");
    cfg->access_token = e2b::json_str_or(j.get(), "accessToken");
    cfg->default_user = e2b::json_str_or(j.get(), "defaultUser", "user");
    cfg->default_workdir = e2b::json_str_or(j.get(), "defaultWorkdir");
    cfg->envd_version = e2b::json_str_or(j.get(), "envdVersion", cfg->envd_version);
    cfg->cpu_count = static_cast<int>(e2b::json_int_or(j.get(), "cpuCount", 0));
    cfg->memory_mb = static_cast<int>(e2b::json_int_or(j.get(), "memoryMB", 0));
    if (!e2b::json_string_map(e2b::json_get(j.get(), "envVars"), &cfg->env_vars)) {
        *err = "config envVars must map strings to strings";
        return false;
    }
    return true;
}

int main(int argc, char** argv) {
    // Streamed output is built in buffers of a few hundred KiB, one per message. glibc would map
    // and unmap each (or trim the heap after it), so every message paid page faults and zeroed
    // pages; kept in the heap they are reused. Freed memory above 16 MiB is still returned.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    std::string socket_path, config_path, ci_socket_path;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--socket" && i + 1 < argc) socket_path = argv[++i];
        else if (a == "--config" && i + 1 < argc) config_path = argv[++i];
        else if (a == "--ci-socket" && i + 1 < argc) ci_socket_path = argv[++i];
        else {
            fprintf(stderr, "usage: e2b-agent --socket PATH [--config PATH] [--ci-socket PATH]\n");
            return 2;
        }
    }
    if (socket_path.empty()) {
        fprintf(stderr, "e2b-agent: --socket is required\n");
        return 2;
    }
    Config cfg;
    if (!config_path.empty()) {
        std::string err;
        if (!load_config(config_path, &cfg, &err)) {
            fprintf(stderr, "e2b-agent: %s\n", err.c_str());
            return 1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    // As pid 1, the kernel only delivers signals we handle; SIGTERM ends the agent cleanly.
    try {
        net::io_context io(1);
        Agent agent(io, cfg);
        register_health(agent);
        register_process_service(agent);
        register_filesystem_service(agent);
        register_files_http(agent);
        // The code interpreter's socket first: e2b-local reports the sandbox ready as soon as the
        // main socket accepts, and a client may call port 49999 right then.
        if (!ci_socket_path.empty()) agent.listen_plain(ci_socket_path, make_code_interpreter(agent));
        agent.listen(socket_path);
        net::signal_set term(io, SIGTERM, SIGINT);
        term.async_wait([&](beast::error_code, int) { io.stop(); });
        fprintf(stderr, "e2b-agent: listening on %s (sandbox %s)\n", socket_path.c_str(), cfg.sandbox_id.c_str());
        io.run();
    } catch (const std::exception& e) {
        fprintf(stderr, "e2b-agent: fatal: %s\n", e.what());
        return 1;
    }
    return 0;
}
