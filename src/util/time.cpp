#include "util/time.hpp"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace e2b {

static int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
int64_t now_unix_ns() { return clock_ns(CLOCK_REALTIME); }
int64_t now_mono_ns() { return clock_ns(CLOCK_MONOTONIC); }

std::string rfc3339(int64_t unix_ns, int frac_digits) {
    time_t secs = static_cast<time_t>(unix_ns / 1000000000LL);
    int64_t frac = unix_ns % 1000000000LL;
    if (frac < 0) {
        frac += 1000000000LL;
        --secs;
    }
    tm t{};
    gmtime_r(&secs, &t);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    std::string out(buf, n);
    if (frac_digits > 0) {
        char f[16];
        snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
        out.append(f, 1 + static_cast<size_t>(frac_digits));
    }
    out += 'Z';
    return out;
}

std::optional<int64_t> parse_rfc3339(const std::string& s) {
    tm t{};
    const char* p = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
    if (!p) return std::nullopt;
    int64_t frac = 0;
    if (*p == '.') {
        ++p;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                ++digits;
            }
            ++p;
        }
        while (digits++ < 9) frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        ++p;
    } else if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
        offset = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return std::nullopt;
    }
    if (*p) return std::nullopt;
    time_t secs = timegm(&t);
    return (static_cast<int64_t>(secs) - offset) * 1000000000LL + frac;
}

}  // namespace e2b
