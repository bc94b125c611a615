// Code interpreter (port 49999) wire: the /execute NDJSON stream and the /contexts API.
// Decoders never throw: false + a message naming the field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2b::proto {

// Incremental newline splitter: feed bytes in any split, pop whole lines (without "\n" or a
// trailing "\r"); empty lines are skipped. finish() returns the last line when the body ended
// without "\n". A line longer than max_line is an error (the buffer stops growing).
class LineSplitter {
public:
    explicit LineSplitter(size_t max_line = 64u << 20) : max_(max_line) {}
    void feed(std::string_view bytes);
    enum class Status { kNeedMore, kLine, kTooLong };
    Status next(std::string* line);
    // At end of body: kLine with the unterminated remainder, or kNeedMore when nothing is left.
    Status finish(std::string* line);
    size_t buffered() const { return buf_.size() - pos_; }

private:
    std::string buf_;
    size_t pos_ = 0;
    size_t scanned_ = 0;  // bytes after pos_ already known to hold no '\n'
    size_t max_;
    bool too_long_ = false;
};

std::string encode_execute_request(std::string_view code,
                                   const std::optional<std::string>& context_id,
                                   const std::optional<std::string>& language,
                                   const std::map<std::string, std::string>& env_vars);

// A `result` line: the Jupyter MIME bundle as the server flattens it. Text formats are strings;
// json/data/chart/extra are objects kept as their raw JSON text.
struct ExecResult {
    bool is_main_result = false;
    std::optional<std::string> text, html, markdown, svg, png, jpeg, pdf, latex, javascript;
    std::optional<std::string> json, data, chart, extra;
};

struct ExecError {
    std::string name;
    std::string value;
    std::string traceback;
};

struct ExecLine {
    enum class Type {
        kUnknown,  // a type this client does not know: ignore it
        kNumberOfExecutions,
        kStdout,
        kStderr,
        kResult,
        kError,
        kKeepalive,
        kEndOfExecution
    };
    Type type = Type::kUnknown;
    int64_t execution_count = 0;  // kNumberOfExecutions
    std::string text;             // kStdout / kStderr
    std::string timestamp;        // kStdout / kStderr (ISO text as sent)
    ExecResult result;            // kResult
    ExecError error;              // kError
};
bool parse_exec_line(std::string_view line, ExecLine* out, std::string* err);

struct CodeContext {
    std::string id;
    std::string language;
    std::string cwd;
};
// POST /contexts body; unset fields omitted (server defaults python, /home/user).
std::string encode_create_context_request(const std::optional<std::string>& language,
                                          const std::optional<std::string>& cwd);
bool parse_context(std::string_view body, CodeContext* out, std::string* err);
bool parse_context_list(std::string_view body, std::vector<CodeContext>* out, std::string* err);

}  // namespace e2b::proto
