#include "protocol/errors.hpp"

#include "protocol/json_read.hpp"
#include "protocol/rest.hpp"
#include "util/json.hpp"

namespace e2b::proto {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' ||
                          s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                          s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The SDKs' "message, else raw body, else status text" rule.
std::string content_of(int status, std::string_view body) {
    ApiError e = parse_api_error(body);
    if (e.message && !e.message->empty()) return *e.message;
    std::string_view t = trim(body);
    if (!t.empty()) return std::string(t);
    return http_status_text(status);
}

MappedError make(int code, int status, std::string message) {
    MappedError m;
    m.code = code;
    m.http_status = status;
    m.message = std::move(message);
    return m;
}

MappedError as_false(int status) {
    MappedError m;
    m.http_status = status;
    m.as_false = true;
    return m;
}

}  // namespace

const char* http_status_text(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 406: return "Not Acceptable";
        case 409: return "Conflict";
        case 413: return "Payload Too Large";
        case 429: return "Too Many Requests";
        case 499: return "Client Closed Request";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 507: return "Insufficient Storage";
        default: return "";
    }
}

std::string sandbox_timeout_message(std::string_view message) {
    return std::string(message) +
           ": This error is likely due to sandbox timeout. You can modify the sandbox timeout by "
           "passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the "
           "sandbox with the desired timeout.";
}

MappedError map_api_error(ApiOp op, int status, std::string_view body, std::string_view sandbox_id) {
    if (status >= 200 && status < 300) return MappedError{};
    std::string content = content_of(status, body);
    if (status == 401) {
        std::string m = "Unauthorized, please check your credentials.";
        return make(E2B_EAUTH, status, content.empty() ? m : m + " - " + content);
    }
    if (status == 429) {
        std::string m = "Rate limit exceeded, please try again later";
        return make(E2B_ERATELIMIT, status, content.empty() ? m : m + " - " + content);
    }
    if (status == 404) {
        switch (op) {
            case ApiOp::kKill: return as_false(status);
            case ApiOp::kGetInfo:
            case ApiOp::kSetTimeout:
            case ApiOp::kPause:
            case ApiOp::kMetrics:
            case ApiOp::kLogs:
                return make(E2B_ESANDBOX_NOT_FOUND, status,
                            "Sandbox " + std::string(sandbox_id) + " not found");
            case ApiOp::kConnect:
                return make(E2B_ESANDBOX_NOT_FOUND, status,
                            "Paused sandbox " + std::string(sandbox_id) + " not found");
            default: break;  // create (template not found), list: generic
        }
    }
    if (status == 409 && op == ApiOp::kPause) return as_false(status);  // already paused
    return make(E2B_ERROR, status, std::to_string(status) + ": " + content);
}

ConnectError connect_error_from_unary(int status, std::string_view body) {
    ConnectError e;
    Json j = json_parse(body);
    std::optional<connect::Code> code;
    std::optional<std::string> message;
    if (j && cJSON_IsObject(j.get())) {
        if (auto name = json_str(j.get(), "code")) code = connect::code_from_name(*name);
        message = json_str(j.get(), "message");
    } else if (!trim(body).empty()) {
        message = std::string(trim(body));  // e.g. a proxy's plain-text error page
    }
    e.code = code ? *code : connect::code_from_http_status(status);
    if (message) {
        e.message = *message;
    } else if (!code) {  // nothing usable in the body: say what the status was
        e.message = "HTTP " + std::to_string(status);
        if (*http_status_text(status)) e.message += std::string(" ") + http_status_text(status);
    }
    return e;
}

ConnectError connect_error_from_stream_status(int status) {
    ConnectError e;
    e.code = connect::code_from_http_status(status);
    e.message = "HTTP " + std::to_string(status);
    if (*http_status_text(status)) e.message += std::string(" ") + http_status_text(status);
    return e;
}

std::optional<ConnectError> connect_error_from_end_stream(std::string_view payload) {
    Json j = json_parse(payload);
    if (!j || !cJSON_IsObject(j.get()))
        return ConnectError{connect::Code::kInternal, "protocol error: invalid end-stream message"};
    const cJSON* err = json_get(j.get(), "error");
    if (!err) return std::nullopt;
    if (!cJSON_IsObject(err))
        return ConnectError{connect::Code::kInternal, "protocol error: invalid end-stream error"};
    ConnectError e;
    auto name = json_str(err, "code");
    auto code = name ? connect::code_from_name(*name) : std::nullopt;
    e.code = code ? *code : connect::Code::kUnknown;
    e.message = json_str_or(err, "message");
    return e;
}

ConnectError connect_error_missing_end_stream() {
    return ConnectError{connect::Code::kUnknown, "missing EndStreamResponse"};
}

