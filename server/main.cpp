// e2b-local: an E2B-compatible sandbox server for one Linux machine.
//
//   e2b-local serve --listen 127.0.0.1:3000 --state-dir DIR [--api-key KEY ...] [--agent PATH]
//
// Serves the E2B REST control plane and, on the same address, the sandboxes' envd traffic
// (routed by E2b-Sandbox-Id / E2b-Sandbox-Port), so that the official SDKs work with
// E2B_API_URL = E2B_SANDBOX_URL = http://<listen>.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/api.hpp"
#include "manager.hpp"
#include "router/front.hpp"
#include "util/encoding.hpp"

using namespace e2blocal;

namespace {

void usage(FILE* f) {
    fprintf(f,
            "usage: e2b-local serve [--listen HOST:PORT] --state-dir DIR [--api-key KEY]... [--agent PATH]\n"
            "  --listen     address to serve the API and sandbox traffic on (default 127.0.0.1:3000;\n"
            "               port 0 picks a free port; the ready line tells which)\n"
            "  --state-dir  where sandboxes, templates and the generated API key live\n"
            "  --api-key    accepted API key (repeatable; also read from E2B_API_KEY). Without any,\n"
            "               a key is generated once, stored in the state dir and printed\n"
            "  --agent      the in-sandbox agent binary (default: e2b-agent next to this binary)\n");
}

std::string self_dir() {
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return ".";
    buf[n] = 0;
    std::string p(buf);
    return p.substr(0, p.rfind('/'));
}

std::string load_or_make_key(const std::string& state_dir) {
    std::string path = state_dir + "/api-key";
    std::ifstream in(path);
    std::string key;
    if (in >> key && key.rfind("e2b_", 0) == 0) return key;
    key = "e2b_" + e2b::random_hex(20);
    std::string tmp = path + ".tmp";
    FILE* f = fopen(tmp.c_str(), "w");
    if (!f || fprintf(f, "%s\n", key.c_str()) < 0 || fclose(f) != 0 || rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot store the API key in " + path + ": " + strerror(errno));
    chmod(path.c_str(), 0600);
    fprintf(stdout, "e2b-local: generated API key %s (stored in %s)\n", key.c_str(), path.c_str());
    return key;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "serve") {
        usage(argc >= 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") ? stdout : stderr);
        return argc >= 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") ? 0 : 2;
    }
    std::string listen = "127.0.0.1:3000", state_dir, agent;
    std::vector<std::string> keys;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                fprintf(stderr, "e2b-local: %s needs a value\n", a.c_str());
                exit(2);
            }
            return argv[++i];
        };
        if (a == "--listen") listen = next();
        else if (a == "--state-dir") state_dir = next();
        else if (a == "--api-key") keys.push_back(next());
        else if (a == "--agent") agent = next();
        else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "e2b-local: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (state_dir.empty()) {
        fprintf(stderr, "e2b-local: --state-dir is required\n");
        return 2;
    }
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
        fprintf(stderr, "e2b-local: --listen must be HOST:PORT\n");
        return 2;
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = atoi(listen.substr(colon + 1).c_str());
    if (port < 0 || port > 65535) {
        fprintf(stderr, "e2b-local: invalid port in --listen\n");
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "e2b-local: must run as root (it creates namespaces, cgroups and overlay mounts)\n");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, nullptr, _IOLBF, 0);

    try {
        if (mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::runtime_error("cannot create state dir " + state_dir + ": " + strerror(errno));
        char real[PATH_MAX];
        if (!realpath(state_dir.c_str(), real)) throw std::runtime_error("cannot resolve " + state_dir);
        state_dir = real;
        if (const char* env = getenv("E2B_API_KEY"); env && *env) keys.push_back(env);
        if (keys.empty()) keys.push_back(load_or_make_key(state_dir));

        ManagerOptions mo;
        mo.state_dir = state_dir;
        mo.agent_binary = agent.empty() ? self_dir() + "/e2b-agent" : agent;
        if (access(mo.agent_binary.c_str(), X_OK) != 0)
            throw std::runtime_error("agent binary " + mo.agent_binary + " is not executable: " + strerror(errno));

        net::io_context io(1);
        Manager mgr(io, mo);
        mgr.load();
        Api api(mgr, keys);
        Front front(io, mgr, api);
        tcp::endpoint ep = front.listen(host, static_cast<uint16_t>(port));

        net::signal_set sigs(io, SIGTERM, SIGINT);
        sigs.async_wait([&](beast::error_code ec, int sig) {
            if (ec) return;
            fprintf(stderr, "e2b-local: signal %d, stopping sandboxes\n", sig);
            front.close();
            net::spawn(io, [&](Yield y) {
                mgr.shutdown(y);
                io.stop();
            });
        });
        std::string shown = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
        fprintf(stdout, "e2b-local: ready on http://%s:%u\n", shown.c_str(), ep.port());
        io.run();
        fprintf(stderr, "e2b-local: stopped\n");
    } catch (const std::exception& e) {
        fprintf(stderr, "e2b-local: %s\n", e.what());
        return 1;
    }
    return 0;
}
