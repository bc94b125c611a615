#include "protocol/json_read.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "util/encoding.hpp"
#include "util/time.hpp"

namespace e2b::proto::detail {

namespace {
bool fail(std::string* err, const char* key, const char* what) {
    if (err) *err = std::string(key) + ": " + what;
    return false;
}
}  // namespace

Json parse_body(std::string_view body, bool want_array, std::string* err) {
    Json j = json_parse(body);
    if (!j) {
        if (err) *err = body.empty() ? "empty body" : "malformed JSON";
        return nullptr;
    }
    if (want_array ? !cJSON_IsArray(j.get()) : !cJSON_IsObject(j.get())) {
        if (err) *err = want_array ? "expected a JSON array" : "expected a JSON object";
        return nullptr;
    }
    return j;
}

const cJSON* field(const cJSON* obj, const char* key, const char* snake) {
    return snake ? json_get2(obj, key, snake) : json_get(obj, key);
}

bool read_str(const cJSON* obj, const char* key, std::string* out, std::string* err,
              const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsString(v)) return fail(err, key, "expected a string");
    *out = v->valuestring;
    return true;
}

bool read_opt_str(const cJSON* obj, const char* key, std::optional<std::string>* out,
                  std::string* err, const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsString(v)) return fail(err, key, "expected a string");
    *out = std::string(v->valuestring);
    return true;
}

bool read_int(const cJSON* obj, const char* key, int64_t* out, std::string* err,
              const char* snake, int64_t min, int64_t max) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        // 2^63 is exactly representable; anything at or beyond it does not fit.
        if (!std::isfinite(d) || d != std::floor(d) || d >= 9223372036854775808.0 ||
            d < -9223372036854775808.0)
            return fail(err, key, "expected an integer");
        int64_t n = static_cast<int64_t>(d);
        if (n < min || n > max) return fail(err, key, "integer out of range");
        *out = n;
        return true;
    }
    if (cJSON_IsString(v)) {
        const char* s = v->valuestring;
        if (!*s || (*s != '-' && (*s < '0' || *s > '9'))) return fail(err, key, "expected an integer");
        errno = 0;
        char* end = nullptr;
        long long n = std::strtoll(s, &end, 10);
        if (errno == ERANGE || *end) return fail(err, key, "expected an integer");
        if (n < min || n > max) return fail(err, key, "integer out of range");
        *out = n;
        return true;
    }
    return fail(err, key, "expected an integer");
}

bool read_double(const cJSON* obj, const char* key, double* out, std::string* err,
                 const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsNumber(v)) return fail(err, key, "expected a number");
    *out = v->valuedouble;
    return true;
}

bool read_bool(const cJSON* obj, const char* key, bool* out, std::string* err, const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsBool(v)) return fail(err, key, "expected a boolean");
    *out = cJSON_IsTrue(v) != 0;
    return true;
}

bool read_opt_bool(const cJSON* obj, const char* key, std::optional<bool>* out, std::string* err,
                   const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsBool(v)) return fail(err, key, "expected a boolean");
    *out = cJSON_IsTrue(v) != 0;
    return true;
}

bool read_str_map(const cJSON* obj, const char* key, std::map<std::string, std::string>* out,
                  std::string* err, const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsObject(v)) return fail(err, key, "expected an object of strings");
    std::map<std::string, std::string> m;
    if (!json_string_map(v, &m)) return fail(err, key, "expected an object of strings");
    *out = std::move(m);
    return true;
}

bool read_str_list(const cJSON* obj, const char* key, std::vector<std::string>* out,
                   std::string* err, const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsArray(v)) return fail(err, key, "expected an array of strings");
    std::vector<std::string> list;
    for (const cJSON* it = v->child; it; it = it->next) {
        if (!cJSON_IsString(it)) return fail(err, key, "expected an array of strings");
        list.emplace_back(it->valuestring);
    }
    *out = std::move(list);
    return true;
}

bool read_time(const cJSON* obj, const char* key, int64_t* out, std::string* err,
               const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsString(v)) return fail(err, key, "expected an RFC 3339 timestamp");
    auto ns = parse_rfc3339(v->valuestring);
    if (!ns) return fail(err, key, "invalid RFC 3339 timestamp");
    *out = *ns;
    return true;
}

bool read_bytes(const cJSON* obj, const char* key, std::string* out, std::string* err,
                const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (!cJSON_IsString(v)) return fail(err, key, "expected base64 bytes");
    auto b = base64_decode(v->valuestring);
    if (!b) return fail(err, key, "invalid base64");
    *out = std::move(*b);
    return true;
}

bool read_enum(const cJSON* obj, const char* key, int* out, std::string* err,
               const char* const* names, const int* values, size_t n, const char* snake) {
    const cJSON* v = field(obj, key, snake);
    if (!v) return true;
    if (cJSON_IsString(v)) {
        *out = 0;
        for (size_t i = 0; i < n; ++i)
            if (std::string_view(v->valuestring) == names[i]) *out = values ? values[i] : int(i);
        return true;
    }
    int64_t num = 0;
    if (cJSON_IsNumber(v) && read_int(obj, key, &num, err, snake, INT32_MIN, INT32_MAX)) {
        *out = static_cast<int>(num);
        return true;
    }
    return fail(err, key, "expected an enum name or number");
}

bool read_obj(const cJSON* obj, const char* key, const cJSON** out, std::string* err,
              const char* snake) {
    const cJSON* v = field(obj, key, snake);
    *out = nullptr;
    if (!v) return true;
    if (!cJSON_IsObject(v)) return fail(err, key, "expected an object");
    *out = v;
    return true;
}

bool read_arr(const cJSON* obj, const char* key, const cJSON** out, std::string* err,
              const char* snake) {
    const cJSON* v = field(obj, key, snake);
    *out = nullptr;
    if (!v) return true;
    if (!cJSON_IsArray(v)) return fail(err, key, "expected an array");
    *out = v;
    return true;
}

bool require(const cJSON* obj, const char* key, std::string* err) {
    if (json_get(obj, key)) return true;
    return fail(err, key, "missing");
}

std::optional<std::string> raw(const cJSON* obj, const char* key) {
    const cJSON* v = json_get(obj, key);
    if (!v) return std::nullopt;
    return json_print(v);
}

}  // namespace e2b::proto::detail
