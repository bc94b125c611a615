// Connect protocol (JSON codec) pieces shared by the envd agent and the client:
// 5-byte envelopes for streaming RPCs and the error-code table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace e2b::connect {

constexpr uint8_t kFlagCompressed = 0x01;
constexpr uint8_t kFlagEndStream = 0x02;

// flags (1 byte) + big-endian length (4 bytes) + payload.
std::string envelope(std::string_view payload, uint8_t flags = 0);

struct Envelope {
    uint8_t flags = 0;
    std::string payload;
};

// Incremental decoder: feed bytes as they arrive (any split), pop whole envelopes.
class EnvelopeReader {
public:
    explicit EnvelopeReader(size_t max_message = 64u << 20) : max_(max_message) {}
    // Also drops the envelopes next() already returned, so their views end here.
    void feed(std::string_view bytes);
    enum class Status { kNeedMore, kMessage, kTooLarge };
    // Zero-copy: *payload points into the reader and stays valid until the next feed().
    Status next(uint8_t* flags, std::string_view* payload);
    Status next(Envelope* out);  // copying form
    size_t buffered() const { return buf_.size() - pos_; }

private:
    std::string buf_;
    size_t pos_ = 0;
    size_t max_;
};

// Canonical Connect error codes ("not_found", ...) and their HTTP status for unary responses.
enum class Code {
    kCanceled, kUnknown, kInvalidArgument, kDeadlineExceeded, kNotFound, kAlreadyExists,
    kPermissionDenied, kResourceExhausted, kFailedPrecondition, kAborted, kOutOfRange,
    kUnimplemented, kInternal, kUnavailable, kDataLoss, kUnauthenticated
};
const char* code_name(Code c);
int code_http_status(Code c);
std::optional<Code> code_from_name(std::string_view name);
// Fallback when an error body carries no known code (Connect's HTTP-status table).
Code code_from_http_status(int status);
// The numeric gRPC/Connect code (canceled = 1 ... unauthenticated = 16), as the JS SDK prints it.
int code_number(Code c);

// {"code":"not_found","message":"..."}
std::string error_json(Code c, std::string_view message);
// End-of-stream payload: {} or {"error":{...}}
std::string end_stream_json(const Code* c, std::string_view message);

}  // namespace e2b::connect
