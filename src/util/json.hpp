// Thin RAII + accessors over cJSON, shared by the server, the agent and the client core.
#pragma once

#include <cJSON.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace e2b {

struct JsonDeleter {
    void operator()(cJSON* j) const { cJSON_Delete(j); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

// Parses `text` (not necessarily NUL-terminated). nullptr on malformed input.
Json json_parse(std::string_view text);
// Compact serialisation; "" only if j is null.
std::string json_print(const cJSON* j);

inline Json json_object() { return Json(cJSON_CreateObject()); }
inline Json json_array() { return Json(cJSON_CreateArray()); }

// Accessors tolerate a missing key and a wrong type by returning the fallback / nullopt:
// proto3 JSON omits defaults, so absence must read as the default value.
const cJSON* json_get(const cJSON* obj, const char* key);
// Like json_get but also tries an alternative spelling (proto3 parsers accept snake_case).
const cJSON* json_get2(const cJSON* obj, const char* camel, const char* snake);
std::optional<std::string> json_str(const cJSON* obj, const char* key);
std::string json_str_or(const cJSON* obj, const char* key, std::string fallback = {});
// Numbers may come as JSON numbers or (int64 in proto3) as strings.
std::optional<int64_t> json_int(const cJSON* obj, const char* key);
int64_t json_int_or(const cJSON* obj, const char* key, int64_t fallback);
std::optional<bool> json_bool(const cJSON* obj, const char* key);
bool json_bool_or(const cJSON* obj, const char* key, bool fallback);
// A {string:string} object; non-string values are rejected (returns false).
bool json_string_map(const cJSON* obj, std::map<std::string, std::string>* out);

void json_set_str(cJSON* obj, const char* key, std::string_view value);
void json_set_int(cJSON* obj, const char* key, int64_t value);
void json_set_bool(cJSON* obj, const char* key, bool value);
void json_set_null(cJSON* obj, const char* key);
cJSON* json_set_obj(cJSON* obj, const char* key);  // adds and returns an empty object
void json_set(cJSON* obj, const char* key, Json value);
Json json_from_map(const std::map<std::string, std::string>& m);
// s as a JSON string literal, quotes included (for hand-built lines on hot paths, e.g. logs).
std::string json_quote(std::string_view s);

}  // namespace e2b
