#include "protocol/ndjson.hpp"

#include <cstring>

#include "protocol/json_read.hpp"
#include "util/json.hpp"

namespace e2b::proto {

using namespace detail;

void LineSplitter::feed(std::string_view bytes) {
    if (too_long_) return;
    if (pos_ > 0 && pos_ * 2 > buf_.size()) {  // compact before growing
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes.data(), bytes.size());
}

LineSplitter::Status LineSplitter::next(std::string* line) {
    for (;;) {
        if (too_long_) return Status::kTooLong;
        size_t start = pos_ + scanned_;
        const void* nl = start < buf_.size() ? memchr(buf_.data() + start, '\n', buf_.size() - start)
                                             : nullptr;
        if (!nl) {
            scanned_ = buf_.size() - pos_;
            if (scanned_ > max_) {
                too_long_ = true;
                buf_.clear();
                buf_.shrink_to_fit();
                pos_ = scanned_ = 0;
                return Status::kTooLong;
            }
            return Status::kNeedMore;
        }
        size_t end = static_cast<const char*>(nl) - buf_.data();
        size_t len = end - pos_;
        if (len > max_) {
            too_long_ = true;
            return Status::kTooLong;
        }
        size_t trimmed = len;
        if (trimmed > 0 && buf_[pos_ + trimmed - 1] == '\r') --trimmed;
        size_t begin = pos_;
        pos_ = end + 1;
        scanned_ = 0;
        if (trimmed == 0) continue;  // blank line
        line->assign(buf_, begin, trimmed);
        return Status::kLine;
    }
}

LineSplitter::Status LineSplitter::finish(std::string* line) {
    Status s = next(line);
    if (s != Status::kNeedMore) return s;
    size_t len = buf_.size() - pos_;
    if (len > 0 && buf_[buf_.size() - 1] == '\r') --len;
    if (len == 0) {
        pos_ = buf_.size();
        scanned_ = 0;
        return Status::kNeedMore;
    }
    line->assign(buf_, pos_, len);
    pos_ = buf_.size();
    scanned_ = 0;
    return Status::kLine;
}

std::string encode_execute_request(std::string_view code,
                                   const std::optional<std::string>& context_id,
                                   const std::optional<std::string>& language,
                                   const std::map<std::string, std::string>& env_vars) {
    Json o = json_object();
    json_set_str(o.get(), "code", code);
    if (context_id) json_set_str(o.get(), "context_id", *context_id);
    if (language) json_set_str(o.get(), "language", *language);
    if (!env_vars.empty()) json_set(o.get(), "env_vars", json_from_map(env_vars));
    return json_print(o.get());
}

namespace {

// Object-valued MIME fields are kept as raw JSON; a non-object is a type error.
bool read_raw_obj(const cJSON* o, const char* key, std::optional<std::string>* out,
                  std::string* err) {
    const cJSON* v = nullptr;
    if (!read_obj(o, key, &v, err)) return false;
    if (v) *out = json_print(v);
    return true;
}

// The server stringifies everything but json/data/chart/extra; accept any JSON value for the
// text fields too (a kernel may emit a bare number), converting non-strings to their JSON text.
bool read_text(const cJSON* o, const char* key, std::optional<std::string>* out) {
    const cJSON* v = json_get(o, key);
    if (!v) return true;
    if (cJSON_IsString(v))
        *out = std::string(v->valuestring);
    else
        *out = json_print(v);
    return true;
}

}  // namespace

bool parse_exec_line(std::string_view line, ExecLine* out, std::string* err) {
    Json j = parse_body(line, false, err);
    if (!j) return false;
    const cJSON* o = j.get();
    std::string type;
    if (!require(o, "type", err) || !read_str(o, "type", &type, err)) return false;
    ExecLine l;
    if (type == "number_of_executions") {
        l.type = ExecLine::Type::kNumberOfExecutions;
        if (!read_int(o, "execution_count", &l.execution_count, err)) return false;
    } else if (type == "stdout" || type == "stderr") {
        l.type = type == "stdout" ? ExecLine::Type::kStdout : ExecLine::Type::kStderr;
        if (!read_str(o, "text", &l.text, err) || !read_str(o, "timestamp", &l.timestamp, err))
            return false;
    } else if (type == "result") {
        l.type = ExecLine::Type::kResult;
        ExecResult& r = l.result;
        if (!read_bool(o, "is_main_result", &r.is_main_result, err)) return false;
        struct {
            const char* key;
            std::optional<std::string>* field;
        } texts[] = {{"text", &r.text},   {"html", &r.html}, {"markdown", &r.markdown},
                     {"svg", &r.svg},     {"png", &r.png},   {"jpeg", &r.jpeg},
                     {"pdf", &r.pdf},     {"latex", &r.latex}, {"javascript", &r.javascript}};
        for (auto& t : texts) read_text(o, t.key, t.field);
        // `json` is an object for dict results but Jupyter allows any JSON value (lists...).
        if (const cJSON* v = json_get(o, "json")) r.json = json_print(v);
        if (!read_raw_obj(o, "data", &r.data, err) || !read_raw_obj(o, "chart", &r.chart, err) ||
            !read_raw_obj(o, "extra", &r.extra, err))
            return false;
    } else if (type == "error") {
        l.type = ExecLine::Type::kError;
        if (!read_str(o, "name", &l.error.name, err) || !read_str(o, "value", &l.error.value, err) ||
            !read_str(o, "traceback", &l.error.traceback, err))
            return false;
    } else if (type == "keepalive") {
        l.type = ExecLine::Type::kKeepalive;
    } else if (type == "end_of_execution") {
        l.type = ExecLine::Type::kEndOfExecution;
    }
    *out = std::move(l);
    return true;
}

std::string encode_create_context_request(const std::optional<std::string>& language,
                                          const std::optional<std::string>& cwd) {
    Json o = json_object();
    if (language) json_set_str(o.get(), "language", *language);
    if (cwd) json_set_str(o.get(), "cwd", *cwd);
    return json_print(o.get());
}

namespace {
bool parse_ctx(const cJSON* o, CodeContext* c, std::string* err) {
    return require(o, "id", err) && read_str(o, "id", &c->id, err) &&
           read_str(o, "language", &c->language, err) && read_str(o, "cwd", &c->cwd, err);
}
}  // namespace

bool parse_context(std::string_view body, CodeContext* out, std::string* err) {
    Json j = parse_body(body, false, err);
    if (!j) return false;
    CodeContext c;
    if (!parse_ctx(j.get(), &c, err)) return false;
    *out = std::move(c);
    return true;
}

bool parse_context_list(std::string_view body, std::vector<CodeContext>* out, std::string* err) {
    Json j = parse_body(body, true, err);
    if (!j) return false;
    std::vector<CodeContext> list;
    size_t i = 0;
    for (const cJSON* it = j->child; it; it = it->next, ++i) {
        CodeContext c;
        if (!cJSON_IsObject(it)) {
            *err = "[" + std::to_string(i) + "]: expected an object";
            return false;
        }
        if (!parse_ctx(it, &c, err)) {
            *err = "[" + std::to_string(i) + "]." + *err;
            return false;
        }
        list.push_back(std::move(c));
    }
    *out = std::move(list);
    return true;
}

}  // namespace e2b::proto
