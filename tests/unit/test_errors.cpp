// Error mapping tables of src/protocol/errors: one row per line of the protocol doc's tables
// (§1.3 control plane, §3.2 HTTP fallback, §3.6 Connect codes, §5.5 envd HTTP, §6.2 interpreter).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
extern "C" {
#include <cmocka.h>
}

#include <cstring>
#include <string>

#include "protocol/errors.hpp"

using namespace e2b;
using namespace e2b::proto;
using connect::Code;

#define assert_str(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())

static const char* kBody = R"({"code":404,"message":"Sandbox \"i1\" doesn't exist or you don't have access to it"})";

// §1.3: status × operation.
static void api_table(void**) {
    struct Row {
        ApiOp op;
        int status;
        const char* body;
        int code;
        bool as_false;
        const char* message;
    } rows[] = {
        {ApiOp::kCreate, 201, "{}", E2B_OK, false, ""},
        {ApiOp::kKill, 204, "", E2B_OK, false, ""},
        {ApiOp::kCreate, 401, R"({"code":401,"message":"Invalid API key"})", E2B_EAUTH, false,
         "Unauthorized, please check your credentials. - Invalid API key"},
        {ApiOp::kList, 401, "", E2B_EAUTH, false,
         "Unauthorized, please check your credentials. - Unauthorized"},
        {ApiOp::kCreate, 429, R"({"code":429,"message":"too many sandboxes"})", E2B_ERATELIMIT, false,
         "Rate limit exceeded, please try again later - too many sandboxes"},
        {ApiOp::kKill, 404, kBody, E2B_OK, true, ""},
        {ApiOp::kGetInfo, 404, kBody, E2B_ESANDBOX_NOT_FOUND, false, "Sandbox i1 not found"},
        {ApiOp::kSetTimeout, 404, kBody, E2B_ESANDBOX_NOT_FOUND, false, "Sandbox i1 not found"},
        {ApiOp::kPause, 404, kBody, E2B_ESANDBOX_NOT_FOUND, false, "Sandbox i1 not found"},
        {ApiOp::kMetrics, 404, kBody, E2B_ESANDBOX_NOT_FOUND, false, "Sandbox i1 not found"},
        {ApiOp::kConnect, 404, kBody, E2B_ESANDBOX_NOT_FOUND, false, "Paused sandbox i1 not found"},
        {ApiOp::kCreate, 404, R"({"code":404,"message":"template 'nope' not found"})", E2B_ERROR, false,
         "404: template 'nope' not found"},
        {ApiOp::kPause, 409, R"({"code":409,"message":"already paused"})", E2B_OK, true, ""},
        {ApiOp::kConnect, 409, R"({"code":409,"message":"being killed"})", E2B_ERROR, false,
         "409: being killed"},
        {ApiOp::kSetTimeout, 409, R"({"code":409,"message":"Sandbox \"i1\" is being paused"})", E2B_ERROR,
         false, "409: Sandbox \"i1\" is being paused"},
        {ApiOp::kCreate, 400, R"({"code":400,"message":"Timeout cannot be greater than 1 hours"})",
         E2B_ERROR, false, "400: Timeout cannot be greater than 1 hours"},  // not EINVAL (§1.3)
        {ApiOp::kCreate, 403, R"({"code":403,"message":"egress proxy not enabled"})", E2B_ERROR, false,
         "403: egress proxy not enabled"},
        {ApiOp::kCreate, 500,
         R"({"code":500,"message":"no capacity","error_code":"sandbox_capacity_unavailable"})", E2B_ERROR,
         false, "500: no capacity"},
        {ApiOp::kGetInfo, 502, "bad gateway\n", E2B_ERROR, false, "502: bad gateway"},  // raw body
        {ApiOp::kList, 503, "", E2B_ERROR, false, "503: Service Unavailable"},         // status text
        {ApiOp::kOther, 504, R"({"code":504})", E2B_ERROR, false, "504: {\"code\":504}"},
    };
    for (auto& r : rows) {
        MappedError m = map_api_error(r.op, r.status, r.body, "i1");
        if (m.code != r.code || m.as_false != r.as_false || m.message != r.message)
            fail_msg("status %d op %d: got code %d false %d \"%s\"", r.status, int(r.op), m.code,
                     m.as_false, m.message.c_str());
        if (r.code != E2B_OK || r.as_false) assert_int_equal(m.http_status, r.status);
    }
}

