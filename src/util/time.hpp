// Wall-clock helpers: RFC 3339 formatting/parsing as used by the E2B API and proto3 Timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace e2b {

int64_t now_unix_ns();   // CLOCK_REALTIME
int64_t now_mono_ns();   // CLOCK_MONOTONIC
// "2026-08-21T10:00:00.123456789Z"; frac_digits in {0,3,6,9}.
std::string rfc3339(int64_t unix_ns, int frac_digits = 9);
// Accepts 'Z' or +hh:mm offsets and 0..9 fractional digits.
std::optional<int64_t> parse_rfc3339(const std::string& s);

}  // namespace e2b