std::string connect_error_text(const ConnectError& e) {
    std::string s = "[";
    s += connect::code_name(e.code);
    s += "]";
    if (!e.message.empty()) s += " " + e.message;
    return s;
}

MappedError map_connect_error(RpcOp op, const ConnectError& e, bool before_first_event) {
    using connect::Code;
    const int status = connect::code_http_status(e.code);
    const std::string text = connect_error_text(e);
    const bool stream = op == RpcOp::kProcessStream || op == RpcOp::kFilesWatch;
    switch (e.code) {
        case Code::kUnavailable:
            if (stream && before_first_event)
                return make(E2B_ESANDBOX_NOT_FOUND, status, "Sandbox is probably not running anymore");
            return make(E2B_ETIMEOUT, status, sandbox_timeout_message(text));
        case Code::kCanceled:
            return make(E2B_ETIMEOUT, status,
                        text + ": This error is likely due to exceeding 'requestTimeoutMs'. You "
                               "can pass the request timeout value as an option when making the "
                               "request.");
        case Code::kDeadlineExceeded:
            return make(E2B_ETIMEOUT, status,
                        text + ": This error is likely due to exceeding 'timeoutMs' \xE2\x80\x94 "
                               "the total time a long running request (like command execution "
                               "or directory watch) can be active. It can be modified by passing "
                               "'timeoutMs' when making the request. Use '0' to disable the "
                               "timeout.");
        case Code::kInvalidArgument: return make(E2B_EINVAL, status, text);
        case Code::kUnauthenticated: return make(E2B_EAUTH, status, text);
        case Code::kResourceExhausted:
            return make(E2B_ERATELIMIT, status, text + ": Rate limit exceeded, please try again later.");
        case Code::kNotFound:
            if (op == RpcOp::kProcessSignal || op == RpcOp::kFilesExists) return as_false(status);
            if (op == RpcOp::kFilesystem || op == RpcOp::kFilesMakeDir || op == RpcOp::kFilesWatch)
                return make(E2B_EFILE_NOT_FOUND, status, text);
            return make(E2B_ENOTFOUND, status, text);
        case Code::kAlreadyExists:
            if (op == RpcOp::kFilesMakeDir) return as_false(status);
            break;
        default: break;
    }
    return make(E2B_ERROR, status, std::to_string(connect::code_number(e.code)) + ": " + text);
}

MappedError map_connection_dropped(std::string_view transport_message) {
    return make(E2B_ETIMEOUT, 502,
                std::string(transport_message) +
                    ": The sandbox was killed or reached its end of life while the request was "
                    "in flight.");
}

MappedError map_envd_http_error(int status, std::string_view body, bool filesystem) {
    if (status >= 200 && status < 300) return MappedError{};
    std::string content = content_of(status, body);
    switch (status) {
        case 400: return make(E2B_EINVAL, status, content);
        case 401: return make(E2B_EAUTH, status, content);
        case 404: return make(filesystem ? E2B_EFILE_NOT_FOUND : E2B_ENOTFOUND, status, content);
        case 429: return make(E2B_ERATELIMIT, status, content + ": The requests are being rate limited.");
        case 502: return make(E2B_ETIMEOUT, status, sandbox_timeout_message(content));
        case 507: return make(E2B_ENOSPACE, status, content);
        default: return make(E2B_ERROR, status, std::to_string(status) + ": " + content);
    }
}

MappedError map_interp_http_error(int status, std::string_view body) {
    if (status >= 200 && status < 300) return MappedError{};
    switch (status) {
        case 502: return make(E2B_ETIMEOUT, status, sandbox_timeout_message(body));
        case 404: return make(E2B_ENOTFOUND, status, std::string(body));
        default: {
            std::string m = std::to_string(status);
            if (*http_status_text(status)) m += std::string(" ") + http_status_text(status);
            return make(E2B_ERROR, status, m);
        }
    }
}

std::optional<MappedError> map_edge_error(int status, std::string_view body, int port) {
    if (status != 502) return std::nullopt;
    std::string err;
    Json j = detail::parse_body(body, false, &err);
    if (!j) return std::nullopt;
    std::string id, message;
    int64_t code = 0;
    if (!detail::read_str(j.get(), "sandboxId", &id, &err) || id.empty() ||
        !detail::read_str(j.get(), "message", &message, &err) || message.empty() ||
        !detail::read_int(j.get(), "code", &code, &err) || code != 502)
        return std::nullopt;
    if (message.find("not found") != std::string::npos)
        return make(E2B_ESANDBOX_NOT_FOUND, status, "sandbox " + id + ": " + message);
    return make(E2B_ENETWORK, status,
                "port " + std::to_string(port) + " of sandbox " + id + ": " + message);
}

}  // namespace e2b::proto