// §3.6: every Connect code, generic and per-operation.
static void connect_code_table(void**) {
    struct Row {
        Code code;
        RpcOp op;
        int e2b;
        bool as_false;
    } rows[] = {
        {Code::kCanceled, RpcOp::kProcess, E2B_ETIMEOUT, false},
        {Code::kUnknown, RpcOp::kProcess, E2B_ERROR, false},
        {Code::kInvalidArgument, RpcOp::kProcessStream, E2B_EINVAL, false},
        {Code::kInvalidArgument, RpcOp::kFilesystem, E2B_EINVAL, false},
        {Code::kDeadlineExceeded, RpcOp::kProcessStream, E2B_ETIMEOUT, false},
        {Code::kNotFound, RpcOp::kProcess, E2B_ENOTFOUND, false},
        {Code::kNotFound, RpcOp::kProcessStream, E2B_ENOTFOUND, false},
        {Code::kNotFound, RpcOp::kProcessSignal, E2B_OK, true},   // commands.kill → false
        {Code::kNotFound, RpcOp::kFilesystem, E2B_EFILE_NOT_FOUND, false},
        {Code::kNotFound, RpcOp::kFilesWatch, E2B_EFILE_NOT_FOUND, false},
        {Code::kNotFound, RpcOp::kFilesExists, E2B_OK, true},     // files.exists → false
        {Code::kAlreadyExists, RpcOp::kFilesMakeDir, E2B_OK, true},  // makeDir → false
        {Code::kAlreadyExists, RpcOp::kFilesystem, E2B_ERROR, false},
        {Code::kPermissionDenied, RpcOp::kFilesystem, E2B_ERROR, false},
        {Code::kResourceExhausted, RpcOp::kProcess, E2B_ERATELIMIT, false},
        {Code::kFailedPrecondition, RpcOp::kFilesystem, E2B_ERROR, false},
        {Code::kAborted, RpcOp::kProcess, E2B_ERROR, false},
        {Code::kOutOfRange, RpcOp::kProcess, E2B_ERROR, false},
        {Code::kUnimplemented, RpcOp::kProcessSignal, E2B_ERROR, false},
        {Code::kInternal, RpcOp::kProcess, E2B_ERROR, false},
        {Code::kUnavailable, RpcOp::kProcess, E2B_ETIMEOUT, false},
        {Code::kUnavailable, RpcOp::kFilesystem, E2B_ETIMEOUT, false},
        {Code::kDataLoss, RpcOp::kFilesystem, E2B_ERROR, false},
        {Code::kUnauthenticated, RpcOp::kProcessStream, E2B_EAUTH, false},
    };
    for (auto& r : rows) {
        MappedError m = map_connect_error(r.op, ConnectError{r.code, "msg"});
        if (m.code != r.e2b || m.as_false != r.as_false)
            fail_msg("%s op %d: got %d/%d", connect::code_name(r.code), int(r.op), m.code, m.as_false);
        assert_int_equal(m.http_status, connect::code_http_status(r.code));
    }
    // Messages as the JS SDK formats them.
    MappedError m = map_connect_error(RpcOp::kFilesystem, {Code::kNotFound, "file not found: lstat /nope"});
    assert_str(m.message, "[not_found] file not found: lstat /nope");
    m = map_connect_error(RpcOp::kProcess, {Code::kInternal, "error writing to stdin"});
    assert_str(m.message, "13: [internal] error writing to stdin");
    m = map_connect_error(RpcOp::kProcess, {Code::kResourceExhausted, "slow down"});
    assert_str(m.message, "[resource_exhausted] slow down: Rate limit exceeded, please try again later.");
    m = map_connect_error(RpcOp::kProcess, {Code::kUnavailable, "x"});
    assert_str(m.message,
               "[unavailable] x: This error is likely due to sandbox timeout. You can modify the sandbox "
               "timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the "
               "sandbox with the desired timeout.");
    m = map_connect_error(RpcOp::kProcessStream, {Code::kDeadlineExceeded, ""});
    assert_true(m.message.rfind("[deadline_exceeded]: This error is likely due to exceeding 'timeoutMs'", 0) == 0);
    m = map_connect_error(RpcOp::kProcess, {Code::kCanceled, "c"});
    assert_true(m.message.rfind("[canceled] c: This error is likely due to exceeding 'requestTimeoutMs'", 0) == 0);
}

