// Failure → E2B_E* code + message, as the official SDKs map them (protocol doc §1.3, §2.4,
// §3.2, §3.6, §5.5, §6.2). Pure functions over (status, body, operation): no transport here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "e2b.h"
#include "protocol/connect.hpp"

namespace e2b::proto {

// What a failed call amounts to. `as_false` marks the cases the SDKs turn into a `false`
// return instead of an error (kill of an unknown sandbox, pause of a paused one, makeDir of an
// existing dir, ...): then code is E2B_OK and the caller reports false.
struct MappedError {
    int code = E2B_OK;
    int http_status = 0;
    std::string message;
    bool as_false = false;
};

// ---- control plane ----
enum class ApiOp {
    kCreate, kGetInfo, kList, kKill, kSetTimeout, kPause, kConnect, kMetrics, kLogs, kOther
};
// Maps a non-2xx control-plane response. `sandbox_id` fills the SDK's not-found messages.
MappedError map_api_error(ApiOp op, int http_status, std::string_view body,
                          std::string_view sandbox_id = {});

// ---- envd Connect RPCs ----
struct ConnectError {
    connect::Code code = connect::Code::kUnknown;
    std::string message;  // the raw server message, without the "[code] " prefix
};
// Unary non-200 response: the string `code` of the body when known, else the HTTP status
// (Connect's table, §3.2). The message is the body's, else the raw body, else the status line.
ConnectError connect_error_from_unary(int http_status, std::string_view body);
// Streaming response with a non-200 status: the body is ignored, as connect-es does.
ConnectError connect_error_from_stream_status(int http_status);
// End-of-stream payload: nullopt for success ({} or only metadata); malformed → internal.
std::optional<ConnectError> connect_error_from_end_stream(std::string_view payload);
// The body ended without an end-of-stream envelope.
ConnectError connect_error_missing_end_stream();
// "[not_found] file not found" (connect-es ConnectError.message).
std::string connect_error_text(const ConnectError& e);

enum class RpcOp {
    kProcess,         // process.Process unary calls (SendInput, CloseStdin, Update, List)
    kProcessSignal,   // SendSignal (commands.kill): not_found → false
    kProcessStream,   // Start / Connect streams
    kFilesystem,      // Stat (getInfo), ListDir, Move, Remove, watcher trio: not_found → file
    kFilesExists,     // Stat used by files.exists: not_found → false
    kFilesMakeDir,    // MakeDir: already_exists → false
    kFilesWatch,      // WatchDir stream
};
// `before_first_event`: the stream failed before its first message (start); an `unavailable`
// then means the sandbox is gone (SandboxNotFoundError in the SDKs).
MappedError map_connect_error(RpcOp op, const ConnectError& e, bool before_first_event = false);
// Connection dropped mid-request and GET /health then answered 502 (the SDKs' health probe).
MappedError map_connection_dropped(std::string_view transport_message);

// ---- envd HTTP (/files) ----
// 400 EINVAL, 401 EAUTH, 404 EFILE_NOT_FOUND (ENOTFOUND when !filesystem), 429 ERATELIMIT,
// 502 ETIMEOUT, 507 ENOSPACE, other ERROR "<status>: <message>".
MappedError map_envd_http_error(int http_status, std::string_view body, bool filesystem = true);

// ---- code interpreter (port 49999, plain HTTP) ----
// 404 ENOTFOUND(body), 502 ETIMEOUT, other ERROR "<status>: <body>".
MappedError map_interp_http_error(int http_status, std::string_view body);

// ---- any sandbox port through the edge proxy (§2.4) ----
// The proxy's own 502 JSON ({"sandboxId","message","code":502}): "sandbox was not found" →
// E2B_ESANDBOX_NOT_FOUND, "port is not open" (or any other proxy message) → E2B_ENETWORK.
// nullopt for anything else, including a 502 from the application on that port.
std::optional<MappedError> map_edge_error(int http_status, std::string_view body, int port);

// The sandbox-timeout hint the SDKs append to `unavailable` / 502.
std::string sandbox_timeout_message(std::string_view message);
// Reason phrase for a status ("Not Found"), "" when unknown; used when a body is empty.
const char* http_status_text(int status);

}  // namespace e2b::proto
