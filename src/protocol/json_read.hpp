// Strict typed reads for the client-side decoders (rest, envd, ndjson).
// Unlike util/json.hpp's lenient accessors, a present-but-wrong-typed field is an error here
// (a server bug we want to surface), while absent or null still reads as the proto3 default.
// Every reader returns false and sets *err to "<key>: <what>" on a type error.
#pragma once

#include <cJSON.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.hpp"

namespace e2b::proto::detail {

// Parses a whole body that must be a JSON object (or array when want_array).
Json parse_body(std::string_view body, bool want_array, std::string* err);

// `snake` is the alternative proto field spelling parsers must accept (may be null).
const cJSON* field(const cJSON* obj, const char* key, const char* snake = nullptr);

bool read_str(const cJSON* obj, const char* key, std::string* out, std::string* err,
              const char* snake = nullptr);
bool read_opt_str(const cJSON* obj, const char* key, std::optional<std::string>* out,
                  std::string* err, const char* snake = nullptr);
// Integers: JSON number (integral) or decimal string (proto3 int64 rule). Range-checked.
bool read_int(const cJSON* obj, const char* key, int64_t* out, std::string* err,
              const char* snake = nullptr, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
bool read_double(const cJSON* obj, const char* key, double* out, std::string* err,
                 const char* snake = nullptr);
bool read_bool(const cJSON* obj, const char* key, bool* out, std::string* err,
               const char* snake = nullptr);
bool read_opt_bool(const cJSON* obj, const char* key, std::optional<bool>* out, std::string* err,
                   const char* snake = nullptr);
bool read_str_map(const cJSON* obj, const char* key, std::map<std::string, std::string>* out,
                  std::string* err, const char* snake = nullptr);
bool read_str_list(const cJSON* obj, const char* key, std::vector<std::string>* out,
                   std::string* err, const char* snake = nullptr);
// RFC 3339 string → unix ns; absent → 0.
bool read_time(const cJSON* obj, const char* key, int64_t* out, std::string* err,
               const char* snake = nullptr);
// Base64 bytes (standard or URL-safe, padded or not).
bool read_bytes(const cJSON* obj, const char* key, std::string* out, std::string* err,
                const char* snake = nullptr);
// Enum as its name (looked up in names[0..n), value = index unless values given) or integer.
// Unknown names read as 0 (UNSPECIFIED), as protobuf-es does with ignoreUnknownFields.
bool read_enum(const cJSON* obj, const char* key, int* out, std::string* err,
               const char* const* names, const int* values, size_t n, const char* snake = nullptr);
// Object-typed member; absent → *out = nullptr, true. Wrong type → false.
bool read_obj(const cJSON* obj, const char* key, const cJSON** out, std::string* err,
              const char* snake = nullptr);
bool read_arr(const cJSON* obj, const char* key, const cJSON** out, std::string* err,
              const char* snake = nullptr);
// Missing required key → false with "<key>: missing".
bool require(const cJSON* obj, const char* key, std::string* err);
// Raw JSON text of a member (objects kept verbatim for the caller); absent → nullopt.
std::optional<std::string> raw(const cJSON* obj, const char* key);

}  // namespace e2b::proto::detail
