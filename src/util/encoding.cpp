#include "util/encoding.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace e2b {

static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

namespace {
// Two output characters per 12 input bits: half the lookups of a per-character table.
struct B64Pairs {
    char c[4096][2];
    B64Pairs() {
        for (int i = 0; i < 4096; ++i) {
            c[i][0] = kB64[i >> 6];
            c[i][1] = kB64[i & 63];
        }
    }
};
const B64Pairs kB64Pairs;
}  // namespace

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// SSSE3: 12 input bytes to 16 characters per step (the 6-bit fields are moved into place with
// two multiplies, then mapped to the alphabet with one byte shuffle of per-range offsets).
// Returns the number of input bytes consumed (a multiple of 12; the caller does the rest).
__attribute__((target("ssse3"))) static size_t base64_encode_ssse3(const unsigned char* in, size_t n, char* out) {
    size_t done = 0;
    const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
    const __m128i offsets = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                          '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
    for (; n - done >= 16; done += 12, out += 16) {  // loads 16, uses 12
        __m128i v = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + done)), spread);
        __m128i hi = _mm_mulhi_epu16(_mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)), _mm_set1_epi32(0x04000040));
        __m128i lo = _mm_mullo_epi16(_mm_and_si128(v, _mm_set1_epi32(0x003f03f0)), _mm_set1_epi32(0x01000010));
        __m128i idx = _mm_or_si128(hi, lo);  // one 6-bit value per byte
        __m128i range = _mm_subs_epu8(idx, _mm_set1_epi8(51));  // 0 for letters, 1..12 for the rest
        range = _mm_or_si128(range, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), idx), _mm_set1_epi8(13)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_add_epi8(idx, _mm_shuffle_epi8(offsets, range)));
    }
    return done;
}
static const bool kHaveSsse3 = (__builtin_cpu_init(), __builtin_cpu_supports("ssse3"));
#endif

void base64_append(std::string& out, std::string_view in, bool pad) {
    size_t full = in.size() / 3, rest = in.size() % 3;
    size_t at = out.size();
    out.resize(at + full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1));
    char* o = &out[at];
    const auto* u = reinterpret_cast<const unsigned char*>(in.data());
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (kHaveSsse3) {
        size_t used = base64_encode_ssse3(u, full * 3, o);
        u += used;
        o += used / 3 * 4;
        full -= used / 3;
    }
#endif
    for (size_t k = 0; k < full; ++k, u += 3, o += 4) {
        unsigned v = (unsigned(u[0]) << 16) | (unsigned(u[1]) << 8) | u[2];
        memcpy(o, kB64Pairs.c[v >> 12], 2);
        memcpy(o + 2, kB64Pairs.c[v & 0xfff], 2);
    }
    if (rest) {
        unsigned v = (unsigned(u[0]) << 16) | (rest == 2 ? unsigned(u[1]) << 8 : 0u);
        o[0] = kB64[v >> 18];
        o[1] = kB64[(v >> 12) & 63];
        if (rest == 2) o[2] = kB64[(v >> 6) & 63];
        if (pad) {
            if (rest == 1) o[2] = '=';
            o[3] = '=';
        }
    }
}

std::string base64_encode(std::string_view in, bool pad) {
    std::string out;
    base64_append(out, in, pad);
    return out;
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

namespace {
struct B64Values {
    int8_t v[256];
    B64Values() {
        for (int c = 0; c < 256; ++c) v[c] = static_cast<int8_t>(b64val(static_cast<char>(c)));
    }
};
const B64Values kB64Values;
}  // namespace

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define E2B_AVX2 __attribute__((target("avx2")))
E2B_AVX2 static inline __m256i b64_in(__m256i c, char lo, char hi) {  // lo <= c <= hi (signed)
    return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(char(lo - 1))),
                            _mm256_cmpgt_epi8(_mm256_set1_epi8(char(hi + 1)), c));
}
E2B_AVX2 static inline __m256i b64_is(__m256i c, char x) { return _mm256_cmpeq_epi8(c, _mm256_set1_epi8(x)); }

