// Byte encodings used on the wire: base64 (proto3 bytes), URL percent-coding, hex, SHA-256.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace e2b {

std::string base64_encode(std::string_view bytes, bool pad = true);
// Appends the encoding of `bytes` to `out` (one resize, no per-character appends).
void base64_append(std::string& out, std::string_view bytes, bool pad = true);
// Accepts standard and URL-safe alphabets, padded or not (proto3 JSON rule). nullopt if invalid.
std::optional<std::string> base64_decode(std::string_view text);
// Same, into *out (replacing its contents, reusing its capacity); false if invalid.
bool base64_decode_to(std::string_view text, std::string* out);

std::string url_encode(std::string_view s);           // RFC 3986 unreserved kept
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = true);

// "a=1&b=x%20y" → {a:1, b:"x y"}; pairs that fail to decode are dropped.
std::multimap<std::string, std::string> parse_query(std::string_view q);

std::string hex_encode(std::string_view bytes);
std::string random_hex(size_t nbytes);                 // from the kernel CSPRNG
std::string random_alnum(size_t n);                    // [a-z0-9], from the CSPRNG
std::string sha256(std::string_view data);             // raw 32 bytes
// Constant-time comparison for secrets.
bool secure_equal(std::string_view a, std::string_view b);

}  // namespace e2b
