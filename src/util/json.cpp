#include "util/json.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace e2b {

Json json_parse(std::string_view text) {
    return Json(cJSON_ParseWithLength(text.data(), text.size()));
}

std::string json_print(const cJSON* j) {
    if (!j) return {};
    char* s = cJSON_PrintUnformatted(j);
    if (!s) return {};
    std::string out(s);
    cJSON_free(s);
    return out;
}

const cJSON* json_get(const cJSON* obj, const char* key) {
    if (!obj || !cJSON_IsObject(obj)) return nullptr;
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v && cJSON_IsNull(v)) return nullptr;
    return v;
}

const cJSON* json_get2(const cJSON* obj, const char* camel, const char* snake) {
    const cJSON* v = json_get(obj, camel);
    return v ? v : json_get(obj, snake);
}

std::optional<std::string> json_str(const cJSON* obj, const char* key) {
    const cJSON* v = json_get(obj, key);
    if (!v || !cJSON_IsString(v)) return std::nullopt;
    return std::string(v->valuestring);
}

std::string json_str_or(const cJSON* obj, const char* key, std::string fallback) {
    auto s = json_str(obj, key);
    return s ? *s : fallback;
}

std::optional<int64_t> json_int(const cJSON* obj, const char* key) {
    const cJSON* v = json_get(obj, key);
    if (!v) return std::nullopt;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!std::isfinite(d) || d != std::floor(d)) return std::nullopt;
        return static_cast<int64_t>(d);
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        errno = 0;
        char* end = nullptr;
        long long n = std::strtoll(v->valuestring, &end, 10);
        if (errno || *end) return std::nullopt;
        return n;
    }
    return std::nullopt;
}

int64_t json_int_or(const cJSON* obj, const char* key, int64_t fallback) {
    auto n = json_int(obj, key);
    return n ? *n : fallback;
}

std::optional<bool> json_bool(const cJSON* obj, const char* key) {
    const cJSON* v = json_get(obj, key);
    if (!v || !cJSON_IsBool(v)) return std::nullopt;
    return cJSON_IsTrue(v) != 0;
}

bool json_bool_or(const cJSON* obj, const char* key, bool fallback) {
    auto b = json_bool(obj, key);
    return b ? *b : fallback;
}

bool json_string_map(const cJSON* obj, std::map<std::string, std::string>* out) {
    if (!obj) return true;
    if (!cJSON_IsObject(obj)) return false;
    for (const cJSON* it = obj->child; it; it = it->next) {
        if (!cJSON_IsString(it)) return false;
        (*out)[it->string] = it->valuestring;
    }
    return true;
}

void json_set_str(cJSON* obj, const char* key, std::string_view value) {
    cJSON_AddItemToObject(obj, key, cJSON_CreateString(std::string(value).c_str()));
}
void json_set_int(cJSON* obj, const char* key, int64_t value) {
    cJSON_AddItemToObject(obj, key, cJSON_CreateNumber(static_cast<double>(value)));
}
void json_set_bool(cJSON* obj, const char* key, bool value) {
    cJSON_AddItemToObject(obj, key, cJSON_CreateBool(value));
}
void json_set_null(cJSON* obj, const char* key) { cJSON_AddItemToObject(obj, key, cJSON_CreateNull()); }
cJSON* json_set_obj(cJSON* obj, const char* key) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToObject(obj, key, o);
    return o;
}
void json_set(cJSON* obj, const char* key, Json value) {
    cJSON_AddItemToObject(obj, key, value.release());
}
Json json_from_map(const std::map<std::string, std::string>& m) {
    Json o = json_object();
    for (auto& [k, v] : m) json_set_str(o.get(), k.c_str(), v);
    return o;
}

std::string json_quote(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (unsigned char ch : s) {
        switch (ch) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (ch < 0x20) {
                out += "\\u00";
                out += hex[ch >> 4];
                out += hex[ch & 15];
            } else {
                out += (char)ch;
            }
        }
    }
    out += '"';
    return out;
}

}  // namespace e2b
