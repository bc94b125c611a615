// Control-plane (openapi.yml) models the client needs: request bodies it encodes and the
// responses it decodes. Parsers never throw: they return false and a message naming the field.
// Absent optional fields read as defaults and unknown keys are ignored; a wrong type is an error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2b::proto {

using StringMap = std::map<std::string, std::string>;

// POST /sandboxes body. Key spellings are the spec's mixed ones (templateID, envVars, autoPause,
// allow_internet_access). Unset optionals are omitted, as the JS SDK does.
struct NewSandbox {
    std::string template_id = "base";
    int32_t timeout_s = 300;  // always sent: the server default when absent is only 15 s
    std::optional<StringMap> metadata;
    std::optional<StringMap> env_vars;
    bool secure = true;
    bool allow_internet_access = true;
    std::optional<bool> auto_pause;         // lifecycle.onTimeout: true = pause, false = kill
    std::optional<bool> auto_pause_memory;  // only meaningful with auto_pause
    std::optional<bool> auto_resume;        // sent as {"enabled": b}
    // e2b-local extension (resource profiles): sent only when > 0; E2B sizes by template.
    int32_t cpu_count = 0;
    int32_t memory_mb = 0;
};
std::string encode_new_sandbox(const NewSandbox& req);
std::string encode_timeout_body(int32_t timeout_s);  // /timeout and /connect: {"timeout":n}
std::string encode_pause_body(bool memory);          // {"memory":b}

// 201 of create, 200/201 of connect.
struct Sandbox {
    std::string template_id;
    std::string sandbox_id;
    std::string alias;
    std::string client_id;
    std::string envd_version;
    std::optional<std::string> envd_access_token;
    std::optional<std::string> traffic_access_token;  // null on the wire → nullopt
    std::optional<std::string> domain;                // null or "" → use the configured domain
};
bool parse_sandbox(std::string_view body, Sandbox* out, std::string* err);

struct VolumeMount {
    std::string name;
    std::string path;
};

struct NetworkConfig {
    std::vector<std::string> allow_out;
    std::vector<std::string> deny_out;
    bool allow_public_traffic = true;
    std::optional<std::string> mask_request_host;
};

struct Lifecycle {
    std::string on_timeout;  // "kill" | "pause"
    bool auto_resume = false;
};

// One element of GET /v2/sandboxes (and v1 GET /sandboxes).
struct ListedSandbox {
    std::string template_id;
    std::string alias;
    std::string sandbox_id;
    std::string client_id;
    int64_t started_at_ns = 0;
    int64_t end_at_ns = 0;
    int64_t cpu_count = 0;
    int64_t memory_mb = 0;
    int64_t disk_size_mb = 0;
    StringMap metadata;
    std::string state;
    std::string envd_version;
    std::vector<VolumeMount> volume_mounts;
};

// GET /sandboxes/{id}: a listed sandbox plus the fields only the detail carries.
struct SandboxDetail : ListedSandbox {
    std::optional<std::string> envd_access_token;
    std::optional<bool> allow_internet_access;
    std::optional<std::string> domain;
    std::optional<NetworkConfig> network;
    std::optional<Lifecycle> lifecycle;
};
bool parse_sandbox_detail(std::string_view body, SandboxDetail* out, std::string* err);
bool parse_listed_sandboxes(std::string_view body, std::vector<ListedSandbox>* out,
                            std::string* err);

// GET /sandboxes/{id}/metrics element.
struct SandboxMetric {
    int64_t timestamp_ns = 0;    // from "timestamp" (deprecated) when present
    int64_t timestamp_unix = 0;  // seconds
    int64_t cpu_count = 0;
    double cpu_used_pct = 0;
    int64_t mem_used = 0;
    int64_t mem_total = 0;
    int64_t mem_cache = 0;
    int64_t disk_used = 0;
    int64_t disk_total = 0;
};
bool parse_sandbox_metrics(std::string_view body, std::vector<SandboxMetric>* out,
                           std::string* err);

// GET /v2/sandboxes/{id}/logs → {"logs": [SandboxLogEntry]}.
struct SandboxLogEntry {
    int64_t timestamp_ns = 0;
    std::string level;    // "debug" | "info" | "warn" | "error"
    std::string message;
    StringMap fields;
};
bool parse_sandbox_logs(std::string_view body, std::vector<SandboxLogEntry>* out, std::string* err);

// {"code": int, "message": str, "error_code"?: str}. Lenient on purpose: any body is accepted
// and `message` stays empty when the body is not that shape (the caller then shows the raw body).
struct ApiError {
    int code = 0;
    std::optional<std::string> message;
    std::string error_code;
};
ApiError parse_api_error(std::string_view body);

}  // namespace e2b::proto