// §3.6 special case and §2.4: unavailable before the first stream event = sandbox gone.
static void stream_special_cases(void**) {
    for (RpcOp op : {RpcOp::kProcessStream, RpcOp::kFilesWatch}) {
        MappedError m = map_connect_error(op, connect_error_from_stream_status(502), true);
        assert_int_equal(m.code, E2B_ESANDBOX_NOT_FOUND);
        assert_str(m.message, "Sandbox is probably not running anymore");
        m = map_connect_error(op, connect_error_from_stream_status(503), false);
        assert_int_equal(m.code, E2B_ETIMEOUT);
    }
    // Unary calls are never "before the first event".
    assert_int_equal(map_connect_error(RpcOp::kProcess, connect_error_from_stream_status(502), true).code,
                     E2B_ETIMEOUT);
    // Streams ignore a non-200 body and go by the status.
    ConnectError e = connect_error_from_stream_status(401);
    assert_true(e.code == Code::kUnauthenticated);
    assert_str(e.message, "HTTP 401 Unauthorized");
    // Missing end-of-stream: the JS SDK's exact text.
    MappedError m = map_connect_error(RpcOp::kProcessStream, connect_error_missing_end_stream());
    assert_int_equal(m.code, E2B_ERROR);
    assert_str(m.message, "2: [unknown] missing EndStreamResponse");
    // End-of-stream error objects.
    auto es = connect_error_from_end_stream(R"({"error":{"code":"deadline_exceeded","message":"context deadline exceeded"}})");
    assert_int_equal(map_connect_error(RpcOp::kProcessStream, *es).code, E2B_ETIMEOUT);
    es = connect_error_from_end_stream(R"({"error":{"code":"unauthenticated","message":"invalid username: 'bob'"}})");
    m = map_connect_error(RpcOp::kProcessStream, *es, true);
    assert_int_equal(m.code, E2B_EAUTH);
    assert_str(m.message, "[unauthenticated] invalid username: 'bob'");
    es = connect_error_from_end_stream("{\"error\":");
    assert_int_equal(map_connect_error(RpcOp::kFilesWatch, *es).code, E2B_ERROR);
    // Mid-stream drop, health says 502.
    m = map_connection_dropped("[unknown] terminated");
    assert_int_equal(m.code, E2B_ETIMEOUT);
    assert_str(m.message,
               "[unknown] terminated: The sandbox was killed or reached its end of life while the request "
               "was in flight.");
}

// §3.2: unary error bodies, string code first, HTTP status fallback otherwise.
static void unary_fallback_table(void**) {
    struct Row {
        int status;
        const char* body;
        Code code;
        const char* message;
        int e2b;  // mapped for a filesystem call
    } rows[] = {
        {404, R"({"code":"not_found","message":"file not found"})", Code::kNotFound, "file not found",
         E2B_EFILE_NOT_FOUND},
        {400, R"({"code":"invalid_argument","message":"bad"})", Code::kInvalidArgument, "bad", E2B_EINVAL},
        {409, R"({"code":"already_exists","message":"dir exists"})", Code::kAlreadyExists, "dir exists", E2B_ERROR},
        {500, R"({"code":"not_found","message":"m"})", Code::kNotFound, "m", E2B_EFILE_NOT_FOUND},  // body wins
        // envd's own 401 has an integer code: status decides.
        {401, R"({"code":401,"message":"unauthorized access, please provide a valid access token"})",
         Code::kUnauthenticated, "unauthorized access, please provide a valid access token", E2B_EAUTH},
        {400, "", Code::kInternal, "HTTP 400 Bad Request", E2B_ERROR},
        {401, "", Code::kUnauthenticated, "HTTP 401 Unauthorized", E2B_EAUTH},
        {403, "", Code::kPermissionDenied, "HTTP 403 Forbidden", E2B_ERROR},
        {404, "404 page not found\n", Code::kUnimplemented, "404 page not found", E2B_ERROR},
        {429, "", Code::kUnavailable, "HTTP 429 Too Many Requests", E2B_ETIMEOUT},
        {502, R"({"sandboxId":"i1","message":"The sandbox was not found","code":502})", Code::kUnavailable,
         "The sandbox was not found", E2B_ETIMEOUT},
        {503, "", Code::kUnavailable, "HTTP 503 Service Unavailable", E2B_ETIMEOUT},
        {504, "", Code::kUnavailable, "HTTP 504 Gateway Timeout", E2B_ETIMEOUT},
        {500, "oops", Code::kUnknown, "oops", E2B_ERROR},
        {418, R"({"code":"teapot"})", Code::kUnknown, "HTTP 418", E2B_ERROR},
    };
    for (auto& r : rows) {
        ConnectError e = connect_error_from_unary(r.status, r.body);
        if (e.code != r.code || e.message != r.message)
            fail_msg("%d %s: got %s \"%s\"", r.status, r.body, connect::code_name(e.code), e.message.c_str());
        assert_int_equal(map_connect_error(RpcOp::kFilesystem, e).code, r.e2b);
    }
}

