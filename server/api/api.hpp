// e2b-local control plane: the REST API of openapi.yml that the SDKs use (sandboxes, v2 list,
// pause/connect/resume, timeout, metrics, logs, health). JSON shapes exactly as the spec.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "manager.hpp"

namespace e2blocal {

struct ApiRequest {
    http::verb method;
    std::string path;                                 // without query
    std::multimap<std::string, std::string> query;    // decoded once
    const http::request_header<>* headers;
    std::string body;
};

struct ApiResponse {
    int status = 200;
    std::string body;  // JSON or empty
    std::vector<std::pair<std::string, std::string>> headers;
};

class Api {
public:
    Api(Manager& m, std::vector<std::string> api_keys) : mgr_(m), keys_(std::move(api_keys)) {}
    ApiResponse handle(const ApiRequest& req, Yield y);  // never throws

private:
    ApiResponse route(const ApiRequest& req, Yield y);  // throws ApiError
    bool authorized(const ApiRequest& req) const;

    Manager& mgr_;
    std::vector<std::string> keys_;
};

// Shared with the router: {"code":status,"message":...}
std::string api_error_body(int status, const std::string& message);

}  // namespace e2blocal