// AVX2: 32 characters to 24 bytes per step, both alphabets. Stops before the first block with a
// character outside them (bytes >= 0x80 are negative, so outside every range); the scalar loop
// then reports it. Writes 32 bytes per step, so needs 8 bytes of room past what it decodes.
// Returns the number of characters consumed (a multiple of 32).
E2B_AVX2 static size_t base64_decode_avx2(const unsigned char* in, size_t n, char* out, size_t out_room) {
    const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                          2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);  // the two 12-byte halves
    size_t done = 0;
    for (; n - done >= 32 && out_room >= 32; done += 32, out += 24, out_room -= 24) {
        __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + done));
        __m256i up = b64_in(c, 'A', 'Z'), low = b64_in(c, 'a', 'z'), dig = b64_in(c, '0', '9');
        __m256i v62 = _mm256_or_si256(b64_is(c, '+'), b64_is(c, '-'));
        __m256i v63 = _mm256_or_si256(b64_is(c, '/'), b64_is(c, '_'));
        __m256i alnum = _mm256_or_si256(_mm256_or_si256(up, low), dig);
        if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(alnum, v62), v63)) != -1) break;
        __m256i off = _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(up, _mm256_set1_epi8(-'A')),
                                                      _mm256_and_si256(low, _mm256_set1_epi8(26 - 'a'))),
                                      _mm256_and_si256(dig, _mm256_set1_epi8(52 - '0')));
        __m256i v = _mm256_or_si256(_mm256_and_si256(_mm256_add_epi8(c, off), alnum),
                                    _mm256_or_si256(_mm256_and_si256(v62, _mm256_set1_epi8(62)),
                                                    _mm256_and_si256(v63, _mm256_set1_epi8(63))));
        // Per 4 characters a,b,c,d: a<<6|b and c<<6|d in 16 bits, then both in 24 bits, then
        // the 3 bytes of each in output order, packed to the front.
        v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
        v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
        v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pack), lanes);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
    }
    return done;
}
#undef E2B_AVX2
static const bool kHaveAvx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
#endif

bool base64_decode_to(std::string_view in, std::string* out) {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    size_t full = in.size() / 4, rest = in.size() % 4;
    if (rest == 1) return false;
    out->resize(full * 3 + (rest ? rest - 1 : 0));
    char* o = &(*out)[0];
    const auto* u = reinterpret_cast<const unsigned char*>(in.data());
    const int8_t* t = kB64Values.v;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (kHaveAvx2) {
        size_t used = base64_decode_avx2(u, full * 4, o, out->size());
        u += used;
        o += used / 4 * 3;
        full -= used / 4;
    }
#endif
    // Four characters at a time; an invalid one (-1) makes the OR negative.
    for (size_t k = 0; k < full; ++k, u += 4, o += 3) {
        int a = t[u[0]], b = t[u[1]], c = t[u[2]], d = t[u[3]];
        if ((a | b | c | d) < 0) return false;
        unsigned v = (unsigned(a) << 18) | (unsigned(b) << 12) | (unsigned(c) << 6) | unsigned(d);
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>(v >> 8);
        o[2] = static_cast<char>(v);
    }
    if (rest) {  // 2 or 3 characters: 1 or 2 bytes (the leftover low bits are dropped)
        int a = t[u[0]], b = t[u[1]], c = rest == 3 ? t[u[2]] : 0;
        if ((a | b | c) < 0) return false;
        unsigned v = (unsigned(a) << 18) | (unsigned(b) << 12) | (unsigned(c) << 6);
        o[0] = static_cast<char>(v >> 16);
        if (rest == 3) o[1] = static_cast<char>(v >> 8);
    }
    return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
    std::string out;
    if (!base64_decode_to(in, &out)) return std::nullopt;
    return out;
}

std::string url_encode(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            out += static_cast<char>(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view q) {
    std::multimap<std::string, std::string> out;
    while (!q.empty()) {
        size_t amp = q.find('&');
        std::string_view kv = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if (kv.empty()) continue;
        size_t eq = kv.find('=');
        auto k = url_decode(kv.substr(0, eq));
        auto v = url_decode(eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1));
        if (k && v) out.emplace(*k, *v);
    }
    return out;
}

std::string hex_encode(std::string_view bytes) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

std::string random_hex(size_t nbytes) {
    std::string raw(nbytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(nbytes)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return hex_encode(raw);
}

std::string random_alnum(size_t n) {
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    while (out.size() < n) {
        unsigned char b[32];
        if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
        for (unsigned char c : b) {
            if (c < 252 && out.size() < n) out += al[c % 36];  // 252 = 7*36: no modulo bias
        }
    }
    return out;
}

std::string sha256(std::string_view data) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
    return std::string(reinterpret_cast<char*>(md), sizeof md);
}

bool secure_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace e2b