// §5.5: envd HTTP (/files).
static void envd_http_table(void**) {
    struct Row {
        int status;
        const char* body;
        int code;
        const char* message;
    } rows[] = {
        {200, "", E2B_OK, ""},
        {400, R"({"code":400,"message":"path '/x' is a directory"})", E2B_EINVAL, "path '/x' is a directory"},
        {401, R"({"code":401,"message":"error looking up user 'bob'"})", E2B_EAUTH, "error looking up user 'bob'"},
        {404, R"({"code":404,"message":"path '/x' does not exist"})", E2B_EFILE_NOT_FOUND, "path '/x' does not exist"},
        {429, "", E2B_ERATELIMIT, "Too Many Requests: The requests are being rate limited."},
        {502, R"({"sandboxId":"i1","message":"The sandbox was not found","code":502})", E2B_ETIMEOUT,
         "The sandbox was not found: This error is likely due to sandbox timeout. You can modify the "
         "sandbox timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on "
         "the sandbox with the desired timeout."},
        {507, R"({"code":507,"message":"no space left on device"})", E2B_ENOSPACE, "no space left on device"},
        {403, R"({"code":403,"message":"permission denied"})", E2B_ERROR, "403: permission denied"},
        {406, "", E2B_ERROR, "406: Not Acceptable"},
        {500, "disk I/O", E2B_ERROR, "500: disk I/O"},
    };
    for (auto& r : rows) {
        MappedError m = map_envd_http_error(r.status, r.body);
        if (m.code != r.code || m.message != r.message)
            fail_msg("%d: got %d \"%s\"", r.status, m.code, m.message.c_str());
    }
    assert_int_equal(map_envd_http_error(404, "", false).code, E2B_ENOTFOUND);
}

// §6.2: code interpreter HTTP errors.
static void interp_http_table(void**) {
    MappedError m = map_interp_http_error(404, "Context abc not found");
    assert_int_equal(m.code, E2B_ENOTFOUND);
    assert_str(m.message, "Context abc not found");
    m = map_interp_http_error(502, "gone");
    assert_int_equal(m.code, E2B_ETIMEOUT);
    assert_true(m.message.rfind("gone: This error is likely due to sandbox timeout.", 0) == 0);
    m = map_interp_http_error(400, "Only one of context_id or language can be provided");
    assert_int_equal(m.code, E2B_ERROR);
    assert_str(m.message, "400 Bad Request");
    m = map_interp_http_error(599, "");
    assert_str(m.message, "599");
    assert_int_equal(map_interp_http_error(200, "").code, E2B_OK);
}

static void malformed_error_bodies(void**) {
    // Nothing in an error body can crash the mapper or leak.
    const char* bodies[] = {"", "{", "[", "null", "1", "\"s\"", R"({"message":null})", R"({"message":{}})",
                            R"({"code":{},"message":[]})", "{\"message\":\"\\u0000x\"}"};
    for (const char* b : bodies) {
        for (int status : {400, 401, 404, 409, 429, 500, 502, 507}) {
            (void)map_api_error(ApiOp::kGetInfo, status, b, "i1");
            (void)map_envd_http_error(status, b);
            (void)map_interp_http_error(status, b);
            ConnectError e = connect_error_from_unary(status, b);
            (void)map_connect_error(RpcOp::kFilesystem, e);
            (void)connect_error_from_end_stream(b);
        }
    }
    assert_str(http_status_text(599), "");
}

// The edge proxy's own 502 for a sandbox port, told apart from an application's 502.
static void edge_errors(void** state) {
    (void)state;
    auto gone = map_edge_error(502, R"({"sandboxId":"i1","message":"The sandbox was not found","code":502})", 3000);
    assert_true(gone.has_value());
    assert_int_equal(gone->code, E2B_ESANDBOX_NOT_FOUND);
    assert_int_equal(gone->http_status, 502);
    auto closed = map_edge_error(
        502, R"({"sandboxId":"i1","message":"The sandbox is running but port is not open","port":3000,"code":502})", 3000);
    assert_true(closed.has_value());
    assert_int_equal(closed->code, E2B_ENETWORK);
    assert_non_null(strstr(closed->message.c_str(), "port 3000"));
    assert_false(map_edge_error(502, "<html>bad gateway</html>", 3000).has_value());  // the app's
    assert_false(map_edge_error(502, R"({"message":"x","code":502})", 3000).has_value());
    assert_false(map_edge_error(200, R"({"sandboxId":"i1","message":"m","code":502})", 3000).has_value());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_table),           cmocka_unit_test(connect_code_table),
        cmocka_unit_test(stream_special_cases), cmocka_unit_test(unary_fallback_table),
        cmocka_unit_test(envd_http_table),     cmocka_unit_test(interp_http_table),
        cmocka_unit_test(malformed_error_bodies), cmocka_unit_test(edge_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
