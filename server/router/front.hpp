// The single listen address of e2b-local. Each connection is a coroutine that reads request
// headers (Boost.Beast) and either answers control-plane requests (api/) or relays data-plane
// requests — those with E2b-Sandbox-Id / E2b-Sandbox-Port, or presigned /files URLs — to the
// sandbox's agent (port 49983) or to a TCP port inside the sandbox's network namespace.
// Bodies stream in both directions frame by frame; WebSocket upgrades become a byte tunnel.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "common.hpp"
#include "manager.hpp"

namespace e2blocal {

constexpr int kEnvdPort = 49983;
constexpr int kCodeInterpreterPort = 49999;

class Front {
public:
    Front(net::io_context& io, Manager& mgr, Api& api) : io_(io), mgr_(mgr), api_(api), acceptor_(io) {}
    // Binds and listens; returns the bound endpoint (port 0 picks a free port). Throws.
    tcp::endpoint listen(const std::string& host, uint16_t port);
    void close();

private:
    void accept_loop(Yield y);
    void session(tcp::socket sock, Yield y);
    bool serve_api(tcp::socket& sock, beast::flat_buffer& buf, http::request_parser<http::empty_body>& hp, Yield y);
    bool proxy(tcp::socket& sock, beast::flat_buffer& buf, http::request_parser<http::empty_body>& hp, Yield y);
    // Finds the sandbox of a presigned /files URL by checking its signature; "" if none.
    std::string sandbox_for_signature(const std::string& target);

    // Keep-alive connections to the agents, idle between requests (saves a connect and the
    // agent's accept per request). Dropped by the sandbox's cutters on pause and kill.
    using UnixSocket = net::local::stream_protocol::socket;
    struct IdleUp {
        UnixSocket sock;
        uint64_t cutter;
        uint64_t serial;
    };
    // Bounded: each idle connection is an fd here and a session in the agent.
    static constexpr size_t kMaxIdlePerSandbox = 2;
    static constexpr size_t kMaxIdle = 256;
    UnixSocket take_idle(const std::string& id);  // a closed socket if none is usable
    void put_idle(const std::string& id, UnixSocket sock);

    net::io_context& io_;
    Manager& mgr_;
    Api& api_;
    tcp::acceptor acceptor_;
    std::map<std::string, std::vector<IdleUp>> idle_;
    uint64_t idle_serial_ = 0;
    size_t idle_count_ = 0;
};

}  // namespace e2blocal
