#include "protocol/connect.hpp"

#include "util/json.hpp"

namespace e2b::connect {

std::string envelope(std::string_view payload, uint8_t flags) {
    std::string out;
    out.reserve(5 + payload.size());
    uint32_t n = static_cast<uint32_t>(payload.size());
    out += static_cast<char>(flags);
    out += static_cast<char>((n >> 24) & 0xff);
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
    out.append(payload.data(), payload.size());
    return out;
}

void EnvelopeReader::feed(std::string_view bytes) {
    // Only the tail of a partial envelope is moved (at most about one feed's worth); the buffer
    // keeps its capacity, so a steady stream reallocates nothing.
    if (pos_ == buf_.size())
        buf_.clear();
    else if (pos_)
        buf_.erase(0, pos_);
    pos_ = 0;
    buf_.append(bytes.data(), bytes.size());
}

EnvelopeReader::Status EnvelopeReader::next(uint8_t* flags, std::string_view* payload) {
    if (buffered() < 5) return Status::kNeedMore;
    auto b = [&](size_t i) { return static_cast<uint8_t>(buf_[pos_ + i]); };
    uint32_t n = (uint32_t(b(1)) << 24) | (uint32_t(b(2)) << 16) | (uint32_t(b(3)) << 8) | b(4);
    if (n > max_) return Status::kTooLarge;
    if (buffered() < 5 + size_t(n)) return Status::kNeedMore;
    *flags = b(0);
    *payload = std::string_view(buf_).substr(pos_ + 5, n);
    pos_ += 5 + n;
    return Status::kMessage;
}

EnvelopeReader::Status EnvelopeReader::next(Envelope* out) {
    std::string_view payload;
    Status st = next(&out->flags, &payload);
    if (st == Status::kMessage) out->payload.assign(payload.data(), payload.size());
    return st;
}

namespace {
struct CodeInfo {
    Code code;
    const char* name;
    int http;
};
constexpr CodeInfo kCodes[] = {
    {Code::kCanceled, "canceled", 499},
    {Code::kUnknown, "unknown", 500},
    {Code::kInvalidArgument, "invalid_argument", 400},
    {Code::kDeadlineExceeded, "deadline_exceeded", 504},
    {Code::kNotFound, "not_found", 404},
    {Code::kAlreadyExists, "already_exists", 409},
    {Code::kPermissionDenied, "permission_denied", 403},
    {Code::kResourceExhausted, "resource_exhausted", 429},
    {Code::kFailedPrecondition, "failed_precondition", 400},
    {Code::kAborted, "aborted", 409},
    {Code::kOutOfRange, "out_of_range", 400},
    {Code::kUnimplemented, "unimplemented", 501},
    {Code::kInternal, "internal", 500},
    {Code::kUnavailable, "unavailable", 503},
    {Code::kDataLoss, "data_loss", 500},
    {Code::kUnauthenticated, "unauthenticated", 401},
};
}  // namespace

const char* code_name(Code c) {
    for (auto& i : kCodes)
        if (i.code == c) return i.name;
    return "unknown";
}
int code_http_status(Code c) {
    for (auto& i : kCodes)
        if (i.code == c) return i.http;
    return 500;
}
std::optional<Code> code_from_name(std::string_view name) {
    for (auto& i : kCodes)
        if (name == i.name) return i.code;
    return std::nullopt;
}
Code code_from_http_status(int status) {
    switch (status) {
        case 400: return Code::kInternal;  // Connect's own table maps 400 to internal
        case 401: return Code::kUnauthenticated;
        case 403: return Code::kPermissionDenied;
        case 404: return Code::kUnimplemented;
        case 429: case 502: case 503: case 504: return Code::kUnavailable;
        default: return Code::kUnknown;
    }
}

int code_number(Code c) {
    // Enum order follows the Connect code numbering, starting at canceled = 1.
    return static_cast<int>(c) + 1;
}

std::string error_json(Code c, std::string_view message) {
    Json o = json_object();
    json_set_str(o.get(), "code", code_name(c));
    json_set_str(o.get(), "message", message);
    return json_print(o.get());
}

std::string end_stream_json(const Code* c, std::string_view message) {
    if (!c) return "{}";
    Json o = json_object();
    cJSON* e = json_set_obj(o.get(), "error");
    json_set_str(e, "code", code_name(*c));
    json_set_str(e, "message", message);
    return json_print(o.get());
}

}  // namespace e2b::connect
